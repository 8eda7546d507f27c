"""Taking a quiz: start, save as you go, submit, time limits, essay grading.

Grading happens here, on the server, only when an attempt is submitted (or
closed at its deadline). The form never carries an id or a fraction: choices,
matching options and ordering items are posted as their positions in the
attempt's own shuffled layout, which is stored with the attempt.

Submitting twice records once: the attempt leaves `in_progress` through a
conditional UPDATE, and only the request that changed the row grades it.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.catalog.models import Enrolment
from lms.content import version
from lms.database import commit_keeping_loaded
from lms.extensions import db
from lms.quizzes.convert import question_spec
from lms.quizzes.grading import Grade, grade_question, manual_grade, passed, quiz_score
from lms.quizzes.models import (
    CLOSED_STATES, IN_PROGRESS, NEEDS_GRADING, SUBMITTED, Attempt, Question, Quiz, Response,
)
from lms.quizzes.results import attempt_graded
from lms.quizzes.spec import QuestionSpec
from lms.timeutil import utcnow

# A request that left the browser just before the deadline may arrive a
# moment after it.
GRACE = timedelta(seconds=5)
MAX_SHORT = 500
MAX_ESSAY = 20_000

_rng = random.SystemRandom()


class QuizError(Exception):
    """A reason, translated lazily, to show to the person."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# Layout: what one attempt shows, in which order ---------------------------------------

def active_questions(quiz_id: int) -> list[Question]:
    return list(db.session.scalars(
        select(Question).where(Question.quiz_id == quiz_id, Question.archived_at.is_(None))
        .order_by(Question.position, Question.id)))


def _ids(question: Question, kind: str) -> list[str]:
    g = question.grading or {}
    if kind == "choices":
        return [c["id"] for c in g.get("choices", [])]
    if kind == "options":
        return list(g.get("pairs", [])) + list(g.get("distractors", []))
    if kind == "items":
        return list(g.get("items", []))
    return []


def make_layout(quiz: Quiz, questions: list[Question], rng: random.Random = _rng) -> dict[str, Any]:
    """Draw, shuffle and fix the order of one attempt."""
    chosen = list(questions)
    if quiz.draw:
        pool = [q for q in chosen if q.type != "description"]
        picked = {q.id for q in rng.sample(pool, min(quiz.draw, len(pool)))}
        chosen = [q for q in chosen if q.id in picked]
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    layout: dict[str, Any] = {"questions": [q.id for q in chosen], "choices": {}, "options": {}, "items": {}}
    for q in chosen:
        key = str(q.id)
        if q.type in ("single", "multiple"):
            ids = _ids(q, "choices")
            if quiz.shuffle_choices:
                rng.shuffle(ids)
            layout["choices"][key] = ids
        elif q.type == "matching":
            # Always shuffled: in file order the options would line up with
            # their prompts.
            ids = _ids(q, "options")
            rng.shuffle(ids)
            layout["options"][key] = ids
        elif q.type == "ordering":
            # Never shown in the right order.
            ids = _ids(q, "items")
            right = list(ids)
            for _ in range(20):
                rng.shuffle(ids)
                if ids != right:
                    break
            if ids == right and len(ids) > 1:
                ids = ids[1:] + ids[:1]
            layout["items"][key] = ids
    return layout


def display_order(layout: Mapping[str, Any] | None, kind: str, question: Question) -> list[str]:
    """The ids of `kind` in the order this attempt shows them (ids the
    question no longer has are dropped; new ones come last)."""
    current = _ids(question, kind)
    stored = ((layout or {}).get(kind) or {}).get(str(question.id))
    if not stored:
        return current
    known = [i for i in stored if i in current]
    return known + [i for i in current if i not in known]


# Reading the form --------------------------------------------------------------------

def _index(value: Any, size: int) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < size else None


def field_name(question: Question) -> str:
    return f"q{question.id}"


def parse_answers(layout: Mapping[str, Any], questions: list[Question], form) -> dict[int, Any]:
    """The posted answers in ids, for every question of the attempt.

    A question answered with nothing gives None (or [] for a multiple choice
    with nothing ticked), so saving an emptied field clears it.
    """
    answers: dict[int, Any] = {}
    for q in questions:
        name = field_name(q)
        value: Any = None
        if q.type == "single":
            order = display_order(layout, "choices", q)
            index = _index(form.get(name), len(order))
            value = order[index] if index is not None else None
        elif q.type == "multiple":
            order = display_order(layout, "choices", q)
            picked = {i for i in (_index(v, len(order)) for v in form.getlist(name)) if i is not None}
            value = [order[i] for i in sorted(picked)]
        elif q.type == "truefalse":
            value = form.get(name) if form.get(name) in ("true", "false") else None
        elif q.type in ("short", "numeric"):
            value = (form.get(name) or "").strip()[:MAX_SHORT] or None
        elif q.type == "essay":
            text = (form.get(name) or "").replace("\r\n", "\n")[:MAX_ESSAY]
            value = text if text.strip() else None
        elif q.type == "matching":
            options = display_order(layout, "options", q)
            chosen = {}
            for i, pair_id in enumerate((q.grading or {}).get("pairs", [])):
                index = _index(form.get(f"{name}-{i}"), len(options))
                if index is not None:
                    chosen[pair_id] = options[index]
            value = chosen or None
        elif q.type == "ordering":
            items = display_order(layout, "items", q)
            positions = {}
            for i, item_id in enumerate(items):
                index = _index(form.get(f"{name}-{i}"), len(items) + 1)
                if index:  # positions are 1..n
                    positions[item_id] = index
            value = positions or None
        else:
            continue
        answers[q.id] = value
    return answers


def to_grader(question: Question, raw: Any, layout: Mapping[str, Any] | None) -> Any:
    """A stored response in the shape lms.quizzes.grading expects."""
    if question.type == "ordering":
        if not isinstance(raw, Mapping):
            return None
        shown = display_order(layout, "items", question)
        placed = [(int(pos), shown.index(item) if item in shown else len(shown), item)
                  for item, pos in raw.items() if isinstance(pos, int) or str(pos).isdigit()]
        return [item for _pos, _shown, item in sorted(placed)]
    return raw


# Starting -----------------------------------------------------------------------------

def _open_attempt(user_id: int, quiz_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id, Attempt.state == IN_PROGRESS))


def start_attempt(user_id: int, quiz: Quiz) -> Attempt:
    """The attempt in progress, or a new one (enrolling the person if needed)."""
    close_expired(user_id=user_id, quiz_id=quiz.id)
    existing = _open_attempt(user_id, quiz.id)
    if existing is not None:
        return existing
    used = db.session.scalar(select(func.count(Attempt.id)).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz.id)) or 0
    if quiz.max_attempts and used >= quiz.max_attempts:
        raise QuizError(_l("You have used all the attempts this quiz allows."))
    questions = active_questions(quiz.id)
    if not questions:
        raise QuizError(_l("This quiz has no questions yet."))
    now = utcnow()
    attempt = Attempt(user_id=user_id, quiz_id=quiz.id, number=used + 1, state=IN_PROGRESS,
                      started_at=now, layout=make_layout(quiz, questions),
                      deadline=now + timedelta(minutes=quiz.time_limit_minutes)
                      if quiz.time_limit_minutes else None)
    attempt.responses = [Response(question_id=qid) for qid in attempt.layout["questions"]]
    db.session.add(attempt)
    if db.session.scalar(select(Enrolment.id).where(
            Enrolment.user_id == user_id, Enrolment.course_id == quiz.course_id)) is None:
        db.session.add(Enrolment(user_id=user_id, course_id=quiz.course_id))
    try:
        db.session.commit()
    except IntegrityError:
        # Another request (a double click) started it first.
        db.session.rollback()
        existing = _open_attempt(user_id, quiz.id)
        if existing is None:
            raise QuizError(_l("The attempt could not be started. Please try again.")) from None
        return existing
    return attempt


# Saving and submitting ------------------------------------------------------------------

@dataclass
class OpenAttempt:
    """An attempt as saving and submitting read it: plain values from two Core
    statements. Loading it and its answers as ORM objects, then flushing them,
    cost more than the grading itself. Also what the graded hooks receive."""
    id: int
    user_id: int
    quiz_id: int
    course_id: int
    state: str
    deadline: datetime | None
    layout: dict[str, Any]
    pass_mark: float
    answers: dict[int, tuple[int, Any]]  # question id -> (response id, saved answer)
    score: float | None = None
    passed: bool | None = None

    @property
    def question_ids(self) -> list[int]:
        return [int(qid) for qid in (self.layout or {}).get("questions", [])]


@dataclass
class SaveOutcome:
    attempt: OpenAttempt
    saved: bool = False
    submitted: bool = False
    late: bool = False           # sent after the deadline: not counted, attempt closed
    already_closed: bool = False  # the attempt was submitted before this request


_attempts = Attempt.__table__
_responses = Response.__table__
_quizzes = Quiz.__table__


def load_attempt(attempt_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id).options(
        selectinload(Attempt.responses), joinedload(Attempt.quiz)))


# Built once: the submission path runs them on every post.
_LOAD_OPEN_ATTEMPT = (
    select(_attempts.c.id, _attempts.c.user_id, _attempts.c.quiz_id, _quizzes.c.course_id,
           _attempts.c.state, _attempts.c.deadline, _attempts.c.layout, _quizzes.c.pass_mark)
    .join(_quizzes, _quizzes.c.id == _attempts.c.quiz_id)
    .where(_attempts.c.id == bindparam("attempt_id")))
_LOAD_ANSWERS = (select(_responses.c.id, _responses.c.question_id, _responses.c.response)
                 .where(_responses.c.attempt_id == bindparam("attempt_id")))
_CLOSE_IF_OPEN = update(_attempts).where(_attempts.c.id == bindparam("attempt_id"),
                                         _attempts.c.state == IN_PROGRESS)
# (An UPDATE reserves its columns' names for the SET clause: hence "b_" names.)
_TOUCH_ENROLMENT = (update(Enrolment.__table__)
                    .where(Enrolment.__table__.c.user_id == bindparam("b_user_id"),
                           Enrolment.__table__.c.course_id == bindparam("b_course_id"))
                    .values(last_activity_at=bindparam("b_now")))


def load_open_attempt(attempt_id: int) -> OpenAttempt | None:
    """The attempt and its saved answers as plain values (two statements)."""
    row = db.session.execute(_LOAD_OPEN_ATTEMPT, {"attempt_id": attempt_id}).first()
    if row is None:
        return None
    answers = {question_id: (response_id, value) for response_id, question_id, value
               in db.session.execute(_LOAD_ANSWERS, {"attempt_id": attempt_id})}
    return OpenAttempt(*row, answers=answers)


def attempt_questions(attempt: Attempt) -> list[Question]:
    """The questions of the attempt, in its order, with their texts (two queries)."""
    ids = attempt.question_ids
    if not ids:
        return []
    found = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(ids)).options(selectinload(Question.texts)))}
    return [found[qid] for qid in ids if qid in found]


@dataclass(frozen=True)
class GradingQuestion:
    """What grading an answer reads of a question, as plain values: ORM questions
    with their texts held several times more per quiz (see _for_grading)."""
    id: int
    type: str
    grading: Mapping[str, Any] | None
    spec: QuestionSpec


# Per process while the content version stays (lms.content.version; questions
# and their texts count as content).
_grading_questions = version.StampCache(size=256)


# The wording grading does not read, left out of what the cache keeps: a quiz then
# costs a worker under half the memory (200 quizzes: 8.4 -> 3.7 MB of objects).
_NO_TEXT: Mapping[str, str] = MappingProxyType({})


def _for_grading(spec: QuestionSpec) -> QuestionSpec:
    """The spec as grading reads it: ids, fractions, numbers, and only the texts that
    are compared (short answers, the right-hand options of a matching question)."""
    return replace(
        spec, text=_NO_TEXT, feedback=_NO_TEXT, true_feedback=_NO_TEXT, false_feedback=_NO_TEXT,
        part_formats=_NO_TEXT, name=None, category=None, tags=(),
        choices=tuple(replace(c, text=_NO_TEXT, feedback=_NO_TEXT) for c in spec.choices),
        short_answers=tuple(replace(a, feedback=_NO_TEXT) for a in spec.short_answers),
        numeric_answers=tuple(replace(a, feedback=_NO_TEXT) for a in spec.numeric_answers),
        pairs=tuple(replace(p, left=_NO_TEXT) for p in spec.pairs),
        items=tuple(replace(i, text=_NO_TEXT) for i in spec.items))


def _ids_only(grading: Mapping[str, Any] | None) -> dict[str, Any]:
    """What reading a posted form takes of `Question.grading` (lms.quizzes.attempts._ids)."""
    return {key: (grading or {})[key] for key in ("choices", "pairs", "distractors", "items")
            if key in (grading or {})}


def grading_questions(attempt: Attempt | OpenAttempt) -> list[GradingQuestion]:
    """The attempt's questions in its order, as grading reads them: kept per
    content version (else two queries, as attempt_questions)."""
    ids = tuple(attempt.question_ids or ())
    if not ids:
        return []

    def build() -> dict[int, GradingQuestion]:
        return {q.id: GradingQuestion(q.id, q.type, _ids_only(q.grading), _for_grading(question_spec(q)))
                for q in attempt_questions(attempt)}

    # Keyed on the set of questions: every attempt shows them in its own order.
    found = _grading_questions.get(("questions", tuple(sorted(set(ids)))), build)
    return [found[qid] for qid in ids if qid in found]


def save_answers(attempt: Attempt | OpenAttempt, form, submit: bool = False) -> SaveOutcome:
    """Save the posted answers of an attempt in progress (and submit it).

    After the deadline nothing posted is kept: the attempt is closed with
    the answers saved in time.
    """
    if isinstance(attempt, Attempt):
        # An ORM attempt (tests, other callers): the statements below leave it and its
        # responses stale, so everything loaded is read again on next use.
        attempt_id = attempt.id
        db.session.expire_all()
        attempt = load_open_attempt(attempt_id)
    if attempt.state != IN_PROGRESS:
        return SaveOutcome(attempt, already_closed=True)
    questions = grading_questions(attempt)
    now = utcnow()
    if attempt.deadline is not None and now > attempt.deadline + GRACE:
        closed = _close(attempt, questions, attempt.deadline, timed_out=True)
        return SaveOutcome(attempt, late=True, already_closed=not closed)
    posted = parse_answers(attempt.layout, questions, form)
    changed = {qid: value for qid, value in posted.items()
               if qid not in attempt.answers or attempt.answers[qid][1] != value}
    if not submit:
        saved = _write_answers(attempt, changed, now)
        return SaveOutcome(attempt, saved=saved, already_closed=not saved)
    closed = _close(attempt, questions, now, timed_out=False, changed=changed)
    return SaveOutcome(attempt, saved=closed, submitted=closed, already_closed=not closed)


def _still_open(attempt: OpenAttempt, **values: Any) -> bool:
    """The guard of every write: one conditional UPDATE of the attempt's row, which
    also holds the row (PostgreSQL) or the database (SQLite) until the commit, so
    a concurrent submit or save waits and then finds it closed."""
    statement = _closing_statement(tuple(sorted(values)))
    if db.session.execute(statement, {"attempt_id": attempt.id, **values}).rowcount != 1:
        db.session.rollback()
        return False
    return True


@functools.lru_cache(maxsize=8)
def _closing_statement(columns: tuple[str, ...]):
    if not columns:  # only the guard: a no-op update that takes the row
        return _CLOSE_IF_OPEN.values(state=_attempts.c.state)
    return _CLOSE_IF_OPEN.values({name: bindparam(name) for name in columns})


@functools.lru_cache(maxsize=8)
def _response_update(columns: tuple[str, ...]):
    return (update(_responses).where(_responses.c.id == bindparam("_id"))
            .values({name: bindparam(name) for name in columns}))


def _write_answers(attempt: OpenAttempt, changed: Mapping[int, Any], now: datetime) -> bool:
    """Save answers without submitting; False (nothing written) if the attempt closed."""
    if changed:
        if not _still_open(attempt):
            return False
        _store(attempt, {qid: {"response": value, "saved_at": now} for qid, value in changed.items()})
        commit_keeping_loaded()
    return True


def _store(attempt: OpenAttempt, rows: Mapping[int, dict[str, Any]]) -> None:
    """Write response rows by question id: an UPDATE of the existing ones per set of
    columns (one executemany each), an INSERT of the missing ones."""
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    inserts = []
    for question_id, values in rows.items():
        found = attempt.answers.get(question_id)
        if found is None:
            inserts.append({"attempt_id": attempt.id, "question_id": question_id, **values})
        else:
            updates.setdefault(tuple(sorted(values)), []).append({"_id": found[0], **values})
    for columns, params in updates.items():
        db.session.execute(_response_update(columns), params)
    for params in inserts:  # rare: a question the attempt had no row for
        db.session.execute(insert(_responses).values(**params))


def _close(attempt: OpenAttempt, questions: list[GradingQuestion], when: datetime, timed_out: bool,
           changed: Mapping[int, Any] | None = None) -> bool:
    """Submit and grade, once. False (and nothing written) if it was already closed.

    Graded in memory first; then, in one transaction, the conditional UPDATE
    that closes the attempt with its score (the guard against a second submit)
    and one executemany of the answers with their grades. The hooks run after
    the commit (a failing hook cannot lose the grade).
    """
    changed = dict(changed or {})
    answers = {qid: value for qid, (_rid, value) in attempt.answers.items()}
    answers.update(changed)
    rows: dict[int, dict[str, Any]] = {}
    grades: dict[str, Grade] = {}
    pending = False
    for question in questions:
        if question.id not in answers:
            continue
        grade = grade_question(question.spec, to_grader(question, answers[question.id], attempt.layout))
        row: dict[str, Any] = {"fraction": None, "score": None}
        if grade.needs_manual:
            pending = True
        else:
            row["fraction"], row["score"] = grade.fraction, grade.score
            grades[question.spec.id] = grade
        if question.id in changed:
            row.update(response=changed.pop(question.id), saved_at=when)
        rows[question.id] = row
    for question_id, value in changed.items():  # answers to questions no longer graded
        rows[question_id] = {"response": value, "saved_at": when}
    score = quiz_score(grades, [q.spec for q in questions])
    closed = {"state": NEEDS_GRADING if pending else SUBMITTED, "submitted_at": when,
              "timed_out": timed_out, "score": score, "passed": passed(score, attempt.pass_mark)}
    if not _still_open(attempt, **closed):
        return False
    _store(attempt, rows)
    # An attempt is the learner's activity in the course (the progress reports read it).
    db.session.execute(_TOUCH_ENROLMENT, {"b_user_id": attempt.user_id, "b_course_id": attempt.course_id,
                                          "b_now": utcnow()})
    commit_keeping_loaded()
    attempt.state, attempt.score, attempt.passed = closed["state"], score, closed["passed"]
    attempt_graded(attempt)
    return True


def _score(attempt: Attempt, questions: list[Question]) -> tuple[float, bool]:
    """The attempt's score (percent) and whether it passes, from its graded responses."""
    specs = {q.id: question_spec(q) for q in questions}
    responses = {r.question_id: r for r in attempt.responses}
    grades = {}
    for q in questions:
        response = responses.get(q.id)
        if response is not None and response.score is not None:
            grades[specs[q.id].id] = Grade(fraction=response.fraction, score=response.score,
                                           correct=(response.fraction or 0) >= 1.0)
    score = quiz_score(grades, [specs[q.id] for q in questions])
    return score, passed(score, attempt.quiz.pass_mark)


def _rescore(attempt: Attempt, questions: list[Question]) -> None:
    attempt.score, attempt.passed = _score(attempt, questions)


def close_expired(user_id: int | None = None, quiz_id: int | None = None,
                  now: datetime | None = None) -> int:
    """Close the attempts past their deadline with what was saved in time.

    Called when a learner opens a quiz page, and every minute by `flask lms
    tick` (each attempt is closed at most once).
    """
    statement = select(Attempt.id).where(Attempt.state == IN_PROGRESS, Attempt.deadline.is_not(None),
                                         Attempt.deadline < (now or utcnow()) - GRACE)
    if user_id is not None:
        statement = statement.where(Attempt.user_id == user_id)
    if quiz_id is not None:
        statement = statement.where(Attempt.quiz_id == quiz_id)
    closed = 0
    for attempt_id in db.session.scalars(statement).all():
        attempt = load_open_attempt(attempt_id)
        if attempt is not None and attempt.state == IN_PROGRESS:
            closed += _close(attempt, grading_questions(attempt), attempt.deadline, timed_out=True)
    if closed:
        db.session.expire_all()  # attempts loaded as objects before were closed by statements
    return closed


# Essays ---------------------------------------------------------------------------

def essay_response(response_id: int) -> Response | None:
    """An essay answer of a submitted attempt, with its attempt, quiz and question."""
    return db.session.scalar(
        select(Response).join(Question, Question.id == Response.question_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Response.id == response_id, Question.type == "essay",
               Attempt.state.in_(CLOSED_STATES))
        .options(joinedload(Response.attempt).joinedload(Attempt.quiz),
                 joinedload(Response.question).selectinload(Question.texts)))


def grade_essay(response: Response, grader_id: int, fraction: float, comment: str) -> Attempt:
    """A trainer's grade for an essay; the attempt's score follows."""
    if not 0.0 <= fraction <= 1.0:
        raise QuizError(_l("The grade must be between 0 and 100 %."))
    attempt = response.attempt
    grade = manual_grade(question_spec(response.question), fraction)
    response.fraction, response.score = grade.fraction, grade.score
    response.graded_by_id = grader_id
    response.graded_at = utcnow()
    response.comment = comment.strip() or None
    questions = attempt_questions(attempt)
    by_id = {q.id: q for q in questions}
    waiting = any(r.fraction is None and by_id.get(r.question_id) is not None
                  and by_id[r.question_id].type == "essay" and r.response
                  for r in attempt.responses)
    attempt.state = NEEDS_GRADING if waiting else SUBMITTED
    _rescore(attempt, questions)
    db.session.commit()
    attempt_graded(attempt)
    return attempt
