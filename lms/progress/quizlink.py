"""Everything progress reads from the quiz engine (lms.quizzes), in one place.

Progress depends on the quiz engine only through this module: which module
has which quiz, which quizzes a learner has passed, and the attempts behind
the trainers' statistics. Each function answers in one query for any number
of learners or courses, so pages keep a constant number of queries.

The quiz engine calls `on_attempt_graded` (registered in
`lms.quizzes.results.ON_ATTEMPT_GRADED`) after it grades an attempt.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, func, select

from lms.extensions import db

try:  # the quiz engine is an optional neighbour: progress works without it
    from lms.quizzes import models as quiz_models
except ImportError:  # pragma: no cover - only before the quiz engine exists
    quiz_models = None


def available() -> bool:
    return quiz_models is not None


def module_quizzes(course_ids: Iterable[int]) -> dict[int, int]:
    """{module id: quiz id} for the active quizzes of these courses (one query)."""
    course_ids = list(course_ids)
    if not available() or not course_ids:
        return {}
    Quiz = quiz_models.Quiz
    rows = db.session.execute(
        select(Quiz.module_id, Quiz.id).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None))
    ).all()
    return {module_id: quiz_id for module_id, quiz_id in rows}


def quiz_passed(grading: str, pass_mark: float, attempts: list[tuple]) -> bool:
    """Whether closed attempts [(submitted_at or started_at, number, score)] pass the quiz.

    The quiz engine's own rule (lms.quizzes.grading.kept_grade and passed,
    as in lms.quizzes.results): the grade kept by the quiz's policy (best,
    last or average of the closed attempts, oldest first; an attempt waiting
    for an essay grade counts with its provisional score) reaches the pass mark.
    """
    from lms.quizzes.grading import kept_grade, passed

    scores = [float(score or 0.0) for _when, _number, score in sorted(attempts)]
    return passed(kept_grade(scores, grading), pass_mark)


def _closed_attempts_statement(where):
    Quiz, Attempt = quiz_models.Quiz, quiz_models.Attempt
    return (
        select(
            Attempt.user_id,
            Attempt.quiz_id,
            Quiz.grading,
            Quiz.pass_mark,
            func.coalesce(Attempt.submitted_at, Attempt.started_at),
            Attempt.number,
            Attempt.score,
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.state.in_(quiz_models.CLOSED_STATES), Quiz.archived_at.is_(None), *where)
    )


@functools.cache
def _learner_attempts_statement():
    # Built once: every dashboard runs it, and building costs more than running it.
    Quiz, Attempt = quiz_models.Quiz, quiz_models.Attempt
    return _closed_attempts_statement(
        [Attempt.user_id == bindparam("user_id"), Quiz.course_id.in_(bindparam("course_ids", expanding=True))]
    )


def _closed_attempts(statement, values: dict | None = None) -> dict[tuple[int, int], list]:
    rows = db.session.execute(statement, values or {}).all()
    grouped: dict[tuple[int, int], list] = defaultdict(list)
    for user_id, quiz_id, grading, pass_mark, when, number, score in rows:
        grouped[(user_id, quiz_id)].append((grading, pass_mark, (when, number, score)))
    return grouped


def _passes(grouped) -> dict[int, set[int]]:
    result: dict[int, set[int]] = defaultdict(set)
    for (user_id, quiz_id), items in grouped.items():
        grading, pass_mark = items[0][0], items[0][1]
        if quiz_passed(grading, pass_mark, [item[2] for item in items]):
            result[user_id].add(quiz_id)
    return result


def passed_quizzes(user_id: int, course_ids: Iterable[int]) -> set[int]:
    """The quizzes of these courses that one learner has passed (one query)."""
    course_ids = list(course_ids)
    if not available() or not course_ids:
        return set()
    grouped = _closed_attempts(_learner_attempts_statement(), {"user_id": user_id, "course_ids": course_ids})
    return _passes(grouped).get(user_id, set())


def passed_by_learner(course_id: int, user_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
    """{user id: passed quiz ids} for a course's learners (one query)."""
    if not available():
        return {}
    Quiz, Attempt = quiz_models.Quiz, quiz_models.Attempt
    where = [Quiz.course_id == course_id]
    if user_ids is not None:
        where.append(Attempt.user_id.in_(list(user_ids)))
    return dict(_passes(_closed_attempts(_closed_attempts_statement(where))))
