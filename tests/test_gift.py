"""GIFT import/export (lms.quizzes.gift); plain pytest, no Flask.

The examples in MOODLE_DOCS are those of Moodle's GIFT documentation and of
its question/format/gift/examples.txt; MOODLE_FIXTURES reproduces the
questions of Moodle's own importer tests (giftformat_test.php).
"""
from __future__ import annotations

import json
import textwrap

import pytest

from lms.content.errors import ContentError
from lms.quizzes.gift import export_gift, gift_to_json, parse_gift, slugify
from lms.quizzes.grading import grade_question
from lms.quizzes.spec import (
    Choice,
    Distractor,
    MatchPair,
    NumericAnswer,
    OrderItem,
    QuestionSpec,
    ShortAnswer,
)

MOODLE_DOCS = r"""
// ===Multiple Choice===

Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}

Grant is {~buried =entombed ~living} in Grant's tomb.

The American holiday of Thanksgiving is celebrated on the {
    ~second
    ~third
    =fourth
} Thursday of November.

Japanese characters originally came from what country? {
    ~India
    =China
    ~Korea
    ~Egypt}

// ===Short Answer===

Who's buried in Grant's tomb?{=no one =nobody}

Two plus two equals {=four =4}.

// ===True-False===

Grant is buried in Grant's tomb.{F}

The sun rises in the east.{T}

// ===Matching===

Match the following countries with their corresponding capitals. {
    =Canada -> Ottawa
    =Italy  -> Rome
    =Japan  -> Tokyo
    =India  -> New Delhi
    }

// ===Numerical===

When was Ulysses S. Grant born? {#1822}

What is the value of pi (to 3 decimal places)? {#3.1415:0.0005}.

What is the value of pi (to 3 decimal places)? {#3.141..3.142}.

When was Ulysses S. Grant born? {#
    =1822:0
    =%50%1822:2}

// ===Line Comments===

// Subheading: Numerical questions below
What's 2 plus 2? {#4}

// ===Question Name===

::Kanji Origins::Japanese characters originally
came from what country? {=China}

::Thanksgiving Date::The American holiday of Thanksgiving is
celebrated on the {~second ~third =fourth} Thursday of November.

// ===Feedback===

What's the answer to this multiple-choice question?{
~wrong answer#feedback comment on the wrong answer
~another wrong answer#feedback comment on this wrong answer
=right answer#Very good!}

Who's buried in Grant's tomb?{
=no one#excellent answer!
=nobody#excellent answer!}

// ===Specify text format===
[markdown]Who's buried in **Grant's tomb**?{
=no one#excellent answer!
=nobody#excellent answer!}

// ===Percentage Answer Weights===
Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.}

Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}

::Jesus' hometown::Jesus Christ was from {
    ~Jerusalem#This was an important city, but the wrong answer.
    ~%25%Bethlehem#He was born here, but not raised here.
    ~%50%Galilee#You need to be more specific.
    =Nazareth#Yes! That's right!}.

::Jesus' hometown:: Jesus Christ was from {
    =Nazareth#Yes! That's right!
    =%75%Nazereth#Right, but misspelled.
    =%25%Bethlehem#He was born here, but not raised here.}

// ===Multiple Answers===

What two people are entombed in Grant's tomb? {
    ~%-100%No one
    ~%50%Grant
    ~%50%Grant's wife
    ~%-100%Grant's father }

// ===Special Characters===
Which answer equals 5? {
     ~ \= 2 + 2
     = \= 2 + 3
     ~ \= 2 + 4  }

::GIFT Control Characters::
Which of the following is NOT a control character for the GIFT import format? {
   ~ \~     # \~ is a control character.
   ~ \=     # \= is a control character.
   ~ \#     # \# is a control character.
   ~ \{     # \{ is a control character.
   ~ \}     # \} is a control character.
   = \\     # Correct! \\ (backslash) is not a control character. BUT,
              it is used to escape the control characters. So, to specify
              a literal backslash, you must escape it with a backslash
              (as shown in this example).
}

// ===Essay===
Write a short biography of Dag Hammarskjöld. {}

// ===Description===
You can use your pencil and paper for these next math questions.

// ===More complicated examples===
::Grant's Tomb::Grant is {
      ~buried#No one is buried there.
      =entombed#Right answer!
      ~living#We hope not!
} in Grant's tomb.

//this comment will be ignored by the filter
::Numerical example::
When was Ulysses S. Grant born? {#
     =1822:0      #Correct! 100% credit
     =%50%1822:2  #He was born in 1822.
                  You get 50% credit for being close.
}

How are you? {
####We hope you're feeling well.
}
"""


@pytest.fixture(scope="module")
def docs() -> list[QuestionSpec]:
    return parse_gift(MOODLE_DOCS, "en", "docs.gift")


def by_text(questions: list[QuestionSpec], start: str, n: int = 0) -> QuestionSpec:
    return [q for q in questions if q.text["en"].startswith(start)][n]


def only(text: str, lang: str = "en") -> QuestionSpec:
    [question] = parse_gift(textwrap.dedent(text), lang)
    return question


def errors(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ContentError) as caught:
        parse_gift(textwrap.dedent(text), "en", "bad.gift")
    assert all(p.path == "bad.gift" for p in caught.value.problems)
    return [(p.line, p.message) for p in caught.value.problems]


# -- Moodle's documented examples ---------------------------------------------

def test_every_documented_example_is_read(docs):
    assert len(docs) == 31
    assert [q.type for q in docs[:8]] == [
        "single", "single", "single", "single", "short", "short", "truefalse", "truefalse"]
    assert all(q.text["en"] for q in docs)
    assert len({q.id for q in docs}) == len(docs)


def test_multiple_choice(docs):
    q = docs[0]
    assert (q.id, q.type, q.text) == ("q1", "single", {"en": "Who's buried in Grant's tomb?"})
    assert [(c.id, c.text["en"], c.fraction) for c in q.choices] == [
        ("a", "Grant", 0.0), ("b", "Jefferson", 0.0), ("c", "no one", 1.0)]
    assert q.text_format == "moodle" and q.points == 1.0


def test_missing_word_shows_the_blank(docs):
    assert docs[1].text["en"] == "Grant is _____ in Grant's tomb."
    assert docs[2].text["en"] == ("The American holiday of Thanksgiving is celebrated on the "
                                  "_____ Thursday of November.")
    assert [c.text["en"] for c in docs[2].choices] == ["second", "third", "fourth"]
    # Answers before the closing punctuation still make a blank.
    assert by_text(docs, "Two plus two").text["en"] == "Two plus two equals _____."


def test_answers_at_the_end_leave_no_blank(docs):
    q = by_text(docs, "Japanese characters originally came")
    assert q.text["en"] == "Japanese characters originally came from what country?"
    assert q.choices[1] == Choice("b", {"en": "China"}, 1.0)


def test_short_answer(docs):
    q = docs[4]
    assert q.type == "short"
    assert [(a.id, a.text, a.fraction, a.exact) for a in q.short_answers] == [
        ("1", {"en": "no one"}, 1.0, False), ("2", {"en": "nobody"}, 1.0, False)]


def test_true_false(docs):
    assert (docs[6].answer, docs[6].text["en"]) == (False, "Grant is buried in Grant's tomb.")
    assert docs[7].answer is True
    assert docs[7].true_feedback == {} and docs[7].false_feedback == {}


def test_matching(docs):
    q = by_text(docs, "Match the following countries")
    assert q.type == "matching"
    assert [(p.id, p.left["en"], p.right["en"]) for p in q.pairs] == [
        ("1", "Canada", "Ottawa"), ("2", "Italy", "Rome"), ("3", "Japan", "Tokyo"),
        ("4", "India", "New Delhi")]
    assert q.distractors == ()


def test_numerical_forms(docs):
    exact = by_text(docs, "When was Ulysses S. Grant born?", 0)
    assert exact.numeric_answers == (NumericAnswer("1", 1.0, value=1822.0, tolerance=0.0),)
    tolerance = by_text(docs, "What is the value of pi", 0)
    assert tolerance.text["en"] == "What is the value of pi (to 3 decimal places)? _____."
    assert tolerance.numeric_answers[0].value == 3.1415
    assert tolerance.numeric_answers[0].tolerance == 0.0005
    span = by_text(docs, "What is the value of pi", 1).numeric_answers[0]
    assert (span.min, span.max, span.is_range) == (3.141, 3.142, True)
    several = by_text(docs, "When was Ulysses S. Grant born?", 1)
    assert [(a.fraction, a.value, a.tolerance) for a in several.numeric_answers] == [
        (1.0, 1822.0, 0.0), (0.5, 1822.0, 2.0)]


def test_comment_lines_are_ignored(docs):
    q = by_text(docs, "What's 2 plus 2?")
    assert q.text["en"] == "What's 2 plus 2?" and q.numeric_answers[0].value == 4.0
    assert not any("Subheading" in q.text["en"] or "//" in q.text["en"] for q in docs)


def test_question_names_become_ids(docs):
    kanji = by_text(docs, "Japanese characters originally\n")
    assert (kanji.id, kanji.name) == ("kanji-origins", "Kanji Origins")
    assert kanji.text["en"] == "Japanese characters originally\ncame from what country?"
    assert kanji.short_answers[0].text == {"en": "China"}  # a lone answer needs no "="
    hometowns = [q for q in docs if q.name == "Jesus' hometown"]
    assert [(q.id, q.type) for q in hometowns] == [
        ("jesus-hometown", "single"), ("jesus-hometown-2", "short")]


def test_per_answer_feedback(docs):
    q = by_text(docs, "What's the answer to this multiple-choice question?")
    assert [(c.text["en"], c.feedback["en"]) for c in q.choices] == [
        ("wrong answer", "feedback comment on the wrong answer"),
        ("another wrong answer", "feedback comment on this wrong answer"),
        ("right answer", "Very good!")]
    short = by_text(docs, "Who's buried in Grant's tomb?", 2)
    assert [a.feedback["en"] for a in short.short_answers] == ["excellent answer!"] * 2


def test_text_format_is_kept(docs):
    q = by_text(docs, "Who's buried in **Grant's tomb**?")
    assert q.text_format == "markdown" and q.type == "short"


def test_true_false_feedback_first_for_a_wrong_answer(docs):
    q = by_text(docs, "Grant is buried in Grant's tomb.", 1)
    # {FALSE#...}: the only feedback is for a wrong answer, i.e. one who said true.
    assert q.answer is False
    assert q.true_feedback == {"en": "No one is buried in Grant's tomb."}
    assert q.false_feedback == {}


def test_percentage_weights(docs):
    difficult = by_text(docs, "Difficult question.")
    assert [c.fraction for c in difficult.choices] == [0.0, 0.5, 1.0]
    hometown = next(q for q in docs if q.id == "jesus-hometown")
    assert hometown.text["en"] == "Jesus Christ was from _____."
    assert [c.fraction for c in hometown.choices] == [0.0, 0.25, 0.5, 1.0]
    short = next(q for q in docs if q.id == "jesus-hometown-2")
    assert [(a.text["en"], a.fraction) for a in short.short_answers] == [
        ("Nazareth", 1.0), ("Nazereth", 0.75), ("Bethlehem", 0.25)]


def test_multiple_answers_with_negative_weights(docs):
    q = by_text(docs, "What two people are entombed")
    assert q.type == "multiple"
    assert [c.fraction for c in q.choices] == [-1.0, 0.5, 0.5, -1.0]
    assert grade_question(q, ["b", "c"]).fraction == 1.0
    assert grade_question(q, ["a", "b"]).fraction == 0.0


def test_special_characters(docs):
    q = by_text(docs, "Which answer equals 5?")
    assert [(c.text["en"], c.fraction) for c in q.choices] == [
        ("= 2 + 2", 0.0), ("= 2 + 3", 1.0), ("= 2 + 4", 0.0)]
    control = next(q for q in docs if q.id == "gift-control-characters")
    assert [c.text["en"] for c in control.choices] == ["~", "=", "#", "{", "}", "\\"]
    assert control.choices[0].feedback == {"en": "~ is a control character."}
    assert control.choices[5].feedback["en"].startswith(
        "Correct! \\ (backslash) is not a control character. BUT,\nit is used")
    assert control.choices[5].fraction == 1.0


def test_essay_description_and_general_feedback(docs):
    essay = by_text(docs, "Write a short biography")
    assert essay.type == "essay" and essay.text["en"] == "Write a short biography of Dag Hammarskjöld."
    description = by_text(docs, "You can use your pencil")
    assert (description.type, description.points) == ("description", 0.0)
    how = by_text(docs, "How are you?")
    assert how.type == "essay" and how.feedback == {"en": "We hope you're feeling well."}


def test_multiline_feedback_of_a_numerical_answer(docs):
    q = next(q for q in docs if q.id == "numerical-example")
    assert q.numeric_answers[1].feedback == {
        "en": "He was born in 1822.\nYou get 50% credit for being close."}
    tomb = next(q for q in docs if q.id == "grant-s-tomb")
    assert tomb.text["en"] == "Grant is _____ in Grant's tomb."
    assert tomb.choices[2].feedback == {"en": "We hope not!"}


# -- Moodle's importer tests ------------------------------------------------

MOODLE_FIXTURES = """\
// essay
::Q8:: How are you? {}

// question: 2  name: Moodle activities
::Moodle activities::[html]Match the <b>activity</b> to the description.{
    =[html]An activity supporting asynchronous discussions. -> Forum
    =[moodle]A teacher asks a question and specifies a choice of multiple responses. -> Choice
    =[plain]A bank of record entries which participants can add to. -> Database
    =[markdown]A collection of web pages that anyone can add to or edit. -> Wiki
    = -> Chat
}

// multiple choice with specified feedback for right and wrong answers
::Q2:: What's between orange and green in the spectrum?
{
    =yellow # right; good!
    ~red # [html]wrong, it's yellow
    ~[plain]blue # wrong, it's yellow
}

// multiple choice, multiple response with specified feedback for right and wrong answers
::colours:: What's between orange and green in the spectrum?
{
    ~%50%yellow # right; good!
    ~%-100%red # [html]wrong
    ~%50%off-beige # right; good!
    ~%-100%[plain]blue # wrong
}

// math range question
::Q5:: What is a number from 1 to 5? {#3:2~#Completely wrong}

// question: 666  name: Shortanswer
::Shortanswer::Which is the best animal?{
    =Frog#Good!
    =%50%Cat#What is it with Moodlers and cats?
    =%0%*#Completely wrong
    ####[html]Here is some general feedback!
}

// true/false
::Q1:: 42 is the Absolute Answer to everything.{
FALSE#42 is the Ultimate Answer.#You gave the right answer.}

// name 0-11
::2-08 TSL::TSL is blablabla.{T}

// name 0-11
::2-08 TSL::TSL is blablabla.{TRUE}

::double backslash:: A \\\\ B \\\\\\\\ C{}

// This question is to test importing tags: [tag:tag] [tag:other-tag].
// And an idnumber: [id:myid].
::Question name:: How are you? {}
"""


@pytest.fixture(scope="module")
def fixtures() -> dict[str, QuestionSpec]:
    return {q.id: q for q in parse_gift(MOODLE_FIXTURES, "en")}


def test_matching_with_formats_and_a_distractor(fixtures):
    q = fixtures["moodle-activities"]
    assert (q.text_format, q.text["en"]) == ("html", "Match the <b>activity</b> to the description.")
    assert [p.right["en"] for p in q.pairs] == ["Forum", "Choice", "Database", "Wiki"]
    assert q.pairs[0].left == {"en": "An activity supporting asynchronous discussions."}
    assert q.distractors == (Distractor("d1", {"en": "Chat"}),)
    # Formats equal to the question's are implied; the others are kept.
    assert q.part_formats == {"pair.2.left": "moodle", "pair.3.left": "plain",
                              "pair.4.left": "markdown"}
    assert grade_question(q, {"1": "1", "2": "d1", "3": "3", "4": "4"}).fraction == 0.75


def test_choice_and_feedback_formats(fixtures):
    q = fixtures["q2"]
    assert q.text["en"] == "What's between orange and green in the spectrum?"
    assert [(c.text["en"], c.feedback["en"]) for c in q.choices] == [
        ("yellow", "right; good!"), ("red", "wrong, it's yellow"), ("blue", "wrong, it's yellow")]
    assert q.part_formats == {"choice.b.feedback": "html", "choice.c": "plain"}


def test_multiple_response_fixture(fixtures):
    q = fixtures["colours"]
    assert q.type == "multiple"
    assert [c.fraction for c in q.choices] == [0.5, -1.0, 0.5, -1.0]


def test_numeric_wrong_answer_feedback(fixtures):
    q = fixtures["q5"]
    assert q.numeric_answers == (
        NumericAnswer("1", 1.0, value=3.0, tolerance=2.0),
        NumericAnswer("2", 0.0, feedback={"en": "Completely wrong"}))
    assert grade_question(q, "5").fraction == 1.0
    assert grade_question(q, "5.5").feedback_keys == ("2",)


def test_short_answer_catch_all_and_general_feedback_format(fixtures):
    q = fixtures["shortanswer"]
    assert [(a.text["en"], a.fraction, a.is_catch_all) for a in q.short_answers] == [
        ("Frog", 1.0, False), ("Cat", 0.5, False), ("*", 0.0, True)]
    assert q.feedback == {"en": "Here is some general feedback!"}
    assert q.part_formats == {"feedback": "html"}
    assert grade_question(q, "hamster").feedback_keys == ("3",)


def test_true_false_with_both_feedbacks_and_general_feedback(fixtures):
    q = fixtures["q1"]
    assert q.answer is False
    assert q.true_feedback == {"en": "42 is the Ultimate Answer."}  # shown to who said true
    assert q.false_feedback == {"en": "You gave the right answer."}
    tsl = [fixtures["2-08-tsl"], fixtures["2-08-tsl-2"]]
    assert [(x.answer, x.text["en"], x.name) for x in tsl] == [
        (True, "TSL is blablabla.", "2-08 TSL")] * 2


def test_escaped_backslashes(fixtures):
    assert fixtures["double-backslash"].text == {"en": "A \\ B \\\\ C"}


def test_moodle_idnumber_and_tags_in_comments(fixtures):
    q = fixtures["myid"]
    assert (q.name, q.tags, q.type) == ("Question name", ("tag", "other-tag"), "essay")


# -- more constructs --------------------------------------------------------

def test_true_false_spellings_and_feedback_mapping():
    assert only("A.{T#wrong#right}").true_feedback == {"en": "right"}
    assert only("A.{T#wrong#right}").false_feedback == {"en": "wrong"}
    assert only("A.{TRUE}").answer is True
    assert only("A.{F}").answer is False
    assert only("A.{FALSE##only right}").false_feedback == {"en": "only right"}
    # Moodle is case-sensitive: {true} is a short answer "true".
    assert only("A.{true}").type == "short"


def test_matching_left_side_with_only_a_format_is_a_distractor():
    q = only("Match {=a -> 1 =b -> 2 =[html] -> 3}")
    assert [p.id for p in q.pairs] == ["1", "2"]
    assert q.distractors == (Distractor("d1", {"en": "3"}),)


def test_short_answer_weights_and_feedback():
    q = only("Capital?{=Lima#Yes =%50%lima peru#Nearly =%0%Cusco#No}")
    assert [(a.text["en"], a.fraction, a.feedback.get("en")) for a in q.short_answers] == [
        ("Lima", 1.0, "Yes"), ("lima peru", 0.5, "Nearly"), ("Cusco", 0.0, "No")]


def test_numeric_negative_values_and_ranges():
    q = only("Temperature?{#=-3:0.5 =%50%-10..-5}")
    assert [(a.value, a.min, a.max) for a in q.numeric_answers] == [
        (-3.0, None, None), (None, -10.0, -5.0)]
    assert grade_question(q, "-3,5").fraction == 1.0
    assert grade_question(q, "-7").fraction == 0.5


def test_category_applies_to_the_following_questions():
    qs = parse_gift("A.{T}\n\n$CATEGORY: $course$/top/Rivers\n\nB.{T}\n\nC.{F}\n", "en")
    assert [q.category for q in qs] == [None, "$course$/top/Rivers", "$course$/top/Rivers"]
    # A question right under the category line (no blank line) is still read.
    qs = parse_gift("$CATEGORY: Lakes\nD.{T}\n", "en")
    assert [(q.category, q.text["en"]) for q in qs] == [("Lakes", "D.")]


def test_double_slash_inside_text_is_not_a_comment():
    q = only("See http://example.org//page for details.{T}")
    assert q.text["en"] == "See http://example.org//page for details."
    q = only("Question{\n=a\n// a comment between answers\n~b}")
    assert [c.text["en"] for c in q.choices] == ["a", "b"]
    # A backslash before a character that is not special stays (as in Moodle).
    assert only("Path C\\:\\dir{}").text["en"] == "Path C:\\dir"


def test_newline_escape_and_format_on_every_text():
    q = only("[html]<p>One</p>\\n<p>Two</p>{\n=[plain]a#[markdown]*yes*\n~b\n####[moodle]gf}")
    assert q.text == {"en": "<p>One</p>\n<p>Two</p>"}
    assert q.text_format == "html"
    assert q.part_formats == {"choice.a": "plain", "choice.a.feedback": "markdown",
                              "feedback": "moodle"}
    assert q.choices[0].feedback == {"en": "*yes*"}


def test_format_of_an_empty_feedback_is_not_kept():
    q = only("Pick {=a#[html] ~b}")
    assert q.choices[0].feedback == {} and q.part_formats == {}


def test_unknown_bracket_prefix_stays_in_the_text():
    assert only("[note] Read.{T}").text["en"] == "[note] Read."


def test_lang_keys_every_text():
    q = only("::Río::¿Dónde?{=Lima#Sí ~Quito}", lang="es")
    assert q.text == {"es": "¿Dónde?"} and q.choices[0].feedback == {"es": "Sí"}
    assert q.id == "rio"


def test_ids_from_names_positions_and_moodle_ids_are_unique():
    qs = parse_gift("::Q2::A{T}\n\nB{T}\n\n::Q2::C{T}\n\n// [id:My Question]\nD{T}\n\n"
                    "::!!!::E{T}\n", "en")
    assert [q.id for q in qs] == ["q2", "q2-2", "q2-3", "my-question", "q5"]


def test_slugify():
    assert slugify("Jesus' hometown (Short answer ex.)") == "jesus-hometown-short-answer-ex"
    assert slugify("Año, energía & más") == "ano-energia-mas"
    assert len(slugify("word " * 40)) <= 60


# -- errors -----------------------------------------------------------------

def test_errors_name_the_line_of_the_offending_question():
    text = "Good.{T}\n\n// comment\nBad {=a ~b\n\nAlso good.{F}\n"
    message = "question 2: '{' is never closed with '}' (a blank line ends a question)"
    assert errors(text) == [(4, message)]


@pytest.mark.parametrize("text, line, message", [
    ("A.{T}\n\nB.}\n", 3, "'}' without '{'"),
    ("A.\n} x {=b}\n", 2, "'}' before '{'"),
    ("A {=a {b}\n", 1, "'{' inside the answers"),
    ("A {=a}\nB {=b}\n", 2, "one {...} block of answers"),
    ("::Name A {=a}\n", 1, "question name is not closed"),
    ("{T}\n", 1, "the question has no text"),
    ("Match {\n=a -> b\n=c d\n}\n", 3, 'a matching line needs "->"'),
    ("Match {\n=a -> \n=c -> d\n}\n", 2, 'nothing after "->"'),
    ("Choose {\nstray =a ~b}\n", 2, "text before the first ~ or ="),
    ("Choose {=a\n~%150%b}\n", 2, "weight %150% is outside -100..100"),
    ("Count {#\n=3:1\n=three}\n", 3, '"three" is not a number'),
    ("Count {#\n=3,5}\n", 2, '"3,5" is not a number'),
    ("Choose {=a ~}\n", 1, "answer 2 is empty"),
])
def test_syntax_errors(text, line, message):
    [(found_line, found_message)] = errors(text)
    assert found_line == line
    assert message in found_message


@pytest.mark.parametrize("text, line, message", [
    ("::Two right::Pick {\n=a\n=b\n~c}\n", 1, "exactly one choice with fraction = 1.0, it has 2"),
    ("Pick {\n~%50%a\n~%40%b\n~c}\n", 1, "add up to 1.0, they add up to 0.9"),
    ("Pick {~a ~b}\n", 1, "add up to 1.0, they add up to 0"),
    ("Pick {~%100%a}\n", 1, "needs at least 2 choices"),
    ("Match {=a -> b}\n", 1, "needs at least 2 pairs, it has 1"),
    ("Count {#}\n", 1, "needs at least one answer with a value"),
    ("Count {#\n=%50%3}\n", 1, "needs an answer with fraction = 1.0"),
    ("Count {#\n=5..3}\n", 2, "min (5) is greater than max (3)"),
])
def test_validation_errors_use_quiz_rules(text, line, message):
    [(found_line, found_message)] = errors(text)
    assert found_line == line
    assert message in found_message


def test_every_error_is_reported_and_nothing_is_imported():
    text = "Fine.{T}\n\n::First::A {=a\n\nAlso fine.{F}\n\n::Second::Pick {~a ~b}\n"
    found = errors(text)
    assert [line for line, _ in found] == [3, 7]
    assert found[0][1].startswith('question "First": ')
    assert found[1][1].startswith('question "Second": ')


# -- export and round trip ---------------------------------------------------

def test_export_then_parse_gives_the_same_questions(docs, fixtures):
    for questions in (docs, list(fixtures.values())):
        again = parse_gift(export_gift(questions, "en"), "en")
        assert again == questions


def test_export_writes_moodle_syntax():
    q = only("::Grant::Grant is {~buried#No =entombed ~%50%living} in Grant's tomb.")
    assert export_gift([q], "en") == (
        "// [id:grant]\n"
        "::Grant::Grant is {\n\t~buried#No\n\t=entombed\n\t~%50%living\n} in Grant's tomb.\n")


TRICKY = QuestionSpec(
    id="tricky", type="single", text={"es": "¿{a} = b # c ~ d: e \\ f?\nline 2 _____"},
    feedback={"es": "####not a separator"},
    choices=(Choice("a", {"es": "%50% de la gente"}, 1.0, {"es": "a#b"}),
             Choice("b", {"es": "[html] no es formato"}, 0.0),
             Choice("c", {"es": "-> flecha"}, -0.5)),
    text_format="moodle")


def test_export_escapes_every_special_character():
    [again] = parse_gift(export_gift([TRICKY], "es"), "es")
    assert again == TRICKY


def test_export_keeps_comment_like_text_as_text():
    q = QuestionSpec(id="slashes", type="truefalse", text={"en": "// not a comment"},
                     answer=True, text_format="moodle")
    [again] = parse_gift(export_gift([q], "en"), "en")
    assert again == q


def test_export_of_a_bilingual_quiz_question_in_each_language():
    q = QuestionSpec(
        id="energy", type="short", text={"es": "¿Qué cadena?", "en": "Which chain?"},
        short_answers=(ShortAnswer("1", {"es": "Energía", "en": "Energy"}),
                       ShortAnswer("2", {"es": "solar"}, 0.5, {"es": "Casi"})))
    [es] = parse_gift(export_gift([q], "es"), "es")
    assert es.text_format == "markdown"
    assert [(a.text, a.fraction) for a in es.short_answers] == [
        ({"es": "Energía"}, 1.0), ({"es": "solar"}, 0.5)]
    [en] = parse_gift(export_gift([q], "en"), "en")
    assert [a.text for a in en.short_answers] == [{"en": "Energy"}]  # "solar" has no English


def test_export_numeric_and_matching_round_trip():
    numeric = QuestionSpec(id="n", type="numeric", text={"en": "n?"}, text_format="moodle",
                           numeric_answers=(
                               NumericAnswer("1", 1.0, value=2.5, tolerance=0.25),
                               NumericAnswer("2", 0.5, min=-1.0, max=1e20, feedback={"en": "ok"}),
                               NumericAnswer("3", 0.0, feedback={"en": "no"})))
    matching = QuestionSpec(id="m", type="matching", text={"en": "m?"}, text_format="moodle",
                            pairs=(MatchPair("1", {"en": "a:1"}, {"en": "b=2"}),
                                   MatchPair("2", {"en": "c"}, {"en": "d"})),
                            distractors=(Distractor("d1", {"en": "e"}),))
    assert parse_gift(export_gift([numeric, matching], "en"), "en") == [numeric, matching]


def test_export_of_arrows_gift_cannot_escape():
    lone = QuestionSpec(id="arrow", type="short", text={"en": "Arrow?"}, text_format="moodle",
                        short_answers=(ShortAnswer("1", {"en": "a->b"}),))
    out = export_gift([lone], "en")
    assert "{\n\ta->b\n}" in out  # the lone-answer form, without "="
    assert parse_gift(out, "en") == [lone]
    two = QuestionSpec(id="arrows", type="short", text={"en": "Arrow?"},
                       short_answers=(ShortAnswer("1", {"en": "a->b"}), ShortAnswer("2", {"en": "c"})))
    with pytest.raises(ValueError, match="short answer"):
        export_gift([two], "en")
    fed_back = QuestionSpec(id="fb", type="short", text={"en": "?"},
                            short_answers=(ShortAnswer("1", {"en": "a"}, 1.0, {"en": "-> b"}),))
    with pytest.raises(ValueError, match="short answer"):
        export_gift([fed_back], "en")
    slashes = QuestionSpec(id="sl", type="short", text={"en": "?"}, text_format="moodle",
                           short_answers=(ShortAnswer("1", {"en": "//a->b"}),))
    assert parse_gift(export_gift([slashes], "en"), "en") == [slashes]
    pairs = QuestionSpec(id="m", type="matching", text={"en": "?"},
                         pairs=(MatchPair("1", {"en": "x->y"}, {"en": "z"}),
                                MatchPair("2", {"en": "u"}, {"en": "v->w"})))
    with pytest.raises(ValueError, match="left of a matching pair"):
        export_gift([pairs], "en")


def test_export_leaves_out_ordering_and_needs_the_language():
    ordering = QuestionSpec(id="order", type="ordering", text={"en": "?"},
                            items=(OrderItem("1", {"en": "a"}), OrderItem("2", {"en": "b"})))
    essay = QuestionSpec(id="essay", type="essay", text={"en": "Why?"})
    out = export_gift([ordering, essay], "en")
    assert 'question "order" is an ordering question' in out
    assert [q.id for q in parse_gift(out, "en")] == ["essay"]
    with pytest.raises(ValueError, match='no "es" text'):
        export_gift([essay], "es")


def test_export_writes_categories_once():
    qs = parse_gift("$CATEGORY: a\n\nX.{T}\n\nY.{F}\n\n$CATEGORY: b\n\nZ.{T}\n", "en")
    out = export_gift(qs, "en")
    assert out.count("$CATEGORY: a") == 1 and out.count("$CATEGORY: b") == 1
    assert parse_gift(out, "en") == qs


# -- JSON --------------------------------------------------------------------

def test_gift_to_json(docs, fixtures):
    data = gift_to_json(docs + list(fixtures.values()))
    json.dumps(data)  # must be serialisable
    first = data[0]
    assert {k: first[k] for k in ("type", "name", "text", "general_feedback")} == {
        "type": "single", "name": None, "text": "Who's buried in Grant's tomb?",
        "general_feedback": ""}
    assert [(a["text"], a["fraction"]) for a in first["answers"]] == [
        ("Grant", 0.0), ("Jefferson", 0.0), ("no one", 1.0)]
    entries = {e["id"]: e for e in data}
    [two_people] = [e for e in data if e["text"].startswith("What two people")]
    assert [a["fraction"] for a in two_people["answers"]] == [-1.0, 0.5, 0.5, -1.0]
    pi = [e for e in data if e["text"].startswith("What is the value of pi")]
    assert pi[0]["answers"][0]["tolerance"] == 0.0005
    assert pi[1]["answers"][0]["range"] == [3.141, 3.142]
    match = entries["moodle-activities"]
    assert match["pairs"][0] == {"id": "1", "left": "An activity supporting asynchronous "
                                 "discussions.", "right": "Forum"}
    assert match["distractors"] == ["Chat"]
    tf = entries["q1"]
    assert tf["answers"] == [
        {"text": "true", "fraction": 0.0, "feedback": "42 is the Ultimate Answer."},
        {"text": "false", "fraction": 1.0, "feedback": "You gave the right answer."}]
    assert all(-1 <= a["fraction"] <= 1 for e in data for a in e["answers"])
