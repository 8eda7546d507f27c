"""Upsert the course files into the database in one transaction.

Validation happens first (the loader); only a tree without problems is
written. A rerun changes nothing; an edited lesson changes that lesson alone;
nothing is ever deleted that a learner's record could point at: modules and
lessons gone from the files are archived.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.content.errors import ContentError
from lms.content.loader import CourseSource, LessonSource, ModuleSource, load_courses
from lms.content.markdown import render_markdown
from lms.content.models import Course, CourseTag, CourseText, Lesson, LessonText, Module, ModuleText
from lms.content.text import fold
from lms.extensions import db
from lms.timeutil import utcnow

log = logging.getLogger(__name__)

# Other capabilities (quizzes, ...) add steps that read more from each module
# folder: `validate(courses)` raises ContentError, `apply(course, module, source)` writes.
EXTRA_STEPS: list[tuple[Callable, Callable]] = []
# Steps that read files beside the courses (glossary.toml, knowledge/, a
# course's prospectus template): `validate(root, courses)` returns what it read
# or raises ContentError (all steps' problems are reported together);
# `apply(read, courses, report)` writes it, in the same transaction.
TREE_STEPS: list[tuple[Callable, Callable]] = []
# Called as `hook(kind, text, event)` after a text variant is written, event
# being "created", "updated" or "removed" (authoring keeps its revision
# history and may number the revision past unpublished drafts).
TEXT_HOOKS: list[Callable] = []


@dataclass
class ImportReport:
    changes: Counter = field(default_factory=Counter)

    def count(self, what: str) -> None:
        self.changes[what] += 1

    @property
    def changed(self) -> bool:
        return any(value for key, value in self.changes.items() if not key.endswith("unchanged"))

    def summary(self) -> str:
        return ", ".join(f"{key}: {value}" for key, value in sorted(self.changes.items())) or "nothing"


def content_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def import_courses(root: str | Path) -> ImportReport:
    """Validate everything under `root`, then write it all or nothing."""
    sources = load_courses(root)
    for validate, _apply in EXTRA_STEPS:
        validate(sources)
    prepared, problems = [], []
    for validate, apply in TREE_STEPS:
        try:
            prepared.append((validate(Path(root), sources), apply))
        except ContentError as error:
            problems.extend(error.problems)
    if problems:
        raise ContentError(problems)
    report = ImportReport()
    try:
        for source in sources:
            _upsert_course(source, report)
        for read, apply in prepared:
            apply(read, sources, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("Imported courses from %s: %s", root, report.summary())
    return report


def _sync_variants(existing: dict, wanted: dict, make, update, digest, report: ImportReport,
                   what: str, source_language: str) -> None:
    """Create, update (new revision) or drop the per-language variants of one item."""
    source_revision = None
    for language in sorted(wanted, key=lambda lang: lang != source_language):
        data = wanted[language]
        current = existing.get(language)
        new_hash = digest(data)
        if current is None:
            current = make(language, data)
            current.content_hash = new_hash
            current.revision = 1
            current.source_revision = None if language == source_language else source_revision
            report.count(f"{what} texts created")
            _run_text_hooks(what, current, "created")
        elif current.content_hash != new_hash:
            update(current, data)
            current.content_hash = new_hash
            current.revision += 1
            if language != source_language:
                # The translation was edited together with this source revision.
                current.source_revision = source_revision
            report.count(f"{what} texts updated")
            _run_text_hooks(what, current, "updated")
        else:
            report.count(f"{what} texts unchanged")
        if language == source_language:
            source_revision = current.revision
    for language, variant in existing.items():
        if language not in wanted:
            _run_text_hooks(what, variant, "removed")
            db.session.delete(variant)
            report.count(f"{what} texts removed")


def _run_text_hooks(what: str, text, event: str) -> None:
    for hook in TEXT_HOOKS:
        hook(what, text, event)


def _upsert_course(source: CourseSource, report: ImportReport) -> None:
    course = db.session.scalar(
        select(Course).where(Course.slug == source.slug).options(
            selectinload(Course.texts), selectinload(Course.tags),
            selectinload(Course.modules).selectinload(Module.texts)))
    if course is None:
        course = Course(slug=source.slug, source_language=source.source_language)
        db.session.add(course)
        report.count("courses created")
    course.source_language = source.source_language
    course.hours = source.hours
    course.archived_at = None
    course.imported_at = utcnow()

    wanted = {lang: (source.titles[lang], source.summaries.get(lang, "")) for lang in source.titles}

    def make_course_text(language, data):
        text = CourseText(language=language, title=data[0], summary=data[1], search_text="")
        course.texts.append(text)
        return text

    def update_course_text(text, data):
        text.title, text.summary = data

    _sync_variants(course.text_by_language(), wanted, make_course_text, update_course_text,
                   lambda data: content_hash(*data), report, "course", source.source_language)
    _sync_tags(course, source.tags)
    db.session.flush()

    lessons_by_key = {lesson.key: lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.course_id == course.id).options(selectinload(Lesson.texts)))}
    modules_by_key = {module.key: module for module in course.modules}
    seen_modules, seen_lessons = set(), set()
    for module_source in source.modules:
        module = _upsert_module(course, modules_by_key.get(module_source.key), module_source, report)
        seen_modules.add(module.key)
        for lesson_source in module_source.lessons:
            _upsert_lesson(course, module, lessons_by_key.get(lesson_source.key), lesson_source,
                           source.source_language, report)
            seen_lessons.add(lesson_source.key)
        for _validate, apply in EXTRA_STEPS:
            apply(course, module, module_source, report)
    now = utcnow()
    for module in course.modules:
        if module.key not in seen_modules and module.archived_at is None:
            module.archived_at = now
            report.count("modules archived")
    for key, lesson in lessons_by_key.items():
        if key not in seen_lessons and lesson.archived_at is None:
            lesson.archived_at = now
            report.count("lessons archived")
    _refresh_search_text(course, source)


def _sync_tags(course: Course, tags: dict[str, list[str]]) -> None:
    wanted = {(kind, code) for kind, codes in tags.items() for code in codes}
    current = {(tag.kind, tag.code): tag for tag in course.tags}
    for key in set(current) - wanted:
        course.tags.remove(current[key])
    for kind, code in sorted(wanted - set(current)):
        course.tags.append(CourseTag(kind=kind, code=code))


def _upsert_module(course: Course, module: Module | None, source: ModuleSource,
                   report: ImportReport) -> Module:
    if module is None:
        module = Module(key=source.key, position=source.position)
        course.modules.append(module)
        report.count("modules created")
    module.position = source.position
    module.required_lessons = source.required_lessons
    module.quiz_required = source.quiz_required
    if module.archived_at is not None:
        module.archived_at = None
        report.count("modules restored")
    wanted = {lang: (source.titles[lang], source.summaries.get(lang, "")) for lang in source.titles}

    def make(language, data):
        text = ModuleText(language=language, title=data[0], summary=data[1])
        module.texts.append(text)
        return text

    def update(text, data):
        text.title, text.summary = data

    _sync_variants(module.text_by_language(), wanted, make, update,
                   lambda data: content_hash(*data), report, "module", course.source_language)
    db.session.flush()
    return module


def _upsert_lesson(course: Course, module: Module, lesson: Lesson | None, source: LessonSource,
                   source_language: str, report: ImportReport) -> None:
    if lesson is None:
        lesson = Lesson(course_id=course.id, key=source.key, position=source.position, module=module)
        db.session.add(lesson)
        report.count("lessons created")
    lesson.module = module
    lesson.position = source.position
    lesson.minutes = max((v.minutes or 0) for v in source.variants.values()) or None
    lesson.glossary_terms = sorted({t for v in source.variants.values() for t in v.glossary}) or None
    lesson.knowledge_entries = sorted({k for v in source.variants.values() for k in v.knowledge}) or None
    if lesson.archived_at is not None:
        lesson.archived_at = None
        report.count("lessons restored")

    def make(language, variant):
        text = LessonText(language=language, title=variant.title, body_markdown=variant.body,
                          body_html=str(render_markdown(variant.body)))
        lesson.texts.append(text)
        return text

    def update(text, variant):
        text.title = variant.title
        text.body_markdown = variant.body
        text.body_html = str(render_markdown(variant.body))

    _sync_variants(lesson.text_by_language() if lesson.id else {}, source.variants, make, update,
                   lambda variant: content_hash(variant.title, variant.body), report, "lesson",
                   source_language)


def _refresh_search_text(course: Course, source: CourseSource) -> None:
    # Folded title, summary, tags and lesson titles: what a search should find.
    for text in course.texts:
        lesson_titles = " ".join(
            lesson.variants[text.language].title
            for module in source.modules for lesson in module.lessons if text.language in lesson.variants)
        module_titles = " ".join(m.titles.get(text.language, "") for m in source.modules)
        text.search_text = fold(" ".join([text.title, text.summary, module_titles, lesson_titles]))


# Steps of other capabilities, registered here so that every import runs them.
from lms.quizzes.importer import apply_quiz, validate_quizzes  # noqa: E402

if (validate_quizzes, apply_quiz) not in EXTRA_STEPS:
    EXTRA_STEPS.append((validate_quizzes, apply_quiz))
from lms.glossary.files import apply_glossary, validate_glossary  # noqa: E402
from lms.knowledge.files import apply_knowledge, validate_knowledge  # noqa: E402
from lms.prospectus.files import apply_templates, validate_templates  # noqa: E402

for _step in ((validate_glossary, apply_glossary), (validate_knowledge, apply_knowledge),
              (validate_templates, apply_templates)):
    if _step not in TREE_STEPS:
        TREE_STEPS.append(_step)
