"""Knowledge entries shipped as files (courses/knowledge/<id>.<lang>.md), read
and checked with the courses and written in the same all-or-nothing
transaction (lms.content.importer.TREE_STEPS).

A file entry is published with source "file"; a rerun over the same files
changes nothing; an entry whose files are removed is archived, never
deleted. Entries drafted from advice requests keep their own flow
(lms.knowledge.service) and are never touched here, except that an id used
by one cannot be taken by a file.

Every import also rebuilds the lesson <-> entry links from both sides: the
entry's `lessons` and the lesson's `knowledge`.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nh3
from flask_babel import force_locale
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lms.content.errors import ContentError
from lms.content.loader import (ID_RE, CourseSource, _Problems, display_path, find_line, read_front_matter_file,
                                split_front_matter)
from lms.content.markdown import render_markdown
from lms.content.models import Course, Lesson
from lms.content.references import check_lesson_references
from lms.content.text import fold
from lms.content.vocab import SDG_RANGE, TAG_KINDS as VOCABULARY, tag_label
from lms.extensions import db
from lms.knowledge.models import (TAG_KINDS, KnowledgeEntry, KnowledgeEntryText, KnowledgeLessonLink,
                                  KnowledgeTag)
from lms.timeutil import utcnow

FOLDER = "knowledge"
LANGUAGES = ("es", "en")
FILE_RE = re.compile(r"^(?P<slug>[^.]+)\.(?P<language>[a-z]{2})\.md$")
FRONT_KEYS = {"title", "summary", "kind", "regions", "value_chains", "topics", "sdgs", "lessons"}
FILE_KINDS = ("case", "action-plan")
LESSON_REF_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*/[a-z0-9]+(?:-[a-z0-9]+)*$")
SUMMARY_MAX = 300


@dataclass
class EntryVariant:
    path: str
    title: str
    summary: str
    body: str


@dataclass
class EntrySource:
    slug: str
    kind: str
    tags: dict[str, list[str]]
    lessons: list[str]
    variants: dict[str, EntryVariant] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # language -> file, for messages

    @property
    def source_path(self) -> str:
        """Relative to the courses folder, the same whichever folder the import runs from."""
        return f"{FOLDER}/{self.slug}"


@dataclass
class KnowledgeSource:
    entries: list[EntrySource] = field(default_factory=list)


# Reading -------------------------------------------------------------------------

def _line(front: str, key: str) -> int | None:
    line = find_line(front, key)
    return line + 1 if line else None  # the file's first line is the opening +++


def _read_variant(path: Path, problems: _Problems, languages: tuple[str, ...]) -> tuple | None:
    """(slug, language, kind, tags, lessons, variant) from one file, or None."""
    match = FILE_RE.match(path.name)
    if not match or not ID_RE.match(match.group("slug")):
        problems.add(path, None, "a knowledge file must be named <entry-id>.<language>.md, with the id in "
                                 "lowercase words joined by '-', like binational-market-platform.es.md")
        return None
    slug, language = match.group("slug"), match.group("language")
    if language not in languages:
        problems.add(path, None, f"unknown language '{language}' (expected one of {', '.join(languages)})")
        return None
    read = read_front_matter_file(path, problems)
    if read is None:
        return None
    text, front, body, meta = read
    before = len(problems.items)
    for key in meta:
        if key not in FRONT_KEYS:
            problems.add(path, _line(front, key),
                         f"unknown key '{key}' (expected {', '.join(sorted(FRONT_KEYS))})")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(path, _line(front, "title") or 2, "the front matter needs a title")
    elif len(title.strip()) > 300:
        problems.add(path, _line(front, "title"), "the title is longer than 300 characters")
    summary = meta.get("summary", "")
    if not isinstance(summary, str) or len(summary.strip()) > 1000:
        problems.add(path, _line(front, "summary"), "summary must be text of at most 1000 characters")
        summary = ""
    kind = meta.get("kind")
    if kind not in FILE_KINDS:
        problems.add(path, _line(front, "kind") or 2, f"kind must be one of {', '.join(FILE_KINDS)}")
    tags: dict[str, list[str]] = {}
    for tag_kind in TAG_KINDS:
        values = meta.get(tag_kind, [])
        line = _line(front, tag_kind)
        if not isinstance(values, list):
            problems.add(path, line, f"{tag_kind} must be a list")
            continue
        codes = []
        for value in values:
            if tag_kind == "sdgs":
                if isinstance(value, bool) or not isinstance(value, int) or value not in SDG_RANGE:
                    problems.add(path, line, f"sdgs: {value!r} is not an SDG number from 1 to 17")
                    continue
                codes.append(str(value))
            elif value not in VOCABULARY[tag_kind]:
                problems.add(path, line, f"{tag_kind}: unknown code {value!r} "
                                         f"(known: {', '.join(VOCABULARY[tag_kind])})")
            else:
                codes.append(value)
        tags[tag_kind] = sorted(set(codes))
    lessons = meta.get("lessons", [])
    if not isinstance(lessons, list) or not all(isinstance(item, str) for item in lessons):
        problems.add(path, _line(front, "lessons"), "lessons must be a list of \"course-slug/lesson-id\"")
        lessons = []
    for ref in lessons:
        if not LESSON_REF_RE.match(ref):
            problems.add(path, _line(front, "lessons"),
                         f"lessons: '{ref}' is not written as course-slug/lesson-id")
    if not body.strip():
        problems.add(path, None, "the entry has no text after the front matter")
    if len(problems.items) > before:
        return None
    variant = EntryVariant(path=str(path), title=title.strip(), summary=summary.strip(),
                           body=body.strip() + "\n")
    return slug, language, kind, tags, sorted(set(lessons)), variant


def read_knowledge(folder: Path, problems: _Problems,
                   languages: tuple[str, ...] = LANGUAGES) -> KnowledgeSource:
    entries: dict[str, EntrySource] = {}
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        if path.suffix != ".md":
            problems.add(path, None, "only <entry-id>.<language>.md files belong in the knowledge folder")
            continue
        read = _read_variant(path, problems, languages)
        if read is None:
            continue
        slug, language, kind, tags, lessons, variant = read
        entry = entries.get(slug)
        if entry is None:
            entries[slug] = EntrySource(slug, kind, tags, lessons, {language: variant}, {language: str(path)})
            continue
        first = next(iter(entry.paths.values()))
        front = split_front_matter(path.read_text(encoding="utf-8"))[0]
        shared = [("kind", kind, entry.kind), ("lessons", lessons, entry.lessons)]
        shared += [(tag_kind, tags[tag_kind], entry.tags[tag_kind]) for tag_kind in TAG_KINDS]
        for key, mine, theirs in shared:
            if mine != theirs:
                problems.add(path, _line(front, key) or 2,
                             f"{key} differs from {display_path(first)}: both languages of an entry share "
                             f"its kind, tags and lessons")
        entry.variants[language] = variant
        entry.paths[language] = str(path)
    return KnowledgeSource(entries=[entries[slug] for slug in sorted(entries)])


def _lesson_refs_in_database(except_courses: set[str]) -> set[str]:
    rows = db.session.execute(
        select(Course.slug, Lesson.key).join(Lesson, Lesson.course_id == Course.id)
        .where(Lesson.archived_at.is_(None), Course.slug.not_in(except_courses or {""})))
    return {f"{slug}/{key}" for slug, key in rows}


def validate_knowledge(root: Path, courses: list[CourseSource]) -> KnowledgeSource | None:
    """The entries beside the courses (None when there is no knowledge folder),
    checked against the lessons they name and the lessons naming them."""
    problems = _Problems()
    folder = root / FOLDER
    knowledge = read_knowledge(folder, problems) if folder.is_dir() else None
    advice_slugs = set(db.session.scalars(select(KnowledgeEntry.slug).where(KnowledgeEntry.source != "file")))
    if knowledge is not None:
        tree_lessons = {f"{course.slug}/{lesson.key}" for course in courses
                        for module in course.modules for lesson in module.lessons}
        known_lessons = tree_lessons | _lesson_refs_in_database({course.slug for course in courses})
        for entry in knowledge.entries:
            path = next(iter(entry.paths.values()))
            if entry.slug in advice_slugs:
                problems.add(path, None, f"the id '{entry.slug}' is already used by an entry published "
                                         "from an advice request; give the file another name")
            front = split_front_matter(Path(path).read_text(encoding="utf-8"))[0]
            for ref in entry.lessons:
                if ref not in known_lessons:
                    problems.add(path, _line(front, "lessons"),
                                 f"lessons: '{ref}' names no lesson "
                                 "(course-slug/lesson-id of an existing lesson)")
        known = {entry.slug for entry in knowledge.entries} | advice_slugs
    else:
        known = set(db.session.scalars(
            select(KnowledgeEntry.slug).where(KnowledgeEntry.status != "archived")))
    check_lesson_references(courses, "knowledge", known, problems,
                            f"is not a knowledge entry (a file {FOLDER}/<entry-id>.<language>.md, "
                            "or a published answer's address)")
    if problems.items:
        raise ContentError(problems.items)
    return knowledge


# Writing -------------------------------------------------------------------------

def plain_text(html_text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(nh3.clean(html_text, tags=set()))).strip()


def derived_summary(body_html: str) -> str:
    """The first paragraph as plain text, cut at a word near SUMMARY_MAX."""
    match = re.search(r"<p>(.*?)</p>", body_html, re.S)
    text = plain_text(match.group(1)) if match else ""
    if len(text) <= SUMMARY_MAX:
        return text
    return text[:SUMMARY_MAX].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def search_text(language: str, title: str, summary: str, body_html: str, tags: list[tuple[str, str]]) -> str:
    """Folded title, summary, text and tag names (in the text's language), for LIKE search."""
    with force_locale(language):
        labels = " ".join(tag_label(kind, code) for kind, code in tags)
    return fold(" ".join((title, summary, plain_text(body_html), labels)))


def apply_knowledge(knowledge: KnowledgeSource | None, courses: list[CourseSource], report) -> None:
    if knowledge is not None:
        _upsert_entries(knowledge, report)
    db.session.flush()
    sync_lesson_links(report)


def _upsert_entries(knowledge: KnowledgeSource, report) -> None:
    now = utcnow()
    wanted = {entry.slug for entry in knowledge.entries}
    existing = {entry.slug: entry for entry in db.session.scalars(
        select(KnowledgeEntry).where(or_(KnowledgeEntry.source == "file", KnowledgeEntry.slug.in_(wanted)))
        .options(selectinload(KnowledgeEntry.texts), selectinload(KnowledgeEntry.tags)))}
    for source in knowledge.entries:
        entry = existing.get(source.slug)
        created = entry is None
        if created:
            entry = KnowledgeEntry(slug=source.slug, source="file", status="published", anonymised=False,
                                   created_at=now, updated_at=now, published_at=now)
            db.session.add(entry)
        changed = _sync_entry(entry, source, now)
        if created:
            report.count("knowledge entries created")
        elif entry.status != "published":
            entry.status, entry.published_at = "published", now
            report.count("knowledge entries restored")
        elif changed:
            report.count("knowledge entries updated")
        else:
            report.count("knowledge entries unchanged")
        if changed and not created:
            entry.updated_at = now
    for slug, entry in existing.items():
        if entry.source == "file" and slug not in wanted and entry.status != "archived":
            entry.status = "archived"
            entry.updated_at = now
            report.count("knowledge entries archived")


def _sync_entry(entry: KnowledgeEntry, source: EntrySource, now) -> bool:
    changed = False
    for name, value in (("kind", source.kind), ("source_path", source.source_path),
                        ("lesson_refs", source.lessons or None)):
        if getattr(entry, name) != value:
            setattr(entry, name, value)
            changed = True
    wanted_tags = {(kind, code) for kind, codes in source.tags.items() for code in codes}
    current_tags = {(tag.kind, tag.code): tag for tag in entry.tags}
    tags_changed = wanted_tags != set(current_tags)
    for key in set(current_tags) - wanted_tags:
        entry.tags.remove(current_tags[key])
    ordered_tags = sorted(wanted_tags, key=_tag_order)
    for kind, code in sorted(wanted_tags - set(current_tags), key=_tag_order):
        entry.tags.append(KnowledgeTag(kind=kind, code=code))
    current = entry.text_by_language()
    for language, variant in source.variants.items():
        text = current.get(language)
        fresh = text is None or (text.title, text.body_markdown) != (variant.title, variant.body) or \
            text.summary != (variant.summary or derived_summary(text.body_html))
        if not fresh and not tags_changed:
            continue
        if text is None:
            text = KnowledgeEntryText(language=language)
            entry.texts.append(text)
        if fresh:
            text.title = variant.title
            text.body_markdown = variant.body
            text.body_html = str(render_markdown(variant.body))
            text.summary = variant.summary or derived_summary(text.body_html)
            text.updated_at = now
        text.search_text = search_text(language, text.title, text.summary, text.body_html, ordered_tags)
        changed = True
    for language, text in current.items():
        if language not in source.variants:
            entry.texts.remove(text)
            changed = True
    return changed or tags_changed


def _tag_order(tag: tuple[str, str]) -> tuple:
    """Regions, value chains, topics, then SDGs in numeric order (as shown on the pages)."""
    kind, code = tag
    return (TAG_KINDS.index(kind), int(code) if kind == "sdgs" else 0, code)


def sync_lesson_links(report) -> None:
    """Links from both sides' files: an entry's `lessons`, a lesson's `knowledge`."""
    entries = {slug: (entry_id, refs) for entry_id, slug, refs in db.session.execute(
        select(KnowledgeEntry.id, KnowledgeEntry.slug, KnowledgeEntry.lesson_refs))}
    lesson_ids: dict[str, int] = {}
    wanted: set[tuple[int, int]] = set()
    for lesson_id, key, course_slug, names in db.session.execute(
            select(Lesson.id, Lesson.key, Course.slug, Lesson.knowledge_entries)
            .join(Course, Course.id == Lesson.course_id)):
        lesson_ids[f"{course_slug}/{key}"] = lesson_id
        for name in names or []:
            if name in entries:
                wanted.add((entries[name][0], lesson_id))
    for entry_id, refs in entries.values():
        for ref in refs or []:
            if ref in lesson_ids:
                wanted.add((entry_id, lesson_ids[ref]))
    existing = {(link.entry_id, link.lesson_id): link
                for link in db.session.scalars(select(KnowledgeLessonLink))}
    for key in sorted(set(existing) - wanted):
        db.session.delete(existing[key])
        report.count("knowledge lesson links removed")
    for entry_id, lesson_id in sorted(wanted - set(existing)):
        db.session.add(KnowledgeLessonLink(entry_id=entry_id, lesson_id=lesson_id))
        report.count("knowledge lesson links created")
