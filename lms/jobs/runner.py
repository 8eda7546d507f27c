"""Run the due jobs once each, however many ticks run at the same time.

A job is taken with one conditional UPDATE on its row in `scheduled_job_runs`
(free, and due): on SQLite the writers are serialised, on PostgreSQL the second
UPDATE waits for the first and then finds the row no longer free. Only the
tick whose UPDATE changed the row runs the job. Jobs themselves are also
written as conditional updates, so even a job run twice changes things once.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.jobs.models import ScheduledJobRun
from lms.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[datetime], object]
    every: timedelta | Callable[[], timedelta]
    timeout: timedelta
    order: int


JOBS: dict[str, Job] = {}


# Long enough that two ticks started together (two cron lines, two machines)
# run a job once, short enough that a tick every minute runs it every minute.
DEFAULT_EVERY = timedelta(seconds=30)


def register_job(name: str, every: timedelta | Callable[[], timedelta] = DEFAULT_EVERY,
                 timeout: timedelta = timedelta(minutes=10), order: int = 100):
    """Decorator: `func(now)` runs at most once per `every` (a timedelta, or a
    function returning one, read at each tick), never twice at once.

    Jobs run in `order` (then name); mail goes last, so what the other jobs
    queued leaves in the same tick.
    """
    def decorator(func):
        JOBS[name] = Job(name, func, every, timeout, order)
        return func
    return decorator


def _ensure_row(name: str) -> None:
    if db.session.get(ScheduledJobRun, name) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ScheduledJobRun(name=name))
    except IntegrityError:
        pass  # another tick created it at the same moment
    db.session.commit()


def acquire(job: Job, now: datetime) -> str | None:
    """Take the job's lock if it is free and due; returns the lock token or None."""
    _ensure_row(job.name)
    token = secrets.token_hex(8)
    every = job.every() if callable(job.every) else job.every
    result = db.session.execute(
        update(ScheduledJobRun)
        .where(ScheduledJobRun.name == job.name,
               or_(ScheduledJobRun.locked_until.is_(None), ScheduledJobRun.locked_until <= now),
               or_(ScheduledJobRun.next_run_at.is_(None), ScheduledJobRun.next_run_at <= now))
        .values(locked_until=now + job.timeout, locked_by=token, last_started_at=now,
                next_run_at=now + every, run_count=ScheduledJobRun.run_count + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return token if result.rowcount == 1 else None


def release(job: Job, token: str, result: str | None) -> None:
    db.session.execute(
        update(ScheduledJobRun)
        .where(ScheduledJobRun.name == job.name, ScheduledJobRun.locked_by == token)
        .values(locked_until=None, locked_by=None, last_finished_at=utcnow(),
                last_result=(result or "")[:200])
        .execution_options(synchronize_session=False))
    db.session.commit()


def run_tick(now: datetime | None = None, only: tuple[str, ...] = ()) -> dict[str, object]:
    """Run every due job whose lock this tick gets; returns {job name: result}.

    A job that raises is logged and released, and the other jobs still run.
    """
    now = now or utcnow()
    results: dict[str, object] = {}
    for job in sorted(JOBS.values(), key=lambda job: (job.order, job.name)):
        if only and job.name not in only:
            continue
        token = acquire(job, now)
        if token is None:
            continue
        outcome: object
        try:
            outcome = job.func(now)
        except Exception:  # noqa: BLE001 - one failing job must not stop the others
            db.session.rollback()
            log.exception("Job %s failed", job.name)
            outcome = "failed"
        release(job, token, str(outcome))
        results[job.name] = outcome
    return results


def job_rows() -> list[ScheduledJobRun]:
    return list(db.session.scalars(select(ScheduledJobRun).order_by(ScheduledJobRun.name)))


def _send_mail(now: datetime) -> int:
    from lms.mail.service import deliver_pending

    return deliver_pending()


# The outbox is drained on every tick (mail retries are time-based work too).
register_job("send-mail", timeout=timedelta(minutes=5), order=1000)(_send_mail)
