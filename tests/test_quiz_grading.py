"""Grading (lms.quizzes.grading); plain pytest, no Flask."""
from __future__ import annotations

from decimal import Decimal

import pytest

from lms.quizzes.grading import (
    Grade,
    correct_response,
    grade_question,
    kept_grade,
    manual_grade,
    normalize_answer,
    parse_number,
    passed,
    quiz_score,
)
from lms.quizzes.spec import (
    Choice,
    Distractor,
    MatchPair,
    NumericAnswer,
    OrderItem,
    QuestionSpec,
    ShortAnswer,
)


def t(es: str, en: str | None = None) -> dict[str, str]:
    return {"es": es, "en": en if en is not None else es}


SINGLE = QuestionSpec(id="single", type="single", text=t("?"), points=2, choices=(
    Choice("right", t("bien"), 1.0, t("¡Sí!")),
    Choice("half", t("medio"), 0.5),
    Choice("bad", t("mal"), -0.5),
    Choice("wrong", t("no"), 0.0),
))

MULTIPLE = QuestionSpec(id="multiple", type="multiple", text=t("?"), choices=(
    Choice("a", t("a"), 0.5),
    Choice("b", t("b"), 0.5),
    Choice("x", t("x"), -0.5),
    Choice("y", t("y"), -1.0),
))

THIRDS = QuestionSpec(id="thirds", type="multiple", text=t("?"), choices=(
    Choice("a", t("a"), 0.333), Choice("b", t("b"), 0.333), Choice("c", t("c"), 0.333),
))

TRUEFALSE = QuestionSpec(id="tf", type="truefalse", text=t("?"), answer=False)

SHORT = QuestionSpec(id="short", type="short", text=t("?"), short_answers=(
    ShortAnswer("1", t("Energía", "Energy")),
    ShortAnswer("2", t("Cacao fino de aroma", "Fine flavour cocoa")),
    ShortAnswer("3", t("energía solar", "solar energy"), 0.5, t("Casi", "Nearly")),
))

EXACT = QuestionSpec(id="exact", type="short", text=t("?"), short_answers=(
    ShortAnswer("1", t("S3"), exact=True),
))

CATCH_ALL = QuestionSpec(id="catch", type="short", text={"en": "Best animal?"}, short_answers=(
    ShortAnswer("1", {"en": "Frog"}, 1.0),
    ShortAnswer("2", {"en": "Cat"}, 0.5),
    ShortAnswer("3", {"en": "*"}, 0.0, {"en": "Completely wrong"}),
))

NUMERIC = QuestionSpec(id="pi", type="numeric", text=t("π?"), numeric_answers=(
    NumericAnswer("1", 1.0, value=3.5, tolerance=0.1),
))

RANGE = QuestionSpec(id="range", type="numeric", text=t("?"), numeric_answers=(
    NumericAnswer("1", 1.0, min=-5, max=5),
))

GRANT = QuestionSpec(id="grant", type="numeric", text=t("Born?"), numeric_answers=(
    NumericAnswer("1", 1.0, value=1822, tolerance=0),
    NumericAnswer("2", 0.5, value=1822, tolerance=2),
    NumericAnswer("3", 0.0, feedback=t("Muy lejos", "Far off")),
))

MATCHING = QuestionSpec(id="match", type="matching", text=t("?"), points=4, pairs=(
    MatchPair("1", t("Canadá", "Canada"), t("Ottawa")),
    MatchPair("2", t("Italia", "Italy"), t("Roma", "Rome")),
    MatchPair("3", t("Japón", "Japan"), t("Tokio", "Tokyo")),
    MatchPair("4", t("India"), t("Nueva Delhi", "New Delhi")),
), distractors=(Distractor("d1", t("París", "Paris")),))

SAME_RIGHT = QuestionSpec(id="animals", type="matching", text=t("?"), pairs=(
    MatchPair("1", t("gato", "cat"), t("animal")),
    MatchPair("2", t("perro", "dog"), t("animal")),
    MatchPair("3", t("roble", "oak"), t("planta", "plant")),
))

ORDERING = QuestionSpec(id="order", type="ordering", text=t("?"), items=tuple(
    OrderItem(str(i), t(f"paso {i}", f"step {i}")) for i in range(1, 6)))

ESSAY = QuestionSpec(id="essay", type="essay", text=t("Explique", "Explain"), points=3)
DESCRIPTION = QuestionSpec(id="intro", type="description", text=t("Lea", "Read"), points=0)

ALL = [SINGLE, MULTIPLE, THIRDS, TRUEFALSE, SHORT, EXACT, CATCH_ALL, NUMERIC, RANGE, GRANT,
       MATCHING, SAME_RIGHT, ORDERING, ESSAY, DESCRIPTION]


def fraction(question: QuestionSpec, response) -> float | None:
    return grade_question(question, response).fraction


# -- single -----------------------------------------------------------------

def test_single_right_choice_scores_the_points():
    grade = grade_question(SINGLE, "right")
    assert grade == Grade(fraction=1.0, score=2.0, correct=True, feedback_keys=("right",))


def test_single_partial_wrong_and_negative_choices():
    assert grade_question(SINGLE, "half") == Grade(0.5, 1.0, False, ("half",))
    assert grade_question(SINGLE, "wrong").fraction == 0.0
    # A negative weight is floored at 0 but its feedback still applies.
    assert grade_question(SINGLE, "bad") == Grade(0.0, 0.0, False, ("bad",))


@pytest.mark.parametrize("response", [None, "", "   ", "nonexistent", ["right", "half"], 42, {}])
def test_single_missing_or_malformed_response_scores_zero(response):
    assert grade_question(SINGLE, response) == Grade(0.0, 0.0, False, ())


# -- multiple ---------------------------------------------------------------

def test_multiple_all_right_choices():
    assert grade_question(MULTIPLE, ["a", "b"]) == Grade(1.0, 1.0, True, ("a", "b"))
    assert grade_question(MULTIPLE, {"b", "a"}).feedback_keys == ("a", "b")  # file order


def test_multiple_partial_and_penalties():
    assert fraction(MULTIPLE, ["a"]) == 0.5
    assert fraction(MULTIPLE, ("a", "b", "x")) == 0.5
    assert fraction(MULTIPLE, ["a", "x"]) == 0.0


def test_multiple_negative_total_is_floored_at_zero():
    grade = grade_question(MULTIPLE, ["x", "y"])
    assert grade.fraction == 0.0 and grade.score == 0.0
    assert grade.feedback_keys == ("x", "y")


def test_multiple_ticking_everything_is_not_full_marks():
    assert fraction(MULTIPLE, ["a", "b", "x", "y"]) == 0.0


def test_multiple_weights_written_as_thirds_give_full_marks():
    grade = grade_question(THIRDS, ["a", "b", "c"])
    assert grade.fraction == 1.0 and grade.correct
    assert fraction(THIRDS, ["a"]) == pytest.approx(0.333)


def test_multiple_ignores_unknown_ids_and_accepts_one_string():
    assert fraction(MULTIPLE, ["a", "b", "forged"]) == 1.0
    assert fraction(MULTIPLE, "a") == 0.5
    assert fraction(MULTIPLE, []) == 0.0


# -- truefalse --------------------------------------------------------------

@pytest.mark.parametrize("response, expected, key", [
    ("false", 1.0, "false"), ("FALSE ", 1.0, "false"), (False, 1.0, "false"),
    ("true", 0.0, "true"), (True, 0.0, "true"),
])
def test_truefalse(response, expected, key):
    grade = grade_question(TRUEFALSE, response)
    assert (grade.fraction, grade.feedback_keys) == (expected, (key,))
    assert grade.correct is (expected == 1.0)


@pytest.mark.parametrize("response", ["yes", "", None, 1, "verdadero"])
def test_truefalse_anything_else_scores_zero_without_feedback(response):
    assert grade_question(TRUEFALSE, response) == Grade(0.0, 0.0, False, ())


# -- short answer -----------------------------------------------------------

@pytest.mark.parametrize("response", [
    "energia", "ENERGÍA", "Energía", "energy", "  Energy\t", "Énergy",
])
def test_short_ignores_case_accents_and_spacing_in_any_language(response):
    assert grade_question(SHORT, response) == Grade(1.0, 1.0, True, ("1",))


def test_short_collapses_inner_whitespace():
    assert grade_question(SHORT, "  fine  flavour cocoa ").feedback_keys == ("2",)
    assert fraction(SHORT, "cacao   FINO de aroma") == 1.0


def test_short_partial_answer_gives_its_fraction_and_feedback_key():
    assert grade_question(SHORT, "Solar Energy") == Grade(0.5, 0.5, False, ("3",))


def test_short_unmatched_and_empty():
    assert grade_question(SHORT, "petróleo") == Grade(0.0, 0.0, False, ())
    assert fraction(SHORT, "") == 0.0
    assert fraction(SHORT, None) == 0.0
    assert fraction(SHORT, ["energy"]) == 0.0


def test_short_does_not_match_substrings():
    assert fraction(SHORT, "energ") == 0.0
    assert fraction(SHORT, "energy energy") == 0.0


def test_short_exact_is_case_and_accent_sensitive_but_trims():
    assert fraction(EXACT, "S3") == 1.0
    assert fraction(EXACT, "  S3 ") == 1.0
    assert fraction(EXACT, "s3") == 0.0


def test_short_best_matching_answer_counts_even_if_listed_later():
    q = QuestionSpec(id="q", type="short", text=t("?"), short_answers=(
        ShortAnswer("1", t("cocoa"), 0.5),
        ShortAnswer("2", t("Cocoa"), 1.0),
    ))
    assert grade_question(q, "cocoa") == Grade(1.0, 1.0, True, ("2",))


def test_short_catch_all_gives_its_feedback_but_a_real_answer_wins():
    assert grade_question(CATCH_ALL, "dog") == Grade(0.0, 0.0, False, ("3",))
    assert grade_question(CATCH_ALL, "cat") == Grade(0.5, 0.5, False, ("2",))
    assert grade_question(CATCH_ALL, "frog").correct
    assert grade_question(CATCH_ALL, "  ") == Grade(0.0, 0.0, False, ())


def test_normalize_answer():
    assert normalize_answer("  Straße   ÉNERGÍA\n") == "strasse energia"
    assert normalize_answer("ﬁne") == "fine"  # compatibility ligature


# -- numeric ----------------------------------------------------------------

@pytest.mark.parametrize("response", ["3.5", "3,5", " 3.50 ", "3.4", "3,6", "3.6", "+3.45", "35e-1"])
def test_numeric_within_tolerance_bounds_inclusive(response):
    assert grade_question(NUMERIC, response) == Grade(1.0, 1.0, True, ("1",))


@pytest.mark.parametrize("response", ["3.61", "3.39", "3.6000001", "3,3999", "-3.5"])
def test_numeric_just_outside_tolerance(response):
    assert grade_question(NUMERIC, response) == Grade(0.0, 0.0, False, ())


@pytest.mark.parametrize("response, expected", [
    ("-5", 1.0), ("5", 1.0), ("0", 1.0), ("−5", 1.0), ("4,999", 1.0),
    ("5.0001", 0.0), ("-5.0001", 0.0),
])
def test_numeric_range_is_inclusive(response, expected):
    assert fraction(RANGE, response) == expected


@pytest.mark.parametrize("response, expected, key", [
    ("1822", 1.0, "1"), ("1823", 0.5, "2"), ("1820", 0.5, "2"), ("1825", 0.0, "3"),
])
def test_numeric_best_matching_answer_counts(response, expected, key):
    grade = grade_question(GRANT, response)
    assert (grade.fraction, grade.feedback_keys) == (expected, (key,))


@pytest.mark.parametrize("response", [
    "abc", "3.5 kg", "1.234,5", "1_000", "nan", "inf", "3..5", ",", "", None, [3.5], True,
])
def test_numeric_non_numbers_score_zero_without_raising(response):
    assert grade_question(NUMERIC, response) == Grade(0.0, 0.0, False, ())


def test_parse_number():
    assert parse_number("3,5") == Decimal("3.5")
    assert parse_number(".5") == Decimal("0.5")
    assert parse_number("1,234") == Decimal("1.234")  # a comma is always decimal
    assert parse_number(2) == Decimal(2)
    assert parse_number("1 000") is None


# -- matching ---------------------------------------------------------------

def test_matching_all_right():
    response = {"1": "1", "2": "2", "3": "3", "4": "4"}
    assert grade_question(MATCHING, response) == Grade(1.0, 4.0, True, ())


def test_matching_partial_credit_is_the_share_of_pairs_right():
    response = {"1": "1", "2": "3", "3": "2", "4": "4"}
    assert grade_question(MATCHING, response) == Grade(0.5, 2.0, False, ())


def test_matching_distractor_and_missing_pairs_count_as_wrong():
    assert fraction(MATCHING, {"1": "d1", "2": "2", "3": "3", "4": "4"}) == 0.75
    assert fraction(MATCHING, {"1": "1"}) == 0.25
    assert fraction(MATCHING, {"1": ["1"], "2": None}) == 0.0


@pytest.mark.parametrize("response", [None, {}, ["1", "2"], "1"])
def test_matching_empty_or_malformed(response):
    assert fraction(MATCHING, response) == 0.0


def test_matching_options_with_the_same_wording_are_interchangeable():
    assert fraction(SAME_RIGHT, {"1": "2", "2": "1", "3": "3"}) == 1.0
    assert fraction(SAME_RIGHT, {"1": "3", "2": "1", "3": "1"}) == pytest.approx(1 / 3)


# -- ordering ---------------------------------------------------------------

def test_ordering_right_order():
    assert grade_question(ORDERING, ["1", "2", "3", "4", "5"]) == Grade(1.0, 1.0, True, ())


def test_ordering_partial_credit_counts_items_in_their_right_position():
    assert fraction(ORDERING, ["1", "2", "4", "3", "5"]) == pytest.approx(3 / 5)
    assert fraction(ORDERING, ["5", "4", "3", "2", "1"]) == pytest.approx(1 / 5)
    # Absolute positions: one item moved to the top shifts all the others.
    assert fraction(ORDERING, ["5", "1", "2", "3", "4"]) == 0.0


def test_ordering_accepts_a_mapping_of_item_to_position():
    assert fraction(ORDERING, {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}) == 1.0
    assert fraction(ORDERING, {"1": 0, "2": 1, "3": 3, "4": 2, "5": 4}) == pytest.approx(3 / 5)
    assert fraction(ORDERING, {"1": "first", "2": "second"}) == 0.0


def test_ordering_short_long_or_malformed_responses():
    assert fraction(ORDERING, ["1", "2"]) == pytest.approx(2 / 5)
    assert fraction(ORDERING, ["1", "2", "3", "4", "5", "6"]) == 1.0
    assert fraction(ORDERING, ["1", "1", "1", "1", "1"]) == pytest.approx(1 / 5)
    assert fraction(ORDERING, "12345") == 0.0
    assert fraction(ORDERING, []) == 0.0


# -- essay and description --------------------------------------------------

def test_answered_essay_waits_for_a_trainer():
    grade = grade_question(ESSAY, "Mi ensayo.")
    assert grade == Grade(fraction=None, score=None, correct=False, needs_manual=True)


def test_blank_essay_scores_zero_without_manual_grading():
    assert grade_question(ESSAY, "  ") == Grade(0.0, 0.0, False, (), needs_manual=False)


def test_manual_grade_scales_and_clamps():
    assert manual_grade(ESSAY, 0.5) == Grade(0.5, 1.5, False)
    assert manual_grade(ESSAY, 1.2) == Grade(1.0, 3.0, True)
    assert manual_grade(ESSAY, -1) == Grade(0.0, 0.0, False)


def test_description_has_nothing_to_grade():
    assert grade_question(DESCRIPTION, "anything") == Grade(None, 0.0, False)


# -- quiz level -------------------------------------------------------------

def test_quiz_score_weights_by_points():
    questions = [SINGLE, MATCHING, TRUEFALSE]  # 2 + 4 + 1 points
    grades = [grade_question(SINGLE, "half"), grade_question(MATCHING, {"1": "1", "2": "2"}),
              grade_question(TRUEFALSE, "false")]
    assert quiz_score(grades, questions) == pytest.approx(100 * (1 + 2 + 1) / 7)


def test_quiz_score_by_question_id_missing_grades_count_zero():
    grades = {"single": grade_question(SINGLE, "right")}
    assert quiz_score(grades, [SINGLE, TRUEFALSE]) == pytest.approx(100 * 2 / 3)


def test_quiz_score_pending_essay_counts_zero_until_graded_and_descriptions_do_not_count():
    questions = [TRUEFALSE, ESSAY, DESCRIPTION]
    pending = [grade_question(TRUEFALSE, "false"), grade_question(ESSAY, "text"),
               grade_question(DESCRIPTION, None)]
    assert quiz_score(pending, questions) == 25.0
    graded = [pending[0], manual_grade(ESSAY, 1.0), pending[2]]
    assert quiz_score(graded, questions) == 100.0


def test_quiz_score_rounds_away_float_noise():
    q = QuestionSpec(id="q", type="truefalse", text=t("?"), answer=True, points=0.1)
    questions = [q, q, q]
    grades = [grade_question(q, "true")] * 3
    assert quiz_score(grades, questions) == 100.0


def test_quiz_score_edge_cases():
    assert quiz_score([], []) == 0.0
    assert quiz_score([grade_question(DESCRIPTION, None)], [DESCRIPTION]) == 0.0
    with pytest.raises(ValueError):
        quiz_score([grade_question(SINGLE, "right")], [SINGLE, TRUEFALSE])


@pytest.mark.parametrize("policy, expected", [("best", 80.0), ("last", 60.0), ("average", 60.0)])
def test_kept_grade(policy, expected):
    assert kept_grade([40.0, 80.0, 60.0], policy) == expected


def test_kept_grade_edge_cases():
    assert kept_grade([], "best") is None
    assert kept_grade([100.0, 0.0, 0.0], "average") == pytest.approx(33.333333)
    with pytest.raises(ValueError):
        kept_grade([50.0], "median")


def test_passed():
    assert passed(70.0, 70)
    assert passed(100 * 7 / 10, 70)  # 70.00000000000001 or 69.99999999999999 alike
    assert not passed(69.99, 70)
    assert passed(0.0, 0)
    assert not passed(None, 0)


# -- correct responses ------------------------------------------------------

def test_correct_response_describes_each_type():
    assert correct_response(SINGLE).choice_ids == ("right",)
    assert correct_response(MULTIPLE).choice_ids == ("a", "b")
    assert correct_response(TRUEFALSE).answer is False
    assert [a.id for a in correct_response(SHORT).short_answers] == ["1", "2"]
    assert [a.id for a in correct_response(GRANT).numeric_answers] == ["1"]
    assert correct_response(MATCHING).matches == {"1": "1", "2": "2", "3": "3", "4": "4"}
    assert correct_response(ORDERING).order == ("1", "2", "3", "4", "5")
    assert correct_response(ESSAY).as_response() is None
    assert correct_response(CATCH_ALL).short_answers[0].text == {"en": "Frog"}


def test_correct_response_of_a_catch_all_only_question():
    anything = QuestionSpec(id="any", type="short", text=t("?"),
                            short_answers=(ShortAnswer("1", {"en": "*"}),))
    assert correct_response(anything).short_answers == anything.short_answers
    assert grade_question(anything, correct_response(anything).as_response("es")).correct


def test_correct_response_as_response_in_each_language():
    assert correct_response(SHORT).as_response("es") == "Energía"
    assert correct_response(SHORT).as_response("en") == "Energy"
    assert correct_response(RANGE).as_response() == "0"
    assert correct_response(TRUEFALSE).as_response() == "false"


@pytest.mark.parametrize("question", [q for q in ALL if q.type not in ("essay", "description")],
                         ids=lambda q: q.id)
def test_the_correct_response_earns_full_marks(question):
    response = correct_response(question).as_response("en")
    assert grade_question(question, response).correct


# What the submission path grades with: the spec without the wording grading does not
# read (lms.quizzes.attempts keeps that form per worker). It must grade exactly alike.
SLIM_CASES = [
    (SINGLE, ["right", "half", "wrong", None]),
    (MULTIPLE, [["a", "b"], ["a"], ["a", "c"], []]),
    (TRUEFALSE, ["true", "false", None]),
    (SHORT, ["Energía", "energia", "energy", "wrong", None]),
    (EXACT, ["Exact", "exact", None]),
    (CATCH_ALL, ["cat", "anything", ""]),
    (NUMERIC, ["3.5", "3,4", "4", None]),
    (RANGE, ["1", "100", "-1"]),
    (MATCHING, [{"1": "1", "2": "2"}, {"1": "2"}, None]),
    (SAME_RIGHT, [{"1": "2", "2": "1"}, {"1": "1"}, {}]),
    (ORDERING, [["1", "2", "3"], ["3", "2", "1"], None]),
    (ESSAY, ["text"]),
    (DESCRIPTION, [None]),
]


@pytest.mark.parametrize("spec, responses", SLIM_CASES, ids=[spec.id for spec, _ in SLIM_CASES])
def test_the_slim_grading_spec_grades_like_the_whole_one(spec, responses):
    from lms.quizzes.attempts import _for_grading

    slim = _for_grading(spec)
    assert slim.text == {} and all(not c.text and not c.feedback for c in slim.choices)
    for response in responses:
        whole, kept = grade_question(spec, response), grade_question(slim, response)
        assert (kept.fraction, kept.score, kept.correct, kept.needs_manual) == \
            (whole.fraction, whole.score, whole.correct, whole.needs_manual), response
