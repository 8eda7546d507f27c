"""Between the question editor's form and the quiz package's QuestionSpec."""
from __future__ import annotations

import string

from lms.quizzes.spec import (Choice, Distractor, MatchPair, NumericAnswer, OrderItem, QuestionSpec,
                              ShortAnswer)

LANGUAGES = ("es", "en")
BLANK_ROWS = 2


def _texts(values: dict[str, str | None]) -> dict[str, str]:
    return {lang: text.strip() for lang, text in values.items() if text and text.strip()}


def _pair(row, prefix: str) -> dict[str, str]:
    return _texts({lang: row.get(f"{prefix}_{lang}") for lang in LANGUAGES})


def _split(texts: dict[str, str], prefix: str) -> dict[str, str]:
    return {f"{prefix}_{lang}": texts.get(lang, "") for lang in LANGUAGES}


def form_data(q: QuestionSpec) -> dict:
    """The editor's initial data for a question."""
    data = {"points": q.points, **_split(q.text, "text"), **_split(q.feedback, "feedback"),
            "answer": "true" if q.answer else "false",
            **_split(q.true_feedback, "true_feedback"), **_split(q.false_feedback, "false_feedback")}
    rows: list[dict] = []
    if q.type in ("single", "multiple"):
        rows = [{"id": c.id, **_split(c.text, "text"), "fraction": c.fraction, **_split(c.feedback, "feedback")}
                for c in q.choices]
    elif q.type == "short":
        rows = [{**_split(a.text, "text"), "fraction": a.fraction, "exact": a.exact,
                 **_split(a.feedback, "feedback")} for a in q.short_answers]
    elif q.type == "numeric":
        rows = [{"value": a.value, "tolerance": a.tolerance if not a.is_range else None, "low": a.min,
                 "high": a.max, "fraction": a.fraction, **_split(a.feedback, "feedback")} for a in q.numeric_answers]
    elif q.type == "matching":
        rows = [{"id": p.id, **_split(p.left, "text"), **_split(p.right, "right")} for p in q.pairs]
    elif q.type == "ordering":
        rows = [{"id": item.id, **_split(item.text, "text")} for item in q.items]
    data["rows"] = rows + [{} for _ in range(BLANK_ROWS)]
    data["distractors"] = [_split(d.text, "text") for d in q.distractors] + [{} for _ in range(BLANK_ROWS)]
    return data


def _next_ids(used: set[str], letters: bool):
    pool = (list(string.ascii_lowercase) + [f"z{n}" for n in range(1, 100)]) if letters else \
        [str(n) for n in range(1, 200)]
    for candidate in pool:
        if candidate not in used:
            used.add(candidate)
            yield candidate


def question_from_form(form, key: str, qtype: str) -> QuestionSpec:
    """A QuestionSpec from what the editor sent (blank rows left out)."""
    rows = [entry.data for entry in form.rows.entries]
    kwargs: dict = {
        "id": key, "type": qtype,
        # Points the form refused (too many, not a number) are not previewed either.
        "points": float(form.points.data) if form.points.data is not None and not form.points.errors
        else (0.0 if qtype == "description" else 1.0),
        "text": _texts({lang: getattr(form, f"text_{lang}").data for lang in LANGUAGES}),
        "feedback": _texts({lang: getattr(form, f"feedback_{lang}").data for lang in LANGUAGES}),
    }
    if qtype in ("single", "multiple"):
        filled = [row for row in rows if _pair(row, "text")]
        ids = _next_ids({row["id"] for row in filled if row.get("id")}, letters=True)
        kwargs["choices"] = tuple(
            Choice(row.get("id") or next(ids), _pair(row, "text"), float(row.get("fraction") or 0.0),
                   _pair(row, "feedback")) for row in filled)
    elif qtype == "truefalse":
        kwargs.update(answer=form.answer.data == "true",
                      true_feedback=_texts({lang: getattr(form, f"true_feedback_{lang}").data for lang in LANGUAGES}),
                      false_feedback=_texts({lang: getattr(form, f"false_feedback_{lang}").data
                                             for lang in LANGUAGES}))
    elif qtype == "short":
        filled = [row for row in rows if _pair(row, "text")]
        kwargs["short_answers"] = tuple(
            ShortAnswer(str(n), _pair(row, "text"), float(row["fraction"]) if row.get("fraction") is not None else 1.0,
                        _pair(row, "feedback"), bool(row.get("exact")))
            for n, row in enumerate(filled, start=1))
    elif qtype == "numeric":
        filled = [row for row in rows if row.get("value") is not None or row.get("low") is not None
                  or row.get("high") is not None]
        answers = []
        for n, row in enumerate(filled, start=1):
            fraction = float(row["fraction"]) if row.get("fraction") is not None else 1.0
            if row.get("value") is not None:
                answers.append(NumericAnswer(str(n), fraction, value=float(row["value"]),
                                             tolerance=float(row.get("tolerance") or 0.0),
                                             feedback=_pair(row, "feedback")))
            else:
                answers.append(NumericAnswer(str(n), fraction, min=row.get("low"), max=row.get("high"),
                                             feedback=_pair(row, "feedback")))
        kwargs["numeric_answers"] = tuple(answers)
    elif qtype == "matching":
        filled = [row for row in rows if _pair(row, "text") or _pair(row, "right")]
        ids = _next_ids({row["id"] for row in filled if row.get("id")}, letters=False)
        kwargs["pairs"] = tuple(MatchPair(row.get("id") or next(ids), _pair(row, "text"), _pair(row, "right"))
                                for row in filled)
        distractors = [entry.data for entry in form.distractors.entries if _pair(entry.data, "text")]
        kwargs["distractors"] = tuple(Distractor(f"d{n}", _pair(row, "text"))
                                      for n, row in enumerate(distractors, start=1))
    elif qtype == "ordering":
        filled = [row for row in rows if _pair(row, "text")]
        ids = _next_ids({row["id"] for row in filled if row.get("id")}, letters=False)
        kwargs["items"] = tuple(OrderItem(row.get("id") or next(ids), _pair(row, "text")) for row in filled)
    return QuestionSpec(**kwargs)
