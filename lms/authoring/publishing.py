"""Publishing: copying drafts into the texts learners read.

The published text of an item's language is its row in course_texts,
module_texts or lesson_texts; its `revision` is the number of the revision
it holds. A draft is waiting to be published when its head revision is newer
than that (or there is no published text yet).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update

from lms.authoring import quiz_editor
from lms.authoring.models import ContentRevision
from lms.authoring.revisions import TEXT_MODELS, Version, course_heads, latest_revisions, merge_heads
from lms.content.importer import content_hash
from lms.content.markdown import render_markdown
from lms.content.models import Course, CourseText, Lesson, LessonText, Module, ModuleText
from lms.content.text import fold
from lms.extensions import db
from lms.i18n import pick
from lms.timeutil import utcnow


@dataclass
class PendingItem:
    kind: str
    item: Course | Module | Lesson
    title: str
    title_language: str | None
    # language -> (head number, published number or None)
    languages: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    module: Module | None = None


def published_rows(course: Course, modules: list[Module]) -> dict[str, dict[tuple[int, str], object]]:
    """Published text rows by kind, from a course whose structure is loaded."""
    return {
        "course": {(course.id, row.language): row for row in course.texts},
        "module": {(module.id, row.language): row for module in modules for row in module.texts},
        "lesson": {(lesson.id, row.language): row for module in modules for lesson in module.lessons
                   for row in lesson.texts},
    }


def waiting(course: Course, modules: list[Module], heads: dict[str, dict[tuple[int, str], Version]] | None = None
            ) -> list[PendingItem]:
    """Every active item with a language whose draft is newer than what learners see."""
    published = published_rows(course, modules)
    heads = heads if heads is not None else course_heads(course, published)
    items: list[tuple[str, object, Module | None]] = [("course", course, None)]
    for module in modules:
        if module.archived_at is not None:
            continue
        items.append(("module", module, None))
        items.extend(("lesson", lesson, module) for lesson in module.lessons if lesson.archived_at is None)
    result = []
    for kind, item, module in items:
        languages = {}
        titles = {}
        for (item_id, language), head in heads[kind].items():
            if item_id != item.id:
                continue
            titles[language] = head.title
            row = published[kind].get((item.id, language))
            if row is None or head.number > row.revision:
                languages[language] = (head.number, row.revision if row is not None else None)
        if languages:
            title, title_language = pick(titles)
            result.append(PendingItem(kind, item, title or "", title_language, dict(sorted(languages.items())),
                                      module))
    # A module's quiz draft waits with it (lms.authoring.quiz_editor).
    active = [module for module in modules if module.archived_at is None]
    for module_id, number in quiz_editor.waiting_modules(active).items():
        module = next(m for m in active if m.id == module_id)
        result.append(PendingItem("quiz", module, module.key, None, {"*": (number, None)}, module))
    return result


def _items_in_scope(course: Course, modules: list[Module], scope: str, target) -> dict[str, list]:
    if scope == "course":
        active = [m for m in modules if m.archived_at is None]
        return {"course": [course], "module": active,
                "lesson": [lesson for m in active for lesson in m.lessons if lesson.archived_at is None]}
    if scope == "module":
        return {"course": [], "module": [target],
                "lesson": [lesson for lesson in target.lessons if lesson.archived_at is None]}
    # A lesson: its module too, when the module has never been published, so
    # learners can reach it from the course outline.
    module = next(m for m in modules if m.id == target.module_id)
    return {"course": [], "module": [module] if not module.texts else [], "lesson": [target]}


def publish(course: Course, modules: list[Module], user, scope: str, target=None) -> int:
    """Publish the drafts of a lesson, a module (with its lessons) or the whole
    course; returns how many texts changed for learners."""
    scoped = _items_in_scope(course, modules, scope, target)
    published = published_rows(course, modules)
    now = utcnow()
    count = 0
    for kind, items in scoped.items():
        if not items:
            continue
        ids = [item.id for item in items]
        revisions = latest_revisions(kind, course.id, ids, with_text=True)
        heads = merge_heads(kind, {key: row for key, row in published[kind].items() if key[0] in ids},
                            revisions)
        by_id = {item.id: item for item in items}
        stamped = []
        for (item_id, language), head in heads.items():
            row = published[kind].get((item_id, language))
            if row is not None and row.revision >= head.number:
                continue
            _write_published(kind, by_id[item_id], row, head)
            stamped.append((item_id, language, head.number))
            count += 1
        for item_id, language, number in stamped:
            db.session.execute(update(ContentRevision).where(
                ContentRevision.kind == kind, ContentRevision.item_id == item_id,
                ContentRevision.language == language, ContentRevision.number == number)
                .values(published_at=now, published_by_id=user.id))
    for module in scoped["module"] if scope != "lesson" else ():
        if quiz_editor.publish(course, module, user, commit=False):
            count += 1
    if scope == "course":
        course.published = True
    db.session.flush()
    refresh_search_text(course)
    db.session.commit()
    return count


def _write_published(kind: str, item, row, head: Version) -> None:
    if row is None:
        row = TEXT_MODELS[kind](language=head.language)
        if kind == "lesson":
            row.body_html = ""
        item.texts.append(row)
    row.title = head.title
    row.revision = head.number
    row.source_revision = head.source_revision
    if kind == "lesson":
        row.body_markdown = head.text
        row.body_html = str(render_markdown(head.text))
        row.content_hash = content_hash(head.title, head.text)
    else:
        row.summary = head.text
        row.content_hash = content_hash(head.title, head.text)
    if kind == "course":
        row.search_text = row.search_text or ""


def refresh_search_text(course: Course) -> None:
    """Folded title, summary, module and lesson titles per language, as the importer stores them."""
    module_rows = db.session.execute(
        select(ModuleText.language, ModuleText.title).join(Module, Module.id == ModuleText.module_id)
        .where(Module.course_id == course.id, Module.archived_at.is_(None))
        .order_by(Module.position)).all()
    lesson_rows = db.session.execute(
        select(LessonText.language, LessonText.title).join(Lesson, Lesson.id == LessonText.lesson_id)
        .join(Module, Module.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Module.position, Lesson.position)).all()
    text: CourseText
    for text in course.texts:
        modules = " ".join(title for language, title in module_rows if language == text.language)
        lessons = " ".join(title for language, title in lesson_rows if language == text.language)
        text.search_text = fold(" ".join([text.title, text.summary, modules, lessons]))


def titles(heads: dict[str, dict[tuple[int, str], Version]]) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(kind, item id) -> (title, its language) in the reader's language or another, from the heads."""
    by_item: dict[tuple[str, int], dict[str, str]] = {}
    for kind, versions in heads.items():
        for (item_id, language), version in versions.items():
            by_item.setdefault((kind, item_id), {})[language] = version.title
    return {key: pick(found) for key, found in by_item.items()}
