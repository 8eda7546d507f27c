"""Lessons <-> knowledge entries, for the lesson page and the entry page: one
query each, titles picked in the reader's language."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from lms.content.models import Course, CourseText, Lesson, LessonText, Module
from lms.extensions import db
from lms.i18n import current_language, pick
from lms.knowledge.models import KnowledgeEntry, KnowledgeEntryText, KnowledgeLessonLink


@dataclass(frozen=True)
class EntryLink:
    slug: str
    kind: str
    title: str
    language: str


@dataclass(frozen=True)
class LessonLink:
    course_slug: str
    lesson_key: str
    title: str
    language: str
    course_title: str
    course_language: str


def entries_for_lesson(lesson: Lesson) -> list[EntryLink]:
    """Published entries the lesson names (Lesson.knowledge_entries), entries
    that name the lesson, and answers published from questions about it."""
    names = list(lesson.knowledge_entries or [])
    rows = db.session.execute(
        select(KnowledgeEntry.slug, KnowledgeEntry.kind, KnowledgeEntryText.language,
               KnowledgeEntryText.title)
        .join(KnowledgeEntryText, KnowledgeEntryText.entry_id == KnowledgeEntry.id)
        .where(KnowledgeEntry.status == "published", or_(
            KnowledgeEntry.slug.in_(names),
            KnowledgeEntry.id.in_(select(KnowledgeLessonLink.entry_id)
                                  .where(KnowledgeLessonLink.lesson_id == lesson.id)),
            KnowledgeEntry.source_lesson_id == lesson.id))).all()
    variants: dict[tuple[str, str], dict[str, str]] = {}
    for slug, kind, language, title in rows:
        variants.setdefault((slug, kind), {})[language] = title
    reader = current_language()
    links = []
    for (slug, kind), titles in variants.items():
        title, language = pick(titles, reader)
        links.append(EntryLink(slug, kind, title, language))
    order = {name: index for index, name in enumerate(names)}
    return sorted(links, key=lambda link: (order.get(link.slug, len(order)), link.title.casefold()))


def lessons_for_entry(entry: KnowledgeEntry) -> list[LessonLink]:
    """The readable lessons that discuss the entry, in course order."""
    rows = db.session.execute(
        select(Lesson.id, Course.slug, Lesson.key, LessonText.language, LessonText.title,
               CourseText.language, CourseText.title)
        .join(KnowledgeLessonLink, KnowledgeLessonLink.lesson_id == Lesson.id)
        .join(Module, Module.id == Lesson.module_id)
        .join(Course, Course.id == Lesson.course_id)
        .join(LessonText, LessonText.lesson_id == Lesson.id)
        .join(CourseText, CourseText.course_id == Course.id)
        .where(KnowledgeLessonLink.entry_id == entry.id, Course.published.is_(True),
               Course.archived_at.is_(None), Module.archived_at.is_(None), Lesson.archived_at.is_(None))
        .order_by(Course.slug, Module.position, Lesson.position, Lesson.id)).all()
    lessons: dict[int, tuple[str, str, dict, dict]] = {}
    for lesson_id, course_slug, key, language, title, course_language, course_title in rows:
        _slug, _key, titles, course_titles = lessons.setdefault(lesson_id, (course_slug, key, {}, {}))
        titles[language] = title
        course_titles[course_language] = course_title
    reader = current_language()
    links = []
    for course_slug, key, titles, course_titles in lessons.values():
        title, language = pick(titles, reader)
        course_title, course_language = pick(course_titles, reader)
        links.append(LessonLink(course_slug, key, title, language, course_title, course_language))
    return links
