"""Who belongs to which queue, the expert's inbox, claims and their leases.

A claim is ONE conditional UPDATE that succeeds only while the request is
still `submitted` and unclaimed: two experts pressing "claim" together give
one winner (rowcount 1) and one "already taken" (rowcount 0), on SQLite
(writers are serialised) and PostgreSQL (the second UPDATE waits for the
first, then re-reads the row and no longer matches).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import joinedload

from lms.advice import sla
from lms.advice.models import AdviceQueue, AdviceRequest, Expertise, QueueMember
from lms.advice.transitions import (ACTIVE_STATES, AWAITING_LEARNER, CLAIMED, OPEN_STATES, SUBMITTED,
                                    TransitionError)
from lms.auth.models import User
from lms.extensions import db

PAGE_SIZE = 25  # requests waiting, a page of the inbox


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
    for queue_id, role in db.session.execute(
            select(QueueMember.queue_id, QueueMember.role).where(QueueMember.user_id == user.id)):
        (result.coordinator_of if role == "coordinator" else result.expert_of).add(queue_id)
    return result


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

@dataclass
class InboxRow:
    request: AdviceRequest
    score: int
    status: sla.Status
    waited_seconds: int


@dataclass
class Inbox:
    mine: list[InboxRow]
    available: list[InboxRow]
    total_available: int
    page: int
    pages: int
    queues: list[AdviceQueue]
    queue_filter: int | None
    expertise: dict[str, set[str]]

    def queue(self, queue_id: int) -> AdviceQueue | None:
        return next((item for item in self.queues if item.id == queue_id), None)

    def args(self) -> dict[str, int]:
        """The filters in use, as query arguments (kept in the links to other pages)."""
        return {"queue": self.queue_filter} if self.queue_filter is not None else {}


def expertise_of(user_id: int) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {kind: set() for kind in ("region", "value_chain", "language")}
    for kind, code in db.session.execute(
            select(Expertise.kind, Expertise.code).where(Expertise.user_id == user_id)):
        result.setdefault(kind, set()).add(code)
    return result


def _score(expertise: dict[str, set[str]]):
    """1 point per match of region, value chain and language: an SQL expression
    built from the expert's (few) codes, so the database sorts by it."""
    parts = []
    for column, kind in ((AdviceRequest.region, "region"), (AdviceRequest.value_chain, "value_chain"),
                         (AdviceRequest.language, "language")):
        codes = sorted(expertise.get(kind) or ())
        parts.append(case((column.in_(codes), 1), else_=0) if codes else literal(0))
    return (parts[0] + parts[1] + parts[2]).label("score")


def inbox(user, member: Membership, now: datetime, page: int = 1, queue_id: int | None = None) -> Inbox:
    """The requests this expert can take, best matches first, then oldest, PAGE_SIZE
    a page (one COUNT, then LIMIT/OFFSET; a page past the end gives the last one,
    below 1 the first); and those they hold, on every page. A fixed number of
    queries whatever the data size."""
    queue_ids = set(member.queue_ids) if not member.is_admin else None
    queues_statement = select(AdviceQueue).order_by(AdviceQueue.position, AdviceQueue.id)
    if queue_ids is not None:
        queues_statement = queues_statement.where(AdviceQueue.id.in_(queue_ids or {-1}))
    queues = list(db.session.scalars(queues_statement))
    visible_ids = {queue.id for queue in queues}
    if queue_id is not None and queue_id not in visible_ids:
        queue_id = None
    wanted = {queue_id} if queue_id is not None else visible_ids
    expertise = expertise_of(user.id)
    by_queue = {queue.id: queue for queue in queues}

    mine_rows = db.session.scalars(
        select(AdviceRequest).options(joinedload(AdviceRequest.queue))
        .where(AdviceRequest.claimed_by_id == user.id, AdviceRequest.state.in_((CLAIMED, AWAITING_LEARNER)))
        .order_by(AdviceRequest.resolution_due_at, AdviceRequest.id).limit(200)).all()
    mine = [_row(request, 0, by_queue, now) for request in mine_rows]

    base = (AdviceRequest.state == SUBMITTED, AdviceRequest.queue_id.in_(wanted or {-1}))
    total = db.session.scalar(select(func.count()).select_from(AdviceRequest).where(*base)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    score = _score(expertise)
    rows = db.session.execute(
        select(AdviceRequest, score).where(*base)
        .order_by(score.desc(), AdviceRequest.created_at, AdviceRequest.id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    available = [_row(request, points, by_queue, now) for request, points in rows]
    return Inbox(mine, available, total, page, pages, queues, queue_id, expertise)


def _row(request: AdviceRequest, score: int, queues: dict[int, AdviceQueue], now: datetime) -> InboxRow:
    queue = queues.get(request.queue_id) or request.queue
    return InboxRow(request, score, sla.status(request, queue, now),
                    max(0, int((now - request.created_at).total_seconds())))


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

