"""Who may edit a course, every saved revision of its texts, and uploaded images.

The text rows of `lms.content.models` (CourseText, ModuleText, LessonText)
are what learners see: the *published* version. Everything a trainer saves
in the browser is a `ContentRevision`; the newest revision of an item's
language is its draft (its "head"). Publishing copies the head into the text
row and sets the row's `revision` to the head's number, so "waiting to be
published" is simply head number > published revision.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.extensions import db
from lms.timeutil import utcnow

AUTHOR_ROLES = ("owner", "coauthor")
KINDS = ("course", "module", "lesson")
# Actions of a revision: what made it.
IMPORT = "import"        # written by `flask lms import-courses` (files are the source)
EDIT = "edit"            # saved in the browser
RESTORE = "restore"      # an older revision saved again in the browser
BROWSER_ACTIONS = (EDIT, RESTORE)


class CourseAuthor(db.Model):
    """A person who may edit a course: its owner(s) and co-authors."""

    __tablename__ = "course_authors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="coauthor")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class ContentRevision(db.Model):
    """The full text of one language of one course, module or lesson, as saved.

    `item_id` is the id of the course, module or lesson named by `kind`;
    numbers count up per item and language, in the same sequence as the text
    rows' `revision`, so a translation's `source_revision` names one of them.
    """

    __tablename__ = "content_revisions"
    __table_args__ = (UniqueConstraint("kind", "item_id", "language", "number"),
                      Index("ix_content_revisions_course_kind", "course_id", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    # Course and module summary (plain text); lesson body (Markdown).
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    source_revision: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(16), default=EDIT)
    note: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class MediaFile(db.Model):
    """An image uploaded for a course's lessons; files are named by content hash."""

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("course_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))        # <sha256>.<ext>, the resized image
    small_name: Mapped[str] = mapped_column(String(80))  # the narrow variant for slow links
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    original_filename: Mapped[str] = mapped_column(String(200), default="")
    alt_text: Mapped[str] = mapped_column(String(300))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
