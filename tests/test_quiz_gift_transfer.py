"""GIFT in and out of the database: the trainers' upload form, the download,
and `flask lms gift check|import|export`."""
from __future__ import annotations

import json
from dataclasses import replace
from io import BytesIO

from sqlalchemy import func, select

from factories import make_user, write_course
from lms.content.importer import import_courses
from lms.content.models import Module
from lms.extensions import db
from lms.quizzes.convert import question_spec
from lms.quizzes.models import Attempt, Question, QuestionText, Quiz
from quiz_support import ALL_TYPES, QUIZ_URL, make_quiz_course, right_form, start, write_quiz_course

EN = {"Accept-Language": "en"}
MODULE_2 = "/courses/quiz-course/modules/module-2/quiz"

GIFT_ES = """// [id:capital-gift]
::Capital::¿Cuál es la capital de Chile?{
  =Santiago#¡Correcto!
  ~Valparaíso#No, es el puerto.
  ####Santiago es la capital.
}

::Suma::Dos más dos son {=cuatro =4}.

¿Cuántas regiones tiene el programa?{#4:0}
"""

GIFT_EN = """// [id:capital-gift]
::Capital::What is the capital of Chile?{
  =Santiago#Right!
  ~Valparaíso#No, that is the port.
  ####Santiago is the capital.
}
"""

BAD_GIFT = """::Good::Fine question{T}

::Broken::Unclosed braces {=a ~b

::Weights::Which?{~%60%a ~%60%b ~c}
"""


def _trainer(auth):
    auth.login(make_user("trainer", locale="en").email)


def _upload(client, text: str, language: str = "es", url: str = QUIZ_URL, name: str = "questions.gift"):
    return client.post(url + "/gift", data={"file": (BytesIO(text.encode()), name), "language": language},
                       content_type="multipart/form-data", headers=EN)


def _course_with_two_modules(tmp_path):
    folder = write_quiz_course(tmp_path, modules=2)
    import_courses(tmp_path)
    return folder


def _questions(module_key: str) -> list[Question]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(Question).join(Quiz, Quiz.id == Question.quiz_id).join(Module, Module.id == Quiz.module_id)
        .where(Module.key == module_key, Question.archived_at.is_(None)).order_by(Question.position)))


def test_trainer_uploads_a_gift_file_into_a_module_without_quiz(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    assert client.get(MODULE_2).status_code == 404
    manage = client.get(MODULE_2 + "/manage", headers=EN).get_data(as_text=True)
    assert "This module has no quiz yet" in manage
    response = _upload(client, GIFT_ES, url=MODULE_2)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Imported 3 questions" in client.get(response.headers["Location"], headers=EN).get_data(as_text=True)
    questions = _questions("module-2")
    assert [q.key for q in questions] == ["capital-gift", "suma", "q3"]
    assert [q.type for q in questions] == ["single", "short", "numeric"]
    assert all(q.origin == "gift" for q in questions)
    assert {t.language for q in questions for t in q.texts} == {"es"}
    # Learners can take it at once.
    auth.logout()
    auth.login(make_user(locale="es").email)
    attempt_id = start(client, MODULE_2)
    client.post(f"/quiz-attempts/{attempt_id}", data={**right_form(attempt_id), "action": "submit"})
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).score == 100.0


def test_gift_errors_show_their_lines_and_nothing_is_imported(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    response = _upload(client, BAD_GIFT, url=MODULE_2)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was imported: 2 problems were found." in html
    assert "Line 3:" in html and "Line 5:" in html
    assert db.session.scalar(select(func.count(Quiz.id))) == 1  # module 1's only
    assert _questions("module-2") == []


def test_upload_form_checks_the_file(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    empty = client.post(MODULE_2 + "/gift", data={"language": "es"}, headers=EN)
    assert "Choose a .gift file to upload." in empty.get_data(as_text=True)
    wrong_type = _upload(client, GIFT_ES, url=MODULE_2, name="questions.exe")
    assert "must be a .gift" in wrong_type.get_data(as_text=True)
    latin1 = client.post(MODULE_2 + "/gift", data={"file": (BytesIO("¿Qué?{T}".encode("latin-1")), "q.gift"),
                                                   "language": "es"},
                         content_type="multipart/form-data", headers=EN)
    assert "not UTF-8" in latin1.get_data(as_text=True)
    assert _questions("module-2") == []


def test_a_second_language_file_translates_the_same_questions(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    _upload(client, GIFT_ES, url=MODULE_2)
    before = _questions("module-2")[0]
    grading = dict(before.grading)
    response = _upload(client, GIFT_EN, language="en", url=MODULE_2)
    assert response.status_code == 302
    capital = _questions("module-2")[0]
    assert capital.grading == grading
    texts = capital.text_by_language()
    assert set(texts) == {"es", "en"}
    assert texts["en"].text == "What is the capital of Chile?"
    assert texts["en"].parts["choices"]["a"]["feedback"] == "Right!"
    assert texts["en"].source_revision == texts["es"].revision
    page = client.get(MODULE_2 + "/manage", headers=EN).get_data(as_text=True)
    assert "What is the capital of Chile?" in page


def test_an_uploaded_question_with_other_answers_is_replaced(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    _upload(client, GIFT_ES, url=MODULE_2)
    _upload(client, GIFT_EN, language="en", url=MODULE_2)
    changed = GIFT_ES.replace("~Valparaíso#No, es el puerto.", "~Valparaíso\n  ~Arica")
    assert _upload(client, changed, url=MODULE_2).status_code == 302
    capital = _questions("module-2")[0]
    assert [c["id"] for c in capital.grading["choices"]] == ["a", "b", "c"]
    assert set(capital.text_by_language()) == {"es"}  # the English texts described the old answers


def test_a_gift_file_cannot_change_the_answers_of_a_file_question(tmp_path, client, auth):
    make_quiz_course(tmp_path)
    _trainer(auth)
    clash = "// [id:capital]\n¿Capital?{=Cusco ~Lima}\n"
    response = _upload(client, clash)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "comes from the course files with other answers" in html
    capital = db.session.scalar(select(Question).where(Question.key == "capital"))
    assert capital.grading["choices"][0] == {"id": "lima", "fraction": 1.0}


def test_export_then_import_gives_the_same_questions(tmp_path, client, auth):
    _course_with_two_modules(tmp_path)
    _trainer(auth)
    exported = {}
    for lang in ("es", "en"):
        response = client.get(QUIZ_URL + f"/export/{lang}.gift")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == f'attachment; filename="quiz-course-module-1-{lang}.gift"'
        exported[lang] = response.get_data(as_text=True)
    assert "Capital of Peru?" in exported["en"] and "¿Capital de Perú?" in exported["es"]
    # Importing its own export back changes nothing.
    again = _upload(client, exported["es"])
    assert again.status_code == 302
    assert db.session.scalar(select(func.max(QuestionText.revision))) == 1

    for lang in ("es", "en"):
        assert _upload(client, exported[lang], language=lang, url=MODULE_2).status_code == 302
    originals = {q.key: question_spec(q) for q in _questions("module-1")}
    copies = {q.key: question_spec(q) for q in _questions("module-2")}
    assert set(copies) == set(originals) - {"steps"}  # GIFT has no ordering questions
    for key, copy in copies.items():
        original = originals[key]
        # GIFT numbers choices a, b, c and has no points or exact flag: compare the rest.
        assert copy.type == original.type and copy.text == original.text, key
        assert copy.feedback == original.feedback, key
        assert [(c.text, c.fraction, c.feedback) for c in copy.choices] == \
            [(c.text, c.fraction, c.feedback) for c in original.choices], key
        assert (copy.answer, copy.true_feedback, copy.false_feedback) == \
            (original.answer, original.true_feedback, original.false_feedback), key
        assert [(a.text, a.fraction, a.feedback) for a in copy.short_answers] == \
            [(a.text, a.fraction, a.feedback) for a in original.short_answers], key
        assert [replace(a, id="") for a in copy.numeric_answers] == \
            [replace(a, id="") for a in original.numeric_answers], key
        assert [(p.left, p.right) for p in copy.pairs] == [(p.left, p.right) for p in original.pairs], key
        assert [d.text for d in copy.distractors] == [d.text for d in original.distractors], key


def test_cli_gift_check(tmp_path, runner):
    path = tmp_path / "questions.gift"
    path.write_text(GIFT_ES, encoding="utf-8")
    result = runner.invoke(args=["lms", "gift", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 question(s)" in result.output and "[single, 2 answer(s)] capital-gift" in result.output
    as_json = runner.invoke(args=["lms", "gift", "check", str(path), "--json"])
    data = json.loads(as_json.output)
    assert [q["type"] for q in data] == ["single", "short", "numeric"]
    assert data[0]["answers"][0] == {"id": "a", "text": "Santiago", "fraction": 1.0, "feedback": "¡Correcto!"}
    assert data[0]["general_feedback"] == "Santiago es la capital."
    assert data[2]["answers"][0]["tolerance"] == 0.0
    bad = tmp_path / "bad.gift"
    bad.write_text(BAD_GIFT, encoding="utf-8")
    failed = runner.invoke(args=["lms", "gift", "check", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:3:" in failed.output and f"{bad}:5:" in failed.output


def test_cli_gift_import_and_export(tmp_path, runner):
    _course_with_two_modules(tmp_path)
    path = tmp_path / "questions.gift"
    path.write_text(GIFT_ES, encoding="utf-8")
    result = runner.invoke(args=["lms", "gift", "import", str(path), "--course", "quiz-course",
                                 "--module", "module-2", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "Imported 3 question(s)" in result.output
    assert [q.key for q in _questions("module-2")] == ["capital-gift", "suma", "q3"]
    rerun = runner.invoke(args=["lms", "gift", "import", str(path), "--course", "quiz-course",
                                "--module", "module-2", "--lang", "es"])
    assert "quiz question texts unchanged: 3" in rerun.output and "created" not in rerun.output

    exported = runner.invoke(args=["lms", "gift", "export", "--course", "quiz-course", "--module", "module-2",
                                   "--lang", "es"])
    assert exported.exit_code == 0
    assert "// [id:capital-gift]" in exported.output and "Santiago" in exported.output
    output = tmp_path / "out.gift"
    runner.invoke(args=["lms", "gift", "export", "--course", "quiz-course", "--module", "module-1",
                        "--lang", "en", "--output", str(output)])
    assert "Capital of Peru?" in output.read_text(encoding="utf-8")

    missing = runner.invoke(args=["lms", "gift", "import", str(path), "--course", "quiz-course",
                                  "--module", "nope", "--lang", "es"])
    assert missing.exit_code == 1
    bad = tmp_path / "bad.gift"
    bad.write_text(BAD_GIFT, encoding="utf-8")
    failed = runner.invoke(args=["lms", "gift", "import", str(bad), "--course", "quiz-course",
                                 "--module", "module-2", "--lang", "es"])
    assert failed.exit_code == 1 and "Nothing was imported" in failed.output
    assert len(_questions("module-2")) == 3


def test_a_question_only_in_one_language_is_left_out_of_the_other_export(tmp_path, client, auth):
    write_course(tmp_path, "quiz-course", modules=2)
    import_courses(tmp_path)
    _trainer(auth)
    _upload(client, GIFT_ES, url=MODULE_2)
    english = client.get(MODULE_2 + "/export/en.gift").get_data(as_text=True)
    assert 'question "capital-gift" has no "en" text: left out' in english
    assert "Santiago" not in english
    assert client.get(MODULE_2 + "/export/fr.gift").status_code == 404


def test_course_import_keeps_uploaded_questions(tmp_path, client, auth):
    make_quiz_course(tmp_path, questions=ALL_TYPES)
    _trainer(auth)
    _upload(client, GIFT_ES)
    keys = [q.key for q in _questions("module-1")]
    assert keys[-3:] == ["capital-gift", "suma", "q3"] and "capital" in keys
    report = import_courses(tmp_path)
    assert not report.changed, report.summary()
    assert [q.key for q in _questions("module-1")] == keys
