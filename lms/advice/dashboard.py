"""The coordinator's dashboard: backlog, median first-response and resolution
times, overdue requests per queue and per expert. Every figure is aggregated
in SQL (medians with window functions, on SQLite and PostgreSQL alike), so the
page runs the same few queries for 100 or 100,000 requests."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from lms.advice.models import AdviceQueue, AdviceRequest
from lms.advice.queue import Membership, overdue_condition
from lms.advice.transitions import AWAITING_LEARNER, CLAIMED, OPEN_STATES, SUBMITTED
from lms.auth.models import User
from lms.extensions import db

PERIODS = (30, 90, 365)


@dataclass
class QueueStats:
    queue: AdviceQueue
    submitted: int = 0
    claimed: int = 0
    awaiting: int = 0
    overdue: int = 0
    received: int = 0       # created in the period
    answered: int = 0       # of those, answered at least once
    median_first_response: float | None = None   # hours
    median_resolution: float | None = None       # hours
    average_rating: float | None = None

    @property
    def backlog(self) -> int:
        return self.submitted + self.claimed + self.awaiting


@dataclass
class ExpertStats:
    user_id: int
    name: str
    held: int
    overdue: int


@dataclass
class Dashboard:
    queues: list[QueueStats]
    experts: list[ExpertStats]
    days: int
    since: datetime


def visible_queues(member: Membership) -> list[AdviceQueue]:
    statement = select(AdviceQueue).order_by(AdviceQueue.position, AdviceQueue.id)
    if not member.is_admin:
        statement = statement.where(AdviceQueue.id.in_(member.coordinator_of or {-1}))
    return list(db.session.scalars(statement))


def _medians(column, queue_ids: list[int], since: datetime) -> dict[int, float]:
    """Median of `column` (seconds) per queue, over requests created since `since`."""
    ranked = (select(AdviceRequest.queue_id.label("queue_id"), column.label("value"),
                     func.row_number().over(partition_by=AdviceRequest.queue_id, order_by=column).label("rn"),
                     func.count().over(partition_by=AdviceRequest.queue_id).label("n"))
              .where(column.is_not(None), AdviceRequest.queue_id.in_(queue_ids),
                     AdviceRequest.created_at >= since)
              .subquery())
    rows = db.session.execute(
        select(ranked.c.queue_id, func.avg(ranked.c.value))
        .where(ranked.c.rn >= (ranked.c.n + 1) // 2, ranked.c.rn <= (ranked.c.n + 2) // 2)
        .group_by(ranked.c.queue_id)).all()
    return {queue_id: float(value) / 3600 for queue_id, value in rows if value is not None}


def build(member: Membership, now: datetime, days: int = 90) -> Dashboard:
    days = days if days in PERIODS else 90
    since = now - timedelta(days=days)
    queues = visible_queues(member)
    ids = [queue.id for queue in queues]
    stats = {queue.id: QueueStats(queue) for queue in queues}
    if not ids:
        return Dashboard([], [], days, since)
    first, resolution = overdue_condition(now)
    is_overdue = or_(first, resolution)
    recent = AdviceRequest.created_at >= since

    def count_when(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(AdviceRequest.queue_id,
               count_when(AdviceRequest.state == SUBMITTED),
               count_when(AdviceRequest.state == CLAIMED),
               count_when(AdviceRequest.state == AWAITING_LEARNER),
               count_when(is_overdue),
               count_when(recent),
               count_when(and_(recent, AdviceRequest.answered_at.is_not(None))),
               func.avg(case((recent, AdviceRequest.rating), else_=None)))
        .join(AdviceQueue, AdviceQueue.id == AdviceRequest.queue_id)
        .where(AdviceRequest.queue_id.in_(ids), or_(AdviceRequest.state.in_(OPEN_STATES), recent))
        .group_by(AdviceRequest.queue_id)).all()
    for queue_id, submitted, claimed, awaiting, overdue, received, answered, rating in rows:
        item = stats[queue_id]
        item.submitted, item.claimed, item.awaiting = int(submitted), int(claimed), int(awaiting)
        item.overdue, item.received, item.answered = int(overdue), int(received), int(answered)
        item.average_rating = float(rating) if rating is not None else None
    for queue_id, hours in _medians(AdviceRequest.first_response_seconds, ids, since).items():
        stats[queue_id].median_first_response = hours
    for queue_id, hours in _medians(AdviceRequest.resolution_seconds, ids, since).items():
        stats[queue_id].median_resolution = hours

    expert_rows = db.session.execute(
        select(User.id, User.name, func.count(AdviceRequest.id), count_when(is_overdue))
        .join(AdviceRequest, AdviceRequest.claimed_by_id == User.id)
        .join(AdviceQueue, AdviceQueue.id == AdviceRequest.queue_id)
        .where(AdviceRequest.queue_id.in_(ids), AdviceRequest.state.in_((CLAIMED, AWAITING_LEARNER)))
        .group_by(User.id, User.name)
        .order_by(count_when(is_overdue).desc(), User.name)).all()
    experts = [ExpertStats(user_id, name, int(held), int(overdue))
               for user_id, name, held, overdue in expert_rows]
    return Dashboard([stats[queue_id] for queue_id in ids], experts, days, since)


# CSV export ------------------------------------------------------------------------

def _cell(value) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: defuse them."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def to_csv(board: Dashboard, table: str, language: str) -> str:
    """UTF-8 with a byte order mark, so spreadsheet programs read accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "experts":
        writer.writerow([_("Expert"), _("Requests held"), _("Overdue")])
        for item in board.experts:
            writer.writerow([_cell(item.name), item.held, item.overdue])
    else:
        writer.writerow([_("Queue"), _("Waiting for an expert"), _("With an expert"),
                         _("Waiting for the learner"), _("Backlog"), _("Overdue"),
                         _("Received in the period"), _("Answered in the period"),
                         _("Median first response (hours)"), _("Median resolution (hours)"),
                         _("Average rating")])
        for item in board.queues:
            writer.writerow([_cell(item.queue.name(language)), item.submitted, item.claimed, item.awaiting,
                             item.backlog, item.overdue, item.received, item.answered,
                             _hours(item.median_first_response), _hours(item.median_resolution),
                             "" if item.average_rating is None else f"{item.average_rating:.2f}"])
    return "\ufeff" + out.getvalue()


# Charts (inline SVG drawn by templates/advice/_macros.html) ----------------------------

BAR_MAX_WIDTH = 340.0


@dataclass
class Bar:
    label: str
    value: float
    text: str
    width: float

    @property
    def short_label(self) -> str:
        return self.label if len(self.label) <= 32 else self.label[:31] + "…"


@dataclass
class Chart:
    id: str
    title: str
    label_heading: str
    value_heading: str
    bars: list[Bar]
    alert: bool = False


def _chart(chart_id: str, title: str, label_heading: str, value_heading: str,
           items: list[tuple[str, float | None, str]], alert: bool = False) -> Chart:
    values = [value for _label, value, _text in items if value is not None]
    top = max(values) if values else 0
    bars = [Bar(label, value or 0, text, (value or 0) / top * BAR_MAX_WIDTH if top else 0)
            for label, value, text in items]
    return Chart(chart_id, title, label_heading, value_heading, bars, alert)


def charts(board: Dashboard, language: str, number, hours) -> list[Chart]:
    """`number` and `hours` format values for the reader (format_decimal...)."""
    def named(item: QueueStats) -> str:
        return item.queue.name(language)

    def hours_text(value: float | None) -> str:
        return hours(value) if value is not None else _("no data")

    return [
        _chart("backlog", _("Backlog per queue"), _("Queue"), _("Open requests"),
               [(named(q), q.backlog, number(q.backlog)) for q in board.queues]),
        _chart("overdue-queues", _("Overdue requests per queue"), _("Queue"), _("Overdue"),
               [(named(q), q.overdue, number(q.overdue)) for q in board.queues], alert=True),
        _chart("first-response", _("Median time to first response (hours)"), _("Queue"), _("Hours"),
               [(named(q), q.median_first_response, hours_text(q.median_first_response))
                for q in board.queues]),
        _chart("resolution", _("Median resolution time, without time waiting on the learner (hours)"),
               _("Queue"), _("Hours"),
               [(named(q), q.median_resolution, hours_text(q.median_resolution)) for q in board.queues]),
        _chart("overdue-experts", _("Overdue requests per expert"), _("Expert"), _("Overdue"),
               [(e.name, e.overdue, _("%(overdue)s of %(held)s held", overdue=number(e.overdue),
                                      held=number(e.held))) for e in board.experts], alert=True),
    ]
