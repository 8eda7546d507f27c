"""Between the quiz spec (files, GIFT, grading) and the database rows.

`grading_data()` and `text_parts()` split a QuestionSpec into what decides
a score (stored on Question) and what it says in one language (stored on
QuestionText); `question_spec()` puts them back together for grading and
export. Texts are rendered once here, at import, through the one sanitiser.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import nh3
from markupsafe import Markup, escape

from lms.content.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES, render_markdown
from lms.quizzes.spec import (
    Choice, Distractor, MatchPair, NumericAnswer, OrderItem, QuestionSpec, QuizSpec, ShortAnswer,
    Texts,
)

TITLE_LENGTH = 120


# Rendering ----------------------------------------------------------------------------

def render_text(text: str | None, fmt: str = "markdown") -> Markup:
    """A question text in its format, as safe HTML.

    Markdown goes through render_markdown; GIFT's html and moodle formats are
    HTML already and get the same sanitiser; plain text is escaped.
    """
    text = text or ""
    if fmt == "plain":
        paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
        return Markup("").join(
            Markup("<p>") + Markup("<br>").join(escape(line) for line in p.split("\n")) + Markup("</p>")
            for p in paragraphs)
    if fmt in ("html", "moodle"):
        if fmt == "moodle":
            text = text.replace("\n", "<br>\n")
        clean = nh3.clean(text, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                          url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow",
                          strip_comments=True)
        return Markup(clean)  # noqa: S704 - sanitised just above
    return render_markdown(text)


def render_inline(text: str | None, fmt: str = "markdown") -> Markup:
    """Like render_text, without the paragraph around a one-paragraph text
    (choices sit inside labels)."""
    rendered = str(render_text(text, fmt)).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return Markup(rendered)  # noqa: S704 - already sanitised


def plain_text(text: str | None, fmt: str = "markdown") -> str:
    """The text without markup, for <option> elements and titles."""
    stripped = nh3.clean(str(render_text(text, fmt)), tags=set())
    return " ".join(html.unescape(stripped).split())


# Spec -> rows -----------------------------------------------------------------------

def _n(value: float | None) -> float | None:
    return None if value is None else float(value)


def grading_data(q: QuestionSpec) -> dict[str, Any]:
    """What decides the score of `q`, in no language."""
    data: dict[str, Any] = {}
    if q.type in ("single", "multiple"):
        data["choices"] = [{"id": c.id, "fraction": float(c.fraction)} for c in q.choices]
    elif q.type == "truefalse":
        data["answer"] = bool(q.answer)
    elif q.type == "short":
        data["answers"] = [{"id": a.id, "fraction": float(a.fraction), "exact": bool(a.exact)}
                           for a in q.short_answers]
    elif q.type == "numeric":
        data["answers"] = [{"id": a.id, "fraction": float(a.fraction), "value": _n(a.value),
                            "tolerance": float(a.tolerance), "min": _n(a.min), "max": _n(a.max)}
                           for a in q.numeric_answers]
    elif q.type == "matching":
        data["pairs"] = [p.id for p in q.pairs]
        data["distractors"] = [d.id for d in q.distractors]
    elif q.type == "ordering":
        data["items"] = [item.id for item in q.items]
    gift = {}
    if q.category:
        gift["category"] = q.category
    if q.tags:
        gift["tags"] = list(q.tags)
    if q.part_formats:
        gift["part_formats"] = dict(q.part_formats)
    if gift:
        data["gift"] = gift
    return data


def _in(texts: Texts, lang: str) -> str | None:
    """The text in `lang`, else in any language the author gave, else None."""
    if lang in texts:
        return texts[lang]
    return next(iter(texts.values()), None)


def question_languages(q: QuestionSpec) -> list[str]:
    return sorted(q.text)


def text_parts(q: QuestionSpec, lang: str) -> dict[str, Any]:
    """Every text of `q` in `lang` (a part missing in `lang` falls back to
    another language, so one variant is always complete)."""
    parts: dict[str, Any] = {"feedback": _in(q.feedback, lang)}
    if q.name:
        parts["name"] = q.name
    if q.type in ("single", "multiple"):
        parts["choices"] = {c.id: {"text": _in(c.text, lang), "feedback": _in(c.feedback, lang)}
                            for c in q.choices}
    elif q.type == "truefalse":
        parts["true_feedback"] = _in(q.true_feedback, lang)
        parts["false_feedback"] = _in(q.false_feedback, lang)
    elif q.type == "short":
        parts["answers"] = {a.id: {"text": _in(a.text, lang), "feedback": _in(a.feedback, lang)}
                            for a in q.short_answers}
    elif q.type == "numeric":
        parts["answers"] = {a.id: {"text": None, "feedback": _in(a.feedback, lang)}
                            for a in q.numeric_answers}
    elif q.type == "matching":
        parts["pairs"] = {p.id: {"left": _in(p.left, lang), "right": _in(p.right, lang)} for p in q.pairs}
        parts["distractors"] = {d.id: _in(d.text, lang) for d in q.distractors}
    elif q.type == "ordering":
        parts["items"] = {item.id: _in(item.text, lang) for item in q.items}
    return parts


def _fmt(part_formats: dict[str, str], key: str, default: str) -> str:
    return part_formats.get(key, default)


def parts_html(parts: dict[str, Any], fmt: str, part_formats: dict[str, str] | None = None) -> dict[str, Any]:
    """`parts` rendered as safe HTML; matching options and short answers as
    escaped plain text (they go into <option> elements and lists)."""
    pf = part_formats or {}

    def block(value, key):
        return None if value is None else str(render_text(value, _fmt(pf, key, fmt)))

    def inline(value, key):
        return None if value is None else str(render_inline(value, _fmt(pf, key, fmt)))

    def plain(value, key):
        # Escaped: everything in parts_html is safe to show as it is.
        return None if value is None else str(escape(plain_text(value, _fmt(pf, key, fmt))))

    out: dict[str, Any] = {"feedback": block(parts.get("feedback"), "feedback")}
    if "choices" in parts:
        out["choices"] = {cid: {"text": inline(c.get("text"), f"choice.{cid}"),
                                "feedback": block(c.get("feedback"), f"choice.{cid}.feedback")}
                          for cid, c in parts["choices"].items()}
    for key in ("true_feedback", "false_feedback"):
        if key in parts:
            out[key] = block(parts[key], key)
    if "answers" in parts:
        out["answers"] = {aid: {"text": plain(a.get("text"), f"answer.{aid}"),
                                "feedback": block(a.get("feedback"), f"answer.{aid}.feedback")}
                          for aid, a in parts["answers"].items()}
    if "pairs" in parts:
        out["pairs"] = {pid: {"left": inline(p.get("left"), f"pair.{pid}.left"),
                              "right": plain(p.get("right"), f"pair.{pid}.right")}
                        for pid, p in parts["pairs"].items()}
    if "distractors" in parts:
        out["distractors"] = {did: plain(text, f"distractor.{did}") for did, text in parts["distractors"].items()}
    if "items" in parts:
        out["items"] = {iid: inline(text, f"item.{iid}") for iid, text in parts["items"].items()}
    return out


def title_for(q: QuestionSpec, lang: str) -> str:
    """A short plain label for trainers' lists."""
    if q.name:
        return q.name[:300]
    text = plain_text(_in(q.text, lang), q.text_format)
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH - 1].rstrip() + "…"


def quiz_settings(spec: QuizSpec) -> dict[str, Any]:
    return {"pass_mark": float(spec.pass_mark), "max_attempts": int(spec.max_attempts),
            "grading": spec.grading, "shuffle_questions": bool(spec.shuffle_questions),
            "shuffle_choices": bool(spec.shuffle_choices), "draw": int(spec.draw),
            "time_limit_minutes": int(spec.time_limit_minutes), "show_answers": spec.show_answers}


DEFAULT_SETTINGS = quiz_settings(QuizSpec(title={}, questions=()))


# Rows -> spec -----------------------------------------------------------------------

class _Texts:
    """Reads one part from every language's parts."""

    def __init__(self, texts: Iterable[Any]):
        self.by_language = {t.language: (t.parts or {}) for t in texts}

    def get(self, *path: str) -> Texts:
        out = {}
        for language, parts in self.by_language.items():
            value: Any = parts
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                out[language] = value
        return out


def question_spec(question: Any, texts: Iterable[Any] | None = None,
                  name_language: str | None = None) -> QuestionSpec:
    """The QuestionSpec of a stored question (grading data + every language's texts)."""
    texts = list(question.texts if texts is None else texts)
    t = _Texts(texts)
    g = question.grading or {}
    gift = g.get("gift", {})
    names = t.get("name")
    name = (names.get(name_language) if name_language else None) or next(iter(names.values()), None)
    kwargs: dict[str, Any] = {
        "id": question.key, "type": question.type, "points": float(question.points),
        "text": {text.language: text.text for text in texts if text.text},
        "feedback": t.get("feedback"), "text_format": question.text_format or "markdown",
        "part_formats": dict(gift.get("part_formats", {})), "name": name,
        "category": gift.get("category"), "tags": tuple(gift.get("tags", ())),
    }
    qt = question.type
    if qt in ("single", "multiple"):
        kwargs["choices"] = tuple(
            Choice(c["id"], t.get("choices", c["id"], "text"), float(c["fraction"]),
                   t.get("choices", c["id"], "feedback")) for c in g.get("choices", []))
    elif qt == "truefalse":
        kwargs.update(answer=bool(g.get("answer")), true_feedback=t.get("true_feedback"),
                      false_feedback=t.get("false_feedback"))
    elif qt == "short":
        kwargs["short_answers"] = tuple(
            ShortAnswer(a["id"], t.get("answers", a["id"], "text"), float(a["fraction"]),
                        t.get("answers", a["id"], "feedback"), bool(a.get("exact")))
            for a in g.get("answers", []))
    elif qt == "numeric":
        kwargs["numeric_answers"] = tuple(
            NumericAnswer(a["id"], float(a["fraction"]), value=a.get("value"),
                          tolerance=float(a.get("tolerance") or 0.0), min=a.get("min"), max=a.get("max"),
                          feedback=t.get("answers", a["id"], "feedback"))
            for a in g.get("answers", []))
    elif qt == "matching":
        kwargs["pairs"] = tuple(MatchPair(pid, t.get("pairs", pid, "left"), t.get("pairs", pid, "right"))
                                for pid in g.get("pairs", []))
        kwargs["distractors"] = tuple(Distractor(did, t.get("distractors", did))
                                      for did in g.get("distractors", []))
    elif qt == "ordering":
        kwargs["items"] = tuple(OrderItem(iid, t.get("items", iid)) for iid in g.get("items", []))
    return QuestionSpec(**kwargs)


# Comparing a GIFT question with a stored one -------------------------------------

def structure(q: QuestionSpec) -> tuple:
    """What a translation must not change, by position (GIFT numbers its
    choices a, b, c; the course files name them)."""
    def r(x):
        return None if x is None else round(float(x), 6)
    if q.type in ("single", "multiple"):
        return (q.type, tuple(r(c.fraction) for c in q.choices))
    if q.type == "truefalse":
        return (q.type, bool(q.answer))
    if q.type == "short":
        return (q.type, tuple(r(a.fraction) for a in q.short_answers))
    if q.type == "numeric":
        return (q.type, tuple((r(a.fraction), r(a.value), r(a.tolerance), r(a.min), r(a.max))
                              for a in q.numeric_answers))
    if q.type == "matching":
        return (q.type, len(q.pairs), len(q.distractors))
    if q.type == "ordering":
        return (q.type, len(q.items))
    return (q.type,)


def with_ids_of(new: QuestionSpec, old: QuestionSpec) -> QuestionSpec:
    """`new` with the part ids of `old`, matched by position (same structure)."""
    from dataclasses import replace

    return replace(
        new,
        choices=tuple(replace(c, id=o.id) for c, o in zip(new.choices, old.choices)),
        short_answers=tuple(replace(a, id=o.id) for a, o in zip(new.short_answers, old.short_answers)),
        numeric_answers=tuple(replace(a, id=o.id) for a, o in zip(new.numeric_answers, old.numeric_answers)),
        pairs=tuple(replace(p, id=o.id) for p, o in zip(new.pairs, old.pairs)),
        distractors=tuple(replace(d, id=o.id) for d, o in zip(new.distractors, old.distractors)),
        items=tuple(replace(i, id=o.id) for i, o in zip(new.items, old.items)),
    )
