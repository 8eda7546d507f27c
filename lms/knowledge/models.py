"""The knowledge repository: best-practice entries, in several languages,
tagged like courses (regions, value_chains, topics, sdgs).

An entry comes from a file shipped with the platform (`source="file"`) or
from an answered advice request that experts edited and published
(`source="advice"`, linked back through `source_request_id`). Only
`published` entries are public; the request they came from stays private.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import TaggedMixin, TagMixin
from lms.extensions import db
from lms.timeutil import utcnow

SOURCES = ("file", "advice")
# "archived": a file entry whose file was removed (kept: links may point at it).
STATUSES = ("draft", "review", "published", "archived")
# case and action-plan come from files; an entry drafted from advice is an answer.
KINDS = ("case", "action-plan", "answer")
TAG_KINDS = ("regions", "value_chains", "topics", "sdgs")


class KnowledgeEntry(TaggedMixin, db.Model):
    __tablename__ = "knowledge_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="advice")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    kind: Mapped[str] = mapped_column(String(20), default="answer")
    # For file entries: the path it was imported from (relative).
    source_path: Mapped[str | None] = mapped_column(String(300))
    # For file entries: the lessons that discuss it, as "course-slug/lesson-id"
    # (resolved into KnowledgeLessonLink rows at import).
    lesson_refs: Mapped[list[str] | None] = mapped_column(JSON)
    # For advice entries: the request it came from (one entry per request).
    source_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("advice_requests.id", ondelete="SET NULL"), unique=True)
    source_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    # The learner's name, only when they consented to be credited.
    credited_name: Mapped[str | None] = mapped_column(String(120))
    anonymised: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    texts: Mapped[list[KnowledgeEntryText]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="KnowledgeEntryText.language")
    tags: Mapped[list[KnowledgeTag]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="KnowledgeTag.id")

    def text_by_language(self) -> dict[str, KnowledgeEntryText]:
        return {text.language: text for text in self.texts}


class KnowledgeEntryText(db.Model):
    __tablename__ = "knowledge_entry_texts"
    __table_args__ = (UniqueConstraint("entry_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entries.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    # Rendered and sanitised by lms.content.markdown.render_markdown when saved.
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Folded title, summary and body (lms.content.text.fold), for search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    entry: Mapped[KnowledgeEntry] = relationship(back_populates="texts")


class KnowledgeTag(TagMixin, db.Model):
    """One tag of an entry, of the same kinds and codes as course tags."""

    __tablename__ = "knowledge_entry_tags"
    __table_args__ = (UniqueConstraint("entry_id", "kind", "code"),
                      Index("ix_knowledge_entry_tags_kind_code", "kind", "code"))

    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entries.id", ondelete="CASCADE"))

    entry: Mapped[KnowledgeEntry] = relationship(back_populates="tags")


class KnowledgeLessonLink(db.Model):
    """An entry and a lesson that discusses it, from either side's files (the
    entry's `lessons`, the lesson's `knowledge`); rebuilt by every import."""

    __tablename__ = "knowledge_entry_lessons"
    __table_args__ = (UniqueConstraint("entry_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entries.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
