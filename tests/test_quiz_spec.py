"""quiz.toml parsing and validation (lms.quizzes.spec); plain pytest, no Flask."""
from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from lms.content.errors import ContentError
from lms.quizzes.spec import (
    QuestionSpec,
    TomlLocator,
    parse_quiz,
    parse_quiz_file,
    question_issues,
)

ROOT = Path(__file__).resolve().parents[1]

HEADER = """\
pass_mark = 70
max_attempts = 0
grading = "best"
shuffle_questions = false
shuffle_choices = true
draw = 0
time_limit_minutes = 0
show_answers = "after_attempt"

[title]
es = "Cuestionario"
en = "Quiz"
"""

ESSAY = """
[[questions]]
id = "essay"
type = "essay"
text = { es = "Explique.", en = "Explain." }
"""

FULL_QUIZ = HEADER + '''
[[questions]]
id = "four-border-areas"
type = "single"
points = 2
text = { es = "¿Cuántas zonas?", en = "How many areas?" }
feedback = { es = "Cuatro.", en = "Four." }

  [[questions.choices]]
  id = "four"
  text = { es = "Cuatro", en = "Four" }
  fraction = 1.0
  feedback = { es = "Sí.", en = "Yes." }

  [[questions.choices]]
  id = "three"
  text = { es = "Tres", en = "Three" }

[[questions]]
id = "chains"
type = "multiple"
text = { es = "¿Cuáles?", en = "Which?" }

  [[questions.choices]]
  id = "a"
  text = { es = "A", en = "A" }
  fraction = 0.5

  [[questions.choices]]
  id = "b"
  text = { es = "B", en = "B" }
  fraction = 0.5

  [[questions.choices]]
  id = "c"
  text = { es = "C", en = "C" }
  fraction = -0.5

[[questions]]
id = "nets"
type = "truefalse"
text = { es = "¿Verdadero?", en = "True?" }
answer = true
true_feedback = { es = "Bien.", en = "Right." }
false_feedback = { es = "No.", en = "No." }

[[questions]]
id = "energy"
type = "short"
exact = true
text = { es = "¿Qué cadena?", en = "Which chain?" }
answers = [
  { text = { es = "Energía", en = "Energy" }, fraction = 1.0 },
  { text = { es = "energía solar", en = "solar energy" }, fraction = 0.5, exact = false, feedback = { es = "Casi.", en = "Nearly." } },
]

[[questions]]
id = "chains-count"
type = "numeric"
text = { es = "¿Cuántas?", en = "How many?" }
answers = [
  { value = 5, tolerance = 0.5, fraction = 1.0 },
  { min = 3, max = 7, fraction = 0.5 },
]

[[questions]]
id = "match"
type = "matching"
text = { es = "Relacione.", en = "Match." }
distractors = [ { es = "Nada", en = "Nothing" } ]

  [[questions.pairs]]
  left = { es = "Cacao", en = "Cocoa" }
  right = { es = "Perú–Colombia", en = "Peru–Colombia" }

  [[questions.pairs]]
  left = { es = "Energía", en = "Energy" }
  right = { es = "México–Guatemala", en = "Mexico–Guatemala" }

[[questions]]
id = "order"
type = "ordering"
text = { es = "Ordene.", en = "Order." }

  [[questions.items]]
  text = { es = "Primero", en = "First" }

  [[questions.items]]
  id = "second"
  text = { es = "Segundo", en = "Second" }

[[questions]]
id = "intro"
type = "description"
text = { es = "Lea esto.", en = "Read this." }
''' + ESSAY


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "quiz.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[tuple[int | None, str]]:
    """Parse a quiz that must fail; return (line, message) of every problem."""
    with pytest.raises(ContentError) as caught:
        parse_quiz_file(write(tmp_path, text))
    assert all(p.path.endswith("quiz.toml") for p in caught.value.problems)
    return [(p.line, p.message) for p in caught.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [n for n, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


# -- a valid quiz -----------------------------------------------------------

def test_full_quiz_builds_every_question_type(tmp_path):
    quiz = parse_quiz_file(write(tmp_path, FULL_QUIZ))
    assert quiz.title == {"es": "Cuestionario", "en": "Quiz"}
    assert [q.type for q in quiz.questions] == [
        "single", "multiple", "truefalse", "short", "numeric", "matching",
        "ordering", "description", "essay"]
    single = quiz.question("four-border-areas")
    assert single.points == 2.0
    assert [c.id for c in single.choices] == ["four", "three"]
    assert single.choices[0].feedback == {"es": "Sí.", "en": "Yes."}
    assert single.choices[1].fraction == 0.0 and single.choices[1].feedback == {}
    assert single.feedback == {"es": "Cuatro.", "en": "Four."}
    assert single.text_format == "markdown"
    assert quiz.question("chains").choices[2].fraction == -0.5


def test_type_specific_parts_and_positional_ids(tmp_path):
    quiz = parse_quiz_file(write(tmp_path, FULL_QUIZ))
    tf = quiz.question("nets")
    assert tf.answer is True and tf.false_feedback["en"] == "No."
    short = quiz.question("energy")
    # Question-level exact is the default; an answer may override it.
    assert [(a.id, a.exact, a.fraction) for a in short.short_answers] == [
        ("1", True, 1.0), ("2", False, 0.5)]
    numeric = quiz.question("chains-count").numeric_answers
    assert (numeric[0].value, numeric[0].tolerance, numeric[0].is_range) == (5.0, 0.5, False)
    assert (numeric[1].min, numeric[1].max, numeric[1].is_range) == (3.0, 7.0, True)
    match = quiz.question("match")
    assert [p.id for p in match.pairs] == ["1", "2"]
    assert [d.id for d in match.distractors] == ["d1"]
    assert match.right_options()[2] == ("d1", {"es": "Nada", "en": "Nothing"})
    # Items without an id get their position; an explicit id is kept.
    assert [i.id for i in quiz.question("order").items] == ["1", "second"]
    assert quiz.question("intro").points == 0.0 and not quiz.question("intro").is_scored
    assert quiz.question("essay").points == 1.0
    assert quiz.total_points == 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1


def test_settings_are_read_and_default(tmp_path):
    quiz = parse_quiz_file(write(tmp_path, FULL_QUIZ.replace('grading = "best"', 'grading = "average"')
                                 .replace("max_attempts = 0", "max_attempts = 3")
                                 .replace("pass_mark = 70", "pass_mark = 62.5")))
    assert (quiz.grading, quiz.max_attempts, quiz.pass_mark) == ("average", 3, 62.5)
    minimal = '[title]\nes = "T"\nen = "T"\n' + ESSAY
    quiz = parse_quiz_file(write(tmp_path, minimal))
    assert (quiz.pass_mark, quiz.max_attempts, quiz.grading, quiz.shuffle_questions,
            quiz.shuffle_choices, quiz.draw, quiz.time_limit_minutes, quiz.show_answers) == (
        70.0, 0, "best", False, True, 0, 0, "after_attempt")


def test_parse_quiz_takes_parsed_data_and_its_source(tmp_path):
    source = HEADER + ESSAY
    quiz = parse_quiz(tomllib.loads(source), source, "x/quiz.toml")
    assert quiz.questions[0].id == "essay"
    bad = source.replace('type = "essay"', 'type = "poem"')
    with pytest.raises(ContentError) as caught:
        parse_quiz(tomllib.loads(bad), bad, "x/quiz.toml")
    [problem] = caught.value.problems
    assert problem.path == "x/quiz.toml"
    assert problem.line == line_of(bad, 'type = "poem"')


def test_single_language_texts_when_not_all_languages_are_required(tmp_path):
    source = HEADER.replace('en = "Quiz"\n', "") + ESSAY.replace(', en = "Explain."', "")
    quiz = parse_quiz(tomllib.loads(source), source, "q.toml", require_all_languages=False)
    assert quiz.questions[0].text == {"es": "Explique."}
    with pytest.raises(ContentError):
        parse_quiz(tomllib.loads(source), source, "q.toml")


# -- syntax errors ----------------------------------------------------------

def test_toml_syntax_error_reports_its_line(tmp_path):
    text = HEADER + '\n[[questions]]\nid = "broken\ntype = "essay"\n'
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, 'id = "broken')
    assert message.startswith("TOML syntax error")
    assert "line" not in message  # the position moved into ContentProblem.line


def test_toml_syntax_error_at_end_of_document(tmp_path):
    text = HEADER + '\n[[questions]]\nid = "x"\ntext = { es = "a", en = "b"'
    [(line, message)] = problems(tmp_path, text)
    assert line == len(text.splitlines())
    assert "TOML syntax error" in message


def test_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "quiz.toml"
    path.write_bytes(HEADER.encode() + b'\n[[questions]]\nid = "caf\xe9"\n')
    with pytest.raises(ContentError) as caught:
        parse_quiz_file(path)
    [problem] = caught.value.problems
    assert problem.line == HEADER.count("\n") + 3
    assert "UTF-8" in problem.message


# -- validation problems carry the right line --------------------------------

def test_unknown_type_points_at_the_type_line(tmp_path):
    text = HEADER + ESSAY + ESSAY.replace('"essay"\ntype = "essay"', '"poem"\ntype = "poem"')
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, 'type = "poem"')
    assert 'unknown type "poem"' in message and 'question "poem"' in message


def test_missing_id_points_at_the_question_header(tmp_path):
    text = HEADER + ESSAY + ESSAY.replace('id = "essay"\n', "")
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "[[questions]]", occurrence=2)
    assert message == "question 2 has no id"


def test_duplicate_id_points_at_the_second_one(tmp_path):
    text = HEADER + ESSAY + ESSAY
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, 'id = "essay"', occurrence=2)
    assert "used twice" in message


def test_bad_id_pattern(tmp_path):
    text = HEADER + ESSAY.replace('id = "essay"', 'id = "Essay_1"')
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, 'id = "Essay_1"')
    assert "must be lowercase" in message


def test_missing_language_text_points_at_the_text(tmp_path):
    text = HEADER + ESSAY.replace(', en = "Explain."', "")
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, 'text = { es = "Explique." }')
    assert message == 'question "essay": text lacks the "en" text'


def test_missing_language_inside_a_choice_and_an_unknown_language(tmp_path):
    text = FULL_QUIZ.replace('text = { es = "Tres", en = "Three" }',
                             'text = { es = "Tres", fr = "Trois" }')
    found = problems(tmp_path, text)
    line = line_of(text, 'fr = "Trois"')
    label = 'question "four-border-areas", choice "three"'
    assert (line, f'{label}: text: unknown language "fr" (expected es, en)') in found
    assert (line, f'{label}: text lacks the "en" text') in found


def test_missing_title(tmp_path):
    found = problems(tmp_path, ESSAY)
    assert found == [(None, "quiz title is missing")]


def test_single_choice_needs_exactly_one_right_choice(tmp_path):
    text = FULL_QUIZ.replace('id = "three"\n', 'id = "three"\n  fraction = 1.0\n')
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "[[questions.choices]]", occurrence=1)
    assert "exactly one choice with fraction = 1.0, it has 2" in message


def test_multiple_choice_weights_must_add_up_to_one(tmp_path):
    text = FULL_QUIZ.replace("fraction = 0.5\n\n  [[questions.choices]]\n  id = \"c\"",
                             "fraction = 0.4\n\n  [[questions.choices]]\n  id = \"c\"")
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "[[questions.choices]]", occurrence=3)
    assert "add up to 1.0, they add up to 0.9" in message


def test_multiple_choice_weights_within_rounding_are_accepted(tmp_path):
    text = HEADER + '''
[[questions]]
id = "thirds"
type = "multiple"
text = { es = "x", en = "x" }
choices = [
  { id = "a", text = { es = "a", en = "a" }, fraction = 0.333 },
  { id = "b", text = { es = "b", en = "b" }, fraction = 0.333 },
  { id = "c", text = { es = "c", en = "c" }, fraction = 0.333 },
]
'''
    assert parse_quiz_file(write(tmp_path, text)).questions[0].choices[2].fraction == 0.333


@pytest.mark.parametrize("weights, ok", [
    ((0.5, 0.499), True), ((0.5, 0.501), True), ((0.5, 0.498), False), ((0.6, 0.6), False),
])
def test_multiple_choice_sum_tolerance_is_a_thousandth(weights, ok):
    choices = ",\n".join(
        f'  {{ id = "c{i}", text = {{ es = "x", en = "x" }}, fraction = {w} }}'
        for i, w in enumerate(weights))
    source = HEADER + f"""
[[questions]]
id = "m"
type = "multiple"
text = {{ es = "x", en = "x" }}
choices = [
{choices},
]
"""
    if ok:
        assert parse_quiz(tomllib.loads(source), source, "q.toml").questions[0].type == "multiple"
    else:
        with pytest.raises(ContentError, match="add up to 1.0"):
            parse_quiz(tomllib.loads(source), source, "q.toml")


def test_fraction_outside_minus_one_to_one(tmp_path):
    text = FULL_QUIZ.replace("fraction = -0.5", "fraction = -1.5")
    found = problems(tmp_path, text)
    assert (line_of(text, "fraction = -1.5"),
            'question "chains": fraction must be between -1 and 1, got -1.5') in found


def test_numeric_answer_needs_value_or_range(tmp_path):
    text = FULL_QUIZ.replace("{ min = 3, max = 7, fraction = 0.5 }", "{ fraction = 0.5 }")
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "{ fraction = 0.5 }")
    assert "give either value" in message and "it has neither" in message


def test_numeric_range_min_above_max(tmp_path):
    text = FULL_QUIZ.replace("{ min = 3, max = 7, fraction = 0.5 }",
                             "{ min = 9, max = 7, fraction = 0.5 }")
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "min = 9")
    assert "min (9) is greater than max (7)" in message


def test_numeric_value_with_range_and_negative_tolerance(tmp_path):
    text = FULL_QUIZ.replace("{ value = 5, tolerance = 0.5, fraction = 1.0 }",
                             "{ value = 5, tolerance = -1, fraction = 1.0 },\n"
                             "  { value = 5, min = 1, max = 2 }")
    found = problems(tmp_path, text)
    assert any(line == line_of(text, "tolerance = -1") and "tolerance must be at least 0" in m
               for line, m in found)
    assert any(line == line_of(text, "{ value = 5, min = 1") and "give either value" in m
               for line, m in found)


def test_matching_needs_two_pairs_and_ordering_two_items(tmp_path):
    text = FULL_QUIZ
    cut = text.index("  [[questions.pairs]]\n  left = { es = \"Energía\"")
    text = text[:cut] + text[text.index("[[questions]]\nid = \"order\""):]
    cut = text.index("  [[questions.items]]\n  id = \"second\"")
    text = text[:cut] + text[text.index("[[questions]]\nid = \"intro\""):]
    found = problems(tmp_path, text)
    assert found == [
        (line_of(text, "[[questions.pairs]]"),
         'question "match": a matching question needs at least 2 pairs, it has 1'),
        (line_of(text, "[[questions.items]]"),
         'question "order": an ordering question needs at least 2 items, it has 1'),
    ]


def test_short_answer_needs_a_full_credit_answer(tmp_path):
    text = FULL_QUIZ.replace('en = "Energy" }, fraction = 1.0', 'en = "Energy" }, fraction = 0.9')
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, "answers = [", occurrence=1)
    assert "needs an answer with fraction = 1.0" in message


@pytest.mark.parametrize("setting, bad, expected", [
    ("grading", '"median"', "grading must be one of best, last, average"),
    ("show_answers", '"always"', "show_answers must be one of after_attempt, after_pass, never"),
    ("pass_mark", "150", "pass_mark must be from 0 to 100"),
    ("max_attempts", "-1", "max_attempts must be at least 0"),
    ("max_attempts", "1.5", "max_attempts must be a whole number"),
    ("time_limit_minutes", '"ten"', "time_limit_minutes must be a whole number"),
    ("shuffle_questions", '"yes"', "shuffle_questions must be true or false"),
    ("draw", "5", "draw = 5 but the quiz has only 1 questions"),
])
def test_bad_setting_values_point_at_the_setting(tmp_path, setting, bad, expected):
    text = "\n".join(f"{setting} = {bad}" if line.startswith(f"{setting} =") else line
                     for line in HEADER.splitlines()) + "\n" + ESSAY
    [(line, message)] = problems(tmp_path, text)
    assert line == line_of(text, f"{setting} = {bad}")
    assert expected in message


def test_unknown_keys_are_reported_as_typos(tmp_path):
    text = HEADER.replace("pass_mark", "pas_mark") + ESSAY.replace(
        'type = "essay"', 'type = "essay"\nanswer = true')
    found = problems(tmp_path, text)
    assert (line_of(text, "pas_mark"), 'quiz: unknown key "pas_mark"') in found
    assert (line_of(text, "answer = true"), 'question "essay": unknown key "answer"') in found


def test_every_problem_is_reported_at_once(tmp_path):
    text = (HEADER.replace('grading = "best"', 'grading = "worst"')
            + ESSAY.replace('id = "essay"', 'id = "Bad Id"')
            + FULL_QUIZ[len(HEADER):].replace("fraction = -0.5", "fraction = 2"))
    found = problems(tmp_path, text)
    lines = [line for line, _ in found]
    assert line_of(text, 'grading = "worst"') in lines
    assert line_of(text, 'id = "Bad Id"') in lines
    assert line_of(text, "fraction = 2") in lines
    # The out-of-range weight also breaks the sum of the positive weights.
    assert any("they add up to 3" in message for _, message in found)
    assert len(found) == 4


def test_question_issues_work_on_built_specs():
    q = QuestionSpec(id="q", type="multiple", text={"en": "?"},
                     choices=())
    assert [i.part for i in question_issues(q)] == [("choices",), ("choices",)]


# -- the locator ------------------------------------------------------------

def test_locator_handles_nested_arrays_of_tables_and_inline_arrays():
    source = textwrap.dedent('''\
        title = """
        [[questions]]
        not a header"""
        [[questions]]
        id = "a"
          [[questions.choices]]
          id = "x"
          [[questions.choices]]
          id = "y"
        [[questions]]
        "id" = 'b'
        answers = [
          { value = 1 },  # comment with [[questions]]
          { min = 1, max = [
            2, 3] },
        ]
          [[questions.choices]]
          id = "z"
        [questions.extra]
        key.sub = 1
        ''')
    tomllib.loads(source)  # the locator relies on valid TOML
    loc = TomlLocator(source)
    assert loc.line(("questions", 0)) == 4
    assert loc.line(("questions", 0, "choices", 1, "id")) == 9
    assert loc.line(("questions", 1, "id")) == 11
    assert loc.line(("questions", 1, "answers", 1)) == 14
    assert loc.line(("questions", 1, "answers", 1, "max")) == 14
    assert loc.line(("questions", 1, "answers", 1, "max", 1)) == 15
    # Choices are counted per question.
    assert loc.line(("questions", 1, "choices", 0, "id")) == 18
    assert loc.line(("questions", 1, "extra", "key", "sub")) == 20
    # A missing key falls back to its nearest written ancestor.
    assert loc.line(("questions", 1, "choices", 0, "fraction")) == 17
    assert loc.line(("nowhere",)) is None


# -- the content being written now ------------------------------------------

QUIZ_FILES = sorted((ROOT / "courses").glob("**/quiz.toml"))


@pytest.mark.skipif(not QUIZ_FILES, reason="no quiz.toml under courses/ yet")
@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_course_quizzes_are_valid(path):
    quiz = parse_quiz_file(path)
    assert quiz.questions and all(q.text for q in quiz.questions)
