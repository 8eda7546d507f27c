"""What a learner has done: lesson visits and completions, module
completions, and the certificates that course completions earn.

Records hang on lesson and module rows, which the importer archives but never
deletes, so re-importing or editing content never loses them. Completions are
kept once earned (see lms/progress/completion.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.content.models import Course
from lms.extensions import db
from lms.timeutil import utcnow


class LessonProgress(db.Model):
    """One learner on one lesson: first and last visit, and when they marked it done."""

    __tablename__ = "lesson_progress"
    # One row per learner and lesson: visits upsert it, a double "mark as done" records once.
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        # Covers the per-course reads (the trainer report's learners per module and lessons
        # done per learner, the dashboard): they read the index alone, never the table.
        Index("ix_lesson_progress_course_user_done", "course_id", "user_id", "completed_at", "lesson_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The lesson's course, kept here so per-course reports need no join.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    first_visit_at: Mapped[datetime | None]
    last_visit_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class ModuleCompletion(db.Model):
    """A module a learner has completed under the rule in force at the time."""

    __tablename__ = "module_completions"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        Index("ix_module_completions_course_module", "course_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Certificate(db.Model):
    """Earned by completing a course; the texts are kept as issued."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    holder_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(300))
    hours: Mapped[float | None]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
