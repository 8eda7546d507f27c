"""The quiz spec: a quiz, its questions and their parts, as frozen dataclasses,
and the names and rules they draw on (question types, grading policies, ids)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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
