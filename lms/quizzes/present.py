"""Questions as a reader sees them: texts in the reader's language, the
attempt's own order, what was answered and, when the settings allow, marks,
feedback and the right answers.

Nothing here queries the database: the service loads questions with their
texts first.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.i18n import current_language, pick
from lms.quizzes.attempts import display_order, field_name, to_grader
from lms.quizzes.convert import question_spec
from lms.quizzes.grading import correct_response, grade_question
from lms.quizzes.models import Question


@dataclass
class Answer:
    """What was answered to one question, and its grade once graded."""
    response: Any = None
    fraction: float | None = None
    score: float | None = None
    comment: str | None = None
    graded: bool = False


@dataclass
class Option:
    index: int
    id: str
    html: Markup
    selected: bool = False
    correct: bool = False
    feedback: Markup | None = None
    position: int | None = None  # matching: chosen option index; ordering: position given


@dataclass
class QuestionView:
    number: int
    question: Question
    field: str
    language: str
    other_language: bool
    text_html: Markup
    choices: list[Option] = field(default_factory=list)
    lefts: list[Option] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    items: list[Option] = field(default_factory=list)
    value: str = ""
    # After submission
    answer: Answer | None = None
    reveal: bool = False
    given: list[Markup] = field(default_factory=list)
    correct: list[Markup] = field(default_factory=list)
    feedback: list[Markup] = field(default_factory=list)
    general_feedback: Markup | None = None

    @property
    def type(self) -> str:
        return self.question.type

    @property
    def points(self) -> float:
        return self.question.points

    @property
    def positions(self) -> range:
        return range(1, len(self.items) + 1)

    @property
    def needs_grading(self) -> bool:
        return (self.type == "essay" and self.answer is not None and self.answer.graded
                and self.answer.fraction is None and bool(self.answer.response))

    @property
    def outcome(self) -> str:
        """right, partial, wrong, waiting or none (descriptions)."""
        if self.type == "description" or self.answer is None:
            return "none"
        if self.needs_grading:
            return "waiting"
        fraction = self.answer.fraction or 0.0
        return "right" if fraction >= 1.0 else "partial" if fraction > 0 else "wrong"


class _Parts:
    """One question's rendered texts in the reader's language, falling back
    part by part to another language."""

    def __init__(self, question: Question, reader: str):
        variants = question.text_by_language()
        self.text, self.language = pick(variants, reader)
        self.order = [self.text] + [v for v in variants.values() if v is not self.text]

    def get(self, *path: str) -> Markup | None:
        for variant in self.order:
            value: Any = variant.parts_html if variant is not None else None
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value:
                return Markup(value)  # noqa: S704 - rendered and sanitised at import
        return None


def _yes_no(value: Any) -> str:
    return _("True") if value in (True, "true") else _("False")


def _number(value: float | None) -> str:
    return format_decimal(value) if value is not None else ""


def question_views(questions: list[Question], layout: Mapping[str, Any] | None,
                   answers: Mapping[int, Answer], reveal: bool = False,
                   reader: str | None = None) -> list[QuestionView]:
    reader = reader or current_language()
    return [question_view(number, q, layout, answers.get(q.id), reveal, reader)
            for number, q in enumerate(questions, start=1)]


def question_view(number: int, q: Question, layout: Mapping[str, Any] | None, answer: Answer | None,
                  reveal: bool, reader: str) -> QuestionView:
    parts = _Parts(q, reader)
    language = parts.language or reader
    view = QuestionView(number=number, question=q, field=field_name(q), language=language,
                        other_language=language != reader,
                        text_html=Markup(parts.text.text_html) if parts.text else Markup(""),  # noqa: S704
                        answer=answer, reveal=reveal)
    raw = answer.response if answer else None
    if q.type in ("single", "multiple"):
        picked = {raw} if isinstance(raw, str) else set(raw or [])
        for index, cid in enumerate(display_order(layout, "choices", q)):
            view.choices.append(Option(index, cid, parts.get("choices", cid, "text") or Markup(""),
                                       selected=cid in picked))
    elif q.type in ("short", "numeric", "essay", "truefalse"):
        view.value = raw if isinstance(raw, str) else ""
    elif q.type == "matching":
        options = display_order(layout, "options", q)
        pairs = list((q.grading or {}).get("pairs", []))
        for index, oid in enumerate(options):
            text = parts.get("pairs", oid, "right") if oid in pairs else parts.get("distractors", oid)
            view.options.append(Option(index, oid, text or Markup("")))
        chosen = raw if isinstance(raw, Mapping) else {}
        for index, pid in enumerate(pairs):
            picked = chosen.get(pid)
            view.lefts.append(Option(index, pid, parts.get("pairs", pid, "left") or Markup(""),
                                     position=options.index(picked) if picked in options else None))
    elif q.type == "ordering":
        given = raw if isinstance(raw, Mapping) else {}
        for index, iid in enumerate(display_order(layout, "items", q)):
            position = given.get(iid)
            view.items.append(Option(index, iid, parts.get("items", iid) or Markup(""),
                                     position=position if isinstance(position, int) else None))
    if answer is not None and answer.graded:
        _describe_answer(view, parts, layout)
        if reveal:
            _reveal(view, parts, layout)
    return view


def _option_text(view: QuestionView, option_id: str | None) -> Markup:
    for option in view.options:
        if option.id == option_id:
            return option.html
    return Markup("—")


def _describe_answer(view: QuestionView, parts: _Parts, layout) -> None:
    """The learner's own answer, in words (shown on the result page)."""
    raw = view.answer.response if view.answer else None
    q = view.question
    if raw in (None, "", [], {}):
        view.given = [escape(_("No answer"))]
    elif q.type == "truefalse":
        view.given = [escape(_yes_no(raw))]
    elif q.type in ("short", "numeric", "essay"):
        view.given = [escape(str(raw))]
    elif q.type == "matching":
        view.given = [left.html + Markup(" → ") + _option_text(view, view.options[left.position].id
                                                                if left.position is not None else None)
                      for left in view.lefts]
    elif q.type == "ordering":
        order = to_grader(q, raw, layout) or []
        texts = {item.id: item.html for item in view.items}
        view.given = [texts[iid] for iid in order if iid in texts]


def _reveal(view: QuestionView, parts: _Parts, layout) -> None:
    """Marks, feedback and the right answer, when the quiz settings allow."""
    q = view.question
    spec = question_spec(q)
    raw = view.answer.response if view.answer else None
    grade = grade_question(spec, to_grader(q, raw, layout))
    right = correct_response(spec)
    for key in grade.feedback_keys:
        if q.type in ("single", "multiple"):
            html = parts.get("choices", key, "feedback")
        elif q.type == "truefalse":
            html = parts.get(f"{key}_feedback")
        else:
            html = parts.get("answers", key, "feedback")
        if html:
            view.feedback.append(html)
    view.general_feedback = parts.get("feedback")
    if q.type in ("single", "multiple"):
        for choice in view.choices:
            choice.correct = choice.id in right.choice_ids
            if choice.selected:
                choice.feedback = parts.get("choices", choice.id, "feedback")
        view.feedback = []  # shown beside each picked choice instead
    elif q.type == "truefalse":
        view.correct = [escape(_yes_no(right.answer))]
    elif q.type == "short":
        view.correct = [parts.get("answers", a.id, "text") or escape(next(iter(a.text.values()), ""))
                        for a in right.short_answers]
    elif q.type == "numeric":
        for a in right.numeric_answers:
            if a.is_range:
                view.correct.append(escape(f"{_number(a.min)} – {_number(a.max)}"))
            elif a.tolerance:
                view.correct.append(escape(f"{_number(a.value)} ± {_number(a.tolerance)}"))
            else:
                view.correct.append(escape(_number(a.value)))
    elif q.type == "matching":
        view.correct = [left.html + Markup(" → ") + _option_text(view, right.matches.get(left.id))
                        for left in view.lefts]
    elif q.type == "ordering":
        texts = {item.id: item.html for item in view.items}
        view.correct = [texts[iid] for iid in right.order if iid in texts]
