"""Completion rules and the next step: as plain functions, and against the database
through the one recompute function (lesson added later, custom required lessons,
quizzes, re-import)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from factories import make_user, write_course
from lms.catalog.models import Enrolment
from lms.catalog.service import enrol
from lms.content.importer import import_courses
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import completion
from lms.progress.completion import (
    CourseRule,
    LessonRow,
    ModuleRow,
    ModuleRule,
    build_rule,
    evaluate,
    next_step,
)
from lms.progress.models import Certificate, LessonProgress, ModuleCompletion
from lms.progress.service import mark_done
from lms.timeutil import utcnow
from progress_support import write_quiz_module

# Plain functions ----------------------------------------------------------------------

RULE = CourseRule(1, (ModuleRule(10, (101, 102), quiz_id=7), ModuleRule(20, (201, 202))))


def test_module_needs_its_lessons_and_its_quiz():
    outcome = evaluate(RULE, {101, 102}, set())
    assert outcome.complete_modules == frozenset() and not outcome.course_complete
    outcome = evaluate(RULE, {101, 102}, {7})
    assert outcome.complete_modules == {10} and outcome.newly_completed_modules == {10}
    assert (outcome.done_items, outcome.total_items, outcome.percent) == (3, 5, 60)


def test_course_completes_when_every_module_is_complete():
    outcome = evaluate(RULE, {101, 102, 201, 202}, {7})
    assert outcome.course_complete and outcome.newly_completed_course and outcome.percent == 100
    again = evaluate(RULE, {101, 102, 201, 202}, {7}, completed_modules={10, 20}, course_completed=True)
    assert again.course_complete and not again.newly_completed_course and not again.newly_completed_modules


def test_completions_are_kept_when_the_rule_grows():
    grown = CourseRule(1, (ModuleRule(10, (101, 102, 103), quiz_id=7), ModuleRule(20, (201, 202))))
    outcome = evaluate(grown, {101, 102, 201, 202}, {7}, completed_modules={10, 20}, course_completed=True)
    assert outcome.course_complete and outcome.complete_modules == {10, 20}
    # The new lesson counts as not done, and is the next step.
    assert (outcome.done_items, outcome.total_items, outcome.percent) == (5, 6, 83)
    assert next_step(grown, {101, 102, 201, 202}, {7}) == completion.NextStep("lesson", 10, lesson_id=103)


def test_next_step_is_the_first_required_lesson_not_done_then_the_quiz():
    assert next_step(RULE, set(), set()) == completion.NextStep("lesson", 10, lesson_id=101)
    assert next_step(RULE, {102}, set()) == completion.NextStep("lesson", 10, lesson_id=101)
    assert next_step(RULE, {101, 102}, set()) == completion.NextStep("quiz", 10, quiz_id=7)
    assert next_step(RULE, {101, 102, 202}, {7}) == completion.NextStep("lesson", 20, lesson_id=201)
    assert next_step(RULE, {101, 102, 201, 202}, {7}) is None


def test_build_rule_defaults_to_every_active_lesson_and_honours_named_ones():
    modules = [ModuleRow(2, 1, 2, None, True), ModuleRow(1, 1, 1, ["b"], False)]
    lessons = [
        LessonRow(12, 1, "b", 2),
        LessonRow(11, 1, "a", 1),
        LessonRow(21, 2, "c", 1),
        LessonRow(22, 2, "d", 2),
    ]
    rule = build_rule(1, modules, lessons, {1: 70, 2: 80})
    # Modules by position; module 1 names lesson "b" and no quiz; module 2 needs all and its quiz.
    assert rule.modules == (ModuleRule(1, (12,), None), ModuleRule(2, (21, 22), 80))


def test_a_module_without_a_quiz_needs_no_quiz_even_when_quiz_is_required():
    rule = build_rule(1, [ModuleRow(1, 1, 1, None, True)], [LessonRow(11, 1, "a", 1)], {})
    assert evaluate(rule, {11}, set()).course_complete


def test_a_course_without_modules_is_never_complete():
    assert not evaluate(CourseRule(1, ()), set(), set()).course_complete


# Against the database -------------------------------------------------------------------


def _course(slug="alpha") -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _done(user, course, *keys):
    for key in keys:
        mark_done(user.id, course, key)


def test_completing_every_lesson_completes_modules_course_and_issues_a_certificate(tmp_path):
    write_course(tmp_path, "alpha", modules=2, lessons=2)
    import_courses(tmp_path)
    course = _course()
    learner = make_user(locale="en", name="Ana")
    enrol(learner.id, course)
    _done(learner, course, "lesson-1-1", "lesson-1-2")
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 1
    assert db.session.scalar(select(Enrolment.completed_at)) is None
    result = mark_done(learner.id, course, "lesson-2-2")
    assert not result.course_completed_now
    result = mark_done(learner.id, course, "lesson-2-1")
    assert result.course_completed_now and result.certificate_code
    certificate = db.session.scalar(select(Certificate))
    assert (certificate.holder_name, certificate.course_title, certificate.language, certificate.hours) == (
        "Ana",
        "alpha (en)",
        "en",
        4,
    )


def test_marking_twice_records_once(tmp_path):
    write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    first = mark_done(learner.id, course, "lesson-1-1", now=utcnow() - timedelta(hours=1))
    second = mark_done(learner.id, course, "lesson-1-1")
    assert not first.already_done and second.already_done
    rows = db.session.scalars(select(LessonProgress)).all()
    assert len(rows) == 1
    assert rows[0].completed_at < utcnow() - timedelta(minutes=30)  # the first time is kept


def test_a_lesson_added_after_completion_keeps_the_course_completed(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    _done(learner, course, "lesson-1-1", "lesson-1-2")
    completed_at = db.session.scalar(select(Enrolment.completed_at))
    assert completed_at is not None
    # A trainer adds a third lesson and re-imports.
    for lang in ("es", "en"):
        (folder / "01-module-1" / f"03-lesson-1-3.{lang}.md").write_text(
            '+++\ntitle = "New lesson"\n+++\nNew.\n', encoding="utf-8"
        )
    import_courses(tmp_path)
    completion.recompute(course.id)
    db.session.commit()
    assert db.session.scalar(select(Enrolment.completed_at)) == completed_at
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 2  # nothing lost
    rule = completion.load_rules([course.id])[course.id]
    new_lesson = db.session.scalar(select(Lesson.id).where(Lesson.key == "lesson-1-3"))
    done = set(db.session.scalars(select(LessonProgress.lesson_id)).all())
    outcome = evaluate(rule, done, set(), {rule.modules[0].module_id}, True)
    assert outcome.course_complete and outcome.percent == 66
    assert next_step(rule, done, set()).lesson_id == new_lesson


def test_custom_required_lessons_from_the_course_files(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=3)
    (folder / "01-module-1" / "module.toml").write_text(
        '[title]\nes = "M"\nen = "M"\n\n[completion]\nlessons = ["lesson-1-2"]\nquiz = false\n',
        encoding="utf-8",
    )
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    assert not mark_done(learner.id, course, "lesson-1-1").course_completed_now
    assert mark_done(learner.id, course, "lesson-1-2").course_completed_now


def test_loosening_the_rule_completes_learners_on_recompute(tmp_path, runner):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    _done(learner, course, "lesson-1-1")
    assert db.session.scalar(select(Enrolment.completed_at)) is None
    (folder / "01-module-1" / "module.toml").write_text(
        '[title]\nes = "M"\nen = "M"\n\n[completion]\nlessons = ["lesson-1-1"]\n', encoding="utf-8"
    )
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 certificate(s) issued" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Enrolment.completed_at)) is not None


def test_an_archived_required_lesson_drops_out_and_its_record_stays(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=2)
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    _done(learner, course, "lesson-1-2")
    for lang in ("es", "en"):
        (folder / "01-module-1" / f"01-lesson-1-1.{lang}.md").unlink()
    import_courses(tmp_path)
    completion.recompute(course.id)
    db.session.commit()
    assert db.session.scalar(select(Enrolment.completed_at)) is not None
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 1


def test_a_required_quiz_must_be_passed_and_passing_it_completes_the_course(tmp_path):
    from lms.quizzes.attempts import save_answers, start_attempt
    from lms.quizzes.models import Quiz
    from quiz_support import right_form

    folder = write_course(tmp_path, "alpha", modules=1, lessons=1)
    write_quiz_module(folder, 1, 2, pass_mark=50)
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    assert not mark_done(learner.id, course, "lesson-1-1").course_completed_now
    quiz = db.session.scalar(select(Quiz))
    attempt = start_attempt(learner.id, quiz)
    from werkzeug.datastructures import MultiDict

    save_answers(attempt, MultiDict(right_form(attempt.id)), submit=True)  # the engine calls our hook
    db.session.expire_all()
    assert db.session.scalar(select(Enrolment.completed_at)) is not None
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_quiz_not_required_by_the_files_is_not_needed(tmp_path):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=1)
    write_quiz_module(folder, 1, 2)
    (folder / "01-module-1" / "module.toml").write_text(
        '[title]\nes = "M"\nen = "M"\n\n[completion]\nquiz = false\n', encoding="utf-8"
    )
    import_courses(tmp_path)
    course = _course()
    learner = make_user()
    enrol(learner.id, course)
    assert mark_done(learner.id, course, "lesson-1-1").course_completed_now


def test_recompute_of_a_whole_course_takes_a_fixed_number_of_queries(tmp_path, count_queries):
    from lms.progress.seed import seed_learners

    folder = write_course(tmp_path, "alpha", modules=2, lessons=3)
    write_quiz_module(folder, 1, 3)
    import_courses(tmp_path)
    course = _course()
    counts = []
    for size in (10, 300):
        seed_learners(course, size, seed=size)
        with count_queries() as queries:
            completion.recompute(course.id)
        db.session.rollback()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_lesson_added_after_completion_shows_as_new_to_the_learner(tmp_path, client, auth):
    folder = write_course(tmp_path, "alpha", modules=1, lessons=1)
    import_courses(tmp_path)
    learner = make_user(locale="en")
    enrol(learner.id, _course())
    auth.login(learner.email)
    client.post("/courses/alpha/lessons/lesson-1-1/done", data={})
    for lang in ("es", "en"):
        (folder / "01-module-1" / f"02-lesson-1-2.{lang}.md").write_text(
            f'+++\ntitle = "New lesson ({lang})"\n+++\nNew.\n', encoding="utf-8"
        )
    import_courses(tmp_path)
    completion.recompute(_course().id)
    db.session.commit()
    html = client.get("/my/courses").get_data(as_text=True)
    # Still under completed courses with its certificate, and the new lesson is the next step.
    assert "Completed courses" in html and "Download your certificate (PDF)" in html
    assert "The course has 1 new item since you completed it." in html
    assert 'href="/courses/alpha/lessons/lesson-1-2"' in html
    outline = client.get("/courses/alpha").get_data(as_text=True)
    assert outline.count('<span class="done-mark"') == 1  # the old lesson done, the new one not
