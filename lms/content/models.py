"""Courses, modules and lessons, each with one text variant per language.

A variant carries its own revision, so later work can record which source
revision a translation follows; a text never mixes languages.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from lms.extensions import db
from lms.timeutil import utcnow


class TranslationMixin:
    """What every per-language variant has."""

    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    revision: Mapped[int] = mapped_column(default=1)
    # The revision of the source-language variant this one was translated
    # from; None for the source itself or when unknown.
    source_revision: Mapped[int | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TagMixin:
    """A tag of a course or a knowledge entry: `kind` is topics, regions,
    value_chains or sdgs, `code` one of that kind's codes (lms.content.vocab)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)  # the first column, as in the migrations
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))


class TaggedMixin:
    """What has `tags` (TagMixin rows): a course, a knowledge entry."""

    def tag_codes(self, kind: str) -> list[str]:
        return [tag.code for tag in self.tags if tag.kind == kind]


class Course(TaggedMixin, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    source_language: Mapped[str] = mapped_column(String(8))
    hours: Mapped[float | None]
    published: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last run of the file importer over this course, and last change made in
    # the browser (lms.authoring): an import over later browser edits is refused
    # unless forced.
    imported_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]

    texts: Mapped[list[CourseText]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseText.language")
    tags: Mapped[list[CourseTag]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseTag.id")
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Module.position")

    def text_by_language(self) -> dict[str, CourseText]:
        return {text.language: text for text in self.texts}


class CourseText(TranslationMixin, db.Model):
    __tablename__ = "course_texts"
    __table_args__ = (UniqueConstraint("course_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Folded (lowercase, no accents) title, summary and outline, for search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(back_populates="texts")


class CourseTag(TagMixin, db.Model):
    """One tag of a course."""

    __tablename__ = "course_tags"
    __table_args__ = (UniqueConstraint("course_id", "kind", "code"),
                      Index("ix_course_tags_kind_code", "kind", "code"))

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))

    course: Mapped[Course] = relationship(back_populates="tags")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    # Completion rule from the course files: None means every lesson.
    required_lessons: Mapped[list[str] | None] = mapped_column(JSON)
    quiz_required: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="modules")
    texts: Mapped[list[ModuleText]] = relationship(back_populates="module", cascade="all, delete-orphan")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", order_by="Lesson.position")

    def text_by_language(self) -> dict[str, ModuleText]:
        return {text.language: text for text in self.texts}


class ModuleText(TranslationMixin, db.Model):
    __tablename__ = "module_texts"
    __table_args__ = (UniqueConstraint("module_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")

    module: Mapped[Module] = relationship(back_populates="texts")


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "key"),
                      Index("ix_lessons_module_position", "module_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    minutes: Mapped[int | None]
    glossary_terms: Mapped[list[str] | None] = mapped_column(JSON)
    knowledge_entries: Mapped[list[str] | None] = mapped_column(JSON)
    # A lesson gone from the files is archived, never deleted: learners'
    # records point at it.
    archived_at: Mapped[datetime | None]

    module: Mapped[Module] = relationship(back_populates="lessons")
    texts: Mapped[list[LessonText]] = relationship(back_populates="lesson", cascade="all, delete-orphan")

    def text_by_language(self) -> dict[str, LessonText]:
        return {text.language: text for text in self.texts}


class LessonText(TranslationMixin, db.Model):
    __tablename__ = "lesson_texts"
    __table_args__ = (UniqueConstraint("lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once per revision, not on every request.
    body_html: Mapped[str] = mapped_column(Text)

    lesson: Mapped[Lesson] = relationship(back_populates="texts")


class ContentVersion(db.Model):
    """A stamp that changes whenever published content changes (lms.content.version).

    One row per name ("content"); `stamp` is a new random value at every change
    of courses, modules, lessons, their texts and tags, quizzes, glossary terms
    or knowledge entries, written in the same transaction as the change. Caches
    of rendered catalog cards and lesson pages, and visitors' ETags, are keyed
    on it.
    """

    __tablename__ = "content_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
