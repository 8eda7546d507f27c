"""Importing course files over courses that trainers edit in the browser.

The files are how courses ship; the database is where trainers edit live.
An import over browser work would replace it, so `guarded_import` first
lists what the import would lose and refuses unless forced:

- a text whose newest revision was written in the browser, when the file
  has something else (and the import would change it);
- when the course was edited in the browser since its last import: the
  modules and lessons the import would archive (not in the files), and
  differences in hours, tags and source language.

Forcing imports anyway; nothing is deleted: every browser revision stays in
the history, the imported text becomes a newer revision on top of it.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.authoring.models import BROWSER_ACTIONS
from lms.authoring.publishing import published_rows
from lms.authoring.revisions import latest_revisions, merge_heads, normalise
from lms.content.importer import ImportReport, import_courses
from lms.content.loader import CourseSource, load_courses
from lms.content.models import Course, Lesson, Module
from lms.extensions import db


@dataclass
class Loss:
    course: str
    what: str           # e.g. "lesson why-borders (es)"
    current: str = ""   # what the database has
    incoming: str = ""  # what the files have

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.current.splitlines(keepends=True), self.incoming.splitlines(keepends=True),
            fromfile=f"{self.what}: edited in the browser", tofile=f"{self.what}: in the files"))


class ImportConflict(Exception):
    def __init__(self, losses: list[Loss]):
        super().__init__(f"{len(losses)} browser edit(s) would be lost")
        self.losses = losses


def _document(title: str, text: str) -> str:
    return f"{title}\n\n{text}".rstrip("\n") + "\n"


def _load(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug).options(
        selectinload(Course.texts), selectinload(Course.tags),
        selectinload(Course.modules).selectinload(Module.texts),
        selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.texts)))


def losses_for(source: CourseSource) -> list[Loss]:
    course = _load(source.slug)
    if course is None:
        return []
    modules = list(course.modules)
    published = published_rows(course, modules)
    revisions = latest_revisions(None, course.id, None, with_text=True)
    heads = {kind: merge_heads(kind, published[kind], revisions) for kind in published}
    lessons = {lesson.key: lesson for module in modules for lesson in module.lessons}
    by_module = {module.key: module for module in modules}
    losses: list[Loss] = []

    def compare(kind: str, item, label: str, incoming: dict[str, tuple[str, str]]) -> None:
        for (item_id, language), head in sorted(heads[kind].items(), key=lambda pair: pair[0][1]):
            if item_id != item.id or head.action not in BROWSER_ACTIONS:
                continue
            wanted = incoming.get(language)
            row = published[kind].get((item.id, language))
            if wanted is not None:
                wanted = (normalise(kind, *wanted).title, normalise(kind, *wanted).text)
                if wanted == head.content:
                    continue
                if row is not None and wanted == (row.title, row.body_markdown if kind == "lesson" else row.summary):
                    continue  # the import leaves this text alone; the draft stays
            elif row is None:
                continue  # never published: the import has nothing to remove
            losses.append(Loss(source.slug, f"{label} ({language})", head.document(),
                               _document(*wanted) if wanted else ""))

    compare("course", course, f"course {course.slug}",
            {lang: (title, source.summaries.get(lang, "")) for lang, title in source.titles.items()})
    seen_modules, seen_lessons = set(), set()
    for module_source in source.modules:
        seen_modules.add(module_source.key)
        module = by_module.get(module_source.key)
        if module is not None:
            compare("module", module, f"module {module.key}",
                    {lang: (title, module_source.summaries.get(lang, ""))
                     for lang, title in module_source.titles.items()})
        for lesson_source in module_source.lessons:
            seen_lessons.add(lesson_source.key)
            lesson = lessons.get(lesson_source.key)
            if lesson is not None:
                compare("lesson", lesson, f"lesson {lesson.key}",
                        {lang: (variant.title, variant.body) for lang, variant in lesson_source.variants.items()})

    losses.extend(_quiz_losses(source, by_module))

    edited_since_import = course.edited_at is not None and (
        course.imported_at is None or course.edited_at > course.imported_at)
    browser_items = {(kind, item_id) for kind, by_key in heads.items()
                     for (item_id, _lang), head in by_key.items() if head.action in BROWSER_ACTIONS}
    for module in modules:
        if module.archived_at is None and module.key not in seen_modules and (
                edited_since_import or ("module", module.id) in browser_items):
            losses.append(Loss(source.slug, f"module {module.key}: not in the files, would be archived"))
    for key, lesson in lessons.items():
        if lesson.archived_at is None and key not in seen_lessons and (
                edited_since_import or ("lesson", lesson.id) in browser_items):
            losses.append(Loss(source.slug, f"lesson {key}: not in the files, would be archived"))
    if edited_since_import:
        if (course.hours or None) != (source.hours or None):
            losses.append(Loss(source.slug, "course hours", f"{course.hours}\n", f"{source.hours}\n"))
        if course.source_language != source.source_language:
            losses.append(Loss(source.slug, "course source language", f"{course.source_language}\n",
                               f"{source.source_language}\n"))
        current_tags = sorted(f"{tag.kind}: {tag.code}" for tag in course.tags)
        file_tags = sorted(f"{kind}: {code}" for kind, codes in source.tags.items() for code in codes)
        if current_tags != file_tags:
            losses.append(Loss(source.slug, "course tags", "\n".join(current_tags) + "\n",
                               "\n".join(file_tags) + "\n"))
    return losses


def check_import(root: str | Path) -> list[Loss]:
    """What importing `root` would lose of the work done in the browser."""
    return [loss for source in load_courses(root) for loss in losses_for(source)]


def guarded_import(root: str | Path, force: bool = False) -> tuple[ImportReport, list[Loss]]:
    """Import the files unless browser edits would be lost (ImportConflict);
    with `force`, import anyway and return what was replaced (it stays in
    the revision history)."""
    losses = check_import(root)
    if losses and not force:
        db.session.rollback()
        raise ImportConflict(losses)
    return import_courses(root), losses


def _quiz_losses(source: CourseSource, by_module: dict[str, Module]) -> list[Loss]:
    """Quizzes whose newest draft was saved in the browser and that the files would replace."""
    from lms.authoring.quiz_editor import quiz_states, spec_to_toml
    from lms.quizzes.spec import parse_quiz_file

    pairs = [(module_source, by_module[module_source.key]) for module_source in source.modules
             if module_source.key in by_module]
    states = quiz_states([module for _source, module in pairs])
    losses = []
    for module_source, module in pairs:
        state = states[module.id]
        head = state.head
        if head is None or not head.stored or head.action not in BROWSER_ACTIONS:
            continue
        spec = getattr(module_source, "quiz", None)
        if spec is None and module_source.quiz_path:
            spec = parse_quiz_file(module_source.quiz_path, require_all_languages=False)
        incoming = spec_to_toml(spec) if spec is not None else None
        if incoming == head.toml or incoming == state.published_toml:
            continue  # the files say the same, or the import leaves the published quiz alone
        if incoming is None and state.published is None:
            continue
        losses.append(Loss(source.slug, f"quiz of module {module.key}", head.toml, incoming or ""))
    return losses
