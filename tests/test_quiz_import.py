"""Quizzes in the course files: validated with the course, upserted once,
translations apart from grading, removed questions archived; and every
shipped quiz's right answers really grade as right."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from factories import make_user, write_course
from lms.config import ROOT
from lms.content.errors import ContentError
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.quizzes.convert import question_spec
from lms.quizzes.grading import correct_response, grade_question
from lms.quizzes.models import Attempt, Question, QuestionText, Quiz, QuizText
from lms.quizzes.spec import parse_quiz_file
from quiz_support import (
    ALL_TYPES, QUIZ_URL, make_quiz_course, quiz_toml, right_form, single_questions, start,
    write_quiz_course,
)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_stores_grading_and_texts_apart_and_rerun_changes_nothing(tmp_path):
    report = make_quiz_course(tmp_path)
    assert report.changes["quizzes created"] == 1 and report.changes["quiz questions created"] == 8
    quiz = db.session.scalar(select(Quiz))
    assert (quiz.pass_mark, quiz.grading, quiz.show_answers) == (70.0, "best", "after_attempt")
    assert {t.language: t.title for t in quiz.texts} == {"es": "Evaluación", "en": "The quiz"}
    capital = db.session.scalar(select(Question).where(Question.key == "capital"))
    # Grading data in no language; texts per language, rendered once.
    assert capital.grading == {"choices": [{"id": "lima", "fraction": 1.0}, {"id": "cusco", "fraction": 0.0},
                                           {"id": "arequipa", "fraction": 0.0}]}
    texts = capital.text_by_language()
    assert set(texts) == {"es", "en"}
    assert texts["en"].text_html == "<p>Capital of Peru?</p>"
    assert texts["es"].parts["choices"]["lima"]["feedback"] == "¡Bien!"
    assert texts["en"].parts_html["choices"]["cusco"]["feedback"] == "<p>CHOICE-FEEDBACK-WRONG</p>"
    assert texts["es"].revision == 1 and texts["en"].source_revision == 1

    again = import_courses(tmp_path)
    assert not again.changed, again.summary()
    assert again.changes["quiz questions unchanged"] == 8
    assert _count(Question) == 8 and _count(QuestionText) == 16 and _count(Quiz) == 1


def test_an_edited_translation_gets_a_revision_and_never_touches_grading(tmp_path):
    folder = write_quiz_course(tmp_path)
    import_courses(tmp_path)
    capital = db.session.scalar(select(Question).where(Question.key == "capital"))
    grading_hash = capital.grading_hash
    quiz_file = folder / "01-module-1" / "quiz.toml"
    quiz_file.write_text(quiz_file.read_text(encoding="utf-8").replace(
        'en = "Capital of Peru?"', 'en = "What is the capital of Peru?"'), encoding="utf-8")
    report = import_courses(tmp_path)
    assert report.changes["quiz question texts updated"] == 1
    assert report.changes["quiz questions updated"] == 0
    db.session.expire_all()
    capital = db.session.scalar(select(Question).where(Question.key == "capital"))
    texts = capital.text_by_language()
    assert texts["en"].revision == 2 and texts["es"].revision == 1
    assert texts["en"].text_html == "<p>What is the capital of Peru?</p>"
    assert capital.grading_hash == grading_hash


def test_a_quiz_error_names_file_and_line_and_nothing_is_imported(tmp_path, runner):
    bad = ALL_TYPES.replace('  fraction = 1.0\n  feedback = { es = "¡Bien!"', '  fraction = 0.5\n  feedback = { es = "¡Bien!"')
    folder = write_quiz_course(tmp_path, questions=bad)
    quiz_file = folder / "01-module-1" / "quiz.toml"
    with pytest.raises(ContentError) as raised:
        import_courses(tmp_path)
    problem = raised.value.problems[0]
    assert problem.path == str(quiz_file)
    assert "exactly one choice with fraction = 1.0" in problem.message
    lines = quiz_file.read_text(encoding="utf-8").splitlines()
    assert problem.line is not None and 'id = "capital"' in "\n".join(lines[problem.line - 8:problem.line])
    assert _count(Course) == 0 and _count(Quiz) == 0 and _count(Question) == 0

    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{quiz_file}:{problem.line}:" in result.output
    assert _count(Course) == 0


def test_toml_syntax_error_in_a_quiz_has_its_line(tmp_path):
    folder = write_course(tmp_path, "broken")
    (folder / "01-module-1" / "quiz.toml").write_text('pass_mark = 70\n[title\nes = "x"\n', encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        import_courses(tmp_path)
    assert raised.value.problems[0].line == 2
    assert _count(Course) == 0


def test_removed_questions_are_archived_and_attempts_keep_pointing_at_them(tmp_path, client, auth):
    folder = write_quiz_course(tmp_path)
    import_courses(tmp_path)
    learner = make_user(locale="en")
    auth.login(learner.email)
    attempt_id = start(client)
    client.post(f"/quiz-attempts/{attempt_id}", data={**right_form(attempt_id), "action": "submit"})

    without_capital = ALL_TYPES.split('[[questions]]\nid = "borders"')
    quiz_file = folder / "01-module-1" / "quiz.toml"
    quiz_file.write_text(quiz_toml('\n[[questions]]\nid = "borders"' + without_capital[1]), encoding="utf-8")
    report = import_courses(tmp_path)
    assert report.changes["quiz questions archived"] == 1
    capital = db.session.scalar(select(Question).where(Question.key == "capital"))
    assert capital is not None and capital.archived_at is not None
    # The old attempt still shows it; a new attempt does not include it.
    old = client.get(f"/quiz-attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Capital of Peru?" in old
    new_attempt = start(client)
    assert "Capital of Peru?" not in client.get(f"/quiz-attempts/{new_attempt}").get_data(as_text=True)

    quiz_file.write_text(quiz_toml(ALL_TYPES), encoding="utf-8")
    assert import_courses(tmp_path).changes["quiz questions restored"] == 1


def test_a_module_whose_quiz_file_is_gone_loses_its_quiz_page(tmp_path, client):
    folder = write_quiz_course(tmp_path)
    import_courses(tmp_path)
    assert client.get(QUIZ_URL).status_code == 200
    assert "Module quiz" in client.get("/courses/quiz-course", headers={"Accept-Language": "en"}).get_data(as_text=True)
    (folder / "01-module-1" / "quiz.toml").unlink()
    report = import_courses(tmp_path)
    assert report.changes["quizzes archived"] == 1
    assert client.get(QUIZ_URL).status_code == 404
    assert "Module quiz" not in client.get("/courses/quiz-course", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _count(Question) == 8  # archived, not deleted


def test_a_quiz_in_one_language_is_shown_with_a_notice(tmp_path, client, auth):
    spanish_only = single_questions(2).replace(', en = "Question text 1"', "").replace(
        ', en = "Yes 1"', "").replace(', en = "No 1"', "").replace(', en = "Other 1"', "")
    make_quiz_course(tmp_path, questions=spanish_only)
    auth.login(make_user(locale="en").email)
    page = client.get(f"/quiz-attempts/{start(client)}").get_data(as_text=True)
    assert "Pregunta 1" in page and "Question text 2" in page
    assert page.count("not yet available in your language; it is shown in Spanish") == 1
    assert 'lang="es"' in page


def _shipped_quiz_files() -> list[Path]:
    return sorted((ROOT / "courses").glob("*/*/quiz.toml"))


def test_every_shipped_module_has_a_bilingual_quiz_with_five_types():
    modules = sorted(p for p in (ROOT / "courses").glob("*/[0-9]*") if p.is_dir())
    assert modules and all((module / "quiz.toml").is_file() for module in modules)
    types = set()
    for path in _shipped_quiz_files():
        spec = parse_quiz_file(path)  # both languages required
        types |= {q.type for q in spec.questions}
    assert len(types) >= 5, types


@pytest.mark.parametrize("path", _shipped_quiz_files(), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_shipped_quiz_grades_its_right_answers_as_right(path):
    spec = parse_quiz_file(path)
    for question in spec.questions:
        if question.type in ("essay", "description"):
            continue
        right = correct_response(question)
        for language in ("es", "en"):
            grade = grade_question(question, right.as_response(language))
            assert grade.correct and grade.fraction == 1.0, (path.name, question.id, language)


def test_shipped_courses_import_and_their_stored_questions_grade_the_same(tmp_path):
    report = import_courses(ROOT / "courses")
    assert report.changes["quizzes created"] == len(_shipped_quiz_files())
    assert not import_courses(ROOT / "courses").changed
    questions = db.session.scalars(select(Question)).all()
    assert questions
    for question in questions:
        spec = question_spec(question)
        if spec.type in ("essay", "description"):
            continue
        # Built from the database (grading data + texts), the right answer still grades right.
        assert grade_question(spec, correct_response(spec).as_response("en")).fraction == 1.0, question.key
    assert _count(QuizText) == 2 * len(_shipped_quiz_files())
    assert _count(Attempt) == 0
