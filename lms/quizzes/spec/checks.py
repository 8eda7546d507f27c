"""Semantic checks of a built question, shared by the quiz.toml reader and the
GIFT importer: each problem is an `Issue` naming the part it is about."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from lms.quizzes.spec.model import ID_PATTERN, ID_RULE, SUM_TOLERANCE, PathPart, QuestionSpec


@dataclass(frozen=True)
class Issue:
    """A problem in a built question.

    `part` names where it is, with quiz.toml key names relative to the
    question (e.g. ``("choices", 2, "fraction")``), so each reader can turn
    it into a line of its own file.
    """
    part: tuple[PathPart, ...]
    message: str


def _is_one(x: float) -> bool:
    return abs(x - 1.0) < 1e-9


def question_issues(q: QuestionSpec) -> list[Issue]:
    """Every semantic problem of a question (structure is assumed sound)."""
    issues: list[Issue] = []
    if q.points < 0:
        issues.append(Issue(("points",), f"points must not be negative, got {q.points:g}"))
    if q.type == "description" and q.points > 0:
        issues.append(Issue(("points",), "a description carries no points"))
    checker = _TYPE_CHECKS.get(q.type)
    if checker is None:
        issues.append(Issue(("type",), f'unknown question type "{q.type}"'))
    else:
        issues.extend(checker(q))
    return issues


def _fraction_issues(key: str, fractions: Iterable[float]) -> Iterator[Issue]:
    for i, f in enumerate(fractions):
        if not -1.0 <= f <= 1.0:
            yield Issue((key, i, "fraction"), f"fraction must be between -1 and 1, got {f:g}")


def _id_issues(key: str, ids: Iterable[str], what: str) -> Iterator[Issue]:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if not ID_PATTERN.match(ident):
            yield Issue((key, i, "id"), f'{what} id "{ident}" must be {ID_RULE}')
        elif ident in seen:
            yield Issue((key, i, "id"), f'{what} id "{ident}" is used twice')
        seen.add(ident)


def _check_choices(q: QuestionSpec) -> Iterator[Issue]:
    yield from _id_issues("choices", (c.id for c in q.choices), "choice")
    if len(q.choices) < 2:
        yield Issue(("choices",), f"a {q.type} choice question needs at least 2 choices")
    yield from _fraction_issues("choices", (c.fraction for c in q.choices))
    if q.type == "single":
        right = sum(1 for c in q.choices if _is_one(c.fraction))
        if right != 1:
            yield Issue(("choices",), "a single choice question needs exactly one choice with "
                                      f"fraction = 1.0, it has {right}")
    else:
        positive = sum(c.fraction for c in q.choices if c.fraction > 0)
        if abs(positive - 1.0) > SUM_TOLERANCE:
            yield Issue(("choices",), "the positive fractions of a multiple choice question must "
                                      f"add up to 1.0, they add up to {positive:g}")


def _check_truefalse(q: QuestionSpec) -> Iterator[Issue]:
    if not isinstance(q.answer, bool):
        yield Issue(("answer",), "a truefalse question needs answer = true or answer = false")


def _check_short(q: QuestionSpec) -> Iterator[Issue]:
    if not q.short_answers:
        yield Issue(("answers",), "a short answer question needs at least one answer")
        return
    yield from _fraction_issues("answers", (a.fraction for a in q.short_answers))
    for i, a in enumerate(q.short_answers):
        if not any(t.strip() for t in a.text.values()):
            yield Issue(("answers", i, "text"), "an answer text is empty")
    if not any(_is_one(a.fraction) for a in q.short_answers):
        yield Issue(("answers",), "a short answer question needs an answer with fraction = 1.0")


def _check_numeric(q: QuestionSpec) -> Iterator[Issue]:
    if not any(not a.is_catch_all for a in q.numeric_answers):
        yield Issue(("answers",), "a numeric question needs at least one answer with a value "
                                  "or a min/max range")
        return
    yield from _fraction_issues("answers", (a.fraction for a in q.numeric_answers))
    for i, a in enumerate(q.numeric_answers):
        if a.is_range and (a.min is None or a.max is None):
            yield Issue(("answers", i, "min" if a.min is None else "max"),
                        "a numeric range needs both min and max")
        elif a.is_range and a.min > a.max:  # type: ignore[operator]
            yield Issue(("answers", i, "min"), f"min ({a.min:g}) is greater than max ({a.max:g})")
        if a.tolerance < 0:
            yield Issue(("answers", i, "tolerance"),
                        f"tolerance must not be negative, got {a.tolerance:g}")
    if not any(_is_one(a.fraction) for a in q.numeric_answers):
        yield Issue(("answers",), "a numeric question needs an answer with fraction = 1.0")


def _check_matching(q: QuestionSpec) -> Iterator[Issue]:
    if len(q.pairs) < 2:
        yield Issue(("pairs",), f"a matching question needs at least 2 pairs, it has {len(q.pairs)}")
    yield from _id_issues("pairs", (p.id for p in q.pairs), "pair")
    distractor_ids = {d.id for d in q.distractors}
    for i, p in enumerate(q.pairs):
        if p.id in distractor_ids:
            yield Issue(("pairs", i, "id"), f'pair id "{p.id}" is also a distractor id')


def _check_ordering(q: QuestionSpec) -> Iterator[Issue]:
    if len(q.items) < 2:
        yield Issue(("items",), f"an ordering question needs at least 2 items, it has {len(q.items)}")
    yield from _id_issues("items", (it.id for it in q.items), "item")


def _check_nothing(q: QuestionSpec) -> Iterator[Issue]:
    return iter(())


_TYPE_CHECKS = {
    "single": _check_choices,
    "multiple": _check_choices,
    "truefalse": _check_truefalse,
    "short": _check_short,
    "numeric": _check_numeric,
    "matching": _check_matching,
    "ordering": _check_ordering,
    "essay": _check_nothing,
    "description": _check_nothing,
}

