"""Reading quiz.toml (docs/content-format.md) into a QuizSpec, collecting every
problem, each with the line it is about, before raising ContentError."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from lms.content.errors import ContentError, ContentProblem
from lms.quizzes.spec.checks import question_issues
from lms.quizzes.spec.model import (GRADING_POLICIES, ID_PATTERN, ID_RULE, LANGUAGES, QUESTION_TYPES,
                                    SHOW_ANSWERS, Choice, Distractor, MatchPair, NumericAnswer, OrderItem,
                                    QuestionSpec, QuizSpec, ShortAnswer)
from lms.quizzes.spec.toml_locator import toml_error_problem
from lms.quizzes.spec.values import _MISSING, Table, ValueReader, Where

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

Parts = dict[str, Any]  # QuestionSpec keyword arguments of one question type


class _QuizReader(ValueReader):
    """Reads one quiz.toml document, collecting every problem it finds."""

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
