"""Prospectuses: a template imported with its course, private drafts saved as
the learner goes, lengths checked on every save, required sections on
sending, and the review asked through the advice queue."""
from __future__ import annotations

import re
import textwrap

import pytest
from sqlalchemy import func, select

from factories import make_user, write_course
from lms.advice.models import AdviceMessage, AdviceQueue, AdviceRequest
from lms.advice.seed import seed_queues
from lms.config import ROOT
from lms.content.errors import ContentError
from lms.content.importer import import_courses
from lms.extensions import db
from lms.prospectus import service
from lms.prospectus.models import Prospectus, ProspectusTemplate

TEMPLATE = textwrap.dedent("""\
    [title]
    es = "Prospecto de proyecto"
    en = "Project prospectus"

    [intro]
    es = "Presenta tu proyecto."
    en = "Present your project."

    [[sections]]
    id = "summary"
    title = { es = "Resumen", en = "Summary" }
    guidance = { es = "En pocas frases.", en = "In a few sentences." }
    required = true
    max_chars = 40

    [[sections]]
    id = "partners"
    title = { es = "Socios", en = "Partners" }
    guidance = { es = "Por institución.", en = "By institution." }
    max_chars = 100

    [[sections]]
    id = "risks"
    title = { es = "Riesgos", en = "Risks" }
    required = true
    """)


@pytest.fixture()
def template(tmp_path):
    folder = write_course(tmp_path, "fundable")
    (folder / "prospectus-template.toml").write_text(TEMPLATE, encoding="utf-8")
    import_courses(tmp_path)
    return tmp_path


@pytest.fixture()
def learner(client, auth):
    user = make_user("learner", locale="en")
    auth.login(user.email)
    return user


def new_form(client) -> dict:
    html = client.get("/prospectuses/new").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    return {"token": token, "title": "Binational cocoa hub", "language": "en", "region": "ec-co",
            "value_chain": "cocoa", "section_summary": "", "section_partners": "", "section_risks": ""}


def saved(form: dict, **values) -> dict:
    return {**form, **values, "save": "y"}


def test_the_shipped_template_imports_with_its_course():
    report = import_courses(ROOT / "courses")
    assert report.changes["prospectus templates created"] == 1
    template = db.session.scalar(select(ProspectusTemplate))
    assert template.key == "fundable-projects" and template.course_id
    specs = template.specs()
    assert len(specs) >= 10 and all(spec.titles.keys() == {"es", "en"} for spec in specs)
    assert any(not spec.required for spec in specs) and all(spec.max_chars > 0 for spec in specs)
    assert not import_courses(ROOT / "courses").changed
    # The queue the template's intro points to is seeded by `flask lms seed-queues`.
    seed_queues()
    assert db.session.scalar(select(AdviceQueue).where(AdviceQueue.slug == service.REVIEW_QUEUE)).names["en"] == \
        "Funding and project prospectus"


def test_template_errors_name_file_and_line_and_nothing_is_imported(tmp_path):
    folder = write_course(tmp_path, "fundable")
    path = folder / "prospectus-template.toml"
    path.write_text(TEMPLATE.replace('id = "partners"', 'id = "Partners!"')
                    .replace("max_chars = 40", "max_chars = 0\nhint = \"x\"")
                    .replace("required = true\n", 'required = "yes"\n', 1), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        import_courses(tmp_path)
    problems = "\n".join(str(p) for p in caught.value.problems)
    assert f"{path}:13: section 'summary': required must be true or false" in problems
    assert f"{path}:14: section 'summary': max_chars must be a whole number" in problems
    assert f"{path}:15: unknown key 'hint'" in problems
    assert f"{path}:18: section id 'Partners!' is not valid" in problems
    assert db.session.scalar(select(func.count(ProspectusTemplate.id))) == 0


def test_template_removed_from_its_course_is_archived(template, learner, client):
    (template / "fundable" / "prospectus-template.toml").unlink()
    assert import_courses(template).changes["prospectus templates archived"] == 1
    assert "No prospectus template is available yet" in client.get("/prospectuses/new").get_data(as_text=True)


def test_a_draft_is_saved_as_the_learner_goes_and_a_double_submit_saves_once(template, learner, client):
    form = new_form(client)
    html = client.get("/prospectuses/new").get_data(as_text=True)
    assert "Required to send for review. In a few sentences. Up to 40 characters." in html
    assert "Present your project." in html and html.count("Required to send for review.") == 2

    first = client.post("/prospectuses/new", data=saved(form, section_partners="Two universities"))
    again = client.post("/prospectuses/new", data=saved(form, section_partners="Two universities"))
    assert first.status_code == again.status_code == 302
    assert db.session.scalar(select(func.count(Prospectus.id))) == 1
    prospectus = db.session.scalar(select(Prospectus))
    assert first.headers["Location"].endswith(f"/prospectuses/{prospectus.id}")
    assert prospectus.answers == {"partners": "Two universities"} and prospectus.owner_id == learner.id

    page = client.get(f"/prospectuses/{prospectus.id}").get_data(as_text=True)
    assert "Two universities</textarea>" in page and 'value="Binational cocoa hub"' in page
    client.post(f"/prospectuses/{prospectus.id}", data=saved(form, section_summary="A hub\r\nfor cocoa."))
    db.session.expire_all()
    assert prospectus.answers == {"summary": "A hub\nfor cocoa."} and prospectus.revision == 2
    listing = client.get("/prospectuses/").get_data(as_text=True)
    assert "Binational cocoa hub" in listing and "Draft, not sent" in listing


def test_too_long_section_is_refused_and_the_input_kept(template, learner, client):
    form = new_form(client)
    client.post("/prospectuses/new", data=saved(form))
    prospectus = db.session.scalar(select(Prospectus))
    long_text = "x" * 41
    response = client.post(f"/prospectuses/{prospectus.id}",
                           data=saved(form, section_summary=long_text, section_partners="Kept text"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "At most 40 characters (now 41)." in html
    assert f"{long_text}</textarea>" in html and "Kept text</textarea>" in html
    db.session.expire_all()
    assert prospectus.answers == {}  # nothing saved
    # A CRLF counts as one character, as the browser counts it.
    ok = client.post(f"/prospectuses/{prospectus.id}", data=saved(form, section_summary="y" * 38 + "\r\n" + "z"))
    assert ok.status_code == 302


def test_prospectuses_are_private_to_their_owner(template, app, client, learner):
    form = new_form(client)
    client.post("/prospectuses/new", data=saved(form, section_risks="Our secret risks"))
    prospectus = db.session.scalar(select(Prospectus))
    for role in ("learner", "expert", "trainer", "admin"):
        other = make_user(role, locale="en")
        other_client = app.test_client()
        other_client.post("/account/login", data={"email": other.email, "password": "correct horse battery"})
        assert other_client.get(f"/prospectuses/{prospectus.id}").status_code == 404, role
        assert other_client.post(f"/prospectuses/{prospectus.id}",
                                 data=saved(form, section_risks="Overwritten")).status_code == 404, role
        assert "Our secret" not in other_client.get("/prospectuses/").get_data(as_text=True)
    visitor = app.test_client().get(f"/prospectuses/{prospectus.id}")
    assert visitor.status_code == 302 and "/account/login" in visitor.headers["Location"]
    db.session.expire_all()
    assert prospectus.answers == {"risks": "Our secret risks"}


def test_sending_needs_the_required_sections_and_keeps_the_draft(template, learner, client):
    seed_queues()
    form = new_form(client)
    response = client.post("/prospectuses/new", data={**form, "send": "y", "section_summary": "A cocoa hub."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This section is required before sending for review." in html
    assert "fill in the marked sections" in html
    assert html.count("This section is required before sending for review.") == 1  # risks only
    assert db.session.scalar(select(func.count(AdviceRequest.id))) == 0
    assert db.session.scalar(select(Prospectus)).answers == {"summary": "A cocoa hub."}  # the draft is saved


def test_sending_asks_the_prospectus_queue_once_per_version(template, learner, client):
    seed_queues()
    form = new_form(client)
    client.post("/prospectuses/new", data=saved(form, section_summary="A cocoa hub.",
                                                section_risks="Floods; **border** closures."))
    prospectus = db.session.scalar(select(Prospectus))
    fields = {**form, "section_summary": "A cocoa hub.", "section_risks": "Floods; **border** closures.",
              "consent": "y"}
    sent = client.post(f"/prospectuses/{prospectus.id}", data={**fields, "send": "y"})
    request = db.session.scalar(select(AdviceRequest))
    assert sent.headers["Location"].endswith(f"/advice/requests/{request.id}")
    assert request.queue.slug == "funding-projects" and request.learner_id == learner.id
    assert request.title == "Prospectus review: Binational cocoa hub"
    assert (request.language, request.region, request.value_chain, request.publish_consent) == \
        ("en", "ec-co", "cocoa", True)
    question = db.session.scalar(select(AdviceMessage).where(AdviceMessage.request_id == request.id))
    assert "## Summary\n\nA cocoa hub." in question.body_markdown
    assert "## Partners\n\n*Not filled in.*" in question.body_markdown
    assert "<strong>border</strong>" in question.body_html and "<h2" in question.body_html
    assert "Floods" in client.get(f"/advice/requests/{request.id}").get_data(as_text=True)

    again = client.post(f"/prospectuses/{prospectus.id}", data={**fields, "send": "y"}, follow_redirects=True)
    assert "already been sent for review" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AdviceRequest.id))) == 1
    page = client.get(f"/prospectuses/{prospectus.id}").get_data(as_text=True)
    assert f"/advice/requests/{request.id}" in page and "Sent to an expert for review" in page

    client.post(f"/prospectuses/{prospectus.id}", data={**fields, "section_partners": "A university", "save": "y"})
    assert "changed since" in client.get("/prospectuses/").get_data(as_text=True)
    client.post(f"/prospectuses/{prospectus.id}", data={**fields, "section_partners": "A university", "send": "y"})
    assert db.session.scalar(select(func.count(AdviceRequest.id))) == 2


def test_without_the_queue_the_draft_is_kept_and_the_learner_told(template, learner, client):
    form = new_form(client)
    response = client.post("/prospectuses/new", data={**form, "send": "y", "section_summary": "Hub",
                                                      "section_risks": "Floods"}, follow_redirects=True)
    assert "Expert review of prospectuses is not available yet" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AdviceRequest.id))) == 0
    assert db.session.scalar(select(Prospectus)).answers == {"summary": "Hub", "risks": "Floods"}


def test_the_request_body_is_written_in_the_prospectus_language(template, learner):
    template_row = db.session.scalar(select(ProspectusTemplate))
    prospectus, _ = service.create(learner, template_row, "t" * 20, service.ProspectusData(
        title="Centro binacional", language="es", region="pe-cl", answers={"summary": "Un centro."}))
    body = service.render_markdown_body(prospectus)
    assert "## Resumen\n\nUn centro." in body and "## Socios" in body and "## Riesgos" in body
    assert "Peru–Chile" in body or "Perú–Chile" in body
    assert service.missing_sections(prospectus) == ["risks"]


def test_pages_take_a_fixed_number_of_queries(template, learner, client, count_queries):
    counts = {}
    for size in (1, 6):
        while db.session.scalar(select(func.count(Prospectus.id))) < size:
            client.post("/prospectuses/new", data=saved(new_form(client), section_summary="Text"))
        first = db.session.scalar(select(Prospectus.id).order_by(Prospectus.id))
        counts[size] = {}
        for name, url in (("list", "/prospectuses/"), ("edit", f"/prospectuses/{first}"), ("new", "/prospectuses/new")):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts[size][name] = len(queries)
    assert counts[1] == counts[6], counts
