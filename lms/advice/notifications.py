"""In-app notifications and e-mail, in each recipient's language, as each
person chose per kind. New requests reach experts' mailboxes as a digest
(`flask lms tick`), never as one mail per request."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, request as http_request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.advice.models import (AdviceQueue, AdviceRequest, DigestCursor, Notification, NotificationPreference,
                               QueueMember)
from lms.advice.transitions import SUBMITTED
from lms.auth.models import User, UserRole
from lms.extensions import db
from lms.mail.service import queue_mail


@dataclass(frozen=True)
class Kind:
    code: str
    label: object
    audience: str  # "learner" | "expert" | "coordinator", for the preferences page
    in_app: bool = True
    email: bool = True


KINDS = {kind.code: kind for kind in (
    Kind("new_request", _l("A new request arrives in one of my queues (e-mail as a daily digest)"), "expert"),
    Kind("assigned", _l("A request is assigned to me"), "expert"),
    Kind("learner_replied", _l("The learner replies on a request I handle"), "expert"),
    Kind("lease_expired", _l("My claim on a request expired"), "expert"),
    Kind("claimed", _l("An expert takes my request"), "learner"),
    Kind("clarification_asked", _l("The expert asks me for clarification"), "learner"),
    Kind("reply", _l("The expert replies to my request"), "learner"),
    Kind("answered", _l("My request is answered"), "learner"),
    Kind("reminder", _l("A reminder that a request waits for my reply"), "learner"),
    Kind("closed", _l("A request is closed"), "learner"),
    Kind("rejected", _l("My request is rejected or merged"), "learner"),
    Kind("published", _l("My question becomes a public knowledge entry"), "learner"),
    Kind("knowledge_review", _l("A knowledge entry waits for review"), "coordinator"),
)}
# Kinds whose e-mail goes out in the digest instead of at once.
DIGEST_KINDS = frozenset({"new_request"})


def public_base_url() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base and has_request_context():
        base = http_request.host_url
    return (base or "http://localhost").rstrip("/")


def path_for(endpoint: str, **values) -> str:
    """A URL path, inside or outside a request (the tick has none)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    return adapter.build(endpoint, values)


def external_url(endpoint: str, **values) -> str:
    return public_base_url() + path_for(endpoint, **values)


def link_for(request_id: int | None, data: dict | None, external: bool = False) -> str:
    """Where a notification leads: its own page if it names one, else the request."""
    build = external_url if external else path_for
    data = data or {}
    if data.get("endpoint"):
        return build(data["endpoint"], **data.get("values", {}))
    if request_id:
        return build("advice.request_detail", request_id=request_id)
    return build("advice.notifications_list")


def preferences_for(user_ids: Iterable[int], kind: str) -> dict[int, tuple[bool, bool]]:
    """{user id: (in_app, email)} for one kind, defaults filled in (one query)."""
    default = KINDS[kind]
    ids = list(set(user_ids))
    result = {user_id: (default.in_app, default.email) for user_id in ids}
    if ids:
        for user_id, in_app, email in db.session.execute(
                select(NotificationPreference.user_id, NotificationPreference.in_app,
                       NotificationPreference.email)
                .where(NotificationPreference.kind == kind, NotificationPreference.user_id.in_(ids))):
            result[user_id] = (in_app, email)
    return result


def notify(kind: str, recipients: Iterable[User], request: AdviceRequest | None, now: datetime,
           actor_id: int | None = None, **data) -> int:
    """Record in-app notifications and queue mails; the caller commits.
    The actor is never notified of their own action. Returns how many were told."""
    people = {user.id: user for user in recipients if user is not None and user.active
              and user.id != actor_id}
    if not people:
        return 0
    preferences = preferences_for(people, kind)
    told = 0
    for user_id, user in people.items():
        in_app, email = preferences[user_id]
        if in_app:
            db.session.add(Notification(user_id=user_id, kind=kind, actor_id=actor_id, data=data or None,
                                        request_id=request.id if request else None, created_at=now))
        if email and kind not in DIGEST_KINDS:
            link = link_for(request.id if request else None, data, external=True)
            queue_mail(user.email, user.locale, "advice_notification", kind=kind, request=request,
                       person=user, url=link, data=data,
                       preferences_url=external_url("advice.preferences"))
        told += bool(in_app or email)
    return told


def notify_ids(kind: str, user_ids: Iterable[int], request: AdviceRequest | None, now: datetime,
               actor_id: int | None = None, **data) -> int:
    ids = [user_id for user_id in set(user_ids) if user_id]
    if not ids:
        return 0
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    return notify(kind, users, request, now, actor_id=actor_id, **data)


# Reading ------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def unread_count_of_user():
    """The unread count as a scalar subquery correlated to User: loaded with the
    signed-in person (lms.auth.service.SESSION_USER_EXTRAS), no query of its own."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == User.id, Notification.read_at.is_(None))
            .correlate(User).scalar_subquery())


def recent(user_id: int, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .options(selectinload(Notification.request), selectinload(Notification.actor))
        .order_by(Notification.id.desc()).limit(limit)))


def mark_read(user_id: int, now: datetime, request_id: int | None = None) -> int:
    statement = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if request_id is not None:
        statement = statement.where(Notification.request_id == request_id)
    result = db.session.execute(statement.values(read_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount


def preferences_table(user_id: int) -> dict[str, tuple[bool, bool]]:
    chosen = {row.kind: (row.in_app, row.email) for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    return {code: chosen.get(code, (kind.in_app, kind.email)) for code, kind in KINDS.items()}


def save_preferences(user_id: int, choices: dict[str, tuple[bool, bool]]) -> None:
    rows = {row.kind: row for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}
    for code, (in_app, email) in choices.items():
        if code not in KINDS:
            continue
        row = rows.get(code)
        if row is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=code, in_app=in_app, email=email))
        else:
            row.in_app, row.email = in_app, email
    try:
        db.session.commit()
    except IntegrityError:
        # The same form sent twice at once: the other submit saved it.
        db.session.rollback()


# The new-request digest (run by tick) ---------------------------------------------

def _cursor(user_id: int, start_at: int) -> DigestCursor:
    cursor = db.session.get(DigestCursor, user_id)
    if cursor is None:
        try:
            with db.session.begin_nested():
                db.session.add(DigestCursor(user_id=user_id, last_request_id=start_at))
        except IntegrityError:
            pass
        db.session.commit()
        cursor = db.session.get(DigestCursor, user_id)
        db.session.refresh(cursor)
    return cursor


def send_digests(now: datetime) -> int:
    """One mail per expert listing the requests that arrived in their queues
    since their last digest. The cursor moves by a conditional UPDATE, and the
    mail is queued in the same transaction: run twice at once, each new
    request is mailed once."""
    staff = db.session.execute(
        select(QueueMember.user_id, QueueMember.queue_id)
        .join(User, User.id == QueueMember.user_id)
        .where(User.active.is_(True), QueueMember.user_id.in_(
            select(UserRole.user_id).where(UserRole.role.in_(("expert", "admin")))))).all()
    queues_of: dict[int, set[int]] = {}
    for user_id, queue_id in staff:
        queues_of.setdefault(user_id, set()).add(queue_id)
    if not queues_of:
        return 0
    preferences = preferences_for(queues_of, "new_request")
    newest = db.session.scalar(select(func.max(AdviceRequest.id))) or 0
    sent = 0
    for user_id, queue_ids in sorted(queues_of.items()):
        # A person's first digest starts from now: nobody gets the whole history.
        cursor = _cursor(user_id, newest)
        start = cursor.last_request_id
        if newest <= start:
            continue
        if not preferences[user_id][1]:
            _move_cursor(user_id, start, newest, now)
            db.session.commit()
            continue
        items = db.session.execute(
            select(AdviceRequest.id, AdviceRequest.title, AdviceRequest.queue_id, AdviceRequest.language)
            .where(AdviceRequest.id > start, AdviceRequest.id <= newest,
                   AdviceRequest.queue_id.in_(queue_ids), AdviceRequest.state == SUBMITTED)
            .order_by(AdviceRequest.id).limit(200)).all()
        if not _move_cursor(user_id, start, newest, now):
            db.session.rollback()
            continue  # another tick has just sent this digest
        if items:
            user = db.session.get(User, user_id)
            queues = {queue.id: queue for queue in db.session.scalars(
                select(AdviceQueue).where(AdviceQueue.id.in_(queue_ids)))}
            entries = [{"title": title, "queue": queues[queue_id].name(user.locale),
                        "url": external_url("advice.request_detail", request_id=request_id)}
                       for request_id, title, queue_id, _language in items]
            queue_mail(user.email, user.locale, "advice_digest", person=user, entries=entries,
                       inbox_url=external_url("advice.inbox"),
                       preferences_url=external_url("advice.preferences"))
            sent += 1
        db.session.commit()
    return sent


def _move_cursor(user_id: int, old: int, new: int, now: datetime) -> bool:
    result = db.session.execute(
        update(DigestCursor).where(DigestCursor.user_id == user_id, DigestCursor.last_request_id == old)
        .values(last_request_id=new, updated_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1
