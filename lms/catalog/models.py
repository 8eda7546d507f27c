from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import Course
from lms.extensions import db
from lms.timeutil import utcnow


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    # One enrolment per person and course: a double-submitted form records once.
    # (course_id, completed_at): the trainer report's counts and inactive learners per course.
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrolments_course_completed", "course_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
