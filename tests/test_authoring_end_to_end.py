"""A trainer builds a bilingual module in the browser and publishes it; a learner reads it."""
from __future__ import annotations

import re

from authoring_support import editor_fields
from factories import make_user
from pages import page


def test_trainer_creates_publishes_and_learner_reads(app, client, auth):
    trainer = make_user("trainer", locale="en")
    learner = make_user("learner", locale="en")
    auth.login(trainer.email)

    response = client.post("/author/courses/new", data={
        "slug": "border-cocoa", "source_language": "es", "hours": "3",
        "title_es": "Cacao de frontera", "text_es": "Un curso sobre el cacao fino.",
        "title_en": "Border cocoa", "text_en": "A course about fine cocoa.",
        "topics": ["value-chains"], "regions": ["pe-co"], "value_chains": ["cocoa"], "sdgs": ["8"]})
    assert response.status_code == 302, page(response).flashes()
    assert response.headers["Location"].endswith("/author/courses/border-cocoa")

    response = client.post("/author/courses/border-cocoa/modules/new", data={
        "key": "market-access", "title_es": "Acceso a mercados", "title_en": "Market access",
        "text_es": "Cómo vender.", "text_en": "How to sell."})
    assert response.status_code == 302
    for key, es, en in (("buyers", "Compradores", "Buyers"), ("prices", "Precios", "Prices")):
        response = client.post("/author/courses/border-cocoa/modules/market-access/lessons/new", data={
            "key": key, "minutes": "7",
            "title_es": es, "text_es": f"## {es}\n\nTexto sobre {es.lower()}.",
            "title_en": en, "text_en": f"## {en}\n\nText about {en.lower()}."})
        assert response.status_code == 302, page(response).flashes()

    # Nothing is visible before publishing.
    assert client.get("/courses/border-cocoa").status_code == 404
    overview = client.get("/author/courses/border-cocoa").get_data(as_text=True)
    assert "Waiting to be published" in overview and "Buyers" in overview and "Prices" in overview

    # The trainer edits a lesson in the editor (both languages side by side) and publishes everything.
    editor = client.get("/author/courses/border-cocoa/lessons/prices")
    fields = editor_fields(editor)
    assert fields["title_es"] == "Precios" and fields["title_en"] == "Prices"
    fields["text_en"] = "## Prices\n\nFair prices for **fine** cocoa.\n"
    response = client.post("/author/courses/border-cocoa/lessons/prices", data={**fields, "action": "save"})
    assert response.status_code == 302
    _build_quiz(client)

    response = client.post("/author/courses/border-cocoa/publish", follow_redirects=True)
    assert "Published" in " ".join(page(response).flashes())
    auth.logout()

    auth.login(learner.email)
    course_page = client.get("/courses/border-cocoa").get_data(as_text=True)
    assert "Border cocoa" in course_page and "Market access" in course_page
    assert "Buyers" in course_page and "Prices" in course_page
    lesson = client.get("/courses/border-cocoa/lessons/prices").get_data(as_text=True)
    assert "Fair prices for <strong>fine</strong> cocoa." in lesson
    catalog = client.get("/courses?language=en").get_data(as_text=True)
    assert "Border cocoa" in catalog
    _take_quiz(client)
    # A learner cannot reach the editor.
    assert client.get("/author/courses/border-cocoa/lessons/prices").status_code == 403
    # A Spanish reader gets the Spanish texts.
    spanish = app.test_client().get("/courses/border-cocoa/lessons/buyers", headers={"Accept-Language": "es"})
    assert "Texto sobre compradores." in spanish.get_data(as_text=True)


QUIZ = "/author/courses/border-cocoa/modules/market-access/quiz"


def _build_quiz(client):
    """Three question types, in both languages, through the quiz editor."""
    questions = [
        ("buyer-kind", "single", {
            "text_es": "¿Quién compra cacao fino?", "text_en": "Who buys fine cocoa?",
            "rows-0-text_es": "Chocolateros artesanales", "rows-0-text_en": "Craft chocolate makers",
            "rows-0-fraction": "1", "rows-0-feedback_en": "Yes: they pay for flavour.",
            "rows-1-text_es": "Nadie", "rows-1-text_en": "Nobody", "rows-1-fraction": "0"}),
        ("prices-vary", "truefalse", {
            "text_es": "Los precios del cacao fino varían con la calidad.",
            "text_en": "Fine cocoa prices vary with quality.", "answer": "true"}),
        ("premium-term", "short", {
            "text_es": "¿Cómo se llama el sobreprecio por calidad?",
            "text_en": "What is the extra paid for quality called?",
            "rows-0-text_es": "prima", "rows-0-text_en": "premium", "rows-0-fraction": "1"}),
    ]
    for key, qtype, fields in questions:
        url = f"{QUIZ}/questions/new?key={key}&type={qtype}"
        base = re.search(r'name="base" type="hidden" value="(\d*)"', client.get(url).get_data(as_text=True)).group(1)
        response = client.post(url, data={"base": base, "points": "1", "action": "save", **fields})
        assert response.status_code == 302, page(response).flashes()
    quiz_page = client.get(QUIZ).get_data(as_text=True)
    for key in ("buyer-kind", "prices-vary", "premium-term"):
        assert key in quiz_page
    preview = client.get(f"{QUIZ}/preview").get_data(as_text=True)
    assert "Who buys fine cocoa?" in preview and "Craft chocolate makers" in preview


def _take_quiz(client):
    """The learner takes the published quiz and passes it with the right answers."""
    quiz_url = "/courses/border-cocoa/modules/market-access/quiz"
    assert client.get(quiz_url).status_code == 200
    response = client.post(f"{quiz_url}/start")
    assert response.status_code == 302
    attempt_url = response.headers["Location"]
    html = client.get(attempt_url).get_data(as_text=True)
    assert "Who buys fine cocoa?" in html and "Fine cocoa prices vary with quality." in html
    single = re.search(r'name="(q\d+)" value="(\d+)"> <span>Craft chocolate makers</span>', html)
    truefalse = re.search(r'<input type="radio" name="(q\d+)" value="true"', html)
    short = re.search(r'<input type="text" id="(q\d+)"', html)
    answers = {single.group(1): single.group(2), truefalse.group(1): "true", short.group(1): "Premium",
               "action": "submit"}
    result = client.post(attempt_url, data=answers, follow_redirects=True).get_data(as_text=True)
    assert "Score: 100 %" in result and "Passed" in result
