"""One row per scheduled job: who holds it and when it may run next."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class ScheduledJobRun(db.Model):
    __tablename__ = "scheduled_job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # A tick holds the job until it finishes or until this moment (a crashed
    # tick must not block the job for ever).
    locked_until: Mapped[datetime | None]
    locked_by: Mapped[str | None] = mapped_column(String(32))
    next_run_at: Mapped[datetime | None]
    last_started_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(String(200))
    run_count: Mapped[int] = mapped_column(default=0)
