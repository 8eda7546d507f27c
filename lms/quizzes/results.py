"""What other capabilities ask about quizzes: a learner's kept result.

* `quiz_result_for(user_id, quiz_id)`: one quiz, the grade kept by its policy.
* `passed_quiz_ids(user_id, course_id)`: every quiz of a course the person passed.
* `ON_ATTEMPT_GRADED`: functions called with the Attempt after it is graded
  (submitted, closed at its deadline, or an essay of it graded by a trainer),
  after the grade is committed. Progress tracking registers itself here.

An attempt waiting for an essay grade counts with its provisional score
(essays at 0): a trainer's grade can only raise it, so a pass never turns
into a fail, and `pending` says that the kept grade may still go up.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.grading import kept_grade, passed
from lms.quizzes.models import CLOSED_STATES, IN_PROGRESS, NEEDS_GRADING, Attempt, Quiz

log = logging.getLogger(__name__)

ON_ATTEMPT_GRADED: list[Callable[[Attempt], None]] = []


def attempt_graded(attempt: Attempt) -> None:
    """Tell the registered hooks; one failing hook does not stop the others
    (the grade is already saved)."""
    for hook in list(ON_ATTEMPT_GRADED):
        try:
            hook(attempt)
        except Exception:  # noqa: BLE001 - a hook's bug must not lose the learner's result page
            log.exception("ON_ATTEMPT_GRADED hook %r failed for attempt %s", hook, attempt.id)


@dataclass(frozen=True)
class QuizResult:
    quiz_id: int
    pass_mark: float
    grading: str
    max_attempts: int
    attempts_started: int = 0
    attempts_closed: int = 0
    kept_score: float | None = None  # percent, by the quiz's grading policy
    passed: bool = False
    pending: bool = False  # an attempt counted waits for an essay grade
    in_progress_attempt_id: int | None = None
    last_submitted_at: datetime | None = None
    scores: tuple[float, ...] = field(default_factory=tuple)  # closed attempts, oldest first

    @property
    def attempts_left(self) -> int | None:
        """None when attempts are unlimited."""
        if not self.max_attempts:
            return None
        return max(0, self.max_attempts - self.attempts_started)

    @property
    def can_start(self) -> bool:
        return self.in_progress_attempt_id is not None or self.attempts_left != 0


def _result(quiz_id: int, pass_mark: float, policy: str, max_attempts: int,
            attempts: list[Attempt]) -> QuizResult:
    closed = sorted((a for a in attempts if a.state in CLOSED_STATES),
                    key=lambda a: (a.submitted_at or a.started_at, a.number))
    scores = tuple(float(a.score or 0.0) for a in closed)
    kept = kept_grade(list(scores), policy)
    open_attempt = next((a for a in attempts if a.state == IN_PROGRESS), None)
    return QuizResult(
        quiz_id=quiz_id, pass_mark=pass_mark, grading=policy, max_attempts=max_attempts,
        attempts_started=len(attempts), attempts_closed=len(closed), kept_score=kept,
        passed=passed(kept, pass_mark), pending=any(a.state == NEEDS_GRADING for a in closed),
        in_progress_attempt_id=open_attempt.id if open_attempt else None,
        last_submitted_at=closed[-1].submitted_at if closed else None, scores=scores)


def quiz_result_for(user_id: int, quiz_id: int) -> QuizResult | None:
    """The person's result on one quiz (None if there is no such quiz). Two queries."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        return None
    attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id).order_by(Attempt.number)))
    return _result(quiz.id, quiz.pass_mark, quiz.grading, quiz.max_attempts, attempts)


def results_for_course(user_id: int, course_id: int) -> dict[int, QuizResult]:
    """The person's result on every active quiz of a course, by quiz id. Two queries."""
    quizzes = db.session.execute(
        select(Quiz.id, Quiz.pass_mark, Quiz.grading, Quiz.max_attempts)
        .where(Quiz.course_id == course_id, Quiz.archived_at.is_(None))).all()
    if not quizzes:
        return {}
    attempts: dict[int, list[Attempt]] = {row.id: [] for row in quizzes}
    for attempt in db.session.scalars(
            select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id.in_(list(attempts)))
            .order_by(Attempt.number)):
        attempts[attempt.quiz_id].append(attempt)
    return {row.id: _result(row.id, row.pass_mark, row.grading, row.max_attempts, attempts[row.id])
            for row in quizzes}


def passed_quiz_ids(user_id: int, course_id: int) -> set[int]:
    """The ids of the course's quizzes whose kept grade reaches the pass mark."""
    return {quiz_id for quiz_id, result in results_for_course(user_id, course_id).items()
            if result.passed}
