"""The learner's "My learning" page.

Everything is read in a fixed number of queries whatever the number of
courses, lessons or attempts: the learner's enrolments (with certificates),
lessons done, closed attempts and latest results, one statement each; rules
and titles are content, kept per content version (lms.content.version).
The statements are built once and run with bound values (building a select
costs several times more than running these), and read plain rows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, bindparam, select

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


@dataclass(frozen=True)
class CertificateMark:
    code: str
    revoked: bool


@dataclass
class CourseProgress:
    course_id: int
    slug: str
    title: str
    text_language: str | None
    enrolled_at: datetime
    completed_at: datetime | None
    last_activity_at: datetime | None
    outcome: Outcome
    step: Step | None
    certificate: CertificateMark | None = None
    done_lessons: set[int] = field(default_factory=set)
    passed_quizzes: set[int] = field(default_factory=set)

    @property
    def percent(self) -> int:
        return self.outcome.percent

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

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


# Statements, built once ----------------------------------------------------------------


@functools.cache
def _enrolments_statement():
    """The learner's enrolments in courses not archived, most recent activity first,
    with the certificate of each (one per learner and course)."""
    e, c, cert = Enrolment.__table__.c, Course.__table__.c, Certificate.__table__.c
    return (
        select(e.course_id, c.slug, e.enrolled_at, e.completed_at, e.last_activity_at, cert.code,
               cert.revoked_at)
        .select_from(Enrolment.__table__)
        .join(Course.__table__, c.id == e.course_id)
        .outerjoin(Certificate.__table__, and_(cert.user_id == e.user_id, cert.course_id == e.course_id))
        .where(e.user_id == bindparam("user_id"), c.archived_at.is_(None))
        .order_by(e.last_activity_at.desc().nulls_last(), e.enrolled_at.desc(), e.id.desc())
    )


@functools.cache
def _done_statement():
    p = LessonProgress.__table__.c
    return select(p.course_id, p.lesson_id).where(
        p.user_id == bindparam("user_id"),
        p.course_id.in_(bindparam("course_ids", expanding=True)),
        p.completed_at.is_not(None),
    )


def _records(user_id: int, course_ids: list[int]) -> tuple[dict[int, set[int]], set[int]]:
    done: dict[int, set[int]] = defaultdict(set)
    if course_ids:
        for course_id, lesson_id in db.session.execute(
            _done_statement(), {"user_id": user_id, "course_ids": course_ids}
        ):
            done[course_id].add(lesson_id)
    return done, quizlink.passed_quizzes(user_id, course_ids)


# Titles: content, kept per content version ------------------------------------------------

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


def _course_titles(course_ids: list[int]) -> dict[int, dict[str, str]]:
    """{course id: {language: title}} (one query)."""
    found: dict[int, dict[str, str]] = {course_id: {} for course_id in course_ids}
    for course_id, language, title in db.session.execute(
        select(CourseText.course_id, CourseText.language, CourseText.title).where(
            CourseText.course_id.in_(course_ids)
        )
    ):
        found[course_id][language] = title
    return found


def _titles_of(kind: str, ids: list[int], load) -> dict:  # noqa: ANN001
    """{id: titles}: from the cache, one query for those not kept."""
    if not ids:
        return {}
    found = _titles.get_many([(kind, i) for i in ids],
                             lambda keys: {(kind, i): v for i, v in load([i for _k, i in keys]).items()})
    return {i: found[(kind, i)] for i in ids}


def _steps(next_steps: dict[int, NextStep], reader: str) -> dict[int, Step]:
    """Titles of each course's next lesson and module in the reader's language
    (kept per content version; else two queries)."""
    if not next_steps:
        return {}
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


# The page ---------------------------------------------------------------------------------


def course_progress(user_id: int, enrolments: list) -> list[CourseProgress]:
    """Percent, next step and marks for each enrolment row (_enrolments_statement's
    columns), in their order (a fixed number of queries)."""
    reader = current_language()
    course_ids = [row.course_id for row in enrolments]
    rules: dict[int, CourseRule] = completion.load_rules(course_ids)
    done, passed = _records(user_id, course_ids)
    outcomes, next_steps = {}, {}
    for row in enrolments:
        rule = rules[row.course_id]
        outcomes[row.course_id] = completion.evaluate(
            rule, done[row.course_id], passed, course_completed=row.completed_at is not None
        )
        step = completion.next_step(rule, done[row.course_id], passed)
        if step is not None:
            next_steps[row.course_id] = step
    steps = _steps(next_steps, reader)
    titles = _titles_of("course", course_ids, _course_titles)
    result = []
    for row in enrolments:
        title, language = pick(titles.get(row.course_id, {}), reader)
        result.append(
            CourseProgress(
                course_id=row.course_id,
                slug=row.slug,
                title=title or row.slug,
                text_language=language,
                enrolled_at=row.enrolled_at,
                completed_at=row.completed_at,
                last_activity_at=row.last_activity_at,
                outcome=outcomes[row.course_id],
                step=steps.get(row.course_id),
                certificate=CertificateMark(row.code, row.revoked_at is not None) if row.code else None,
                done_lessons=done[row.course_id],
                passed_quizzes=passed,
            )
        )
    return result


def dashboard(user_id: int) -> Dashboard:
    enrolments = db.session.execute(_enrolments_statement(), {"user_id": user_id}).all()
    items = course_progress(user_id, enrolments)
    return Dashboard(
        in_progress=[item for item in items if not item.completed],
        completed=sorted(
            (item for item in items if item.completed),
            key=lambda item: item.completed_at,
            reverse=True,
        ),
        results=recent_results(user_id),
    )


@functools.cache
def _recent_statement():
    """A learner's latest closed attempts with their quiz's and course's titles
    (a row per pair of languages)."""
    from lms.quizzes.models import CLOSED_STATES, Attempt, Quiz, QuizText

    a, q, c = Attempt.__table__.c, Quiz.__table__.c, Course.__table__.c
    qt, ct = QuizText.__table__, CourseText.__table__
    latest = (
        select(a.id)
        .where(a.user_id == bindparam("user_id"), a.state.in_(CLOSED_STATES))
        .order_by(a.submitted_at.desc().nulls_last(), a.id.desc())
        .limit(bindparam("limit"))
        .subquery()
    )
    return (
        select(a.id, a.score, a.passed, a.state, a.submitted_at, c.slug, qt.c.language, qt.c.title,
               ct.c.language, ct.c.title)
        .select_from(Attempt.__table__)
        .join(latest, latest.c.id == a.id)
        .join(Quiz.__table__, q.id == a.quiz_id)
        .join(Course.__table__, c.id == q.course_id)
        .outerjoin(qt, qt.c.quiz_id == q.id)
        .outerjoin(ct, ct.c.course_id == c.id)
    )


def recent_results(user_id: int, limit: int = RECENT_RESULTS) -> list[QuizResult]:
    """The learner's latest closed quiz attempts, with quiz and course titles (one query)."""
    if not quizlink.available():
        return []
    from lms.quizzes.models import NEEDS_GRADING

    rows = db.session.execute(_recent_statement(), {"user_id": user_id, "limit": limit}).all()
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
