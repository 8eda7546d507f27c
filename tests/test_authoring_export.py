"""Files and database stay one story: export to the courses/ format and import
it elsewhere to get the same course; imports never silently overwrite
browser work."""
from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.authoring.models import ContentRevision
from lms.authoring.quiz_editor import published_spec, spec_to_toml
from lms.content.importer import import_courses
from lms.content.models import Course, Lesson, Module
from lms.extensions import db
from authoring_support import authored_course, editor_fields, published_body
from factories import make_user, write_course
from pages import page


def snapshot(slug: str) -> dict:
    """Everything a learner can see of a course, as plain data."""
    db.session.expire_all()
    course = db.session.scalar(select(Course).where(Course.slug == slug).options(
        selectinload(Course.texts), selectinload(Course.tags),
        selectinload(Course.modules).selectinload(Module.texts),
        selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.texts)))
    modules = []
    for module in sorted(course.modules, key=lambda m: m.position):
        if module.archived_at is not None:
            continue
        lessons = [(lesson.key, lesson.minutes, lesson.glossary_terms, lesson.knowledge_entries,
                    {t.language: (t.title, t.body_markdown, t.body_html) for t in lesson.texts})
                   for lesson in sorted(module.lessons, key=lambda item: item.position) if lesson.archived_at is None]
        modules.append((module.key, {t.language: (t.title, t.summary) for t in module.texts},
                        module.required_lessons, module.quiz_required, lessons))
    quizzes = {}
    for module in course.modules:
        spec = published_spec(module)
        if module.archived_at is None and spec is not None:
            quizzes[module.key] = spec_to_toml(spec)
    return {"slug": course.slug, "source_language": course.source_language, "hours": course.hours,
            "quizzes": quizzes,
            "published": course.published,
            "texts": {t.language: (t.title, t.summary, t.search_text) for t in course.texts},
            "tags": sorted((t.kind, t.code) for t in course.tags), "modules": modules}


def empty_database() -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


def _edit_in_browser(client):
    """A trainer edits texts, tags, order and completion, adds a lesson, and publishes."""
    lesson = "/author/courses/authored/lessons/lesson-1-2"
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "action": "save", "minutes": "12",
                              "title_en": 'A "quoted" title \\ with backslash',
                              "text_en": "| a | b |\n|---|---|\n| 1 | 2 |\n\nLine with `code` and ñ, é.\n"})
    settings = editor_fields(client.get("/author/courses/authored/settings"))
    client.post("/author/courses/authored/settings", data={
        **settings, "text_es": "Resumen nuevo.", "source_language": "es", "hours": "7.5",
        "topics": ["innovation", "funding"], "regions": ["mx-gt"], "sdgs": ["9", "17"]})
    client.post("/author/courses/authored/modules/module-1/lessons/new", data={
        "key": "added-in-browser", "title_es": "Añadida", "text_es": "Texto añadido.",
        "title_en": "Added", "text_en": "Added text."})
    client.post("/author/courses/authored/lessons/added-in-browser/move", data={"direction": "up"})
    module = editor_fields(client.get("/author/courses/authored/modules/module-2"))
    client.post("/author/courses/authored/modules/module-2", data={
        **module, "title_en": "Second module, renamed", "required_lessons": ["lesson-2-1"]})
    client.post("/author/courses/authored/modules/module-2/move", data={"direction": "up"})
    quiz = "/author/courses/authored/modules/module-1/quiz"
    if client.get(quiz + "/questions/border").status_code == 200:
        base = re.search(r'name="base" type="hidden" value="(\d*)"', client.get(quiz).get_data(as_text=True)).group(1)
        client.post(quiz + "/questions/new?key=steps&type=ordering", data={
            "base": base, "points": "2", "action": "save", "text_es": "Ordena", "text_en": "Order",
            "rows-0-text_es": "Cosecha", "rows-0-text_en": "Harvest",
            "rows-1-text_es": "Secado", "rows-1-text_en": "Drying"})
    client.post("/author/courses/authored/publish")


def test_export_zip_then_import_into_empty_database_gives_the_same_course(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path / "original", trainer, modules=2, lessons=2, quiz=True,
                    tags='topics = ["innovation"]\nregions = ["pe-cl"]')
    auth.login(trainer.email)
    _edit_in_browser(client)
    before = snapshot("authored")
    assert before["hours"] == 7.5 and before["modules"][0][0] == "module-2"
    assert 'id = "steps"' in before["quizzes"]["module-1"] and len(before["quizzes"]) == 2

    response = client.get("/author/courses/authored/export.zip")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert 'filename=authored.zip' in response.headers["Content-Disposition"]
    target = tmp_path / "unzipped"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        archive.extractall(target)
    assert "authored/course.toml" in names and "authored/01-module-2/module.toml" in names
    assert "authored/02-module-1/02-added-in-browser.es.md" in names
    assert "authored/02-module-1/quiz.toml" in names

    empty_database()
    import_courses(target)
    after = snapshot("authored")
    assert after == before


def test_export_course_command_writes_importable_files(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path / "original", trainer, modules=2, lessons=2)
    auth.login(trainer.email)
    _edit_in_browser(client)
    before = snapshot("authored")
    out = tmp_path / "exported"
    result = runner.invoke(args=["lms", "export-course", "authored", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "authored" / "course.toml").is_file()
    # An existing folder is replaced only when asked.
    result = runner.invoke(args=["lms", "export-course", "authored", str(out)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert runner.invoke(args=["lms", "export-course", "authored", str(out), "--replace"]).exit_code == 0
    assert runner.invoke(args=["lms", "export-course", "missing", str(out)]).exit_code == 1
    empty_database()
    result = runner.invoke(args=["lms", "import-courses", str(out)])
    assert result.exit_code == 0, result.output
    assert snapshot("authored") == before


def test_exported_files_reimported_over_the_same_course_change_nothing(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path / "original", trainer, modules=2, lessons=2)
    auth.login(trainer.email)
    _edit_in_browser(client)
    out = tmp_path / "exported"
    assert runner.invoke(args=["lms", "export-course", "authored", str(out)]).exit_code == 0
    before = snapshot("authored")
    result = runner.invoke(args=["lms", "import-courses", str(out)])
    assert result.exit_code == 0, result.output
    assert "lesson texts updated" not in result.output
    assert snapshot("authored") == before


def _browser_edit(client, text: str):
    lesson = "/author/courses/authored/lessons/lesson-1-1"
    client.post(lesson, data={**editor_fields(client.get(lesson)), "text_es": text, "action": "save"})


def test_import_over_browser_edits_refuses_and_shows_what_would_be_lost(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    _browser_edit(client, "Editado en el navegador.")
    client.post("/author/courses/authored/publish")
    lesson_file = tmp_path / "authored" / "01-module-1" / "01-lesson-1-1.es.md"
    lesson_file.write_text('+++\ntitle = "Lesson 1.1 (es)"\n+++\nEditado en el archivo.\n', encoding="utf-8")

    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 1
    assert "Nothing was imported: 1 change(s) made in the browser" in result.output
    assert "authored: lesson lesson-1-1 (es)" in result.output
    assert "-Editado en el navegador." in result.output and "+Editado en el archivo." in result.output
    assert published_body("authored", "lesson-1-1", "es") == "Editado en el navegador.\n"

    result = runner.invoke(args=["lms", "import-courses", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    assert "Replaced (kept in the history): authored: lesson lesson-1-1 (es)" in result.output
    assert published_body("authored", "lesson-1-1", "es") == "Editado en el archivo.\n"
    db.session.expire_all()
    history = db.session.scalars(select(ContentRevision).where(
        ContentRevision.kind == "lesson", ContentRevision.language == "es")
        .order_by(ContentRevision.item_id, ContentRevision.number)).all()
    assert [(r.number, r.action, r.body) for r in history] == [
        (1, "import", "## Part 1\n\nLesson 1.1 text in es.\n"),
        (2, "edit", "Editado en el navegador.\n"),
        (3, "import", "Editado en el archivo.\n")]
    # Once imported, the files are the reference again: a rerun goes through.
    assert runner.invoke(args=["lms", "import-courses", str(tmp_path)]).exit_code == 0


def test_forced_import_keeps_unpublished_drafts_in_history(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    _browser_edit(client, "Borrador sin publicar.")
    lesson_file = tmp_path / "authored" / "01-module-1" / "01-lesson-1-1.es.md"
    # Files unchanged: the import leaves the lesson alone and the draft stays.
    assert runner.invoke(args=["lms", "import-courses", str(tmp_path)]).exit_code == 0
    assert editor_fields(client.get("/author/courses/authored/lessons/lesson-1-1"))["text_es"] == \
        "Borrador sin publicar.\n"
    lesson_file.write_text('+++\ntitle = "Lesson 1.1 (es)"\n+++\nOtra cosa.\n', encoding="utf-8")
    assert runner.invoke(args=["lms", "import-courses", str(tmp_path)]).exit_code == 1
    assert runner.invoke(args=["lms", "import-courses", str(tmp_path), "--force"]).exit_code == 0
    fields = editor_fields(client.get("/author/courses/authored/lessons/lesson-1-1"))
    assert fields["text_es"] == "Otra cosa.\n" and fields["base_es"] == "3"
    html = client.get("/author/courses/authored/history/lesson/lesson-1-1/es", query_string={"a": 2, "b": 3})
    assert "Borrador sin publicar." in html.get_data(as_text=True)


def test_import_refuses_to_archive_lessons_added_in_the_browser(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    client.post("/author/courses/authored/modules/module-1/lessons/new", data={
        "key": "browser-only", "title_es": "Solo aquí", "text_es": "Texto."})
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 1
    assert "lesson browser-only: not in the files, would be archived" in result.output


def test_plain_reimport_of_untouched_course_is_not_blocked(tmp_path, runner):
    write_course(tmp_path, "plain", lessons=1)
    assert runner.invoke(args=["lms", "import-courses", str(tmp_path)]).exit_code == 0
    (tmp_path / "plain" / "01-module-1" / "01-lesson-1-1.es.md").write_text(
        '+++\ntitle = "Nuevo"\n+++\nCambio en archivo.\n', encoding="utf-8")
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert published_body("plain", "lesson-1-1", "es") == "Cambio en archivo.\n"


def test_import_over_a_quiz_edited_in_the_browser_refuses_unless_forced(tmp_path, runner, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1, quiz=True)
    auth.login(trainer.email)
    quiz = "/author/courses/authored/modules/module-1/quiz"
    html = client.get(quiz + "/questions/border").get_data(as_text=True)
    base = re.search(r'name="base" type="hidden" value="(\d*)"', html).group(1)
    client.post(quiz + "/questions/border", data={"base": base, "action": "save", "points": "1", "answer": "true",
                                                  "text_es": "Tacna limita con Arica (navegador).",
                                                  "text_en": "Tacna borders Arica."})
    quiz_file = tmp_path / "authored" / "01-module-1" / "quiz.toml"
    quiz_file.write_text(quiz_file.read_text(encoding="utf-8").replace("pass_mark = 50", "pass_mark = 60"),
                         encoding="utf-8")
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path)])
    assert result.exit_code == 1 and "authored: quiz of module module-1" in result.output
    assert "(navegador)" in result.output
    result = runner.invoke(args=["lms", "import-courses", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    # The browser revision stays in the history; the files' quiz is the newest revision.
    assert "(navegador)" in client.get(quiz + "/history", query_string={"a": 2, "b": 3}).get_data(as_text=True)
    assert page(client.get(quiz)).field_value("pass_mark") == "60.0"
