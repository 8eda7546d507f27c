"""Who belongs to which queue, the expert's inbox, claims and their leases.

A claim is ONE conditional UPDATE that succeeds only while the request is
still `submitted` and unclaimed: two experts pressing "claim" together give
one winner (rowcount 1) and one "already taken" (rowcount 0), on SQLite
(writers are serialised) and PostgreSQL (the second UPDATE waits for the
first, then re-reads the row and no longer matches).
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, bindparam, func, literal_column, or_, select, union_all, update
from sqlalchemy.engine import Row

from lms.advice import sla
from lms.advice.models import AdviceQueue, AdviceRequest, Expertise, QueueMember, queue_name
from lms.advice.transitions import (ACTIVE_STATES, AWAITING_LEARNER, CLAIMED, OPEN_STATES, SUBMITTED,
                                    TransitionError)
from lms.auth.models import User
from lms.extensions import db

PAGE_SIZE = 25  # requests waiting (or held), a page of the inbox
HELD_ON_INBOX = 10  # the most urgent requests held, shown above those waiting


def lease_length() -> timedelta:
    return timedelta(hours=current_app.config["ADVICE_LEASE_HOURS"])


# Membership -----------------------------------------------------------------------

@dataclass
class Membership:
    """One person's place in the queues, loaded in one query."""

    user_id: int
    is_admin: bool = False
    is_expert: bool = False
    expert_of: set[int] = field(default_factory=set)
    coordinator_of: set[int] = field(default_factory=set)

    @property
    def queue_ids(self) -> set[int]:
        return self.expert_of | self.coordinator_of

    def is_staff_of(self, queue_id: int) -> bool:
        """May see the queue's requests and internal notes."""
        return self.is_admin or queue_id in self.queue_ids

    def roles_for(self, request: AdviceRequest) -> set[str]:
        roles = set()
        if request.learner_id == self.user_id:
            roles.add("learner")
        if request.claimed_by_id == self.user_id and self.is_staff_of(request.queue_id):
            roles.add("claimant")
        if request.queue_id in self.queue_ids:
            roles.add("expert")
        if request.queue_id in self.coordinator_of:
            roles.add("coordinator")
        if self.is_admin:
            roles.add("admin")
        return roles


def membership(user) -> Membership:
    """The queues `user` works in. An expert role is needed to act in a queue:
    membership rows of someone whose expert role was removed count for nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Membership(user_id=0)
    result = Membership(user_id=user.id, is_admin=user.has_role("admin"), is_expert=user.has_role("expert"))
    if not (result.is_expert or result.is_admin):
        return result
    for queue_id, role in db.session.execute(_membership_statement(), {"user_id": user.id}):
        (result.coordinator_of if role == "coordinator" else result.expert_of).add(queue_id)
    return result


# Statements every inbox runs are built once and run with bound values: building
# a select costs more than running these.

@functools.cache
def _membership_statement():
    return select(QueueMember.queue_id, QueueMember.role).where(QueueMember.user_id == bindparam("user_id"))


def queue_staff_ids(queue_id: int) -> set[int]:
    """Experts and coordinators of a queue who still have the expert role."""
    rows = db.session.scalars(
        select(QueueMember.user_id).distinct()
        .join(User, User.id == QueueMember.user_id)
        .where(QueueMember.queue_id == queue_id, User.active.is_(True),
               QueueMember.user_id.in_(_expert_role_ids())))
    return set(rows)


def _expert_role_ids():
    from lms.auth.models import UserRole

    return select(UserRole.user_id).where(UserRole.role.in_(("expert", "admin")))


def queue_experts(queue_id: int) -> list[User]:
    """Everyone a coordinator may assign a request of this queue to."""
    return list(db.session.scalars(
        select(User).where(User.id.in_(
            select(QueueMember.user_id).where(QueueMember.queue_id == queue_id)),
            User.id.in_(_expert_role_ids()), User.active.is_(True))
        .order_by(User.name, User.id)))


# The inbox -------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueView:
    """What the inbox reads of a queue (lms.advice.sla.status too): plain values,
    read as columns (loading queues as ORM objects cost more than the rest of the statement)."""

    id: int
    slug: str
    names: dict
    first_response_hours: int
    resolution_hours: int

    def name(self, language: str | None = None) -> str:
        return queue_name(self.names, self.slug, language)


@dataclass
class InboxRow:
    request: Row  # SHOWN_COLUMNS of the request
    queue: QueueView | AdviceQueue
    queue_name: str  # in the reader's language
    score: int
    status: sla.Status
    waited_seconds: int


@dataclass
class Inbox:
    mine: list[InboxRow]        # the first HELD_ON_INBOX requests held, the most urgent first
    total_mine: int
    available: list[InboxRow]
    total_available: int
    page: int
    pages: int
    queues: list[QueueView]
    queue_filter: int | None
    expertise: dict[str, set[str]]

    def args(self) -> dict[str, int]:
        """The filters in use, as query arguments (kept in the links to other pages)."""
        return {"queue": self.queue_filter} if self.queue_filter is not None else {}


@dataclass
class HeldPage:
    """All the requests an expert holds, PAGE_SIZE a page (/advice/inbox/held)."""

    rows: list[InboxRow]
    total: int
    page: int
    pages: int

    def args(self) -> dict[str, int]:
        return {}


@functools.cache
def _expertise_statement():
    return select(Expertise.kind, Expertise.code).where(Expertise.user_id == bindparam("user_id"))


def expertise_of(user_id: int) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {kind: set() for kind in ("region", "value_chain", "language")}
    for kind, code in db.session.execute(_expertise_statement(), {"user_id": user_id}):
        result.setdefault(kind, set()).add(code)
    return result


MATCH_KINDS = ((AdviceRequest.region, "region"), (AdviceRequest.value_chain, "value_chain"),
               (AdviceRequest.language, "language"))

# What the inbox shows of a request (and lms.advice.sla.status reads): read as
# plain rows, not ORM objects, since the page only shows them.
SHOWN_COLUMNS = (
    AdviceRequest.id, AdviceRequest.title, AdviceRequest.queue_id, AdviceRequest.region,
    AdviceRequest.value_chain, AdviceRequest.phase, AdviceRequest.language, AdviceRequest.state,
    AdviceRequest.claimed_by_id, AdviceRequest.created_at, AdviceRequest.first_response_due_at,
    AdviceRequest.first_response_at, AdviceRequest.resolution_due_at, AdviceRequest.active_seconds,
    AdviceRequest.active_since)


def _scoring(kinds: tuple[str, ...], points: int):
    """SQL: the request scores `points`, one point per match of region, value
    chain and language with the expert's codes (bound as lists named after the
    kinds; `kinds` are those the expert declared codes for). Written as which
    kinds match and which do not, rather than as a sum, so that the planner
    estimates it from each column's statistics (PostgreSQL takes a sum's
    equality for a rare one and sorts instead of walking the index)."""
    def match(column, kind):
        return column.in_(bindparam(kind, expanding=True))

    def miss(column, kind):
        return or_(column.is_(None), column.not_in(bindparam(kind, expanding=True)))

    columns = [(column, kind) for column, kind in MATCH_KINDS if kind in kinds]
    return or_(*(and_(*(match(column, kind) if kind in matched else miss(column, kind)
                        for column, kind in columns))
                 for matched in itertools.combinations(kinds, points)))


def _pages(total: int, page: int) -> tuple[int, int]:
    """(page clamped to the pages there are, number of pages)."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(1, page), pages), pages


def _held_condition():
    return (AdviceRequest.claimed_by_id == bindparam("user_id"),
            AdviceRequest.state.in_((CLAIMED, AWAITING_LEARNER)))


# The statements are built once (per kind of expertise) and run with bound
# values: building them costs more than running them.

@functools.cache
def _counts_statement():
    """How many requests the expert holds, and how many wait in the queues."""
    held = select(func.count()).select_from(AdviceRequest).where(*_held_condition())
    waiting = (select(func.count()).select_from(AdviceRequest)
               .where(AdviceRequest.state == SUBMITTED,
                      AdviceRequest.queue_id.in_(bindparam("queue_ids", expanding=True))))
    return select(held.scalar_subquery(), waiting.scalar_subquery())


@functools.cache
def _held_statement():
    """The requests held, by resolution due time: the ids are sorted in the index
    (claimed_by_id, state, resolution_due_at, id) alone, then only the rows shown are read."""
    ids = (select(AdviceRequest.id).where(*_held_condition())
           .order_by(AdviceRequest.resolution_due_at, AdviceRequest.id)
           .limit(bindparam("limit")).offset(bindparam("offset")).subquery())
    return (select(*SHOWN_COLUMNS).join(ids, ids.c.id == AdviceRequest.id)
            .order_by(AdviceRequest.resolution_due_at, AdviceRequest.id))


@functools.cache
def _waiting_statement(kinds: tuple[str, ...]):
    """Requests waiting in some queues at [offset, offset + limit) of the order
    "most points first, then the oldest", in one statement.

    The score depends on the expert, so no index holds that order; but within
    one score the order is the index's (state, created_at, id, ...), which also
    holds the columns the score is computed from. So each score is one branch
    that walks that index oldest first and stops after offset + limit rows
    ("reach"), and the branches are merged: only the rows shown are read from
    the table."""
    base = (AdviceRequest.state == SUBMITTED,
            AdviceRequest.queue_id.in_(bindparam("queue_ids", expanding=True)))
    best = len(kinds)
    branches = []
    for points in range(best, -1, -1):
        branch = (select(AdviceRequest.id, AdviceRequest.created_at,
                         literal_column(str(points), Integer).label("score"))
                  .where(*base, *((_scoring(kinds, points),) if best else ()))
                  .order_by(AdviceRequest.created_at, AdviceRequest.id).limit(bindparam("reach")).subquery())
        branches.append(select(branch))
    merged = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
    page = (select(merged.c.id, merged.c.score)
            .order_by(merged.c.score.desc(), merged.c.created_at, merged.c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")).subquery())
    return (select(*SHOWN_COLUMNS, page.c.score).join(page, page.c.id == AdviceRequest.id)
            .order_by(page.c.score.desc(), AdviceRequest.created_at, AdviceRequest.id))


def _held_rows(user_id: int, offset: int, limit: int) -> list[Row]:
    """Requests held (SHOWN_COLUMNS), the nearest resolution due time first."""
    return list(db.session.execute(_held_statement(), {"user_id": user_id, "limit": limit, "offset": offset}))


def _waiting_rows(wanted: set[int], expertise: dict[str, set[str]], offset: int,
                  limit: int) -> list[Row]:
    """The page of requests waiting in the `wanted` queues (SHOWN_COLUMNS and
    their score), best matches first, then oldest."""
    kinds = tuple(kind for _column, kind in MATCH_KINDS if expertise.get(kind))
    values = {kind: sorted(expertise[kind]) for kind in kinds}
    return list(db.session.execute(_waiting_statement(kinds), {
        **values, "queue_ids": sorted(wanted) or [-1], "reach": offset + limit, "limit": limit,
        "offset": offset}))


@functools.cache
def _queues_statement(every: bool):
    q = AdviceQueue.__table__.c
    statement = (select(q.id, q.slug, q.names, q.first_response_hours, q.resolution_hours)
                 .order_by(q.position, q.id))
    return statement if every else statement.where(q.id.in_(bindparam("queue_ids", expanding=True)))


def _visible_queues(member: Membership) -> list[QueueView]:
    if member.is_admin:
        rows = db.session.execute(_queues_statement(True))
    else:
        rows = db.session.execute(_queues_statement(False), {"queue_ids": sorted(member.queue_ids) or [-1]})
    return [QueueView(*row) for row in rows]


def inbox(user, member: Membership, now: datetime, page: int = 1, queue_id: int | None = None) -> Inbox:
    """The requests this expert can take, best matches first, then oldest, PAGE_SIZE
    a page (a page past the end gives the last one, below 1 the first); and the
    HELD_ON_INBOX most urgent of those they hold, on every page, with how many
    they hold (all of them: `held`). A fixed number of queries whatever the
    data size; none reads more rows of the table than it shows."""
    queues = _visible_queues(member)
    visible_ids = {queue.id for queue in queues}
    if queue_id is not None and queue_id not in visible_ids:
        queue_id = None
    wanted = {queue_id} if queue_id is not None else visible_ids
    expertise = expertise_of(user.id)
    row = _Rows(queues, now)

    total_mine, total = db.session.execute(
        _counts_statement(), {"user_id": user.id, "queue_ids": sorted(wanted) or [-1]}).one()
    mine = [row(request) for request in _held_rows(user.id, 0, HELD_ON_INBOX)]

    page, pages = _pages(total, page)
    rows = _waiting_rows(wanted, expertise, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    available = [row(request, request.score) for request in rows]
    return Inbox(mine, total_mine, available, total, page, pages, queues, queue_id, expertise)


def held(user, member: Membership, now: datetime, page: int = 1) -> HeldPage:
    """Every request `user` holds (claimed or awaiting the learner), the nearest
    resolution due time first, PAGE_SIZE a page."""
    row = _Rows(_visible_queues(member), now)
    total = db.session.scalar(select(func.count()).select_from(AdviceRequest).where(*_held_condition()),
                              {"user_id": user.id}) or 0
    page, pages = _pages(total, page)
    rows = [row(request) for request in _held_rows(user.id, (page - 1) * PAGE_SIZE, PAGE_SIZE)]
    return HeldPage(rows, total, page, pages)


class _Rows:
    """Makes InboxRows, naming each queue once (names are picked in the reader's language)."""

    def __init__(self, queues: list[QueueView], now: datetime) -> None:
        self.queues = {queue.id: queue for queue in queues}
        self.names: dict[int, str] = {}
        self.now = now

    def __call__(self, request: Row, score: int = 0) -> InboxRow:
        queue = self.queues.get(request.queue_id)
        if queue is None:  # held in a queue one no longer belongs to
            queue = self.queues[request.queue_id] = db.session.get(AdviceQueue, request.queue_id)
        name = self.names.get(queue.id)
        if name is None:
            name = self.names[queue.id] = queue.name()
        return InboxRow(request, queue, name, score, sla.status(request, queue, self.now),
                        max(0, int((self.now - request.created_at).total_seconds())))


# Claims and leases ------------------------------------------------------------------

ALREADY_TAKEN = _l("This request has already been taken by another expert.")


def claim(request: AdviceRequest, expert_id: int, now: datetime) -> None:
    """Take the request, or raise TransitionError(ALREADY_TAKEN). The caller
    checked the role and commits (with the event written by the service)."""
    result = db.session.execute(
        update(AdviceRequest)
        .where(AdviceRequest.id == request.id, AdviceRequest.state == SUBMITTED,
               AdviceRequest.claimed_by_id.is_(None))
        .values(state=CLAIMED, claimed_by_id=expert_id, claimed_at=now,
                lease_expires_at=now + lease_length(), updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise TransitionError(ALREADY_TAKEN, code="taken")
    db.session.refresh(request)


def assign(request: AdviceRequest, expert_id: int, now: datetime) -> None:
    """A coordinator's reassignment or take-over (no race to win: coordinators decide)."""
    request.claimed_by_id = expert_id
    request.claimed_at = now
    request.lease_expires_at = now + lease_length()


def renew_lease(request: AdviceRequest, now: datetime) -> None:
    if request.state == CLAIMED and request.claimed_by_id is not None:
        request.lease_expires_at = now + lease_length()


def expired_lease_ids(now: datetime, limit: int = 500) -> list[tuple[int, int]]:
    return list(db.session.execute(
        select(AdviceRequest.id, AdviceRequest.claimed_by_id)
        .where(AdviceRequest.state == CLAIMED, AdviceRequest.lease_expires_at < now)
        .order_by(AdviceRequest.id).limit(limit)).all())


def expire_lease(request_id: int, expert_id: int, now: datetime) -> bool:
    """Return one request to the queue if its lease is still expired and held
    by the same expert: True only for the one caller that did it."""
    result = db.session.execute(
        update(AdviceRequest)
        .where(AdviceRequest.id == request_id, AdviceRequest.state == CLAIMED,
               AdviceRequest.claimed_by_id == expert_id, AdviceRequest.lease_expires_at < now)
        .values(state=SUBMITTED, claimed_by_id=None, claimed_at=None, lease_expires_at=None, updated_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def conditional_state_change(request_id: int, old_state: str, values: dict, extra=()) -> bool:
    """UPDATE ... WHERE id AND state = old_state (and `extra`); True if this call did it."""
    result = db.session.execute(
        update(AdviceRequest)
        .where(AdviceRequest.id == request_id, AdviceRequest.state == old_state, *extra)
        .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def overdue_condition(now: datetime):
    """SQL: the request is past its first-response or resolution target."""
    first = and_(AdviceRequest.first_response_at.is_(None), AdviceRequest.state.in_(OPEN_STATES),
                 AdviceRequest.first_response_due_at < now)
    resolution = or_(
        and_(AdviceRequest.state.in_(ACTIVE_STATES), AdviceRequest.resolution_due_at < now),
        and_(AdviceRequest.state == AWAITING_LEARNER,
             AdviceRequest.active_seconds > AdviceQueue.resolution_hours * 3600))
    return first, resolution


def queue_choices(only_active: bool = True) -> list[AdviceQueue]:
    statement = select(AdviceQueue).order_by(AdviceQueue.position, AdviceQueue.id)
    if only_active:
        statement = statement.where(AdviceQueue.active.is_(True))
    return list(db.session.scalars(statement))

