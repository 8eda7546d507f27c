"""Who may reach the editors: owners and co-authors of a course, admins everywhere."""
from __future__ import annotations

import pytest

from sqlalchemy import func, select

from lms.authoring.models import ContentRevision
from lms.extensions import db
from authoring_support import authored_course, editor_fields, published_body
from factories import make_course, make_user
from pages import page

EDITOR_PAGES = (
    "/author/courses/{slug}",
    "/author/courses/{slug}/settings",
    "/author/courses/{slug}/modules/module-1",
    "/author/courses/{slug}/lessons/lesson-1-1",
    "/author/courses/{slug}/history/lesson/lesson-1-1/es",
    "/author/courses/{slug}/translations",
    "/author/courses/{slug}/export.zip",
)


def test_trainer_cannot_edit_another_trainers_course(tmp_path, client, auth):
    owner = make_user("trainer", locale="en")
    other = make_user("trainer", locale="en")
    authored_course(tmp_path, owner, "owned")
    auth.login(other.email)
    for url in EDITOR_PAGES:
        assert client.get(url.format(slug="owned")).status_code == 403, url
    before = published_body("owned", "lesson-1-1", "es")
    # Changes are refused too, and nothing is written.
    assert client.post("/author/courses/owned/lessons/lesson-1-1",
                       data={"title_es": "Hackeado", "text_es": "x", "action": "save"}).status_code == 403
    assert client.post("/author/courses/owned/publish").status_code == 403
    assert client.post("/author/courses/owned/authors",
                       data={"email": other.email, "role": "owner"}).status_code == 403
    assert published_body("owned", "lesson-1-1", "es") == before
    assert db.session.scalar(select(func.count(ContentRevision.id)).where(
        ContentRevision.action != "import")) == 0
    # Their list of courses does not offer it.
    assert "owned" not in client.get("/author").get_data(as_text=True)


def test_unpublished_course_of_someone_else_is_not_found(tmp_path, client, auth):
    owner = make_user("trainer", locale="en")
    other = make_user("trainer", locale="en")
    auth.login(owner.email)
    client.post("/author/courses/new", data={"slug": "secret", "source_language": "es",
                                              "title_es": "Secreto", "text_es": "Resumen."})
    auth.logout()
    auth.login(other.email)
    assert client.get("/author/courses/secret").status_code == 404


def test_owner_coauthor_and_admin_can_edit(tmp_path, client, auth):
    owner = make_user("trainer", locale="en")
    coauthor = make_user("trainer", locale="en")
    admin = make_user("admin", locale="en")
    authored_course(tmp_path, owner, "shared")
    auth.login(owner.email)
    response = client.post("/author/courses/shared/authors", data={"email": coauthor.email, "role": "coauthor"},
                           follow_redirects=True)
    assert f"{coauthor.email} can now edit this course." in page(response).flashes()
    auth.logout()
    for person in (coauthor, admin):
        auth.login(person.email)
        for url in EDITOR_PAGES:
            assert client.get(url.format(slug="shared")).status_code == 200, (person.email, url)
        auth.logout()
    # A co-author edits but does not manage the authors.
    auth.login(coauthor.email)
    assert client.post("/author/courses/shared/authors",
                       data={"email": admin.email, "role": "owner"}).status_code == 403


def test_admin_edits_imported_course_without_authors(tmp_path, client, auth):
    make_course(tmp_path, "imported")
    admin = make_user("admin", locale="en")
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    assert client.get("/author/courses/imported").status_code == 403
    auth.logout()
    auth.login(admin.email)
    fields = editor_fields(client.get("/author/courses/imported/lessons/lesson-1-1"))
    fields["text_es"] = "Corregido por la administradora.\n"
    assert client.post("/author/courses/imported/lessons/lesson-1-1", data=fields).status_code == 302


def test_only_trainers_become_authors(tmp_path, client, auth):
    owner = make_user("trainer", locale="en")
    learner = make_user("learner", locale="en")
    authored_course(tmp_path, owner, "owned")
    auth.login(owner.email)
    response = client.post("/author/courses/owned/authors", data={"email": learner.email, "role": "coauthor"},
                           follow_redirects=True)
    assert "Only trainers can be authors of a course." in page(response).flashes()


@pytest.mark.parametrize("role", ["learner", "expert"])
def test_people_without_trainer_role_reach_no_editor(tmp_path, client, auth, role):
    owner = make_user("trainer", locale="en")
    authored_course(tmp_path, owner, "owned")
    person = make_user(role, locale="en")
    auth.login(person.email)
    for url in ("/author", "/author/courses/new", *EDITOR_PAGES):
        assert client.get(url.format(slug="owned")).status_code == 403, url
    assert client.post("/author/preview", data={"text": "*hi*"}).status_code == 403
    # The header offers no authoring link.
    assert 'href="/author"' not in client.get("/courses").get_data(as_text=True)


def test_visitors_are_sent_to_sign_in(tmp_path, client):
    owner = make_user("trainer", locale="en")
    authored_course(tmp_path, owner, "owned")
    for url in ("/author", "/author/courses/new", *EDITOR_PAGES):
        response = client.get(url.format(slug="owned"))
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url


def test_trainer_creates_course_and_becomes_owner(client, auth):
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    assert 'href="/author"' in client.get("/courses").get_data(as_text=True)
    response = client.post("/author/courses/new", data={"slug": "mine", "source_language": "en",
                                                         "title_en": "Mine", "text_en": "Summary."})
    assert response.status_code == 302
    overview = client.get("/author/courses/mine").get_data(as_text=True)
    assert f"{trainer.name} ({trainer.email}) · owner" in overview


def test_new_course_form_keeps_typed_input_on_error(client, auth):
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    response = client.post("/author/courses/new", data={"slug": "Not Valid!", "source_language": "es",
                                                         "title_es": "Mi curso", "text_es": "Un resumen.",
                                                         "regions": ["pe-cl"]})
    parsed = page(response)
    assert response.status_code == 200
    assert parsed.field_value("slug") == "Not Valid!" and parsed.field_value("title_es") == "Mi curso"
    assert "slug" in parsed.invalid_fields()
    assert "checked" in parsed.find("input", name="regions", value="pe-cl").attrs
