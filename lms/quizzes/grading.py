"""Scoring learners' responses against a QuestionSpec.

Pure functions: no database and no request.  A response is what the quiz form
posts, already parsed:

=========== ==========================================================
single      the chosen choice id (str)
multiple    the chosen choice ids (list, tuple or set of str)
truefalse   "true" or "false" (a bool is accepted too)
short       the typed text (str)
numeric     the typed text (str); "3,5" and "3.5" are the same number
matching    dict: pair id -> chosen right-option id; a right option is
            identified by the id of the pair it belongs to, a distractor
            by its own id ("d1", "d2", ...)
ordering    list of item ids in the learner's order (or a mapping
            item id -> position)
essay       the typed text (str)
=========== ==========================================================

A missing, empty or malformed response scores 0; it never raises, because a
form can always be tampered with.

Partial credit:

* multiple: the weights of the picked choices are added, then the total is
  floored at 0 and capped at 1, so a wrong pick can cancel a right one but
  never push the question below zero.
* matching: the share of pairs matched right.
* ordering: the share of items placed in their right position.  We chose
  absolute positions over relative order (e.g. longest correctly ordered
  subsequence) because a learner can check it item by item on the results
  page; its weakness is that one item misplaced at the top shifts the others
  and costs more than one position.
* short and numeric: the best-matching answer's fraction counts (on a tie
  the first in file order, and a specific answer before a `*` catch-all).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lms.quizzes.spec import SUM_TOLERANCE, NumericAnswer, QuestionSpec, ShortAnswer, Texts


@dataclass(frozen=True)
class Grade:
    """The outcome of one question.

    `fraction` is in 0..1, or None when there is nothing automatic to give:
    an answered essay (waiting for a trainer, `needs_manual`) or a
    description (nothing to grade).  `score` is fraction × points.
    `feedback_keys` names the per-choice / per-answer feedback that applies:
    choice ids, short or numeric answer ids, or "true"/"false" (meaning the
    question's true_feedback/false_feedback), so the view can show it in any
    language.
    """
    fraction: float | None
    score: float | None
    correct: bool
    feedback_keys: tuple[str, ...] = ()
    needs_manual: bool = False


# --------------------------------------------------------------------------
# Normalising what learners type
# --------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    """Fold case, accents and spacing so "  Energía " equals "energia".

    NFKD splits accented letters into letter + combining mark (and expands
    compatibility forms such as ligatures); dropping the marks removes the
    accents; casefold handles cases lower() misses (ß -> ss).
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _exact_form(text: str) -> str:
    # Exact still ignores surrounding blanks (a form artefact) and Unicode
    # composition (é typed as one or two code points looks the same).
    return unicodedata.normalize("NFC", text.strip())


_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")


def parse_number(text: Any) -> Decimal | None:
    """Read a number typed with a decimal point or a decimal comma.

    Thousands separators are not supported ("1,234" is 1.234), nor are
    units; anything else gives None.  Decimal keeps "3.6" exactly 3.6, so
    tolerance bounds are really inclusive.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return _decimal(text)
    if not isinstance(text, str):
        return None
    cleaned = text.strip().replace("\u2212", "-")  # U+2212 MINUS SIGN from copy-paste
    if not _NUMBER.match(cleaned):
        return None
    try:
        return Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern already rules this out
        return None


def _decimal(value: float) -> Decimal:
    # repr() is the shortest text that reads back as the same float, so 0.1
    # becomes Decimal("0.1") rather than 0.1000000000000000055...
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _is_blank(response: Any) -> bool:
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    if isinstance(response, (Mapping, list, tuple, set, frozenset)):
        return len(response) == 0
    return False


# --------------------------------------------------------------------------
# Per-type graders: each returns (raw fraction, feedback keys)
# --------------------------------------------------------------------------

Outcome = tuple[float, tuple[str, ...]]
NOTHING: Outcome = (0.0, ())


def _grade_single(q: QuestionSpec, response: Any) -> Outcome:
    if isinstance(response, (list, tuple)) and len(response) == 1:
        response = response[0]
    for choice in q.choices:
        if choice.id == response:
            return choice.fraction, (choice.id,)
    return NOTHING


def _ids(response: Any) -> set[str]:
    if isinstance(response, str):
        return {response}
    if isinstance(response, Iterable) and not isinstance(response, Mapping):
        return {r for r in response if isinstance(r, str)}
    return set()


def _grade_multiple(q: QuestionSpec, response: Any) -> Outcome:
    picked = [c for c in q.choices if c.id in _ids(response)]
    total = round(sum(c.fraction for c in picked), 9)
    if abs(total - 1.0) <= SUM_TOLERANCE:
        # Weights written as 0.333 add up to 0.999: validation accepted that
        # as 1.0, so picking all the right choices must give full marks too.
        total = 1.0
    return total, tuple(c.id for c in picked)


def _truth(response: Any) -> bool | None:
    if isinstance(response, bool):
        return response
    if isinstance(response, str):
        return {"true": True, "false": False}.get(response.strip().lower())
    return None


def _grade_truefalse(q: QuestionSpec, response: Any) -> Outcome:
    said = _truth(response)
    if said is None:
        return NOTHING
    return (1.0 if said == q.answer else 0.0), ("true" if said else "false",)


def short_answer_matches(answer: ShortAnswer, response: str) -> bool:
    """Whether a typed response matches an answer in any of its languages."""
    if not response.strip():
        return False
    if answer.is_catch_all:
        return True
    if answer.exact:
        typed = _exact_form(response)
        return any(_exact_form(t) == typed for t in answer.text.values())
    typed = normalize_answer(response)
    return any(normalize_answer(t) == typed for t in answer.text.values())


def _best(candidates: Iterable[ShortAnswer | NumericAnswer]) -> ShortAnswer | NumericAnswer | None:
    # max() keeps the first of equal keys, i.e. file order on a tie.
    return max(candidates, key=lambda a: (a.fraction, not a.is_catch_all), default=None)


def _grade_short(q: QuestionSpec, response: Any) -> Outcome:
    if not isinstance(response, str):
        return NOTHING
    best = _best(a for a in q.short_answers if short_answer_matches(a, response))
    return (best.fraction, (best.id,)) if best else NOTHING


def numeric_answer_matches(answer: NumericAnswer, number: Decimal) -> bool:
    """Whether a number falls within an answer; both bounds are inclusive."""
    if answer.is_catch_all:
        return True
    if answer.is_range:
        if answer.min is None or answer.max is None:
            return False
        return _decimal(answer.min) <= number <= _decimal(answer.max)
    assert answer.value is not None
    return abs(number - _decimal(answer.value)) <= _decimal(answer.tolerance)


def _grade_numeric(q: QuestionSpec, response: Any) -> Outcome:
    number = parse_number(response)
    if number is None:
        return NOTHING
    best = _best(a for a in q.numeric_answers if numeric_answer_matches(a, number))
    return (best.fraction, (best.id,)) if best else NOTHING


def _same_text(a: Texts, b: Texts) -> bool:
    return {k: v.strip() for k, v in a.items()} == {k: v.strip() for k, v in b.items()}


def _grade_matching(q: QuestionSpec, response: Any) -> Outcome:
    if not isinstance(response, Mapping) or not q.pairs:
        return NOTHING
    options = dict(q.right_options())
    right = 0
    for pair in q.pairs:
        chosen = response.get(pair.id)
        if not isinstance(chosen, str):
            continue
        # Two options with the same wording (e.g. "cat -> animal",
        # "dog -> animal") cannot be told apart by the learner: either counts.
        if chosen == pair.id or (chosen in options and _same_text(options[chosen], pair.right)):
            right += 1
    return right / len(q.pairs), ()


def _learner_order(response: Any) -> list[Any] | None:
    """The item ids in the learner's order.

    Accepts a list of ids, or a mapping item id -> position (as stored on
    Response): sorting by position works whether positions count from 0 or 1.
    """
    if isinstance(response, (list, tuple)):
        return list(response)
    if isinstance(response, Mapping):
        if not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in response.values()):
            return None
        return sorted(response, key=lambda item: response[item])
    return None


def _grade_ordering(q: QuestionSpec, response: Any) -> Outcome:
    response = _learner_order(response)
    if response is None or not q.items:
        return NOTHING
    right = sum(1 for i, item in enumerate(q.items) if i < len(response) and response[i] == item.id)
    return right / len(q.items), ()


_GRADERS: dict[str, Callable[[QuestionSpec, Any], Outcome]] = {
    "single": _grade_single,
    "multiple": _grade_multiple,
    "truefalse": _grade_truefalse,
    "short": _grade_short,
    "numeric": _grade_numeric,
    "matching": _grade_matching,
    "ordering": _grade_ordering,
}


def _clamp(fraction: float) -> float:
    return min(1.0, max(0.0, round(fraction, 9)))


def _make_grade(q: QuestionSpec, fraction: float, keys: tuple[str, ...] = ()) -> Grade:
    fraction = _clamp(fraction)
    return Grade(fraction=fraction, score=fraction * q.points,
                 correct=fraction >= 1.0, feedback_keys=keys)


def grade_question(question: QuestionSpec, response: Any) -> Grade:
    """Grade one response.  Never raises for a bad response: it scores 0."""
    if question.type == "description":
        return Grade(fraction=None, score=0.0, correct=False)
    if _is_blank(response):
        return _make_grade(question, 0.0)
    if question.type == "essay":
        # An answered essay waits for a trainer; see manual_grade().
        return Grade(fraction=None, score=None, correct=False, needs_manual=True)
    grader = _GRADERS.get(question.type)
    if grader is None:
        raise ValueError(f"cannot grade a question of type {question.type!r}")
    fraction, keys = grader(question, response)
    return _make_grade(question, fraction, keys)


def manual_grade(question: QuestionSpec, fraction: float) -> Grade:
    """The Grade of a trainer's mark (0..1) for an essay, or an override."""
    return _make_grade(question, fraction)


# --------------------------------------------------------------------------
# Whole attempts and quizzes
# --------------------------------------------------------------------------

def quiz_score(grades: Mapping[str, Grade] | Sequence[Grade],
               questions: Sequence[QuestionSpec]) -> float:
    """The attempt's percentage (0..100) of the points of `questions`.

    `grades` is either aligned with `questions` or keyed by question id (a
    question without a grade scores 0).  Essays still waiting for a trainer
    count 0 until their manual grade replaces them; descriptions and
    zero-point questions do not count.
    """
    if isinstance(grades, Mapping):
        found = [grades.get(q.id) for q in questions]
    else:
        if len(grades) != len(questions):
            raise ValueError(f"{len(grades)} grades for {len(questions)} questions")
        found = list(grades)
    total = sum(q.points for q in questions if q.is_scored)
    if total <= 0:
        return 0.0
    earned = sum((g.score or 0.0) for q, g in zip(questions, found)
                 if q.is_scored and g is not None)
    # Rounding keeps 2/3 + 1/3 from landing at 99.99999999999999 %.
    return round(100.0 * earned / total, 6)


def kept_grade(percentages: Sequence[float], policy: str) -> float | None:
    """The percentage kept from several attempts (oldest first), or None if none."""
    if policy not in ("best", "last", "average"):
        raise ValueError(f"unknown grading policy {policy!r}")
    if not percentages:
        return None
    if policy == "best":
        return max(percentages)
    if policy == "last":
        return percentages[-1]
    return round(sum(percentages) / len(percentages), 6)


def passed(percentage: float | None, pass_mark: float) -> bool:
    """Whether a percentage reaches the pass mark (the mark itself passes)."""
    return percentage is not None and percentage + 1e-9 >= pass_mark


# --------------------------------------------------------------------------
# The right answer, for the results page
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class CorrectResponse:
    """What earns full marks, in language-independent terms.

    single/multiple: `choice_ids`; truefalse: `answer`; short/numeric: the
    full-credit (or best) `short_answers` / `numeric_answers`; matching:
    `matches` (pair id -> right-option id); ordering: `order`.  Essays and
    descriptions have none.
    """
    type: str
    choice_ids: tuple[str, ...] = ()
    answer: bool | None = None
    short_answers: tuple[ShortAnswer, ...] = ()
    numeric_answers: tuple[NumericAnswer, ...] = ()
    matches: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ()

    def as_response(self, lang: str | None = None) -> Any:
        """A response shaped like a form posting that earns full marks.

        `lang` picks the language of a short answer; None if there is none.
        """
        if self.type == "single":
            return self.choice_ids[0] if self.choice_ids else None
        if self.type == "multiple":
            return list(self.choice_ids)
        if self.type == "truefalse":
            return None if self.answer is None else ("true" if self.answer else "false")
        if self.type == "short" and self.short_answers:
            texts = self.short_answers[0].text
            return texts.get(lang) if lang in texts else next(iter(texts.values()))
        if self.type == "numeric" and self.numeric_answers:
            return str(_sample_number(self.numeric_answers[0]))
        if self.type == "matching":
            return dict(self.matches)
        if self.type == "ordering":
            return list(self.order)
        return None


def _sample_number(answer: NumericAnswer) -> Decimal:
    if answer.is_range and answer.min is not None and answer.max is not None:
        return (_decimal(answer.min) + _decimal(answer.max)) / 2
    return _decimal(answer.value if answer.value is not None else 0)


def _top(answers: Sequence[Any]) -> tuple[Any, ...]:
    """The best answers; a `*` catch-all only when nothing else is given."""
    candidates = [a for a in answers if not a.is_catch_all] or list(answers)
    if not candidates:
        return ()
    best = max(a.fraction for a in candidates)
    return tuple(a for a in candidates if a.fraction == best)


def correct_response(question: QuestionSpec) -> CorrectResponse:
    """Describe the right answer of a question for the results page."""
    t = question.type
    if t == "single":
        return CorrectResponse(t, choice_ids=tuple(c.id for c in question.choices
                                                   if c.fraction >= 1.0 - 1e-9))
    if t == "multiple":
        return CorrectResponse(t, choice_ids=tuple(c.id for c in question.choices
                                                   if c.fraction > 0))
    if t == "truefalse":
        return CorrectResponse(t, answer=question.answer)
    if t == "short":
        return CorrectResponse(t, short_answers=_top(question.short_answers))
    if t == "numeric":
        return CorrectResponse(t, numeric_answers=_top(question.numeric_answers))
    if t == "matching":
        return CorrectResponse(t, matches={p.id: p.id for p in question.pairs})
    if t == "ordering":
        return CorrectResponse(t, order=tuple(item.id for item in question.items))
    return CorrectResponse(t)
