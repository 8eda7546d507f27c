"""Completion: the one place that decides what a learner has completed.

The rules (docs/content-format.md):

* a module requires the lessons its `module.toml` names under
  `[completion] lessons` (default: every active lesson of the module), and its
  quiz passed when `quiz = true` (the default) *and* the module has a quiz;
* a course is complete when every active module is complete.

Completions are earned, then kept: a module or course once completed stays
completed when content changes later (a lesson added, a rule made stricter).
The learner's progress on what is new shows as not done, and counts in the
percentage and the next step, but does not take the completion or the
certificate away. A rule made looser completes learners on the next
recompute (`flask lms recompute-progress`, run after each import).

`evaluate()` is plain Python (no database, no request): given a course's
rule, what a learner has done and what they had completed before, it says
what is complete now. `recompute()` loads those inputs for one learner or a
whole course in a fixed number of queries, applies `evaluate()` and writes
the new completions (and certificates); it never commits: the calling
service owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from lms.catalog.models import Enrolment
from lms.content import version
from lms.content.models import Lesson, Module
from lms.extensions import db
from lms.progress import quizlink
from lms.progress.models import LessonProgress, ModuleCompletion
from lms.progress.sql import upsert
from lms.timeutil import utcnow


# Rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleRule:
    module_id: int
    lesson_ids: tuple[int, ...]  # required lessons, in reading order
    quiz_id: int | None = None  # the quiz that must be passed, if any

    @property
    def item_count(self) -> int:
        return len(self.lesson_ids) + (1 if self.quiz_id is not None else 0)


@dataclass(frozen=True)
class CourseRule:
    course_id: int
    modules: tuple[ModuleRule, ...]  # active modules, in order

    @property
    def item_count(self) -> int:
        return sum(module.item_count for module in self.modules)


@dataclass(frozen=True)
class ModuleRow:
    id: int
    course_id: int
    position: int
    required_lessons: list[str] | None
    quiz_required: bool


@dataclass(frozen=True)
class LessonRow:
    id: int
    module_id: int
    key: str
    position: int


def build_rule(
    course_id: int, modules: Iterable[ModuleRow], lessons: Iterable[LessonRow], quizzes: dict[int, int]
) -> CourseRule:
    """A course's rule from its active modules and lessons and {module id: quiz id}."""
    by_module: dict[int, list[LessonRow]] = defaultdict(list)
    for lesson in lessons:
        by_module[lesson.module_id].append(lesson)
    rules = []
    for module in sorted(modules, key=lambda m: (m.position, m.id)):
        own = sorted(by_module.get(module.id, []), key=lambda lesson: (lesson.position, lesson.id))
        if module.required_lessons is not None:
            # Named lessons that were archived (or moved away) cannot be done: they drop out.
            wanted = set(module.required_lessons)
            own = [lesson for lesson in own if lesson.key in wanted]
        quiz_id = quizzes.get(module.id) if module.quiz_required else None
        rules.append(ModuleRule(module.id, tuple(lesson.id for lesson in own), quiz_id))
    return CourseRule(course_id, tuple(rules))


# Rules per course, per process, while the content version stays (they are built
# only from modules, lessons and quizzes).
_rules_cache = version.StampCache(size=512)


def load_rules(course_ids: Iterable[int]) -> dict[int, CourseRule]:
    """The rules of several courses: kept per content version, else three
    queries (modules, lessons, quizzes) for those not kept."""
    course_ids = sorted(set(course_ids))
    if not course_ids:
        return {}
    found = _rules_cache.get_many(course_ids, _load_rules)
    return {course_id: found[course_id] for course_id in course_ids}


def _load_rules(course_ids: list[int]) -> dict[int, CourseRule]:
    modules = [
        ModuleRow(*row)
        for row in db.session.execute(
            select(
                Module.id, Module.course_id, Module.position, Module.required_lessons, Module.quiz_required
            ).where(Module.course_id.in_(course_ids), Module.archived_at.is_(None))
        ).all()
    ]
    lessons = db.session.execute(
        select(Lesson.course_id, Lesson.id, Lesson.module_id, Lesson.key, Lesson.position).where(
            Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None)
        )
    ).all()
    quizzes = quizlink.module_quizzes(course_ids)
    lessons_by_course: dict[int, list[LessonRow]] = defaultdict(list)
    for course_id, *rest in lessons:
        lessons_by_course[course_id].append(LessonRow(*rest))
    modules_by_course: dict[int, list[ModuleRow]] = defaultdict(list)
    for module in modules:
        modules_by_course[module.course_id].append(module)
    return {
        course_id: build_rule(course_id, modules_by_course[course_id], lessons_by_course[course_id], quizzes)
        for course_id in course_ids
    }


# Deciding -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    complete_modules: frozenset[int]
    newly_completed_modules: frozenset[int]
    course_complete: bool
    newly_completed_course: bool
    done_items: int
    total_items: int

    @property
    def percent(self) -> int:
        """Share of the required items done now, rounded down (100 only when all are done)."""
        if not self.total_items:
            return 100 if self.course_complete else 0
        return self.done_items * 100 // self.total_items


def module_requirements_met(module: ModuleRule, done_lessons: set[int], passed_quizzes: set[int]) -> bool:
    return all(lesson_id in done_lessons for lesson_id in module.lesson_ids) and (
        module.quiz_id is None or module.quiz_id in passed_quizzes
    )


def evaluate(
    rule: CourseRule,
    done_lessons: set[int],
    passed_quizzes: set[int],
    completed_modules: set[int] = frozenset(),
    course_completed: bool = False,
) -> Outcome:
    """What is complete for one learner: deterministic, no database.

    `completed_modules` and `course_completed` are what was recorded before;
    they stay complete (completions are kept once earned).
    """
    complete, newly = set(), set()
    done_items = 0
    for module in rule.modules:
        done_items += sum(1 for lesson_id in module.lesson_ids if lesson_id in done_lessons)
        done_items += 1 if module.quiz_id is not None and module.quiz_id in passed_quizzes else 0
        if module.module_id in completed_modules:
            complete.add(module.module_id)
        elif module_requirements_met(module, done_lessons, passed_quizzes):
            complete.add(module.module_id)
            newly.add(module.module_id)
    all_complete = bool(rule.modules) and all(module.module_id in complete for module in rule.modules)
    return Outcome(
        complete_modules=frozenset(complete),
        newly_completed_modules=frozenset(newly),
        course_complete=course_completed or all_complete,
        newly_completed_course=not course_completed and all_complete,
        done_items=done_items,
        total_items=rule.item_count,
    )


@dataclass(frozen=True)
class NextStep:
    kind: str  # "lesson" or "quiz"
    module_id: int
    lesson_id: int | None = None
    quiz_id: int | None = None


def next_step(rule: CourseRule, done_lessons: set[int], passed_quizzes: set[int]) -> NextStep | None:
    """The first required lesson not done, in course order; after a module's
    lessons, its required quiz if not passed. None when nothing is left."""
    for module in rule.modules:
        for lesson_id in module.lesson_ids:
            if lesson_id not in done_lessons:
                return NextStep("lesson", module.module_id, lesson_id=lesson_id)
        if module.quiz_id is not None and module.quiz_id not in passed_quizzes:
            return NextStep("quiz", module.module_id, quiz_id=module.quiz_id)
    return None


# Recomputing ----------------------------------------------------------------------


@dataclass
class RecomputeResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # by user id
    new_certificates: list[str] = field(default_factory=list)  # codes

    def for_user(self, user_id: int) -> Outcome | None:
        return self.outcomes.get(user_id)


def recompute(
    course_id: int, user_ids: Iterable[int] | None = None, *, now: datetime | None = None
) -> RecomputeResult:
    """Bring stored completions of a course's learners (all, or `user_ids`) up to date.

    A fixed number of queries whatever the number of learners. Records module
    completions, the course completion on the enrolment, and issues the
    certificate of a completed course that has none. Does not commit.
    """
    from lms.progress.certificates import issue_certificates

    now = now or utcnow()
    users = None if user_ids is None else sorted(set(user_ids))
    result = RecomputeResult()
    if users == []:
        return result

    def only_users(column):
        return [] if users is None else [column.in_(users)]

    rule = load_rules([course_id])[course_id]
    enrolments = db.session.execute(
        select(Enrolment.id, Enrolment.user_id, Enrolment.completed_at).where(
            Enrolment.course_id == course_id, *only_users(Enrolment.user_id)
        )
    ).all()
    if not enrolments:
        return result
    done: dict[int, set[int]] = defaultdict(set)
    for user_id, lesson_id in db.session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_id).where(
            LessonProgress.course_id == course_id,
            LessonProgress.completed_at.is_not(None),
            *only_users(LessonProgress.user_id),
        )
    ):
        done[user_id].add(lesson_id)
    passed = quizlink.passed_by_learner(course_id, users) if any(m.quiz_id for m in rule.modules) else {}
    completed: dict[int, set[int]] = defaultdict(set)
    for user_id, module_id in db.session.execute(
        select(ModuleCompletion.user_id, ModuleCompletion.module_id).where(
            ModuleCompletion.course_id == course_id, *only_users(ModuleCompletion.user_id)
        )
    ):
        completed[user_id].add(module_id)

    new_modules: list[dict] = []
    newly_complete_enrolments: list[int] = []
    complete_users: list[int] = []
    for enrolment_id, user_id, completed_at in enrolments:
        outcome = evaluate(
            rule, done[user_id], passed.get(user_id, set()), completed[user_id], completed_at is not None
        )
        result.outcomes[user_id] = outcome
        new_modules.extend(
            {"user_id": user_id, "course_id": course_id, "module_id": module_id, "completed_at": now}
            for module_id in sorted(outcome.newly_completed_modules)
        )
        if outcome.newly_completed_course:
            newly_complete_enrolments.append(enrolment_id)
        if outcome.course_complete:
            complete_users.append(user_id)

    if new_modules:
        # A concurrent recompute (double submit) may have written the same rows: keep theirs.
        db.session.execute(
            upsert(ModuleCompletion).on_conflict_do_nothing(index_elements=["user_id", "module_id"]),
            new_modules,
        )
    if newly_complete_enrolments:
        # Only where still open, so the first completion time is the one kept.
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.id.in_(newly_complete_enrolments), Enrolment.completed_at.is_(None))
            .values(completed_at=now)
            .execution_options(synchronize_session=False)
        )
    if complete_users:
        result.new_certificates = issue_certificates(course_id, complete_users, now=now)
    return result
