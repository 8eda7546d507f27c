"""The quiz editor: every question type, drafts and publishing, conflicts,
GIFT upload into the draft, history, translation status and export."""
from __future__ import annotations

import io
import re

import pytest

from lms.authoring import quiz_editor
from lms.content.models import Module
from lms.extensions import db
from authoring_support import authored_course
from factories import make_user
from pages import page

QUIZ = "/author/courses/authored/modules/module-1/quiz"

QUESTIONS = {
    "single": {"text_es": "¿Capital?", "text_en": "Capital?",
               "rows-0-text_es": "Lima", "rows-0-text_en": "Lima", "rows-0-fraction": "1",
               "rows-1-text_es": "Cusco", "rows-1-text_en": "Cusco", "rows-1-fraction": "0"},
    "multiple": {"text_es": "¿Regiones andinas?", "text_en": "Andean regions?",
                 "rows-0-text_es": "Cusco", "rows-0-text_en": "Cusco", "rows-0-fraction": "0.5",
                 "rows-1-text_es": "Puno", "rows-1-text_en": "Puno", "rows-1-fraction": "0.5",
                 "rows-2-text_es": "Loreto", "rows-2-text_en": "Loreto", "rows-2-fraction": "-0.5"},
    "truefalse": {"text_es": "¿Verdad?", "text_en": "True?", "answer": "false",
                  "false_feedback_en": "Right: it is false."},
    "short": {"text_es": "¿Fruto del cacao?", "text_en": "The cocoa fruit?",
              "rows-0-text_es": "mazorca", "rows-0-text_en": "pod", "rows-0-fraction": "1"},
    "numeric": {"text_es": "¿Cuántas regiones?", "text_en": "How many regions?",
                "rows-0-value": "4", "rows-0-tolerance": "0", "rows-0-fraction": "1",
                "rows-1-low": "3", "rows-1-high": "5", "rows-1-fraction": "0.5"},
    "matching": {"text_es": "Une", "text_en": "Match",
                 "rows-0-text_es": "Tacna", "rows-0-text_en": "Tacna", "rows-0-right_es": "Perú",
                 "rows-0-right_en": "Peru",
                 "rows-1-text_es": "Arica", "rows-1-text_en": "Arica", "rows-1-right_es": "Chile",
                 "rows-1-right_en": "Chile",
                 "distractors-0-text_es": "Bolivia", "distractors-0-text_en": "Bolivia"},
    "ordering": {"text_es": "Ordena", "text_en": "Order",
                 "rows-0-text_es": "Cosecha", "rows-0-text_en": "Harvest",
                 "rows-1-text_es": "Fermentación", "rows-1-text_en": "Fermentation",
                 "rows-2-text_es": "Secado", "rows-2-text_en": "Drying"},
    "essay": {"text_es": "Explica tu plan.", "text_en": "Explain your plan."},
    "description": {"text_es": "Lee el caso.", "text_en": "Read the case.", "points": "0"},
}


def _base(html: str) -> str:
    return re.search(r'name="base" type="hidden" value="(\d*)"', html).group(1)


def _add(client, key: str, qtype: str, fields: dict):
    url = f"{QUIZ}/questions/new?key={key}&type={qtype}"
    base = _base(client.get(url).get_data(as_text=True))
    return client.post(url, data={"base": base, "points": "1", "action": "save", **fields})


@pytest.fixture()
def trainer(tmp_path, client, auth):
    person = make_user("trainer", locale="en")
    authored_course(tmp_path, person, lessons=1, quiz=True)
    auth.login(person.email)
    return person


def _draft_spec():
    db.session.expire_all()
    module = db.session.scalar(db.select(Module).where(Module.key == "module-1"))
    return quiz_editor.quiz_state(module).head.spec


def test_every_question_type_through_the_editor(app, trainer, client):
    for qtype, fields in QUESTIONS.items():
        response = _add(client, f"new-{qtype}", qtype, fields)
        assert response.status_code == 302, (qtype, page(response).flashes())
    spec = _draft_spec()
    by_id = {q.id: q for q in spec.questions}
    assert [q.type for q in spec.questions][2:] == list(QUESTIONS)
    assert by_id["new-numeric"].numeric_answers[1].min == 3.0
    assert [p.right["en"] for p in by_id["new-matching"].pairs] == ["Peru", "Chile"]
    assert [d.text["es"] for d in by_id["new-matching"].distractors] == ["Bolivia"]
    assert [i.text["en"] for i in by_id["new-ordering"].items] == ["Harvest", "Fermentation", "Drying"]
    assert by_id["new-truefalse"].answer is False
    # The preview shows the draft as learners will answer it, with the right answers.
    preview = client.get(f"{QUIZ}/preview").get_data(as_text=True)
    for text in ("Capital?", "Andean regions?", "How many regions?", "Match", "Order", "Explain your plan."):
        assert text in preview
    assert "Right answers" in preview
    # Learners still take the published quiz of two questions until it is published.
    reader = app.test_client()
    learner_page = reader.get("/courses/authored/modules/module-1/quiz", headers={"Accept-Language": "en"})
    assert learner_page.status_code == 200
    client.post(f"{QUIZ}/publish")
    db.session.expire_all()
    module = db.session.scalar(db.select(Module).where(Module.key == "module-1"))
    state = quiz_editor.quiz_state(module)
    assert len(state.published.questions) == 2 + len(QUESTIONS) and not state.waiting


def test_invalid_question_is_refused_and_typed_input_kept(trainer, client):
    fields = dict(QUESTIONS["single"], **{"rows-1-fraction": "1"})  # two right answers
    response = _add(client, "two-right", "single", fields)
    assert response.status_code == 200
    flashes = " ".join(page(response).flashes())
    assert "fraction" in flashes or "1.0" in flashes
    parsed = page(response)
    assert parsed.field_value("rows-0-text_en") == "Lima"
    assert "two-right" not in {q.id for q in _draft_spec().questions}


def test_quiz_draft_is_invisible_until_published(app, trainer, client):
    html = client.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    fields = {"base": _base(html), "points": "1", "action": "save", **QUESTIONS["single"],
              "text_en": "Which city is the capital of Peru?"}
    assert client.post(f"{QUIZ}/questions/capital", data=fields).status_code == 302
    learner = make_user("learner", locale="en")
    reader = app.test_client()
    reader.post("/account/login", data={"email": learner.email, "password": "correct horse battery"})
    start = reader.post("/courses/authored/modules/module-1/quiz/start")
    attempt = reader.get(start.headers["Location"]).get_data(as_text=True)
    assert "Capital of Peru?" in attempt and "Which city" not in attempt
    overview = page(client.get("/author/courses/authored")).by_id("waiting").text
    assert "Quiz of module" in overview
    client.post("/author/courses/authored/modules/module-1/publish")  # the module publishes its quiz
    reader.post(start.headers["Location"], data={"action": "submit"})
    again = reader.post("/courses/authored/modules/module-1/quiz/start")
    assert "Which city is the capital of Peru?" in reader.get(again.headers["Location"]).get_data(as_text=True)


def test_concurrent_quiz_edit_is_refused_with_a_diff(app, trainer, client):
    other_trainer = make_user("admin", locale="en", name="Other Admin")
    other = app.test_client()
    other.post("/account/login", data={"email": other_trainer.email, "password": "correct horse battery"})
    mine = client.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    theirs = other.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    other.post(f"{QUIZ}/questions/capital", data={"base": _base(theirs), "action": "save",
                                                   **QUESTIONS["single"], "text_en": "Their <capital>?"})
    response = client.post(f"{QUIZ}/questions/capital", data={"base": _base(mine), "action": "save",
                                                             **QUESTIONS["single"], "text_en": "My capital?"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Not saved: someone else changed this quiz" in html
    conflict = html[html.index('class="conflict"'):html.index("</section>")]
    assert "Their" in conflict and "&lt;" in conflict and "<capital>" not in conflict
    assert page(response).find("textarea", name="text_en").text.strip() == "My capital?"  # what I typed
    assert _draft_spec().question("capital").text["en"] == "Their <capital>?"


def test_gift_upload_adds_and_translates_questions_in_the_draft(trainer, client):
    gift = "::fruit:: What is the cocoa fruit called? {=pod ~bean ~leaf}\n\n::border:: Tacna borders Arica. {T}\n"
    response = client.post(f"{QUIZ}/gift", data={"language": "en", "file": (io.BytesIO(gift.encode()), "q.gift")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "GIFT file read: 1 questions added, 1 updated." in page(response).flashes()
    spec = _draft_spec()
    assert [q.id for q in spec.questions] == ["capital", "border", "fruit"]
    assert spec.question("border").text == {"es": "Tacna limita con Arica.", "en": "Tacna borders Arica."}
    bad = client.post(f"{QUIZ}/gift", data={"language": "en", "file": (io.BytesIO(b"{broken"), "bad.gift")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert any(flash.startswith("Nothing was imported") for flash in page(bad).flashes())


def test_quiz_history_and_restore(trainer, client):
    html = client.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    client.post(f"{QUIZ}/questions/capital", data={"base": _base(html), "action": "save",
                                                   **QUESTIONS["single"], "text_en": "Changed?"})
    history = client.get(f"{QUIZ}/history").get_data(as_text=True)
    assert "<ins>Changed</ins>" in history or "Changed?" in history
    client.post(f"{QUIZ}/history/1/restore")
    assert _draft_spec().question("capital").text["en"] == "Capital of Peru?"


def test_quiz_questions_on_the_translation_dashboard(trainer, client):
    dashboard = "/author/courses/authored/translations"
    _add(client, "only-spanish", "essay", {"text_es": "Explica."})
    rows = {" ".join(r.text.split()) for r in page(client.get(dashboard)).find_all("tr")}
    assert any(row.startswith("Quiz question: Explica.") and "Missing" in row for row in rows)
    # The Spanish source of a published question changes: its English text needs an update.
    html = client.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    client.post(f"{QUIZ}/questions/capital", data={"base": _base(html), "action": "save", **QUESTIONS["single"],
                                                   "text_es": "¿Cuál es la capital del Perú?",
                                                   "text_en": "Capital of Peru?"})
    rows = {" ".join(r.text.split()) for r in page(client.get(dashboard)).find_all("tr")}
    assert any(row.startswith("Quiz question: Capital of Peru?") and "Needs update" in row for row in rows)
    editor = client.get(f"{QUIZ}/questions/capital").get_data(as_text=True)
    assert "changed since it was translated" in editor and "Cuál es la capital" in editor
