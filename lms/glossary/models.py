"""Glossary terms (stable ids from courses/glossary.toml) with one text per language."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.timeutil import utcnow


class GlossaryTerm(db.Model):
    __tablename__ = "glossary_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    # Order in the file (the page itself is alphabetical per language).
    position: Mapped[int] = mapped_column(default=0)
    # A term gone from the file is archived, not deleted: lessons name it.
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    texts: Mapped[list[GlossaryTermText]] = relationship(
        back_populates="glossary_term", cascade="all, delete-orphan", order_by="GlossaryTermText.language")

    def text_by_language(self) -> dict[str, GlossaryTermText]:
        return {text.language: text for text in self.texts}


class GlossaryTermText(db.Model):
    __tablename__ = "glossary_term_texts"
    __table_args__ = (UniqueConstraint("term_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("glossary_terms.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    term: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text)
    # fold(term): alphabetical order that ignores case and accents on every database.
    sort_key: Mapped[str] = mapped_column(String(200))

    glossary_term: Mapped[GlossaryTerm] = relationship(back_populates="texts")
