"""Learners see only what is published; trainers see what is waiting."""
from __future__ import annotations

from sqlalchemy import select

from lms.content.importer import import_courses
from lms.content.models import LessonText
from lms.extensions import db
from authoring_support import authored_course, editor_fields, published_body
from factories import make_user, write_course
from pages import page

LESSON = "/author/courses/authored/lessons/lesson-1-1"


def test_draft_is_invisible_to_learners_until_published(app, tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=2)
    reader = app.test_client()
    en = {"Accept-Language": "en"}
    auth.login(trainer.email)
    fields = editor_fields(client.get(LESSON))
    client.post(LESSON, data={**fields, "text_en": "A **draft** learners must not see yet.", "action": "save"})

    assert "draft" not in reader.get("/courses/authored/lessons/lesson-1-1", headers=en).get_data(as_text=True)
    assert published_body("authored", "lesson-1-1", "en") == "## Part 1\n\nLesson 1.1 text in en.\n"
    # The trainer sees it waiting, in the overview and in the editor.
    overview = page(client.get("/author/courses/authored"))
    waiting = overview.by_id("waiting").text
    assert "Lesson 1.1 (en)" in waiting and "revision 2 (published: 1)" in waiting
    assert "Lesson 1.2" not in waiting
    editor = client.get(LESSON).get_data(as_text=True)
    assert "Waiting to be published." in editor

    response = client.post("/author/courses/authored/lessons/lesson-1-1/publish", data={"back": "lesson"},
                           follow_redirects=True)
    assert "Published: learners now see the new texts." in page(response).flashes()
    html = reader.get("/courses/authored/lessons/lesson-1-1", headers=en).get_data(as_text=True)
    assert "A <strong>draft</strong> learners must not see yet." in html
    assert "Nothing is waiting" in client.get("/author/courses/authored").get_data(as_text=True)
    # Publishing again changes nothing.
    response = client.post("/author/courses/authored/lessons/lesson-1-1/publish", follow_redirects=True)
    assert "There was nothing new to publish." in page(response).flashes()


def test_new_lesson_and_module_appear_only_when_published(app, tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    reader = app.test_client()
    en = {"Accept-Language": "en"}
    auth.login(trainer.email)
    client.post("/author/courses/authored/modules/new", data={"key": "extra", "title_es": "Extra",
                                                               "title_en": "Extra module"})
    client.post("/author/courses/authored/modules/extra/lessons/new", data={
        "key": "bonus", "title_es": "Bonus", "text_es": "Texto.", "title_en": "Bonus lesson",
        "text_en": "Bonus text."})
    outline = reader.get("/courses/authored", headers=en).get_data(as_text=True)
    assert "Extra module" not in outline and "Bonus lesson" not in outline
    assert reader.get("/courses/authored/lessons/bonus").status_code == 404
    # The course stays complete in both languages while the new lesson is a draft.
    assert "English" in page(reader.get("/courses/authored", headers=en)).find("p", class_="languages").text

    # Publishing the lesson publishes its never-published module too, so learners can reach it.
    client.post("/author/courses/authored/lessons/bonus/publish")
    outline = reader.get("/courses/authored", headers=en).get_data(as_text=True)
    assert "Extra module" in outline and "Bonus lesson" in outline
    assert "Bonus text." in reader.get("/courses/authored/lessons/bonus", headers=en).get_data(as_text=True)


def test_publishing_a_module_publishes_its_lessons_only(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, modules=2, lessons=1)
    auth.login(trainer.email)
    for key in ("lesson-1-1", "lesson-2-1"):
        url = f"/author/courses/authored/lessons/{key}"
        client.post(url, data={**editor_fields(client.get(url)), "text_es": f"Nuevo {key}.", "action": "save"})
    client.post("/author/courses/authored/modules/module-1/publish")
    assert published_body("authored", "lesson-1-1", "es") == "Nuevo lesson-1-1.\n"
    assert published_body("authored", "lesson-2-1", "es") == "## Part 1\n\nLesson 2.1 text in es.\n"
    client.post("/author/courses/authored/publish")
    assert published_body("authored", "lesson-2-1", "es") == "Nuevo lesson-2-1.\n"


def test_new_course_is_hidden_until_the_course_is_published(app, client, auth):
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    client.post("/author/courses/new", data={"slug": "fresh", "source_language": "en",
                                              "title_en": "Fresh course", "text_en": "Summary."})
    client.post("/author/courses/fresh/modules/new", data={"key": "one", "title_en": "One"})
    client.post("/author/courses/fresh/modules/one/lessons/new", data={
        "key": "first", "title_en": "First", "text_en": "Hello."})
    client.post("/author/courses/fresh/modules/one/publish")
    reader = app.test_client()
    assert reader.get("/courses/fresh").status_code == 404
    assert "Fresh course" not in reader.get("/courses").get_data(as_text=True)
    client.post("/author/courses/fresh/publish")
    assert "Fresh course" in reader.get("/courses").get_data(as_text=True)
    assert "Hello." in reader.get("/courses/fresh/lessons/first").get_data(as_text=True)
    # Search finds it by its lesson titles, as for imported courses.
    assert "Fresh course" in reader.get("/courses?query=first").get_data(as_text=True)


def test_archived_lesson_disappears_and_comes_back(app, tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=2)
    reader = app.test_client()
    auth.login(trainer.email)
    client.post("/author/courses/authored/lessons/lesson-1-2/archive", data={"state": "archived"})
    assert reader.get("/courses/authored/lessons/lesson-1-2").status_code == 404
    client.post("/author/courses/authored/lessons/lesson-1-2/archive", data={"state": "active"})
    assert reader.get("/courses/authored/lessons/lesson-1-2").status_code == 200


def test_reorder_lessons_and_modules(app, tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, modules=2, lessons=2)
    reader = app.test_client()
    en = {"Accept-Language": "en"}
    auth.login(trainer.email)
    client.post("/author/courses/authored/lessons/lesson-1-2/move", data={"direction": "up"})
    client.post("/author/courses/authored/modules/module-2/move", data={"direction": "up"})
    html = reader.get("/courses/authored", headers=en).get_data(as_text=True)
    assert html.index("Module 2 (en)") < html.index("Module 1 (en)")
    assert html.index("Lesson 1.2 (en)") < html.index("Lesson 1.1 (en)")


def test_import_publishes_directly_and_history_records_it(tmp_path, client, auth):
    write_course(tmp_path, "direct", lessons=1)
    import_courses(tmp_path)
    lesson_file = tmp_path / "direct" / "01-module-1" / "01-lesson-1-1.es.md"
    lesson_file.write_text('+++\ntitle = "Nuevo"\n+++\nDesde los archivos.\n', encoding="utf-8")
    import_courses(tmp_path)
    assert published_body("direct", "lesson-1-1", "es") == "Desde los archivos.\n"
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    history = page(client.get("/author/courses/direct/history/lesson/lesson-1-1/es"))
    assert "published" in history.find("table", class_="data history").text
    row = db.session.scalar(select(LessonText).where(LessonText.language == "es"))
    assert row.revision == 2
