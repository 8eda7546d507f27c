"""Moodle's GIFT question format: import, export and a JSON view.

GIFT files hold one language, so every text of an imported question is
keyed by the `lang` given to `parse_gift()`.

The reader follows Moodle's own importer (question/format/gift/format.php)
so that a file Moodle accepts means the same here:

* Questions are separated by blank lines; every line is trimmed.
* A line whose first non-blank characters are `//` is a comment, wherever it
  is (even between answers).  `//` anywhere else is text (URLs).  Comments
  may carry Moodle's `[id:...]` and `[tag:...]`.
* `$CATEGORY: path` sets the category of the questions that follow.
* `::name::` names a question; `[moodle]`, `[html]`, `[plain]` or
  `[markdown]` before a text sets its format (default moodle).
* The first `{...}` holds the answers; text on both sides of it makes a
  "missing word" question whose stored text shows the blank as `_____`.
  No braces: a description.  `{}`: an essay.
* Inside the braces: `####` starts the general feedback; `#` starts an
  answer's feedback; `%n%` after `=` or `~` weights an answer n percent.
  Type is decided as Moodle does: `#` first -> numeric; a `~` -> multiple
  choice (single when some answer is marked `=`, otherwise multiple
  answers); `=` and `->` -> matching (`= -> x` is a distractor); T, TRUE, F
  or FALSE -> true/false (`{T#shown if wrong#shown if right}`); otherwise
  short answer (`=a =b`, or a lone answer without `=`).
* `\\~ \\= \\# \\{ \\} \\:` and `\\\\` stand for the character itself, `\\n`
  for a new line; a backslash before anything else stays a backslash.

Where Moodle silently guesses, this reader reports an error instead: an
unclosed `::name`, unbalanced or nested braces, a second `{...}` block, text
before the first `~`/`=` of a choice or matching block, a matching line
without `->`, weights outside -100..100, non-numbers in numeric answers.
It also validates every question like quiz.toml (one 100 % choice in a
single-choice question, weights adding up to 100 % in a multiple-answer
one, ...).  Every error is collected with its line, then ContentError is
raised and nothing is imported.

Ids: a question takes its Moodle `[id:...]` if it has one, else a slug of its
name, else q1, q2... (its position); clashes get -2, -3.  Choices are
lettered a, b, c...; answers, pairs and items are numbered 1, 2, 3...;
distractors are d1, d2...
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lms.content.errors import ContentError, ContentProblem
from lms.quizzes.spec import (
    ID_PATTERN,
    TEXT_FORMATS,
    Choice,
    Distractor,
    MatchPair,
    NumericAnswer,
    QuestionSpec,
    ShortAnswer,
    Texts,
    question_issues,
)

BLANK = "_____"
DEFAULT_FORMAT = "moodle"

# Escaped control characters are swapped for private-use code points while
# parsing, so they can never be mistaken for syntax, and swapped back when a
# piece of text is finally read (Moodle does the same with "&&058;"-style
# placeholders; U+E000..U+E006 do not occur in real question text).
_ESCAPABLE = "\\:#={}~"
_HIDE = {c: chr(0xE000 + i) for i, c in enumerate(_ESCAPABLE)}
_SHOW = str.maketrans({v: k for k, v in _HIDE.items()})

_WEIGHT = re.compile(r"%(-?\d+(?:\.\d+)?)%")
_GIFT_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_FORMAT_PREFIX = re.compile(r"^\[(" + "|".join(TEXT_FORMATS) + r")\]")
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


class _GiftError(Exception):
    """One problem in one question; the question is skipped, parsing goes on."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# --------------------------------------------------------------------------
# Text that remembers the line each character came from
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Span:
    text: str
    lines: tuple[int, ...]
    fallback: int  # the line of an empty span

    @property
    def line(self) -> int:
        for ch, n in zip(self.text, self.lines):
            if not ch.isspace():
                return n
        return self.lines[0] if self.lines else self.fallback

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, s: slice) -> _Span:
        start = s.start or 0
        fallback = self.lines[start] if start < len(self.lines) else (
            self.lines[-1] if self.lines else self.fallback)
        return _Span(self.text[s], self.lines[s], fallback)

    def __add__(self, other: _Span) -> _Span:
        return _Span(self.text + other.text, self.lines + other.lines, self.fallback)

    def find(self, sub: str, start: int = 0) -> int:
        return self.text.find(sub, start)

    def strip(self) -> _Span:
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self[left:max(left, right)]

    def split_first(self, sep: str) -> tuple[_Span, _Span | None]:
        at = self.text.find(sep)
        if at < 0:
            return self, None
        return self[:at], self[at + len(sep):]

    def plain(self) -> str:
        """The text as written, escapes resolved."""
        return self.text.translate(_SHOW).strip()


def _unescape(lines: Sequence[tuple[int, str]]) -> _Span:
    """Join trimmed lines with newlines, hiding escaped control characters."""
    chars: list[str] = []
    where: list[int] = []
    for k, (n, line) in enumerate(lines):
        if k:
            chars.append("\n")
            where.append(n)
        i = 0
        while i < len(line):
            ch = line[i]
            nxt = line[i + 1] if i + 1 < len(line) else ""
            if ch == "\\" and nxt == "n":
                chars.append("\n")
                i += 2
            elif ch == "\\" and nxt in _HIDE:
                chars.append(_HIDE[nxt])
                i += 2
            else:
                chars.append(ch)
                i += 1
            where.append(n)
    return _Span("".join(chars), tuple(where), lines[0][0] if lines else 1)


def _split_markers(span: _Span, markers: str) -> tuple[_Span, list[tuple[str, _Span]]]:
    """Cut `span` before each marker character: (text before, [(marker, body)])."""
    cuts = [i for i, ch in enumerate(span.text) if ch in markers]
    head = span[:cuts[0]] if cuts else span
    pieces = []
    for k, at in enumerate(cuts):
        end = cuts[k + 1] if k + 1 < len(cuts) else len(span)
        pieces.append((span.text[at], span[at + 1:end]))
    return head, pieces


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------

def slugify(text: str, max_length: int = 60) -> str:
    """A Frontera id (lowercase ASCII words joined by '-') made from any text."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
    return slug


def _letters(n: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: choice ids like Moodle's a. b. c. numbering."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _read_format(span: _Span, default: str) -> tuple[str, _Span]:
    """Split a leading [format] off a text, as Moodle does."""
    stripped = span.strip()
    match = _FORMAT_PREFIX.match(stripped.text)
    if not match:
        return default, stripped
    return match.group(1), stripped[match.end():].strip()


def _read_weight(body: _Span, default: float, label: str) -> tuple[float, _Span]:
    body = body.strip()
    match = _WEIGHT.match(body.text)
    if not match:
        return default, body
    percent = Decimal(match.group(1))
    if not -100 <= percent <= 100:
        raise _GiftError(body.line, f"{label}: weight %{match.group(1)}% is outside -100..100")
    # Decimal keeps %33.33333% exactly 0.3333333 (and export -> import exact).
    return float(percent / 100), body[match.end():]


def _comment_meta(comments: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """Moodle's `[id:...]` and `[tag:...]` markers in a question's comments."""
    text = "\n".join(comments)
    id_match = re.search(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]", text)
    ident = id_match.group(1).replace("\\]", "]").strip() if id_match else None
    tags = tuple(t.replace("\\]", "]").strip()
                 for t in re.findall(r"\[tag:((?:\\\]|[^\]<>\x00-\x1f])+)\]", text))
    return ident or None, tags


@dataclass
class _Draft:
    """What one question block says, before it becomes a QuestionSpec."""
    lang: str
    label: str
    line: int
    text_format: str = DEFAULT_FORMAT
    part_formats: dict[str, str] = field(default_factory=dict)
    part_lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)

    def texts(self, span: _Span | None) -> Texts:
        if span is None:
            return {}
        text = span.plain()
        return {self.lang: text} if text else {}

    def formatted(self, span: _Span | None, key: str) -> Texts:
        """Read a text that may start with [format]; remember unusual ones."""
        if span is None:
            return {}
        fmt, rest = _read_format(span, self.text_format)
        texts = self.texts(rest)
        if fmt != self.text_format and texts:  # an empty text has no format to keep
            self.part_formats[key] = fmt
        return texts

    def fail(self, line: int, message: str) -> _GiftError:
        return _GiftError(line, f"{self.label}: {message}")


def _read_choices(d: _Draft, answers: _Span) -> dict[str, Any]:
    head, pieces = _split_markers(answers, "~=")
    if head.text.strip():
        raise d.fail(head.line, f'text before the first ~ or = of the answers: "{head.plain()}"')
    choices = []
    for i, (marker, body) in enumerate(pieces):
        cid = _letters(i)
        d.part_lines[("choices", i)] = body.line if body.text.strip() else answers.line
        fraction, body = _read_weight(body, 1.0 if marker == "=" else 0.0, f"answer {i + 1}")
        text_span, feedback_span = body.split_first("#")
        text = d.formatted(text_span, f"choice.{cid}")
        if not text:
            raise d.fail(d.part_lines[("choices", i)], f"answer {i + 1} is empty")
        choices.append(Choice(cid, text, fraction, d.formatted(feedback_span, f"choice.{cid}.feedback")))
    single = any(marker == "=" for marker, _ in pieces)
    return {"type": "single" if single else "multiple", "choices": tuple(choices)}


def _read_matching(d: _Draft, answers: _Span) -> dict[str, Any]:
    head, pieces = _split_markers(answers, "=")
    if head.text.strip():
        raise d.fail(head.line, f'text before the first = of the pairs: "{head.plain()}"')
    pairs: list[MatchPair] = []
    distractors: list[Distractor] = []
    for body in (b for _, b in pieces):
        left_span, right_span = body.split_first("->")
        if right_span is None:
            raise d.fail(body.line, f'a matching line needs "->": "={body.plain()}"')
        right = d.texts(right_span)
        if not right:
            raise d.fail(body.line, f'nothing after "->" in "={body.plain()}"')
        pid = str(len(pairs) + 1)
        left = d.formatted(left_span, f"pair.{pid}.left")
        if not left:  # Moodle: an empty left side (even "[html]") is a distractor
            distractors.append(Distractor(f"d{len(distractors) + 1}", right))
            continue
        d.part_lines[("pairs", len(pairs))] = body.line
        pairs.append(MatchPair(pid, left, right))
    return {"type": "matching", "pairs": tuple(pairs), "distractors": tuple(distractors)}


def _read_truefalse(d: _Draft, answers: _Span) -> dict[str, Any]:
    word, rest = answers.split_first("#")
    wrong, right = (rest.split_first("#") if rest is not None else (None, None))
    answer = _TRUEFALSE[word.text.strip()]
    # Moodle: the first feedback is for a wrong answer, the second for a
    # right one; we key them by what the learner said.
    said_true, said_false = (right, wrong) if answer else (wrong, right)
    return {"type": "truefalse", "answer": answer,
            "true_feedback": d.formatted(said_true, "true_feedback"),
            "false_feedback": d.formatted(said_false, "false_feedback")}


def _read_short(d: _Draft, answers: _Span) -> dict[str, Any]:
    head, pieces = _split_markers(answers, "=")
    bodies = ([head] if head.text.strip() else []) + [b for _, b in pieces]
    short = []
    for i, body in enumerate(bodies):
        aid = str(i + 1)
        d.part_lines[("answers", i)] = body.line
        fraction, body = _read_weight(body, 1.0, f"answer {i + 1}")
        text_span, feedback_span = body.split_first("#")
        # Moodle ignores a [format] on a short answer's text; so do we.
        text = d.texts(_read_format(text_span, d.text_format)[1])
        if not text:
            raise d.fail(d.part_lines[("answers", i)], f"answer {i + 1} is empty")
        short.append(ShortAnswer(aid, text, fraction, d.formatted(feedback_span, f"answer.{aid}.feedback")))
    return {"type": "short", "short_answers": tuple(short)}


def _gift_number(span: _Span, d: _Draft) -> float:
    text = span.plain()
    if not _GIFT_NUMBER.match(text):
        raise d.fail(span.line, f'"{text}" is not a number (write decimals with a point)')
    return float(text)


def _read_numeric(d: _Draft, answers: _Span) -> dict[str, Any]:
    body = answers[1:]  # drop the leading '#'
    wrong_at = body.find("~")
    wrong = body[wrong_at + 1:] if wrong_at >= 0 else None
    if wrong_at >= 0:
        body = body[:wrong_at]
    head, pieces = _split_markers(body, "=")
    bodies = ([head] if head.text.strip() else []) + [b for _, b in pieces]
    numeric = []
    for i, piece in enumerate(bodies):
        aid = str(i + 1)
        d.part_lines[("answers", i)] = piece.line
        fraction, piece = _read_weight(piece, 1.0, f"answer {i + 1}")
        value_span, feedback_span = piece.split_first("#")
        feedback = d.formatted(feedback_span, f"answer.{aid}.feedback")
        numeric.append(_numeric_answer(d, aid, fraction, value_span.strip(), feedback))
    if wrong is not None:
        aid = str(len(numeric) + 1)
        _, feedback_span = wrong.split_first("#")
        numeric.append(NumericAnswer(aid, 0.0, feedback=d.formatted(feedback_span,
                                                                    f"answer.{aid}.feedback")))
    return {"type": "numeric", "numeric_answers": tuple(numeric)}


def _numeric_answer(d: _Draft, aid: str, fraction: float, span: _Span,
                    feedback: Texts) -> NumericAnswer:
    text = span.text
    if text.strip() == "*":
        return NumericAnswer(aid, fraction, feedback=feedback)
    if text.find("..") > 0:
        low, high = span.split_first("..")
        assert high is not None
        return NumericAnswer(aid, fraction, min=_gift_number(low, d),
                             max=_gift_number(high, d), feedback=feedback)
    if text.find(":") > 0:
        value, tolerance = span.split_first(":")
        assert tolerance is not None
        return NumericAnswer(aid, fraction, value=_gift_number(value, d),
                             tolerance=_gift_number(tolerance, d), feedback=feedback)
    if not text.strip():
        raise d.fail(span.line, f"numeric answer {aid} has no number")
    return NumericAnswer(aid, fraction, value=_gift_number(span, d), feedback=feedback)


def _answer_kind(answers: _Span) -> str:
    """Moodle's order of tests for a question's type."""
    text = answers.text
    if not text:
        return "essay"
    if text.startswith("#"):
        return "numeric"
    if "~" in text:
        return "choice"
    if "=" in text and "->" in text:
        return "matching"
    if text.split("#", 1)[0].strip() in _TRUEFALSE:
        return "truefalse"
    return "short"


_KIND_READERS = {
    "numeric": _read_numeric,
    "choice": _read_choices,
    "matching": _read_matching,
    "truefalse": _read_truefalse,
    "short": _read_short,
}


def _find_answer_block(d: _Draft, span: _Span) -> tuple[int, int] | None:
    """Positions of the answer block's braces, or None for a description."""
    start, finish = span.find("{"), span.find("}")
    if start < 0 and finish < 0:
        return None
    if start < 0:
        raise d.fail(span.lines[finish], "'}' without '{' (write a literal brace as \\})")
    if finish < 0:
        raise d.fail(span.lines[start], "'{' is never closed with '}' (a blank line ends a question)")
    if finish < start:
        raise d.fail(span.lines[finish], "'}' before '{' (write a literal brace as \\})")
    inner = span.find("{", start + 1)
    if 0 <= inner < finish:
        raise d.fail(span.lines[inner], "'{' inside the answers (write a literal brace as \\{)")
    later = min((i for i in (span.find("{", finish + 1), span.find("}", finish + 1)) if i >= 0),
                default=-1)
    if later >= 0:
        raise d.fail(span.lines[later], "a question has one {...} block of answers "
                                        "(write literal braces as \\{ and \\})")
    return start, finish


def _read_question(d: _Draft, span: _Span, name: str | None) -> dict[str, Any]:
    """Everything about one question except its id and category."""
    block = _find_answer_block(d, span)
    if block is None:
        text_span, answers, general = span, None, None
    else:
        start, finish = block
        answers = span[start + 1:finish].strip()
        d.part_lines[("choices",)] = d.part_lines[("answers",)] = d.part_lines[("pairs",)] = \
            span.lines[start]
        before, after = span[:start], span[finish + 1:]
        # Moodle: answers at the very end are not a blank to fill in.
        if finish != len(span) - 1:
            blank = _Span(BLANK, (span.lines[start],) * len(BLANK), span.lines[start])
            text_span = before + blank + after
        else:
            text_span = before
        general = None
        cut = answers.text.rfind("####")
        if cut >= 0:
            general = answers[cut + 4:]
            answers = answers[:cut].strip()
    d.text_format, text_span = _read_format(text_span, DEFAULT_FORMAT)
    text = d.texts(text_span)
    if not text:
        raise d.fail(d.line, "the question has no text")
    parts: dict[str, Any] = {"text": text, "feedback": d.formatted(general, "feedback"), "name": name}
    if answers is None:
        parts.update(type="description", points=0.0)
    else:
        kind = _answer_kind(answers)
        parts.update({"type": "essay"} if kind == "essay" else _KIND_READERS[kind](d, answers))
    return parts


@dataclass
class _Block:
    lines: list[tuple[int, str]]

    @property
    def first_line(self) -> int:
        return self.lines[0][0]


def _blocks(text: str) -> list[_Block]:
    """Blank-line separated groups of trimmed lines."""
    blocks: list[_Block] = []
    current: list[tuple[int, str]] = []
    for n, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line:
            current.append((n, line))
        elif current:
            blocks.append(_Block(current))
            current = []
    if current:
        blocks.append(_Block(current))
    return blocks


class _IdMaker:
    """Unique question ids in file order."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, wanted: str | None, name: str | None, position: int) -> str:
        base = ""
        if wanted:
            base = wanted if ID_PATTERN.match(wanted) else slugify(wanted)
        if not base and name:
            base = slugify(name)
        if not base:
            base = f"q{position}"
        ident, n = base, 1
        while ident in self.taken:
            n += 1
            ident = f"{base}-{n}"
        self.taken.add(ident)
        return ident


def _question_name(span: _Span, d: _Draft) -> tuple[str | None, _Span]:
    if not span.text.startswith("::"):
        return None, span
    end = span.find("::", 2)
    if end < 0:
        raise d.fail(d.line, "the question name is not closed with '::'")
    name = " ".join(span[2:end].plain().split())
    return (name or None), span[end + 2:].strip()


def _issue_line(d: _Draft, part: tuple[str | int, ...]) -> int:
    key = part
    while key:
        if key in d.part_lines:
            return d.part_lines[key]
        key = key[:-1]
    return d.line


def parse_gift(text: str, lang: str, path: str = "<gift>") -> list[QuestionSpec]:
    """Read a GIFT file into questions whose texts are all in `lang`.

    Raises ContentError listing every problem (with its line) and returns
    nothing if there is any.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    problems: list[ContentProblem] = []
    questions: list[QuestionSpec] = []
    ids = _IdMaker()
    category: str | None = None
    position = 0
    for block in _blocks(text):
        comments = [line for _, line in block.lines if line.startswith("//")]
        body = [(n, line) for n, line in block.lines if not line.startswith("//")]
        if body and body[0][1].startswith("$CATEGORY:"):
            category = _unescape(body[:1]).plain()[len("$CATEGORY:"):].strip() or None
            body = body[1:]
        if not body:
            continue
        position += 1
        draft = _Draft(lang=lang, label=f"question {position}", line=body[0][0])
        try:
            name, span = _question_name(_unescape(body), draft)
            if name:
                draft.label = f'question "{name}"'
            parts = _read_question(draft, span, name)
        except _GiftError as exc:
            problems.append(ContentProblem(path, exc.line, exc.message))
            continue
        wanted, tags = _comment_meta(comments)
        question = QuestionSpec(
            id=ids.make(wanted, name, position), text_format=draft.text_format,
            part_formats=draft.part_formats, category=category, tags=tags, **parts)
        for issue in question_issues(question):
            problems.append(ContentProblem(path, _issue_line(draft, issue.part),
                                           f"{draft.label}: {issue.message}"))
        questions.append(question)
    if problems:
        raise ContentError(problems)
    return questions


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------

def _escape(text: str) -> str:
    """Moodle's repchar(): make a text safe to write in GIFT."""
    out = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _with_format(text: str, fmt: str, default: str) -> str:
    """Escape a text and prefix its [format] when it is not the default
    (or when the text itself starts like a format marker)."""
    escaped = _escape(text.strip())
    if fmt != default or _FORMAT_PREFIX.match(escaped):
        return f"[{fmt}]{escaped}"
    return escaped


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _percent(fraction: float) -> str:
    percent = (Decimal(repr(float(fraction))) * 100).normalize()
    return f"{percent:f}"


class _Writer:
    """Writes one question in one language."""

    def __init__(self, q: QuestionSpec, lang: str):
        self.q = q
        self.lang = lang

    def need(self, texts: Texts, what: str) -> str:
        if self.lang not in texts:
            raise ValueError(f'question "{self.q.id}": no "{self.lang}" text for {what}')
        return texts[self.lang]

    def part(self, texts: Texts, key: str) -> str:
        """An optional text with its format, '' when absent."""
        if self.lang not in texts:
            return ""
        fmt = self.q.part_formats.get(key, self.q.text_format)
        return _with_format(texts[self.lang], fmt, self.q.text_format)

    def feedback(self, texts: Texts, key: str) -> str:
        text = self.part(texts, key)
        return f"#{text}" if text else ""

    def weighted(self, marker: str, fraction: float, text: str) -> str:
        if marker == "=" and fraction == 1.0 and not text.startswith("%"):
            return f"={text}"
        if marker == "~" and fraction == 0.0 and not text.startswith("%"):
            return f"~{text}"
        return f"{marker}%{_percent(fraction)}%{text}"

    def choices(self) -> list[str]:
        out = []
        for c in self.q.choices:
            fmt = self.q.part_formats.get(f"choice.{c.id}", self.q.text_format)
            text = _with_format(self.need(c.text, f'choice "{c.id}"'), fmt, self.q.text_format)
            marker = "=" if self.q.type == "single" and c.fraction == 1.0 else "~"
            out.append(self.weighted(marker, c.fraction, text)
                       + self.feedback(c.feedback, f"choice.{c.id}.feedback"))
        return out

    def truefalse(self) -> list[str]:
        said_right = self.q.true_feedback if self.q.answer else self.q.false_feedback
        said_wrong = self.q.false_feedback if self.q.answer else self.q.true_feedback
        right_key = "true_feedback" if self.q.answer else "false_feedback"
        wrong_key = "false_feedback" if self.q.answer else "true_feedback"
        line = "TRUE" if self.q.answer else "FALSE"
        right, wrong = self.part(said_right, right_key), self.part(said_wrong, wrong_key)
        if wrong or right:
            line += f"#{wrong}"
        if right:
            line += f"#{right}"
        return [line]

    def short(self) -> list[str]:
        answers = [a for a in self.q.short_answers if self.lang in a.text]  # others: other language
        out = []
        for a in answers:
            text = "*" if a.is_catch_all else _with_format(
                a.text[self.lang], self.q.text_format, self.q.text_format)
            out.append(f"=%{_percent(a.fraction)}%{text}"
                       + self.feedback(a.feedback, f"answer.{a.id}.feedback"))
        if "->" not in "".join(out):
            return out
        # "=" and "->" together read back as matching and "->" has no escape:
        # only a lone full-credit answer without feedback can be written bare.
        if len(out) == 1 and answers[0].fraction == 1.0 \
                and not self.feedback(answers[0].feedback, "answer.1.feedback"):
            bare = out[0][len("=%100%"):]
            if not bare.startswith("%") and bare not in _TRUEFALSE:
                return [bare]
        raise ValueError(f'question "{self.q.id}": GIFT cannot write "->" in a short answer '
                         "question with several answers, a weight or answer feedback")

    def numeric(self) -> list[str]:
        out = []
        answers = self.q.numeric_answers
        for k, a in enumerate(answers):
            fb = self.feedback(a.feedback, f"answer.{a.id}.feedback")
            if a.is_catch_all and a.fraction == 0 and k == len(answers) - 1:
                out.append(f"~{fb or '#'}")
                continue
            if a.is_catch_all:
                number = "*"
            elif a.is_range:
                number = f"{_number(a.min or 0.0)}..{_number(a.max or 0.0)}"
            else:
                number = f"{_number(a.value or 0.0)}:{_number(a.tolerance)}"
            out.append(f"=%{_percent(a.fraction)}%{number}{fb}")
        return ["#"] + out

    def matching(self) -> list[str]:
        out = []
        for p in self.q.pairs:
            left = self.part(p.left, f"pair.{p.id}.left") or self.need(p.left, f"pair {p.id}")
            if "->" in left:
                raise ValueError(f'question "{self.q.id}": GIFT cannot write "->" on the left '
                                 f"of a matching pair (pair {p.id})")
            right = _escape(self.need(p.right, f"pair {p.id}").strip())
            out.append(f"={left} -> {right}")
        for dist in self.q.distractors:
            out.append(f"= -> {_escape(self.need(dist.text, f'distractor {dist.id}').strip())}")
        return out

    def answer_lines(self) -> list[str]:
        t = self.q.type
        if t in ("single", "multiple"):
            return self.choices()
        return {"truefalse": self.truefalse, "short": self.short, "numeric": self.numeric,
                "matching": self.matching}.get(t, list)()

    def write(self) -> str:
        q = self.q
        meta = " ".join([f"[id:{q.id}]"] + [f"[tag:{t}]" for t in q.tags])
        head = f"// {meta}\n"
        text = _with_format(self.need(q.text, "the question text"), q.text_format, DEFAULT_FORMAT)
        name = f"::{_escape(q.name)}::" if q.name else ""
        if not name and text.startswith(("//", "$CATEGORY:")):
            name = "::::"  # an empty name keeps the text from reading as a comment
        if q.type == "description":
            return head + name + text
        lines = self.answer_lines()
        general = self.part(q.feedback, "feedback")
        if general:
            lines.append(f"####{general}")
        if lines and lines[0].startswith("//"):
            block = "{" + "\n\t".join(lines) + "\n}"  # on a line of its own it would be a comment
        else:
            block = "{" + ("\n\t" + "\n\t".join(lines) + "\n" if lines else "") + "}"
        before, found, after = text.partition(BLANK)
        if found and after.strip():
            return head + name + before + block + after
        return head + name + text + block


def export_gift(questions: Iterable[QuestionSpec], lang: str) -> str:
    """Write questions in GIFT, texts in `lang`.

    Reading the result back with parse_gift() gives the same questions, except
    for what GIFT cannot say: points, `exact` short answers, answers missing
    in `lang`, and choice/pair/item ids (they become positional; question ids
    survive in a `// [id:...]` comment).  Ordering questions have no GIFT
    form and are left out with a comment.  Raises ValueError when a required
    text has no `lang` version, or for "->" where GIFT cannot escape it (the
    left side of a pair; a short answer unless it is the only one).
    """
    out: list[str] = []
    category: str | None = None
    for q in questions:
        if q.category and q.category != category:
            out.append(f"$CATEGORY: {q.category}")
            category = q.category
        if q.type == "ordering":
            out.append(f'// question "{q.id}" is an ordering question: GIFT has none, left out')
            continue
        out.append(_Writer(q, lang).write())
    return "\n\n".join(out) + "\n" if out else ""


# --------------------------------------------------------------------------
# JSON view (backs `flask lms gift check FILE --json`)
# --------------------------------------------------------------------------

def _one(texts: Texts, lang: str | None) -> str:
    if lang is not None:
        return texts.get(lang, "")
    return next(iter(texts.values()), "")


def _answers_json(q: QuestionSpec, lang: str | None) -> list[dict[str, Any]]:
    if q.type in ("single", "multiple"):
        return [{"id": c.id, "text": _one(c.text, lang), "fraction": c.fraction,
                 "feedback": _one(c.feedback, lang)} for c in q.choices]
    if q.type == "truefalse":
        return [{"text": "true", "fraction": 1.0 if q.answer else 0.0,
                 "feedback": _one(q.true_feedback, lang)},
                {"text": "false", "fraction": 0.0 if q.answer else 1.0,
                 "feedback": _one(q.false_feedback, lang)}]
    if q.type == "short":
        return [{"id": a.id, "text": _one(a.text, lang), "fraction": a.fraction,
                 "feedback": _one(a.feedback, lang)} for a in q.short_answers]
    if q.type == "numeric":
        return [_numeric_json(a, lang) for a in q.numeric_answers]
    return []


def _numeric_json(a: NumericAnswer, lang: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": a.id, "fraction": a.fraction, "feedback": _one(a.feedback, lang)}
    if a.is_catch_all:
        entry["text"] = "*"
    elif a.is_range:
        entry["text"] = f"{_number(a.min or 0.0)}..{_number(a.max or 0.0)}"
        entry["range"] = [a.min, a.max]
    else:
        entry["text"] = _number(a.value or 0.0)
        entry["tolerance"] = a.tolerance
    return entry


def gift_to_json(questions: Iterable[QuestionSpec], lang: str | None = None) -> list[dict[str, Any]]:
    """A JSON-ready summary of each question (`lang` None: its only language).

    Fractions are from -1 to 1.  Numeric answers carry `tolerance` or
    `range`; matching questions carry `pairs` (and `distractors`).
    """
    out = []
    for q in questions:
        entry: dict[str, Any] = {
            "id": q.id, "type": q.type, "name": q.name, "category": q.category,
            "format": q.text_format, "text": _one(q.text, lang),
            "answers": _answers_json(q, lang),
            "general_feedback": _one(q.feedback, lang),
        }
        if q.type == "matching":
            entry["pairs"] = [{"id": p.id, "left": _one(p.left, lang), "right": _one(p.right, lang)}
                              for p in q.pairs]
            entry["distractors"] = [_one(dist.text, lang) for dist in q.distractors]
        if q.type == "ordering":
            entry["items"] = [{"id": it.id, "text": _one(it.text, lang)} for it in q.items]
        if q.tags:
            entry["tags"] = list(q.tags)
        out.append(entry)
    return out
