"""Every save is a revision: history, diffs, restore, and refusing a save
based on an older revision than someone else's."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.authoring.diff import diff_table
from lms.authoring.models import ContentRevision
from lms.extensions import db
from authoring_support import authored_course, editor_fields, published_body
from factories import make_user
from pages import page

LESSON = "/author/courses/authored/lessons/lesson-1-1"
HISTORY = "/author/courses/authored/history/lesson/lesson-1-1/es"


def _save(client, fields, **changes):
    return client.post(LESSON, data={**fields, **changes, "action": "save"})


def _revisions(language="es"):
    db.session.expire_all()
    return db.session.scalars(select(ContentRevision).where(
        ContentRevision.kind == "lesson", ContentRevision.language == language)
        .join_from(ContentRevision, ContentRevision.author, isouter=True)
        .order_by(ContentRevision.item_id, ContentRevision.number)).all()


def test_each_save_is_a_revision_with_author_and_full_text(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en", name="Teresa Trainer")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    fields = editor_fields(client.get(LESSON))
    assert fields["base_es"] == "1"
    assert _save(client, fields, text_es="Primera versión.").status_code == 302
    fields = editor_fields(client.get(LESSON))
    assert fields["base_es"] == "2" and fields["text_es"] == "Primera versión.\n"
    assert _save(client, fields, text_es="Segunda versión.").status_code == 302
    rows = [r for r in _revisions() if r.action != "import"]
    assert [(r.number, r.body, r.author_id, r.action) for r in rows] == [
        (2, "Primera versión.\n", trainer.id, "edit"), (3, "Segunda versión.\n", trainer.id, "edit")]
    # Saving without a change writes nothing.
    assert _save(client, editor_fields(client.get(LESSON))).status_code == 302
    assert len(_revisions()) == 3
    history = client.get(HISTORY).get_data(as_text=True)
    assert "Teresa Trainer" in history and "course files" in history


def test_history_diff_between_any_two_revisions_is_escaped(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    fields = editor_fields(client.get(LESSON))
    _save(client, fields, text_es="Uno.\n\n<script>alert(1)</script> dos.")
    fields = editor_fields(client.get(LESSON))
    _save(client, fields, text_es="Uno.\n\nTres.")
    html = client.get(HISTORY, query_string={"a": 1, "b": 2}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r"<ins>[^<]*Uno", html)
    html = client.get(HISTORY, query_string={"a": 2, "b": 3}).get_data(as_text=True)
    assert "<del>&lt;script&gt;alert(1)&lt;/script&gt; dos.</del>" in html and "<ins>Tres.</ins>" in html


def test_diff_table_marks_changes_and_escapes(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = str(diff_table("a\nsame\n<b>old</b> line\n", "a\nsame\n<b>new</b> line\nadded\n"))
        same = str(diff_table("same\n", "same\n"))
    assert '<table class="diff">' in html
    assert "&lt;b&gt;<del>old</del>&lt;/b&gt; line" in html
    assert "&lt;b&gt;<ins>new</ins>&lt;/b&gt; line" in html
    assert "<ins>added</ins>" in html
    assert "<b>" not in html
    assert "No differences." in same


def test_restore_creates_a_new_revision(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    original = editor_fields(client.get(LESSON))["text_es"]
    _save(client, editor_fields(client.get(LESSON)), text_es="Cambiado.")
    response = client.post(f"{HISTORY}/1/restore", follow_redirects=True)
    assert "Revision 1 restored as revision 3 (a draft until published)." in page(response).flashes()
    rows = _revisions()
    assert [(r.number, r.action) for r in rows] == [(1, "import"), (2, "edit"), (3, "restore")]
    assert rows[2].body == original
    assert editor_fields(client.get(LESSON))["text_es"] == original
    # Restoring the current text again changes nothing.
    client.post(f"{HISTORY}/3/restore")
    assert len(_revisions()) == 3


def test_save_based_on_an_older_revision_is_refused_with_a_diff(tmp_path, app, client, auth):
    first = make_user("trainer", locale="en", name="First Author")
    second = make_user("trainer", locale="en", name="Second Author")
    course = authored_course(tmp_path, first, lessons=1)
    from lms.authoring.models import CourseAuthor

    db.session.add(CourseAuthor(course_id=course.id, user_id=second.id, role="coauthor"))
    db.session.commit()
    other = app.test_client()
    auth.login(first.email)
    other.post("/account/login", data={"email": second.email, "password": "correct horse battery"})

    mine = editor_fields(client.get(LESSON))
    theirs = editor_fields(other.get(LESSON))
    assert other.post(LESSON, data={**theirs, "text_es": "El texto de la segunda <persona>.",
                                    "action": "save"}).status_code == 302

    response = _save(client, mine, text_es="Mi versión, que no debe pisar la otra.")
    assert response.status_code == 409
    parsed = page(response)
    html = response.get_data(as_text=True)
    assert any("Someone else saved this text after you opened it" in flash for flash in parsed.flashes())
    assert "Not saved: someone else changed this text" in html
    assert "revision 2 by Second Author" in html
    assert "<ins>El texto de la segunda &lt;persona&gt;.</ins>" in html
    # What I typed is still in the form, now based on their revision.
    assert "Mi versión, que no debe pisar la otra." in parsed.find("textarea", name="text_es").text
    assert parsed.field_value("base_es") == "2"
    # Their text was not overwritten.
    rows = _revisions()
    assert rows[-1].body == "El texto de la segunda <persona>.\n" and rows[-1].author_id == second.id

    # Having seen their changes, I save again: now it goes through.
    again = editor_fields(response)
    again["text_es"] = "El texto de la segunda <persona>, y el mío."
    assert _save(client, again).status_code == 302
    assert _revisions()[-1].body == "El texto de la segunda <persona>, y el mío.\n"


def test_unchanged_language_is_not_written_over_a_newer_one(tmp_path, app, client, auth):
    first = make_user("trainer", locale="en")
    course = authored_course(tmp_path, first, lessons=1)
    admin = make_user("admin", locale="en")
    other = app.test_client()
    other.post("/account/login", data={"email": admin.email, "password": "correct horse battery"})
    auth.login(first.email)
    mine = editor_fields(client.get(LESSON))
    theirs = editor_fields(other.get(LESSON))
    other.post(LESSON, data={**theirs, "text_en": "English fixed by the admin.", "action": "save"})
    # I change only the Spanish text: saved, and the admin's English text stays.
    assert _save(client, mine, text_es="Solo el español.").status_code == 302
    assert _revisions("en")[-1].body == "English fixed by the admin.\n"
    assert _revisions("es")[-1].body == "Solo el español.\n"
    assert course.id


def test_editor_keeps_typed_text_on_error(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    fields = editor_fields(client.get(LESSON))
    response = _save(client, fields, title_en="", text_en="Text without a title.")
    parsed = page(response)
    assert response.status_code == 200
    assert parsed.field_error("title_en") == "Give this language a title too, or leave both fields empty."
    assert "Text without a title." in parsed.find("textarea", name="text_en").text
    assert published_body("authored", "lesson-1-1", "en") == "## Part 1\n\nLesson 1.1 text in en.\n"


def test_double_submitted_save_records_once(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    fields = editor_fields(client.get(LESSON))
    assert _save(client, fields, text_es="Una vez.").status_code == 302
    assert _save(client, fields, text_es="Una vez.").status_code == 302  # the same form, sent again
    assert [r.body for r in _revisions() if r.action == "edit"] == ["Una vez.\n"]
