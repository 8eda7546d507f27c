"""Translation status: missing -> complete -> needs update -> complete, in the
editor, on the dashboard and in the catalog's language badges."""
from __future__ import annotations

import re

from lms.authoring.revisions import Version
from lms.authoring.translation_status import COMPLETE, MISSING, NEEDS_UPDATE, status
from authoring_support import authored_course, editor_fields
from factories import make_user
from pages import page

DASHBOARD = "/author/courses/authored/translations"


def _version(language, number, source_revision=None):
    return Version("lesson", 1, language, number, "t", "x", source_revision)


def test_status_rule():
    assert status("en", "es", {"es": _version("es", 1)}) == MISSING
    assert status("es", "es", {"es": _version("es", 3)}) == COMPLETE
    assert status("en", "es", {"es": _version("es", 1), "en": _version("en", 1, 1)}) == COMPLETE
    assert status("en", "es", {"es": _version("es", 2), "en": _version("en", 1, 1)}) == NEEDS_UPDATE
    assert status("en", "es", {"es": _version("es", 2), "en": _version("en", 2, 2)}) == COMPLETE
    # Unknown origin, or no source at all: nothing to be behind.
    assert status("en", "es", {"es": _version("es", 5), "en": _version("en", 1, None)}) == COMPLETE
    assert status("en", "es", {"en": _version("en", 1, None)}) == COMPLETE
    assert status("es", "es", {"en": _version("en", 1, None)}) == MISSING


def _dashboard_status(client, title: str, language_column: int) -> str:
    """The status cell of the first row whose heading contains `title` (columns: es, en)."""
    parsed = page(client.get(DASHBOARD))
    for row in parsed.find_all("tr"):
        if title in row.text:
            return " ".join(_cells_of(parsed, row)[language_column].text.split())
    raise AssertionError(f"{title} not on the dashboard")


def _cells_of(parsed, row):
    index = parsed.elements.index(row)
    cells = []
    for element in parsed.elements[index + 1:]:
        if element.tag == "tr":
            break
        if element.tag == "td":
            cells.append(element)
    return cells


def _catalog_languages(app, slug="authored"):
    html = app.test_client().get(f"/courses/{slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    return re.search(r'<p class="languages">(.*?)</p>', html, re.S).group(1)


def test_translation_goes_missing_complete_needs_update_complete(app, tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1, lesson_languages=("es",))
    auth.login(trainer.email)
    lesson = "/author/courses/authored/lessons/lesson-1-1"
    publish = "/author/courses/authored/lessons/lesson-1-1/publish"

    # Missing: only the Spanish source exists.
    assert _dashboard_status(client, "Lesson:", 1).startswith("Missing")
    assert "English" not in _catalog_languages(app)

    # Complete: the English translation is written (from source revision 1) and published.
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "title_en": "Lesson one", "text_en": "English text.", "action": "save"})
    assert _dashboard_status(client, "Lesson:", 1).startswith("Complete")
    client.post(publish)
    assert "English" in _catalog_languages(app)

    # Needs update: the Spanish source changes; the editor shows what changed since revision 1.
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "text_es": "Texto nuevo con <b>cambios</b>.", "action": "save"})
    cell = _dashboard_status(client, "Lesson:", 1)
    assert cell.startswith("Needs update") and "translated from revision 1, source now at 2" in cell
    editor = client.get(lesson).get_data(as_text=True)
    assert "The Spanish text changed since this translation was made (from revision 1 to 2)" in editor
    assert "<ins>Texto nuevo con &lt;b&gt;cambios&lt;/b&gt;.</ins>" in editor
    # Learners: while only the draft changed, English stays complete; once the
    # new source is published, the old English translation no longer counts.
    assert "English" in _catalog_languages(app)
    client.post(publish)
    assert "English" not in _catalog_languages(app) and "Español" in _catalog_languages(app)

    # Complete again: the translator updates the English text.
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "text_en": "New English text.", "action": "save"})
    assert _dashboard_status(client, "Lesson:", 1).startswith("Complete")
    client.post(publish)
    assert "English" in _catalog_languages(app)


def test_translator_confirms_translation_without_changing_it(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    lesson = "/author/courses/authored/lessons/lesson-1-1"
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "text_es": "Solo una coma, cambiada.", "action": "save"})
    assert _dashboard_status(client, "Lesson:", 1).startswith("Needs update")
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "confirm_en": "y", "action": "save"})
    assert _dashboard_status(client, "Lesson:", 1).startswith("Complete")


def test_source_and_translation_saved_together_stay_in_step(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, lessons=1)
    auth.login(trainer.email)
    lesson = "/author/courses/authored/lessons/lesson-1-1"
    fields = editor_fields(client.get(lesson))
    client.post(lesson, data={**fields, "text_es": "Ambos.", "text_en": "Both.", "action": "save"})
    assert _dashboard_status(client, "Lesson:", 1).startswith("Complete")


def test_dashboard_lists_course_modules_and_lessons_with_links(tmp_path, client, auth):
    trainer = make_user("trainer", locale="en")
    authored_course(tmp_path, trainer, modules=2, lessons=1)
    auth.login(trainer.email)
    client.post("/author/courses/authored/modules/new", data={"key": "spanish-only", "title_es": "Solo español"})
    parsed = page(client.get(DASHBOARD))
    rows = [" ".join(row.text.split()) for row in parsed.find_all("tr")][1:]
    assert [row.split(":")[0] for row in rows] == ["Course", "Module", "Lesson", "Module", "Lesson", "Module"]
    assert "Solo español" in rows[-1] and "Missing" in rows[-1]
    assert parsed.find("a", href="/author/courses/authored/modules/spanish-only#lang-en") is not None
