"""What a quiz is, independent of where it is stored.

The dataclasses here are the single description of a quiz that every other
part of Frontera works from: the course importer reads `quiz.toml` into them,
the GIFT importer (`lms.quizzes.gift`) produces them, the grader
(`lms.quizzes.grading`) scores responses against them and the views render
them.  They are frozen so that a spec, once validated, cannot drift.

Texts are `dict[str, str]` keyed by language code.  A question may lack a
language: GIFT files are written in one language only.

`parse_quiz_file()` / `parse_quiz()` read the quiz.toml format described in
docs/content-format.md.  Validation collects *every* problem before raising
`ContentError`, and each problem carries the line it is about.  `tomllib`
gives no positions for keys, so `TomlLocator` re-reads the source text and
maps key paths such as ``("questions", 2, "choices", 0, "fraction")`` to
lines.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.content.errors import ContentError, ContentProblem

LANGUAGES: tuple[str, ...] = ("es", "en")
QUESTION_TYPES: tuple[str, ...] = (
    "single", "multiple", "truefalse", "short", "numeric",
    "matching", "ordering", "essay", "description",
)
GRADING_POLICIES: tuple[str, ...] = ("best", "last", "average")
SHOW_ANSWERS: tuple[str, ...] = ("after_attempt", "after_pass", "never")
# Moodle's four text formats; quiz.toml texts are Markdown.
TEXT_FORMATS: tuple[str, ...] = ("moodle", "html", "plain", "markdown")
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ID_RULE = "lowercase ASCII letters and digits in words joined by '-'"
# Weights of a multiple-answer question may be written as 0.333; accept the
# small rounding error that leaves (plus float noise: 1.0 - 0.999 > 0.001).
SUM_TOLERANCE = 0.001 + 1e-9

Texts = dict[str, str]
PathPart = str | int


# --------------------------------------------------------------------------
# The spec
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """An option of a single or multiple choice question."""
    id: str
    text: Texts
    fraction: float = 0.0
    feedback: Texts = field(default_factory=dict)


@dataclass(frozen=True)
class ShortAnswer:
    """An accepted answer of a short-answer question.

    `text` holds the answer in each language; any of them is accepted from a
    learner reading in any language.  An answer whose text is `*` matches any
    non-blank response (Moodle's catch-all, used for "any other answer"
    feedback).
    """
    id: str
    text: Texts
    fraction: float = 1.0
    feedback: Texts = field(default_factory=dict)
    exact: bool = False

    @property
    def is_catch_all(self) -> bool:
        return bool(self.text) and all(t.strip() == "*" for t in self.text.values())


@dataclass(frozen=True)
class NumericAnswer:
    """An accepted number: `value` ± `tolerance`, or `min`..`max` inclusive.

    With neither (only produced by GIFT's `~#feedback` or `=*`) the answer is a
    catch-all that matches any number.
    """
    id: str
    fraction: float = 1.0
    value: float | None = None
    tolerance: float = 0.0
    min: float | None = None
    max: float | None = None
    feedback: Texts = field(default_factory=dict)

    @property
    def is_range(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def is_catch_all(self) -> bool:
        return self.value is None and not self.is_range


@dataclass(frozen=True)
class MatchPair:
    """A left-hand prompt and the right-hand option that belongs to it.

    The right-hand option is identified by the pair's id.
    """
    id: str
    left: Texts
    right: Texts


@dataclass(frozen=True)
class Distractor:
    """A right-hand option of a matching question that matches nothing."""
    id: str
    text: Texts


@dataclass(frozen=True)
class OrderItem:
    """An item of an ordering question; items are kept in the right order."""
    id: str
    text: Texts


@dataclass(frozen=True)
class QuestionSpec:
    """One question.  Only the parts of its `type` are filled in.

    `text_format` is the format of the question text (quiz.toml: markdown;
    GIFT: whatever `[format]` said, default moodle).  `part_formats` records
    the parts of a GIFT question whose format was given explicitly and
    differs, keyed like "choice.a", "choice.a.feedback", "answer.1",
    "pair.2.left", "feedback", "true_feedback"; the GIFT exporter writes them
    back.  `name`, `category` and `tags` come from GIFT.
    """
    id: str
    type: str
    text: Texts
    points: float = 1.0
    feedback: Texts = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    answer: bool | None = None
    true_feedback: Texts = field(default_factory=dict)
    false_feedback: Texts = field(default_factory=dict)
    short_answers: tuple[ShortAnswer, ...] = ()
    numeric_answers: tuple[NumericAnswer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    distractors: tuple[Distractor, ...] = ()
    items: tuple[OrderItem, ...] = ()
    text_format: str = "markdown"
    part_formats: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def is_scored(self) -> bool:
        """Whether the question counts towards the quiz score."""
        return self.type != "description" and self.points > 0

    def right_options(self) -> tuple[tuple[str, Texts], ...]:
        """Matching: every right-hand option as (id, text), pairs first."""
        return tuple((p.id, p.right) for p in self.pairs) + tuple(
            (d.id, d.text) for d in self.distractors)

    def languages(self) -> set[str]:
        """The languages the question text is written in."""
        return set(self.text)


@dataclass(frozen=True)
class QuizSpec:
    """A module's quiz: its settings and its questions in file order."""
    title: Texts
    questions: tuple[QuestionSpec, ...]
    pass_mark: float = 70.0
    max_attempts: int = 0
    grading: str = "best"
    shuffle_questions: bool = False
    shuffle_choices: bool = True
    draw: int = 0
    time_limit_minutes: int = 0
    show_answers: str = "after_attempt"

    def question(self, question_id: str) -> QuestionSpec:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions if q.is_scored)


# --------------------------------------------------------------------------
# Semantic checks shared by the quiz.toml reader and the GIFT importer
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Where keys are in a TOML file
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str  # "punct", "bare", "str", "nl" or "eof"
    value: str
    line: int
    pos: int


_PUNCT = frozenset("[]{}=,")
_BARE_STOP = frozenset(" \t\r\n#[]{}=,\"'")


def _string_end(src: str, i: int) -> int:
    """Index just past the TOML string starting at src[i]."""
    quote, n = src[i], len(src)
    escapes = quote == '"'
    if src.startswith(quote * 3, i):
        j = i + 3
        while j < n:
            if escapes and src[j] == "\\":
                j += 2
            elif src.startswith(quote * 3, j):
                end = j + 3
                # Up to two quotes of the content may touch the closing ones.
                while end < n and src[end] == quote and end - j < 5:
                    end += 1
                return end
            else:
                j += 1
        return n
    j = i + 1
    while j < n and src[j] != "\n":
        if escapes and src[j] == "\\":
            j += 2
        elif src[j] == quote:
            return j + 1
        else:
            j += 1
    return j


def _tokenize(src: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r":
            i += 1
        elif c == "\n":
            tokens.append(_Token("nl", c, line, i))
            line += 1
            i += 1
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c in _PUNCT:
            tokens.append(_Token("punct", c, line, i))
            i += 1
        elif c in "\"'":
            end = _string_end(src, i)
            tokens.append(_Token("str", src[i:end], line, i))
            line += src.count("\n", i, end)
            i = end
        else:
            j = i
            while j < n and src[j] not in _BARE_STOP:
                j += 1
            tokens.append(_Token("bare", src[i:j], line, i))
            i = j
    tokens.append(_Token("eof", "", line, n))
    return tokens


def _decode_key(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1]
    return str(tomllib.loads(f"k = {raw}")["k"])


class _LocatorParser:
    """A forgiving TOML reader that only records where keys and items start.

    It runs on text tomllib has already accepted, so it can skip values
    without understanding them.
    """

    def __init__(self, source: str, out: dict[tuple[PathPart, ...], int]):
        self.tokens = _tokenize(source)
        self.k = 0
        self.out = out
        self.table: tuple[PathPart, ...] = ()
        self.aot_counts: dict[tuple[PathPart, ...], int] = {}

    def peek(self) -> _Token:
        return self.tokens[self.k]

    def advance(self) -> _Token:
        token = self.tokens[self.k]
        if token.kind != "eof":
            self.k += 1
        return token

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (value is None or token.value == value)

    def record(self, path: tuple[PathPart, ...], line: int) -> None:
        self.out.setdefault(path, line)

    def run(self) -> None:
        while not self.at("eof"):
            if self.at("nl"):
                self.advance()
                continue
            if self.at("punct", "["):
                self.header()
            else:
                self.key_value(self.table)
            while not (self.at("nl") or self.at("eof")):
                self.advance()

    def key(self) -> list[str]:
        parts: list[str] = []
        while self.peek().kind in ("bare", "str"):
            token = self.advance()
            if token.kind == "str":
                parts.append(_decode_key(token.value))
            else:
                parts.extend(p.strip() for p in token.value.split(".") if p.strip())
        return parts

    def header(self) -> None:
        first = self.advance()
        nxt = self.peek()
        is_array = nxt.kind == "punct" and nxt.value == "[" and nxt.pos == first.pos + 1
        if is_array:
            self.advance()
        keys = self.key()
        path: tuple[PathPart, ...] = ()
        for n, key in enumerate(keys):
            path += (key,)
            if is_array and n == len(keys) - 1:
                index = self.aot_counts.get(path, 0)
                self.aot_counts[path] = index + 1
                self.record(path, first.line)
                path += (index,)
            elif path in self.aot_counts:
                path += (self.aot_counts[path] - 1,)
        self.table = path
        self.record(path, first.line)

    def key_value(self, base: tuple[PathPart, ...]) -> None:
        line = self.peek().line
        keys = self.key()
        if not keys or not self.at("punct", "="):
            self.advance()
            return
        self.advance()
        path = base
        for key in keys:
            path += (key,)
            self.record(path, line)
        self.value(path)

    def value(self, path: tuple[PathPart, ...]) -> None:
        if self.at("punct", "{"):
            self.advance()
            self.inline_table(path)
        elif self.at("punct", "["):
            self.advance()
            self.array(path)
        else:
            while not (self.at("eof") or self.at("nl")
                       or (self.peek().kind == "punct" and self.peek().value in ",]}")):
                self.advance()

    def inline_table(self, path: tuple[PathPart, ...]) -> None:
        while not self.at("eof"):
            if self.at("nl") or self.at("punct", ","):
                self.advance()
            elif self.at("punct", "}"):
                self.advance()
                return
            else:
                self.key_value(path)

    def array(self, path: tuple[PathPart, ...]) -> None:
        index = 0
        while not self.at("eof"):
            if self.at("nl"):
                self.advance()
            elif self.at("punct", "]"):
                self.advance()
                return
            elif self.at("punct", ","):
                self.advance()
                index += 1
            else:
                self.record(path + (index,), self.peek().line)
                self.value(path + (index,))


class TomlLocator:
    """Finds the line of a key path in TOML source text.

    Paths mix keys and array indexes, e.g. ``("questions", 2, "id")`` is the
    `id` of the third `[[questions]]`.  A path that is not written in the file
    (a missing key) resolves to its nearest written ancestor, so "question 3
    has no id" points at the third `[[questions]]` header.
    """

    def __init__(self, source: str):
        self._lines: dict[tuple[PathPart, ...], int] = {}
        try:
            _LocatorParser(source, self._lines).run()
        except Exception:  # noqa: BLE001 - a locator bug must not hide the real problems
            self._lines.clear()

    def line(self, path: Iterable[PathPart]) -> int | None:
        key = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")


def toml_error_problem(path: str, source: str, exc: tomllib.TOMLDecodeError) -> ContentProblem:
    """Turn a tomllib syntax error into a problem with the line it names."""
    message = str(exc)
    match = _TOML_POSITION.search(message)
    if match:
        line: int | None = int(match.group(1))
        message = message[:match.start()] + message[match.end():]
    elif "end of document" in message:
        line = source.count("\n") + 1
        message = message.replace(" (at end of document)", "")
    else:
        line = None
    return ContentProblem(path, line, f"TOML syntax error: {message.strip()}")


# --------------------------------------------------------------------------
# Reading quiz.toml
# --------------------------------------------------------------------------

_SETTING_KEYS = ("pass_mark", "max_attempts", "grading", "shuffle_questions",
                 "shuffle_choices", "draw", "time_limit_minutes", "show_answers")
_QUIZ_KEYS = frozenset(_SETTING_KEYS + ("title", "questions"))
_COMMON_KEYS = frozenset({"id", "type", "points", "text", "feedback"})
_TYPE_KEYS: dict[str, frozenset[str]] = {
    "single": frozenset({"choices"}),
    "multiple": frozenset({"choices"}),
    "truefalse": frozenset({"answer", "true_feedback", "false_feedback"}),
    "short": frozenset({"answers", "exact"}),
    "numeric": frozenset({"answers"}),
    "matching": frozenset({"pairs", "distractors"}),
    "ordering": frozenset({"items"}),
    "essay": frozenset(),
    "description": frozenset(),
}
_CHOICE_KEYS = frozenset({"id", "text", "fraction", "feedback"})
_SHORT_KEYS = frozenset({"text", "fraction", "feedback", "exact"})
_NUMERIC_KEYS = frozenset({"value", "tolerance", "min", "max", "fraction", "feedback"})
_PAIR_KEYS = frozenset({"id", "left", "right"})
_ITEM_KEYS = frozenset({"id", "text"})

_MISSING: Any = object()
Where = tuple[PathPart, ...]
Table = dict[str, Any]
Parts = dict[str, Any]  # QuestionSpec keyword arguments of one question type


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _QuizReader:
    """Reads one quiz.toml document, collecting every problem it finds."""

    def __init__(self, data: dict[str, Any], source_text: str, path: str,
                 languages: tuple[str, ...], require_all_languages: bool):
        self.data = data
        self.path = path
        self.languages = tuple(languages)
        self.require_all = require_all_languages
        self.locator = TomlLocator(source_text)
        self.problems: list[ContentProblem] = []

    def fail(self, where: Where, message: str) -> None:
        self.problems.append(ContentProblem(self.path, self.locator.line(where), message))

    # -- scalar readers: return the clean value, or None after recording a problem

    def number(self, table: Table, key: str, where: Where, label: str, default: Any = _MISSING,
               *, low: float | None = None, high: float | None = None,
               integer: bool = False) -> Any:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                self.fail(where[:-1], f"{label}: {key} is missing")
                return None
            return default
        kind = "a whole number" if integer else "a number"
        ok = isinstance(value, int) if integer else _is_number(value)
        if not ok or isinstance(value, bool):
            self.fail(where, f"{label}: {key} must be {kind}, not {value!r}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"from {low:g} to {high:g}" if high is not None
                      else f"at least {low:g}")
            self.fail(where, f"{label}: {key} must be {bounds}, got {value!r}")
            return None
        return value if integer else float(value)

    def boolean(self, table: Table, key: str, where: Where, label: str, default: bool) -> bool | None:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(where, f"{label}: {key} must be true or false, not {value!r}")
            return None
        return value

    def option(self, table: Table, key: str, where: Where, label: str,
               options: tuple[str, ...], default: str) -> str | None:
        value = table.get(key, default)
        if not isinstance(value, str) or value not in options:
            self.fail(where, f"{label}: {key} must be one of {', '.join(options)}; "
                             f"got {value!r}")
            return None
        return value

    def texts(self, value: Any, where: Where, label: str, *, required: bool = True) -> Texts | None:
        """A `{ es = "...", en = "..." }` table."""
        if value is _MISSING or value is None:
            if required:
                self.fail(where[:-1] if where else where, f"{label} is missing")
            return None if required else {}
        if not isinstance(value, dict):
            self.fail(where, f"{label} must be a table with one text per language "
                             f"({', '.join(self.languages)}), not {value!r}")
            return None
        ok = True
        texts: Texts = {}
        for lang, text in value.items():
            if lang not in self.languages:
                self.fail(where, f'{label}: unknown language "{lang}" '
                                 f"(expected {', '.join(self.languages)})")
                ok = False
            elif not isinstance(text, str) or not text.strip():
                self.fail(where, f'{label}: the "{lang}" text is empty or not a string')
                ok = False
            else:
                texts[lang] = text
        missing = [lang for lang in self.languages if lang not in value]
        if self.require_all and missing:
            for lang in missing:
                self.fail(where, f'{label} lacks the "{lang}" text')
            ok = False
        elif not value:
            self.fail(where, f"{label} has no text in any language")
            ok = False
        return texts if ok else None

    def unknown_keys(self, table: Table, allowed: frozenset[str], where: Where, label: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(where + (key,), f'{label}: unknown key "{key}"')

    def table_list(self, table: Table, key: str, where: Where, label: str) -> list[Table] | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(where, f"{label}: {key} must be a list of tables")
            return None
        return value

    # -- the document

    def read(self) -> QuizSpec | None:
        data = self.data
        label = "quiz"
        self.unknown_keys(data, _QUIZ_KEYS, (), label)
        settings = {
            "pass_mark": self.number(data, "pass_mark", ("pass_mark",), label, 70.0, low=0, high=100),
            "max_attempts": self.number(data, "max_attempts", ("max_attempts",), label, 0,
                                        low=0, integer=True),
            "grading": self.option(data, "grading", ("grading",), label, GRADING_POLICIES, "best"),
            "shuffle_questions": self.boolean(data, "shuffle_questions", ("shuffle_questions",),
                                              label, False),
            "shuffle_choices": self.boolean(data, "shuffle_choices", ("shuffle_choices",),
                                            label, True),
            "draw": self.number(data, "draw", ("draw",), label, 0, low=0, integer=True),
            "time_limit_minutes": self.number(data, "time_limit_minutes", ("time_limit_minutes",),
                                              label, 0, low=0, integer=True),
            "show_answers": self.option(data, "show_answers", ("show_answers",), label,
                                        SHOW_ANSWERS, "after_attempt"),
        }
        title = self.texts(data.get("title", _MISSING), ("title",), "quiz title")
        questions = self.questions()
        draw = settings["draw"]
        if draw and questions is not None and draw > len(questions):
            self.fail(("draw",), f"quiz: draw = {draw} but the quiz has only "
                                 f"{len(questions)} questions")
        if self.problems:
            return None
        return QuizSpec(title=title or {}, questions=tuple(questions or ()), **settings)

    def questions(self) -> list[QuestionSpec] | None:
        raw = self.data.get("questions", _MISSING)
        if raw is _MISSING or raw == []:
            self.fail((), "quiz: there are no [[questions]]")
            return None
        if not isinstance(raw, list):
            self.fail(("questions",), "quiz: questions must be written as [[questions]] tables")
            return None
        built: list[QuestionSpec] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            question = self.question(item, index)
            if question is None:
                continue
            if question.id in seen:
                self.fail(("questions", index, "id"),
                          f'question id "{question.id}" is used twice '
                          f"(first by question {seen[question.id] + 1})")
            else:
                seen[question.id] = index
            built.append(question)
        return built

    def question(self, raw: Any, index: int) -> QuestionSpec | None:
        base: Where = ("questions", index)
        if not isinstance(raw, dict):
            self.fail(base, f"question {index + 1} must be a table")
            return None
        before = len(self.problems)
        qid = raw.get("id")
        label = f'question "{qid}"' if isinstance(qid, str) and qid else f"question {index + 1}"
        if qid is None:
            self.fail(base, f"{label} has no id")
        elif not isinstance(qid, str) or not ID_PATTERN.match(qid):
            self.fail(base + ("id",), f'{label}: id "{qid}" must be {ID_RULE}')
        qtype: str | None = raw.get("type")
        if qtype is None:
            self.fail(base, f"{label} has no type (one of {', '.join(QUESTION_TYPES)})")
        elif qtype not in QUESTION_TYPES:
            self.fail(base + ("type",), f'{label}: unknown type "{qtype}" '
                                        f"(expected one of {', '.join(QUESTION_TYPES)})")
            qtype = None
        default_points = 0.0 if qtype == "description" else 1.0
        points = self.number(raw, "points", base + ("points",), label, default_points, low=0)
        text = self.texts(raw.get("text", _MISSING), base + ("text",), f"{label}: text")
        feedback = self.texts(raw.get("feedback", _MISSING), base + ("feedback",),
                              f"{label}: feedback", required=False)
        if qtype is None:
            return None
        self.unknown_keys(raw, _COMMON_KEYS | _TYPE_KEYS[qtype], base, label)
        parts = _PART_READERS[qtype](self, raw, base, label)
        if len(self.problems) > before or parts is None or not isinstance(qid, str):
            return None
        question = QuestionSpec(id=qid, type=qtype, text=text or {}, points=points,
                                feedback=feedback or {}, **parts)
        for issue in question_issues(question):
            self.fail(base + issue.part, f"{label}: {issue.message}")
        return question if len(self.problems) == before else None

    # -- type-specific parts: each returns the QuestionSpec keyword arguments

    def choice_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        tables = self.table_list(raw, "choices", base + ("choices",), label)
        if tables is None:
            return None
        choices = []
        for i, c in enumerate(tables):
            where = base + ("choices", i)
            cid = c.get("id")
            clabel = f'{label}, choice "{cid}"' if isinstance(cid, str) else f"{label}, choice {i + 1}"
            self.unknown_keys(c, _CHOICE_KEYS, where, clabel)
            if not isinstance(cid, str):
                self.fail(where + ("id",), f"{clabel} has no id")
            text = self.texts(c.get("text", _MISSING), where + ("text",), f"{clabel}: text")
            fraction = self.number(c, "fraction", where + ("fraction",), clabel, 0.0)
            feedback = self.texts(c.get("feedback", _MISSING), where + ("feedback",),
                                  f"{clabel}: feedback", required=False)
            if isinstance(cid, str) and text is not None and fraction is not None \
                    and feedback is not None:
                choices.append(Choice(cid, text, fraction, feedback))
        return {"choices": tuple(choices)}

    def truefalse_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        answer = raw.get("answer")
        if not isinstance(answer, bool):
            where = base + ("answer",) if "answer" in raw else base
            self.fail(where, f"{label}: a truefalse question needs answer = true or false")
        true_fb = self.texts(raw.get("true_feedback", _MISSING), base + ("true_feedback",),
                             f"{label}: true_feedback", required=False)
        false_fb = self.texts(raw.get("false_feedback", _MISSING), base + ("false_feedback",),
                              f"{label}: false_feedback", required=False)
        return {"answer": answer, "true_feedback": true_fb or {}, "false_feedback": false_fb or {}}

    def short_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        tables = self.table_list(raw, "answers", base + ("answers",), label)
        exact = self.boolean(raw, "exact", base + ("exact",), label, False)
        if tables is None or exact is None:
            return None
        answers = []
        for i, a in enumerate(tables):
            where = base + ("answers", i)
            alabel = f"{label}, answer {i + 1}"
            self.unknown_keys(a, _SHORT_KEYS, where, alabel)
            text = self.texts(a.get("text", _MISSING), where + ("text",), f"{alabel}: text")
            fraction = self.number(a, "fraction", where + ("fraction",), alabel, 1.0)
            feedback = self.texts(a.get("feedback", _MISSING), where + ("feedback",),
                                  f"{alabel}: feedback", required=False)
            a_exact = self.boolean(a, "exact", where + ("exact",), alabel, exact)
            if text is not None and fraction is not None and feedback is not None \
                    and a_exact is not None:
                answers.append(ShortAnswer(str(i + 1), text, fraction, feedback, a_exact))
        return {"short_answers": tuple(answers)}

    def numeric_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        tables = self.table_list(raw, "answers", base + ("answers",), label)
        if tables is None:
            return None
        answers = []
        for i, a in enumerate(tables):
            answer = self.numeric_answer(a, base + ("answers", i), f"{label}, answer {i + 1}", i)
            if answer is not None:
                answers.append(answer)
        return {"numeric_answers": tuple(answers)}

    def numeric_answer(self, a: Table, where: Where, label: str, i: int) -> NumericAnswer | None:
        self.unknown_keys(a, _NUMERIC_KEYS, where, label)
        fraction = self.number(a, "fraction", where + ("fraction",), label, 1.0)
        feedback = self.texts(a.get("feedback", _MISSING), where + ("feedback",),
                              f"{label}: feedback", required=False)
        has_value = "value" in a
        has_range = "min" in a or "max" in a
        if has_value == has_range:
            self.fail(where, f"{label}: give either value (with an optional tolerance) "
                             "or min and max" + ("" if has_value else ", it has neither"))
            return None
        if has_value:
            value = self.number(a, "value", where + ("value",), label)
            tolerance = self.number(a, "tolerance", where + ("tolerance",), label, 0.0, low=0)
            if value is None or tolerance is None or fraction is None or feedback is None:
                return None
            return NumericAnswer(str(i + 1), fraction, value=value, tolerance=tolerance,
                                 feedback=feedback)
        if "tolerance" in a:
            self.fail(where + ("tolerance",), f"{label}: tolerance goes with value, not min/max")
        low = self.number(a, "min", where + ("min",), label)
        high = self.number(a, "max", where + ("max",), label)
        if low is None or high is None or fraction is None or feedback is None:
            return None
        return NumericAnswer(str(i + 1), fraction, min=low, max=high, feedback=feedback)

    def matching_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        tables = self.table_list(raw, "pairs", base + ("pairs",), label)
        if tables is None:
            return None
        pairs = []
        for i, p in enumerate(tables):
            where = base + ("pairs", i)
            plabel = f"{label}, pair {i + 1}"
            self.unknown_keys(p, _PAIR_KEYS, where, plabel)
            pid = self.own_id(p, where, plabel, i)
            left = self.texts(p.get("left", _MISSING), where + ("left",), f"{plabel}: left")
            right = self.texts(p.get("right", _MISSING), where + ("right",), f"{plabel}: right")
            if pid is not None and left is not None and right is not None:
                pairs.append(MatchPair(pid, left, right))
        raw_distractors = raw.get("distractors", [])
        if not isinstance(raw_distractors, list):
            self.fail(base + ("distractors",), f"{label}: distractors must be a list of texts")
            return None
        distractors = []
        for i, d in enumerate(raw_distractors):
            text = self.texts(d, base + ("distractors", i), f"{label}, distractor {i + 1}")
            if text is not None:
                distractors.append(Distractor(f"d{i + 1}", text))
        return {"pairs": tuple(pairs), "distractors": tuple(distractors)}

    def ordering_parts(self, raw: Table, base: Where, label: str) -> Parts | None:
        tables = self.table_list(raw, "items", base + ("items",), label)
        if tables is None:
            return None
        items = []
        for i, it in enumerate(tables):
            where = base + ("items", i)
            ilabel = f"{label}, item {i + 1}"
            self.unknown_keys(it, _ITEM_KEYS, where, ilabel)
            iid = self.own_id(it, where, ilabel, i)
            text = self.texts(it.get("text", _MISSING), where + ("text",), f"{ilabel}: text")
            if iid is not None and text is not None:
                items.append(OrderItem(iid, text))
        return {"items": tuple(items)}

    def own_id(self, table: Table, where: Where, label: str, i: int) -> str | None:
        """An optional id; by default the 1-based position, so it stays stable."""
        value = table.get("id", str(i + 1))
        if not isinstance(value, str):
            self.fail(where + ("id",), f"{label}: id must be a string, not {value!r}")
            return None
        return value

    def no_parts(self, raw: Table, base: Where, label: str) -> Parts:
        return {}


_PART_READERS = {
    "single": _QuizReader.choice_parts,
    "multiple": _QuizReader.choice_parts,
    "truefalse": _QuizReader.truefalse_parts,
    "short": _QuizReader.short_parts,
    "numeric": _QuizReader.numeric_parts,
    "matching": _QuizReader.matching_parts,
    "ordering": _QuizReader.ordering_parts,
    "essay": _QuizReader.no_parts,
    "description": _QuizReader.no_parts,
}


def parse_quiz(data: dict[str, Any], source_text: str, path: str,
               languages: tuple[str, ...] = LANGUAGES,
               require_all_languages: bool = True) -> QuizSpec:
    """Validate a parsed quiz.toml document and build its QuizSpec.

    `source_text` is the text `data` was parsed from; it is only used to find
    line numbers.  Raises ContentError with every problem found.  With
    `require_all_languages` false a text needs only one of `languages`.
    """
    reader = _QuizReader(data, source_text, path, languages, require_all_languages)
    quiz = reader.read()
    if reader.problems or quiz is None:
        raise ContentError(reader.problems)
    return quiz


def parse_quiz_file(path: str | Path, languages: tuple[str, ...] = LANGUAGES,
                    require_all_languages: bool = True) -> QuizSpec:
    """Read and validate a quiz.toml file."""
    name = str(path)
    raw = Path(path).read_bytes()
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ContentError([ContentProblem(name, line, "the file is not UTF-8 text")]) from None
    source = source.removeprefix("\ufeff")
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError([toml_error_problem(name, source, exc)]) from None
    return parse_quiz(data, source, name, languages, require_all_languages)
