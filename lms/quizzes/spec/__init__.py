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

The package: model.py (the dataclasses and the names they use), checks.py
(semantic checks, shared with the GIFT importer), toml_locator.py (lines of
keys and of syntax errors), values.py and reader.py (quiz.toml).  Import
from `lms.quizzes.spec`, which gives all of them.
"""
from lms.quizzes.spec.checks import Issue, question_issues
from lms.quizzes.spec.model import (GRADING_POLICIES, ID_PATTERN, ID_RULE, LANGUAGES, QUESTION_TYPES,
                                    SHOW_ANSWERS, SUM_TOLERANCE, TEXT_FORMATS, Choice, Distractor, MatchPair,
                                    NumericAnswer, OrderItem, PathPart, QuestionSpec, QuizSpec, ShortAnswer,
                                    Texts)
from lms.quizzes.spec.reader import parse_quiz, parse_quiz_file
from lms.quizzes.spec.toml_locator import TomlLocator, toml_error_problem

__all__ = [
    "GRADING_POLICIES", "ID_PATTERN", "ID_RULE", "LANGUAGES", "QUESTION_TYPES", "SHOW_ANSWERS",
    "SUM_TOLERANCE", "TEXT_FORMATS", "Choice", "Distractor", "Issue", "MatchPair", "NumericAnswer",
    "OrderItem", "PathPart", "QuestionSpec", "QuizSpec", "ShortAnswer", "Texts", "TomlLocator", "parse_quiz",
    "parse_quiz_file", "question_issues", "toml_error_problem",
]
