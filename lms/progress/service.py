"""Recording what learners do: lesson visits and "mark as done".

Both are idempotent upserts on (user, lesson): a reload records a visit, a
double-submitted "mark as done" records the first time only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, inspect, literal_column, null, select, union_all, update
from sqlalchemy.orm.base import NO_VALUE

from lms.catalog.models import Enrolment
from lms.content.models import Course, Lesson
from lms.database import commit_keeping_loaded
from lms.extensions import db
from lms.progress import completion, quizlink
from lms.progress.models import Certificate, LessonProgress
from lms.progress.sql import upsert
from lms.timeutil import utcnow

# Enrolment.last_activity_at, and a lesson's last visit, are written at most
# this often by page visits: reports count activity in days, and a reading
# session should not write on every page (on SQLite every write takes the
# database's single write lock).
ACTIVITY_RESOLUTION = timedelta(minutes=10)


class ProgressError(Exception):
    def __init__(self, message, status: int = 400):
        super().__init__(str(message))
        self.message = message
        self.status = status


@dataclass
class CourseMarks:
    """What the outline shows a learner: enrolled?, lessons done, quizzes passed."""

    enrolled: bool = False
    course_completed_at: datetime | None = None
    done_lessons: set[int] = field(default_factory=set)
    visited_lessons: set[int] = field(default_factory=set)
    passed_quizzes: set[int] = field(default_factory=set)
    passed_modules: set[int] = field(default_factory=set)

    def is_done(self, lesson_id: int) -> bool:
        return lesson_id in self.done_lessons


_MARKS_STATEMENTS: dict[bool, object] = {}


def _marks_rows(user_id: int, course_id: int, with_quizzes: bool):
    """One query: the enrolment with every progress row of this learner in this
    course and, when asked, their closed quiz attempts (UNION ALL, padded)."""
    with_quizzes = bool(with_quizzes and quizlink.available())
    statement = _MARKS_STATEMENTS.get(with_quizzes)
    if statement is None:
        # Built once per process: it runs on every lesson page.
        statement = _MARKS_STATEMENTS[with_quizzes] = _marks_statement(with_quizzes)
    # A plain Core statement: run on the session's connection (same transaction),
    # without the ORM's per-statement work.
    return db.session.connection().execute(statement, {"user_id": user_id, "course_id": course_id}).all()


def _marks_statement(with_quizzes: bool):
    user_id, course_id = bindparam("user_id"), bindparam("course_id")
    progress = (
        select(
            literal_column("0").label("kind"),
            Enrolment.completed_at.label("at"),
            Enrolment.last_activity_at.label("activity"),
            LessonProgress.lesson_id.label("item"),
            LessonProgress.completed_at.label("done"),
            null().label("module"),
            null().label("grading"),
            null().label("pass_mark"),
            null().label("number"),
            null().label("score"),
            LessonProgress.last_visit_at.label("visited"),
        )
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.user_id == Enrolment.user_id, LessonProgress.course_id == Enrolment.course_id
            ),
        )
        .where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
    )
    if not with_quizzes:
        return progress
    from lms.quizzes.models import CLOSED_STATES, Attempt, Quiz

    attempts = (
        select(
            literal_column("1"),
            func.coalesce(Attempt.submitted_at, Attempt.started_at),
            null(),
            Quiz.id,
            null(),
            Quiz.module_id,
            Quiz.grading,
            Quiz.pass_mark,
            Attempt.number,
            Attempt.score,
            null(),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.user_id == user_id,
            Quiz.course_id == course_id,
            Quiz.archived_at.is_(None),
            Attempt.state.in_(CLOSED_STATES),
        )
    )
    return union_all(progress, attempts)


def _marks_from_rows(rows) -> tuple[CourseMarks, datetime | None, dict[int, datetime | None]]:
    """The marks, the enrolment's last activity and each visited lesson's last visit."""
    marks = CourseMarks()
    last_activity = None
    last_visits: dict[int, datetime | None] = {}
    attempts: dict[tuple[int, int], list] = {}
    for kind, at, activity, item, done_at, module_id, grading, pass_mark, number, score, visited in rows:
        if int(kind) == 1:
            attempts.setdefault((item, module_id), []).append((grading, pass_mark, (at, number, score)))
            continue
        marks.enrolled = True
        marks.course_completed_at = at
        last_activity = activity
        if item is not None:
            marks.visited_lessons.add(item)
            last_visits[item] = visited
            if done_at is not None:
                marks.done_lessons.add(item)
    for (quiz_id, module_id), items in attempts.items():
        if quizlink.quiz_passed(items[0][0], items[0][1], [entry[2] for entry in items]):
            marks.passed_quizzes.add(quiz_id)
            marks.passed_modules.add(module_id)
    return marks, last_activity, last_visits


def course_marks(user_id: int, course_id: int) -> CourseMarks:
    """Done lessons and passed quizzes of one learner in one course (one query)."""
    marks, _activity, _visits = _marks_from_rows(_marks_rows(user_id, course_id, with_quizzes=True))
    return marks


def record_visit(user_id: int, course_id: int, lesson_id: int, *, now: datetime | None = None) -> CourseMarks:
    """A signed-in learner opened a lesson: record the visit if they are enrolled.

    One read; then, for an enrolled learner, one upsert of the visit and (at
    most every ACTIVITY_RESOLUTION) one update of the enrolment's last activity.
    A lesson visited again within ACTIVITY_RESOLUTION writes nothing.
    """
    now = now or utcnow()
    marks, last_activity, last_visits = _marks_from_rows(_marks_rows(user_id, course_id, with_quizzes=True))
    if not marks.enrolled:
        return marks
    last_visit = last_visits.get(lesson_id)
    if (last_visit is not None and now - last_visit < ACTIVITY_RESOLUTION
            and last_activity is not None and now - last_activity < ACTIVITY_RESOLUTION):
        # Read again within minutes (a reload, back and forth): nothing to write, no
        # write lock taken. Visits, like the enrolment's activity, are kept to that resolution.
        return marks
    statement = upsert(LessonProgress).values(
        user_id=user_id, course_id=course_id, lesson_id=lesson_id, first_visit_at=now, last_visit_at=now
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_={"last_visit_at": now, "first_visit_at": func.coalesce(LessonProgress.first_visit_at, now)},
        )
    )
    if last_activity is None or now - last_activity >= ACTIVITY_RESOLUTION:
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
            .values(last_activity_at=now)
            .execution_options(synchronize_session=False)
        )
    # The page is rendered after this commit: keep the person, course and lesson
    # loaded (a plain commit would expire them and the template reload each one).
    # The two statements above change no loaded object.
    commit_keeping_loaded()
    marks.visited_lessons.add(lesson_id)
    return marks


@dataclass
class MarkDoneResult:
    lesson: Lesson
    already_done: bool
    course_completed_now: bool
    certificate_code: str | None = None


def mark_done(
    user_id: int, course: Course, lesson_key: str, *, now: datetime | None = None
) -> MarkDoneResult:
    """Record that a learner finished a lesson, then recompute their completion.

    Idempotent: a second submit keeps the first completion time.
    """
    now = now or utcnow()
    lesson = db.session.scalar(
        select(Lesson).where(
            Lesson.course_id == course.id, Lesson.key == lesson_key, Lesson.archived_at.is_(None)
        )
    )
    if lesson is None:
        raise ProgressError(_l("This lesson does not exist."), status=404)
    enrolled = db.session.scalar(
        select(Enrolment.id).where(Enrolment.user_id == user_id, Enrolment.course_id == course.id)
    )
    if enrolled is None:
        raise ProgressError(_l("Enrol in this course to record your progress."), status=403)
    already_done = (
        db.session.scalar(
            select(LessonProgress.completed_at).where(
                LessonProgress.user_id == user_id, LessonProgress.lesson_id == lesson.id
            )
        )
        is not None
    )
    statement = upsert(LessonProgress).values(
        user_id=user_id,
        course_id=course.id,
        lesson_id=lesson.id,
        first_visit_at=now,
        last_visit_at=now,
        completed_at=now,
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_={
                "last_visit_at": now,
                "first_visit_at": func.coalesce(LessonProgress.first_visit_at, now),
                "completed_at": func.coalesce(LessonProgress.completed_at, now),
            },
        )
    )
    db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolled)
        .values(last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    result = completion.recompute(course.id, [user_id], now=now)
    outcome = result.for_user(user_id)
    db.session.commit()
    completed_now = bool(outcome and outcome.newly_completed_course)
    code = None
    if outcome and outcome.course_complete:
        code = db.session.scalar(
            select(Certificate.code).where(
                Certificate.user_id == user_id,
                Certificate.course_id == course.id,
                Certificate.revoked_at.is_(None),
            )
        )
    return MarkDoneResult(lesson, already_done, completed_now, code)


def _attempt_course(attempt) -> int | None:
    """The course of a graded attempt without a query where the quiz engine knows it
    (its submissions pass `course_id`; an essay grade passes the attempt with its quiz)."""
    from lms.quizzes.models import Quiz

    course_id = getattr(attempt, "course_id", None)
    if course_id is not None:
        return course_id
    quiz = inspect(attempt).attrs.quiz.loaded_value
    if quiz is not NO_VALUE and quiz is not None and quiz.id == attempt.quiz_id:
        return quiz.course_id
    return db.session.scalar(select(Quiz.course_id).where(Quiz.id == attempt.quiz_id))


def on_attempt_graded(attempt) -> None:
    """Hook for the quiz engine (lms.quizzes.results.ON_ATTEMPT_GRADED), called
    after the grade is committed: a passed quiz may complete a module, the
    course, and issue the certificate. Owns its own transaction. (The engine
    records the attempt as the learner's activity itself, in the grade's
    transaction: a failed attempt costs no second one.)
    """
    if not attempt.passed:
        # Below the pass mark nothing can complete: under every grading policy (best,
        # last, average) a failed attempt never makes the kept grade newly pass.
        return
    try:
        course_id = _attempt_course(attempt)
        if course_id is None:
            return
        completion.recompute(course_id, [attempt.user_id], now=utcnow())
        # The quiz engine's objects (the attempt, the person) stay loaded for the result.
        commit_keeping_loaded()
    except Exception:
        db.session.rollback()
        raise


def recompute_courses(slug: str | None = None) -> tuple[int, int]:
    """Recompute completions of one course (by slug) or all; commits.

    Returns (enrolments looked at, certificates issued)."""
    course_ids = db.session.scalars(
        select(Course.id).where(Course.slug == slug) if slug else select(Course.id).order_by(Course.id)
    ).all()
    learners = certificates = 0
    for course_id in course_ids:
        result = completion.recompute(course_id)
        learners += len(result.outcomes)
        certificates += len(result.new_certificates)
    db.session.commit()
    return learners, certificates
