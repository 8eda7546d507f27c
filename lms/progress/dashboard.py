"""The learner's "My learning" page, and the progress shown on a course page.

Everything is read in a fixed number of queries whatever the number of
courses, lessons or attempts: rules and records are loaded for all enrolled
courses at once and combined in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalog.models import Enrolment
from lms.content import version
from lms.content.models import Course, CourseText, LessonText, Module, ModuleText
from lms.extensions import db
from lms.i18n import current_language, pick
from lms.progress import completion, quizlink
from lms.progress.completion import CourseRule, NextStep, Outcome
from lms.progress.models import Certificate, LessonProgress

RECENT_RESULTS = 5


@dataclass
class Step:
    kind: str  # "lesson" or "quiz"
    module_title: str
    module_language: str | None
    lesson_key: str | None = None
    lesson_title: str | None = None
    lesson_language: str | None = None
    quiz_id: int | None = None
    module_key: str | None = None


@dataclass
class CourseProgress:
    course: Course
    text: CourseText | None
    text_language: str | None
    enrolment: Enrolment
    outcome: Outcome
    step: Step | None
    certificate: Certificate | None = None
    done_lessons: set[int] = field(default_factory=set)
    passed_quizzes: set[int] = field(default_factory=set)

    @property
    def slug(self) -> str:
        return self.course.slug

    @property
    def title(self) -> str:
        return self.text.title if self.text else self.course.slug

    @property
    def percent(self) -> int:
        return self.outcome.percent

    @property
    def completed(self) -> bool:
        return self.enrolment.completed_at is not None

    @property
    def items_left(self) -> int:
        return self.outcome.total_items - self.outcome.done_items


@dataclass
class QuizResult:
    attempt_id: int
    quiz_title: str
    quiz_language: str | None
    course_slug: str
    course_title: str
    score: float | None
    passed: bool | None
    waiting: bool
    submitted_at: datetime | None


@dataclass
class Dashboard:
    in_progress: list[CourseProgress]
    completed: list[CourseProgress]
    results: list[QuizResult]

    @property
    def empty(self) -> bool:
        return not self.in_progress and not self.completed


def _records(user_id: int, course_ids: list[int]) -> tuple[dict[int, set[int]], set[int]]:
    done: dict[int, set[int]] = defaultdict(set)
    if course_ids:
        for course_id, lesson_id in db.session.execute(
            select(LessonProgress.course_id, LessonProgress.lesson_id).where(
                LessonProgress.user_id == user_id,
                LessonProgress.course_id.in_(course_ids),
                LessonProgress.completed_at.is_not(None),
            )
        ):
            done[course_id].add(lesson_id)
    return done, quizlink.passed_quizzes(user_id, course_ids)


# Titles of lessons and modules in every language: content, kept per content version.
_titles = version.StampCache(size=2048)


def _load_titles(model, text_model, parent_column, ids: list[int]) -> dict[int, dict[str, tuple]]:  # noqa: ANN001
    """{id: {language: (key, title)}} of lessons or modules (one query)."""
    found: dict[int, dict[str, tuple]] = {item_id: {} for item_id in ids}
    for item_id, key, language, title in db.session.execute(
        select(model.id, model.key, text_model.language, text_model.title)
        .join(text_model, parent_column == model.id)
        .where(model.id.in_(ids))
    ):
        found[item_id][language] = (key, title)
    return found


def _lesson_titles(lesson_ids: list[int]) -> dict[int, dict[str, tuple]]:
    from lms.content.models import Lesson

    return _load_titles(Lesson, LessonText, LessonText.lesson_id, lesson_ids)


def _module_titles(module_ids: list[int]) -> dict[int, dict[str, tuple]]:
    return _load_titles(Module, ModuleText, ModuleText.module_id, module_ids)


def _titles_of(kind: str, ids: list[int], load) -> dict[int, dict[str, tuple]]:  # noqa: ANN001
    """{id: {language: (key, title)}}: from the cache, one query for those not kept."""
    if not ids:
        return {}
    found = _titles.get_many([(kind, i) for i in ids],
                             lambda keys: {(kind, i): v for i, v in load([i for _k, i in keys]).items()})
    return {i: found[(kind, i)] for i in ids}


def _steps(next_steps: dict[int, NextStep]) -> dict[int, Step]:
    """Titles of each course's next lesson and module in the reader's language
    (kept per content version; else two queries)."""
    if not next_steps:
        return {}
    reader = current_language()
    lesson_ids = [step.lesson_id for step in next_steps.values() if step.lesson_id is not None]
    module_ids = [step.module_id for step in next_steps.values()]
    lessons = _titles_of("lesson", lesson_ids, _lesson_titles)
    modules = _titles_of("module", module_ids, _module_titles)
    steps = {}
    for course_id, step in next_steps.items():
        (module_key, module_title), module_language = (
            pick(modules.get(step.module_id, {}), reader)
            if modules.get(step.module_id)
            else ((None, ""), None)
        )
        view = Step(step.kind, module_title, module_language, quiz_id=step.quiz_id, module_key=module_key)
        if step.lesson_id is not None and lessons.get(step.lesson_id):
            (view.lesson_key, view.lesson_title), view.lesson_language = pick(lessons[step.lesson_id], reader)
        steps[course_id] = view
    return steps


def course_progress(
    user_id: int, enrolments: list[Enrolment], certificates: dict[int, Certificate] | None = None
) -> list[CourseProgress]:
    """Percent, next step and marks for each enrolment (a fixed number of queries)."""
    course_ids = [enrolment.course_id for enrolment in enrolments]
    rules: dict[int, CourseRule] = completion.load_rules(course_ids)
    done, passed = _records(user_id, course_ids)
    outcomes, next_steps = {}, {}
    for enrolment in enrolments:
        rule = rules[enrolment.course_id]
        outcomes[enrolment.course_id] = completion.evaluate(
            rule, done[enrolment.course_id], passed, course_completed=enrolment.completed_at is not None
        )
        step = completion.next_step(rule, done[enrolment.course_id], passed)
        if step is not None:
            next_steps[enrolment.course_id] = step
    steps = _steps(next_steps)
    result = []
    for enrolment in enrolments:
        text, language = pick(enrolment.course.text_by_language())
        result.append(
            CourseProgress(
                course=enrolment.course,
                text=text,
                text_language=language,
                enrolment=enrolment,
                outcome=outcomes[enrolment.course_id],
                step=steps.get(enrolment.course_id),
                certificate=(certificates or {}).get(enrolment.course_id),
                done_lessons=done[enrolment.course_id],
                passed_quizzes=passed,
            )
        )
    return result


def dashboard(user_id: int) -> Dashboard:
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .join(Course, Course.id == Enrolment.course_id)
            .where(Enrolment.user_id == user_id, Course.archived_at.is_(None))
            .options(selectinload(Enrolment.course).selectinload(Course.texts))
            .order_by(
                Enrolment.last_activity_at.desc().nulls_last(),
                Enrolment.enrolled_at.desc(),
                Enrolment.id.desc(),
            )
        ).all()
    )
    certificates = {
        certificate.course_id: certificate
        for certificate in db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)).all()
    }
    items = course_progress(user_id, enrolments, certificates)
    return Dashboard(
        in_progress=[item for item in items if not item.completed],
        completed=sorted(
            (item for item in items if item.completed),
            key=lambda item: item.enrolment.completed_at,
            reverse=True,
        ),
        results=recent_results(user_id),
    )


def recent_results(user_id: int, limit: int = RECENT_RESULTS) -> list[QuizResult]:
    """The learner's latest closed quiz attempts, with quiz and course titles (one query)."""
    if not quizlink.available():
        return []
    from lms.quizzes.models import CLOSED_STATES, NEEDS_GRADING, Attempt, Quiz, QuizText

    latest = (
        select(Attempt.id)
        .where(Attempt.user_id == user_id, Attempt.state.in_(CLOSED_STATES))
        .order_by(Attempt.submitted_at.desc().nulls_last(), Attempt.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Attempt.id,
            Attempt.score,
            Attempt.passed,
            Attempt.state,
            Attempt.submitted_at,
            Course.slug,
            QuizText.language,
            QuizText.title,
            CourseText.language,
            CourseText.title,
        )
        .join(latest, latest.c.id == Attempt.id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .outerjoin(QuizText, QuizText.quiz_id == Quiz.id)
        .outerjoin(CourseText, CourseText.course_id == Course.id)
    ).all()
    reader = current_language()
    attempts: dict[int, dict] = {}
    for (
        attempt_id,
        score,
        passed,
        state,
        submitted_at,
        slug,
        quiz_language,
        quiz_title,
        course_language,
        course_title,
    ) in rows:
        entry = attempts.setdefault(
            attempt_id, {"row": (score, passed, state, submitted_at, slug), "quiz": {}, "course": {}}
        )
        if quiz_language:
            entry["quiz"][quiz_language] = quiz_title
        if course_language:
            entry["course"][course_language] = course_title
    results = []
    for attempt_id, entry in attempts.items():
        score, passed, state, submitted_at, slug = entry["row"]
        quiz_title, quiz_language = pick(entry["quiz"], reader)
        course_title, _ = pick(entry["course"], reader)
        results.append(
            QuizResult(
                attempt_id,
                quiz_title or "",
                quiz_language,
                slug,
                course_title or slug,
                score,
                passed,
                state == NEEDS_GRADING,
                submitted_at,
            )
        )
    results.sort(key=lambda r: (r.submitted_at is not None, r.submitted_at, r.attempt_id), reverse=True)
    return results
