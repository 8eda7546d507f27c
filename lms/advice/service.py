"""Advice operations. Each function checks who may act (lms.advice.transitions),
changes the request with a conditional UPDATE on its current state (so two
people acting at once cannot both succeed), writes the event log, notifies,
and commits. Refusals raise TransitionError with a translated reason.

Requests a person may not see are `None` here, and 404 in the views.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.advice import attachments as files
from lms.advice import notifications, queue, sla
from lms.advice.models import (AdviceAttachment, AdviceEvent, AdviceMessage, AdviceMessageVersion,
                               AdviceQueue, AdviceRequest, CannedReply, Expertise, QueueMember)
from lms.advice.transitions import (ACTION_LABELS, ANSWERED, AWAITING_LEARNER, CLAIMED, FINAL_STATES,
                                    LEARNER_MESSAGE_ACTIONS, STAFF_MESSAGE_ACTIONS, SUBMITTED,
                                    TransitionError, available, check)
from lms.auth.models import User
from lms.content.markdown import render_markdown
from lms.content.models import Lesson
from lms.content.vocab import REGION_NAMES, VALUE_CHAIN_NAMES
from lms.extensions import db
from lms.timeutil import utcnow

log = logging.getLogger(__name__)

PHASES = ("analysis", "priority_setting", "action_plan", "implementation", "monitoring")
PHASE_LABELS = {
    "analysis": _l("Analysis"),
    "priority_setting": _l("Priority setting"),
    "action_plan": _l("Action plan"),
    "implementation": _l("Implementation"),
    "monitoring": _l("Monitoring"),
}
CHANGED_MEANWHILE = _l("This request changed while you were looking at it. Here is how it stands now.")
NOT_FOUND = _l("This request does not exist or you may not see it.")


class NotFound(TransitionError):
    def __init__(self):
        super().__init__(NOT_FOUND, code="not_found")


def _now(now: datetime | None) -> datetime:
    return now or utcnow()


def _event(request: AdviceRequest, kind: str, actor_id: int | None, now: datetime,
           old: str | None = None, new: str | None = None, **data) -> AdviceEvent:
    item = AdviceEvent(request_id=request.id, actor_id=actor_id, kind=kind, from_state=old,
                       to_state=new if new != old else None, data=data or None, created_at=now)
    db.session.add(item)
    return item


def _message(request: AdviceRequest, author_id: int, kind: str, action: str | None, body: str,
             now: datetime) -> AdviceMessage:
    message = AdviceMessage(request_id=request.id, author_id=author_id, kind=kind, action=action,
                            body_markdown=body, body_html=str(render_markdown(body)), created_at=now)
    db.session.add(message)
    return message


def _attach(request: AdviceRequest, message: AdviceMessage, uploader_id: int,
            uploads: list[files.Upload], stored: list[files.Stored]) -> None:
    types = files.validate_all(uploads)
    if message.id is None:
        db.session.flush()
    for upload, content_type in zip(uploads, types, strict=True):
        item = files.store(upload, content_type)
        stored.append(item)
        db.session.add(AdviceAttachment(
            request_id=request.id, message_id=message.id, uploaded_by_id=uploader_id, filename=item.filename,
            stored_name=item.stored_name, content_type=item.content_type, size=item.size, sha256=item.sha256))


def _commit(stored: list[files.Stored]) -> None:
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        files.discard(stored)
        raise


def _people(path):
    """Load the people along `path` without their roles (pages show names only)."""
    return path.lazyload(User.role_rows)


def _load(request_id: int) -> AdviceRequest | None:
    return db.session.scalar(
        select(AdviceRequest).where(AdviceRequest.id == request_id)
        .options(joinedload(AdviceRequest.queue), _people(joinedload(AdviceRequest.learner)),
                 _people(joinedload(AdviceRequest.claimed_by))))


def can_see(request: AdviceRequest, user, member: queue.Membership) -> bool:
    """The learner who asked, the queue's experts and coordinators, admins."""
    if user is None or not user.is_authenticated:
        return False
    return request.learner_id == user.id or member.is_staff_of(request.queue_id)


def visible_request(request_id: int, user, member: queue.Membership | None = None) -> AdviceRequest | None:
    request = _load(request_id)
    member = member or queue.membership(user)
    if request is None or not can_see(request, user, member):
        return None
    return request


def _acting(request_id: int, user, now: datetime) -> tuple[AdviceRequest, queue.Membership, set[str]]:
    member = queue.membership(user)
    request = visible_request(request_id, user, member)
    if request is None:
        raise NotFound()
    return request, member, member.roles_for(request)


def _move(request: AdviceRequest, old: str, new: str, now: datetime, **values) -> None:
    """The conditional UPDATE on the current state, then the kept SLA columns."""
    if not queue.conditional_state_change(request.id, old, {"state": new, "updated_at": now}):
        db.session.rollback()
        raise TransitionError(CHANGED_MEANWHILE, code="changed")
    request.state = new
    request.updated_at = now
    sla.enter_state(request, request.queue, old, new, now)
    for name, value in values.items():
        setattr(request, name, value)


# Submitting -------------------------------------------------------------------------

@dataclass
class NewRequest:
    title: str
    body: str
    queue_id: int
    phase: str
    language: str
    region: str | None = None
    value_chain: str | None = None
    lesson_id: int | None = None
    consent: bool = False
    uploads: list[files.Upload] = field(default_factory=list)


def submit(learner: User, data: NewRequest, now: datetime | None = None) -> AdviceRequest:
    now = _now(now)
    target = db.session.get(AdviceQueue, data.queue_id)
    if target is None or not target.active:
        raise TransitionError(_l("Choose one of the queues."), code="queue_id")
    if data.phase not in PHASES:
        raise TransitionError(_l("Choose a strategy phase."), code="phase")
    if data.region and data.region not in REGION_NAMES:
        raise TransitionError(_l("Choose a border region from the list."), code="region")
    if data.value_chain and data.value_chain not in VALUE_CHAIN_NAMES:
        raise TransitionError(_l("Choose a value chain from the list."), code="value_chain")
    if data.language not in current_app.config["LANGUAGES"]:
        raise TransitionError(_l("Choose a language."), code="language")
    lesson_id = data.lesson_id if data.lesson_id and db.session.get(Lesson, data.lesson_id) else None
    request = AdviceRequest(
        learner_id=learner.id, queue_id=target.id, title=data.title.strip(), region=data.region or None,
        value_chain=data.value_chain or None, phase=data.phase, language=data.language, lesson_id=lesson_id,
        publish_consent=bool(data.consent), state=SUBMITTED, created_at=now, updated_at=now)
    request.queue = target
    sla.start(request, target, now)
    db.session.add(request)
    db.session.flush()
    question = _message(request, learner.id, "question", None, data.body, now)
    stored: list[files.Stored] = []
    try:
        if data.uploads:
            _attach(request, question, learner.id, data.uploads, stored)
        _event(request, "submit", learner.id, now, None, SUBMITTED)
        notifications.notify_ids("new_request", queue.queue_staff_ids(target.id), request, now,
                                 actor_id=learner.id)
    except Exception:
        db.session.rollback()
        files.discard(stored)
        raise
    _commit(stored)
    log.info("Advice request %s submitted to queue %s", request.id, target.slug)
    return request


# Lifecycle -------------------------------------------------------------------------

def claim(request_id: int, user, now: datetime | None = None) -> AdviceRequest:
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    check("claim", SUBMITTED, roles)  # may this person claim at all?
    if request.state in (CLAIMED, AWAITING_LEARNER) and request.claimed_by_id != user.id:
        raise TransitionError(queue.ALREADY_TAKEN, code="taken")
    check("claim", request.state, roles)
    queue.claim(request, user.id, now)  # the one conditional UPDATE; raises "already taken"
    _event(request, "claim", user.id, now, SUBMITTED, CLAIMED)
    notifications.notify("claimed", [request.learner], request, now, actor_id=user.id)
    db.session.commit()
    return request


def release(request_id: int, user, now: datetime | None = None) -> AdviceRequest:
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    check("release", request.state, roles)
    holder = request.claimed_by_id
    _move(request, CLAIMED, SUBMITTED, now, claimed_by_id=None, claimed_at=None, lease_expires_at=None)
    _event(request, "release", user.id, now, CLAIMED, SUBMITTED, expert=holder)
    db.session.commit()
    return request


def reassign(request_id: int, user, expert_id: int, now: datetime | None = None,
             action: str = "reassign") -> AdviceRequest:
    """A coordinator gives the request to an expert of the queue (or takes it over)."""
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    transition = check(action, request.state, roles)
    experts = {expert.id: expert for expert in queue.queue_experts(request.queue_id)}
    if action == "take_over":
        expert_id = user.id
        experts.setdefault(user.id, user)
    if expert_id not in experts:
        raise TransitionError(_l("Choose an expert of this queue."), code="expert_id")
    previous = request.claimed_by_id
    _move(request, request.state, transition.target, now)
    queue.assign(request, expert_id, now)
    _event(request, action, user.id, now, transition.source, transition.target,
           expert=expert_id, previous=previous)
    notifications.notify("assigned", [experts[expert_id]], request, now, actor_id=user.id)
    db.session.commit()
    return request


def post_message(request_id: int, user, action: str, body: str,
                 uploads: list[files.Upload] | None = None, now: datetime | None = None) -> AdviceMessage:
    """A public message with its action: the claimant's reply, clarification
    question or answer; the learner's clarification, comment or follow-up."""
    now = _now(now)
    if action not in STAFF_MESSAGE_ACTIONS + LEARNER_MESSAGE_ACTIONS:
        raise TransitionError(_l("Unknown action."), code="unknown")
    if not (body or "").strip():
        raise TransitionError(_l("Write your message."), code="body")
    request, member, roles = _acting(request_id, user, now)
    transition = check(action, request.state, roles)
    old = request.state
    target = transition.target
    extra: dict = {}
    if action == "follow_up":
        window = timedelta(days=current_app.config["ADVICE_FOLLOW_UP_DAYS"])
        if request.answered_at and now > request.answered_at + window:
            raise TransitionError(_l("The time for follow-up questions on this answer has passed. "
                                     "Please ask a new question."), code="window")
        holder = request.claimed_by_id
        if holder is None or not _still_expert(holder, request.queue_id):
            target = SUBMITTED  # nobody to return it to: back to the queue
            extra.update(claimed_by_id=None, claimed_at=None, lease_expires_at=None)
        else:
            extra.update(lease_expires_at=now + queue.lease_length())
    if action == "ask_clarification":
        extra.update(awaiting_since=now, reminder_sent_at=None)
    if action == "clarify":
        extra.update(awaiting_since=None, reminder_sent_at=None, lease_expires_at=now + queue.lease_length())
    if action == "answer":
        extra.update(answered_at=now, lease_expires_at=None)
    _move(request, old, target, now, **extra)
    if action in STAFF_MESSAGE_ACTIONS:
        sla.record_first_response(request, now)
        if target == CLAIMED:
            queue.renew_lease(request, now)
    message = _message(request, user.id, "public", action, body, now)
    stored: list[files.Stored] = []
    try:
        if uploads:
            _attach(request, message, user.id, uploads, stored)
        _event(request, action, user.id, now, old, target)
        if action in STAFF_MESSAGE_ACTIONS:
            kind = {"reply": "reply", "ask_clarification": "clarification_asked",
                    "answer": "answered"}[action]
            notifications.notify(kind, [request.learner], request, now, actor_id=user.id)
        elif request.claimed_by is not None and target == CLAIMED:
            notifications.notify("learner_replied", [request.claimed_by], request, now, actor_id=user.id,
                                 action=action)
        elif target == SUBMITTED and action == "follow_up":
            notifications.notify_ids("new_request", queue.queue_staff_ids(request.queue_id), request, now,
                                     actor_id=user.id)
    except Exception:
        db.session.rollback()
        files.discard(stored)
        raise
    _commit(stored)
    return message


def _still_expert(user_id: int, queue_id: int) -> bool:
    return user_id in queue.queue_staff_ids(queue_id)


def add_note(request_id: int, user, body: str, uploads: list[files.Upload] | None = None,
             now: datetime | None = None) -> AdviceMessage:
    """An internal note: only the queue's experts and coordinators (and admins) see it."""
    now = _now(now)
    if not (body or "").strip():
        raise TransitionError(_l("Write your note."), code="body")
    request, _member, roles = _acting(request_id, user, now)
    if not roles & {"expert", "claimant", "coordinator", "admin"}:
        raise TransitionError(_l("Only the experts of this queue can write internal notes."), code="role")
    message = _message(request, user.id, "internal", "note", body, now)
    stored: list[files.Stored] = []
    try:
        if uploads:
            _attach(request, message, user.id, uploads, stored)
        db.session.flush()
        _event(request, "note", user.id, now, message=message.id)
        if request.claimed_by_id == user.id:
            queue.renew_lease(request, now)
    except Exception:
        db.session.rollback()
        files.discard(stored)
        raise
    _commit(stored)
    return message


def _close(request: AdviceRequest, roles: set[str], action: str, now: datetime, **values) -> str:
    """Move to the action's final state; returns the state it left."""
    transition = check(action, request.state, roles)
    _move(request, transition.source, transition.target, now, lease_expires_at=None, closed_at=now, **values)
    return transition.source


def accept(request_id: int, user, now: datetime | None = None) -> AdviceRequest:
    return _closed_by_learner(request_id, user, "accept", "accepted", now)


def withdraw(request_id: int, user, now: datetime | None = None) -> AdviceRequest:
    return _closed_by_learner(request_id, user, "withdraw", "withdrawn", now)


def _closed_by_learner(request_id: int, user, action: str, reason: str, now: datetime | None) -> AdviceRequest:
    """The learner ends the request (accepting the answer or withdrawing it); the expert is told why."""
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    old = _close(request, roles, action, now)
    _event(request, action, user.id, now, old, request.state)
    notifications.notify("closed", [request.claimed_by], request, now, actor_id=user.id, reason=reason)
    db.session.commit()
    return request


def reject(request_id: int, user, reason: str, now: datetime | None = None) -> AdviceRequest:
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    check("reject", request.state, roles)
    if not (reason or "").strip():
        raise TransitionError(_l("Give the learner a reason."), code="reason")
    old = _close(request, roles, "reject", now, rejection_reason=reason.strip())
    sla.record_first_response(request, now)
    _event(request, "reject", user.id, now, old, request.state, reason=reason.strip())
    notifications.notify("rejected", [request.learner, request.claimed_by], request, now, actor_id=user.id,
                         reason=reason.strip())
    db.session.commit()
    return request


def merge(request_id: int, user, target_id: int, now: datetime | None = None) -> AdviceRequest:
    """Close a duplicate into another request of the same queue."""
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    check("merge", request.state, roles)
    target = db.session.get(AdviceRequest, target_id) if target_id else None
    if (target is None or target.id == request.id or target.queue_id != request.queue_id
            or target.state in FINAL_STATES):
        raise TransitionError(_l("Choose another open or answered request of the same queue."),
                              code="target_id")
    old = _close(request, roles, "merge", now, merged_into_id=target.id)
    _event(request, "merge", user.id, now, old, request.state, target=target.id)
    notifications.notify("rejected", [request.learner, request.claimed_by], request, now, actor_id=user.id,
                         merged=True)
    db.session.commit()
    return request


def edit_message(message_id: int, user, body: str, now: datetime | None = None) -> AdviceMessage:
    """Only the author edits; the earlier text is kept as a version."""
    now = _now(now)
    message = db.session.get(AdviceMessage, message_id)
    if message is None:
        raise NotFound()
    request, member, roles = _acting(message.request_id, user, now)
    if message.internal and not roles & {"expert", "claimant", "coordinator", "admin"}:
        raise NotFound()
    if message.author_id != user.id:
        raise TransitionError(_l("Only the author can edit a message."), code="role")
    if not message.internal and request.state in FINAL_STATES:
        raise TransitionError(_l("Messages of a closed request cannot be edited."), code="state")
    if not (body or "").strip():
        raise TransitionError(_l("Write your message."), code="body")
    if body == message.body_markdown:
        return message
    db.session.add(AdviceMessageVersion(
        message_id=message.id, version=message.version, body_markdown=message.body_markdown,
        body_html=message.body_html, written_at=message.edited_at or message.created_at,
        replaced_by_id=user.id, replaced_at=now))
    message.body_markdown = body
    message.body_html = str(render_markdown(body))
    message.version += 1
    message.edited_at = now
    _event(request, "edit", user.id, now, message=message.id, version=message.version,
           internal=message.internal)
    db.session.commit()
    return message


def rate(request_id: int, user, rating: int, comment: str, consent: bool,
         now: datetime | None = None) -> AdviceRequest:
    now = _now(now)
    request, _member, roles = _acting(request_id, user, now)
    if "learner" not in roles:
        raise TransitionError(_l("Only the person who asked can rate the answer."), code="role")
    if request.state not in (ANSWERED, "closed") or request.answered_at is None:
        raise TransitionError(_l("You can rate a request once it has been answered."), code="state")
    if rating not in range(1, 6):
        raise TransitionError(_l("Choose a rating from 1 to 5."), code="rating")
    request.rating = rating
    request.rating_comment = (comment or "").strip() or None
    request.rated_at = now
    request.publish_consent = bool(consent)
    _event(request, "rate", user.id, now, rating=rating, consent=bool(consent))
    db.session.commit()
    return request


# Time-based work (run by `flask lms tick`) -------------------------------------------

def expire_leases(now: datetime | None = None) -> int:
    """Return to the queue every request whose claim lapsed; each once."""
    now = _now(now)
    count = 0
    for request_id, expert_id in queue.expired_lease_ids(now):
        if not queue.expire_lease(request_id, expert_id, now):
            db.session.rollback()
            continue
        request = _load(request_id)
        _event(request, "expire", None, now, CLAIMED, SUBMITTED, expert=expert_id)
        notifications.notify_ids("lease_expired", [expert_id], request, now)
        db.session.commit()
        count += 1
    return count


def send_reminders(now: datetime | None = None) -> int:
    """One reminder per wait: the learner has not answered a clarification question."""
    now = _now(now)
    cutoff = now - timedelta(days=current_app.config["ADVICE_REMINDER_DAYS"])
    # Not for a request about to be closed anyway (auto_close runs next).
    closing = now - timedelta(days=current_app.config["ADVICE_AWAITING_CLOSE_DAYS"])
    ids = db.session.scalars(
        select(AdviceRequest.id).where(AdviceRequest.state == AWAITING_LEARNER,
                                       AdviceRequest.reminder_sent_at.is_(None),
                                       AdviceRequest.awaiting_since < cutoff,
                                       AdviceRequest.awaiting_since >= closing)
        .order_by(AdviceRequest.id).limit(500)).all()
    count = 0
    for request_id in ids:
        if not queue.conditional_state_change(
                request_id, AWAITING_LEARNER, {"reminder_sent_at": now},
                extra=(AdviceRequest.reminder_sent_at.is_(None),)):
            db.session.rollback()
            continue
        request = _load(request_id)
        _event(request, "remind", None, now)
        notifications.notify("reminder", [request.learner], request, now)
        db.session.commit()
        count += 1
    return count


def auto_close(now: datetime | None = None) -> int:
    """Close what waited too long on the learner, and answers left unaccepted."""
    now = _now(now)
    config = current_app.config
    limits = ((AWAITING_LEARNER, AdviceRequest.awaiting_since, config["ADVICE_AWAITING_CLOSE_DAYS"]),
              (ANSWERED, AdviceRequest.answered_at, config["ADVICE_ANSWERED_CLOSE_DAYS"]))
    count = 0
    for state, column, days in limits:
        cutoff = now - timedelta(days=days)
        ids = db.session.scalars(select(AdviceRequest.id).where(AdviceRequest.state == state, column < cutoff)
                                 .order_by(AdviceRequest.id).limit(500)).all()
        for request_id in ids:
            request = _load(request_id)
            if request is None or request.state != state:
                continue
            try:
                _move(request, state, "closed", now, closed_at=now, lease_expires_at=None)
            except TransitionError:
                continue  # another tick (or the learner) got there first
            _event(request, "auto_close", None, now, state, "closed", days=days)
            notifications.notify("closed", [request.learner, request.claimed_by], request, now,
                                 reason="auto")
            db.session.commit()
            count += 1
    return count


# Pages -------------------------------------------------------------------------------

LEARNER_HIDDEN_EVENTS = frozenset({"note"})
EVENT_LABELS = {
    **ACTION_LABELS,
    "submit": _l("Submitted"),
    "note": _l("Internal note"),
    "edit": _l("Message edited"),
    "rate": _l("Answer rated"),
}


@dataclass
class RequestPage:
    request: AdviceRequest
    roles: set[str]
    staff: bool
    messages: list[AdviceMessage]
    events: list[AdviceEvent]
    actions: list[str]
    clocks: sla.Clocks
    status: sla.Status
    canned: list[CannedReply]
    experts: list[User]
    knowledge_entry: object | None
    merged_into_visible: bool
    follow_up_until: datetime | None
    people: dict[int, str]  # names of the experts that events mention
    lesson: tuple[str, str, str] | None  # (course slug, lesson key, title) the question came from


def request_page(request_id: int, user, now: datetime | None = None) -> RequestPage | None:
    from lms.knowledge.models import KnowledgeEntry

    now = _now(now)
    member = queue.membership(user)
    request = visible_request(request_id, user, member)
    if request is None:
        return None
    roles = member.roles_for(request)
    staff = bool(roles & {"expert", "claimant", "coordinator", "admin"})
    messages = db.session.scalars(
        select(AdviceMessage).where(AdviceMessage.request_id == request.id)
        .options(_people(selectinload(AdviceMessage.author)), selectinload(AdviceMessage.versions),
                 selectinload(AdviceMessage.attachments))
        .order_by(AdviceMessage.id)).all()
    all_events = list(db.session.scalars(
        select(AdviceEvent).where(AdviceEvent.request_id == request.id)
        .options(_people(selectinload(AdviceEvent.actor))).order_by(AdviceEvent.id)))
    events = all_events
    if not staff:
        messages = [message for message in messages if not message.internal]
        events = [item for item in all_events
                  if item.kind not in LEARNER_HIDDEN_EVENTS and not (item.data or {}).get("internal")]
    canned = experts = []
    if staff:
        canned = list(db.session.scalars(select(CannedReply).where(CannedReply.queue_id == request.queue_id)
                                         .order_by(CannedReply.title, CannedReply.id)))
    if roles & {"coordinator", "admin"}:
        experts = queue.queue_experts(request.queue_id)
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == request.id))
    if entry is not None and not staff and entry.status != "published":
        entry = None
    merged_visible = False
    if request.merged_into_id:
        target = db.session.get(AdviceRequest, request.merged_into_id)
        merged_visible = target is not None and can_see(target, user, member)
    follow_up_until = (request.answered_at + timedelta(days=current_app.config["ADVICE_FOLLOW_UP_DAYS"])
                       if request.answered_at and request.state == ANSWERED else None)
    mentioned = {value for item in events for key, value in (item.data or {}).items()
                 if key in ("expert", "previous") and isinstance(value, int)}
    people = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(mentioned))).all()) \
        if mentioned else {}
    return RequestPage(request, roles, staff, list(messages), list(events), available(request.state, roles),
                       sla.clocks(all_events, now),
                       sla.status(request, request.queue, now), canned, experts, entry, merged_visible,
                       follow_up_until, people, _lesson_link(request.lesson_id))


def _lesson_link(lesson_id: int | None) -> tuple[str, str, str] | None:
    """The lesson a question came from, titled in the reader's language (one query)."""
    if lesson_id is None:
        return None
    from lms.content.models import Course, LessonText
    from lms.i18n import pick

    rows = db.session.execute(
        select(Course.slug, Lesson.key, LessonText.language, LessonText.title)
        .join(Lesson, Lesson.course_id == Course.id).join(LessonText, LessonText.lesson_id == Lesson.id)
        .where(Lesson.id == lesson_id, Lesson.archived_at.is_(None), Course.published.is_(True))).all()
    if not rows:
        return None
    title, _language = pick({language: title for _slug, _key, language, title in rows})
    return rows[0][0], rows[0][1], title


def my_requests(user_id: int) -> list[AdviceRequest]:
    return list(db.session.scalars(
        select(AdviceRequest).where(AdviceRequest.learner_id == user_id)
        .options(joinedload(AdviceRequest.queue))
        .order_by(AdviceRequest.created_at.desc(), AdviceRequest.id.desc()).limit(500)))


def unread_by_request(user_id: int) -> dict[int, int]:
    from lms.advice.models import Notification

    return dict(db.session.execute(
        select(Notification.request_id, func.count()).where(
            Notification.user_id == user_id, Notification.read_at.is_(None),
            Notification.request_id.is_not(None)).group_by(Notification.request_id)).all())


def attachment_for(attachment_id: int, user) -> AdviceAttachment | None:
    """The attachment if this person may see its request (and, for a note's
    file, the queue's internal notes); None otherwise, whatever the reason."""
    item = db.session.scalar(select(AdviceAttachment).where(AdviceAttachment.id == attachment_id)
                             .options(joinedload(AdviceAttachment.message)))
    if item is None:
        return None
    member = queue.membership(user)
    request = visible_request(item.request_id, user, member)
    if request is None:
        return None
    if item.message is not None and item.message.internal and not member.is_staff_of(request.queue_id):
        return None
    return item


def message_for_edit(message_id: int, user) -> AdviceMessage | None:
    message = db.session.get(AdviceMessage, message_id)
    if message is None:
        return None
    member = queue.membership(user)
    request = visible_request(message.request_id, user, member)
    if request is None or (message.internal and not member.is_staff_of(request.queue_id)):
        return None
    return message


# Canned replies ------------------------------------------------------------------------

def coordinated_queue(queue_id: int, user) -> AdviceQueue | None:
    member = queue.membership(user)
    target = db.session.get(AdviceQueue, queue_id)
    if target is None or not (member.is_admin or queue_id in member.coordinator_of):
        return None
    return target


def canned_replies(queue_id: int) -> list[CannedReply]:
    return list(db.session.scalars(select(CannedReply).where(CannedReply.queue_id == queue_id)
                                   .order_by(CannedReply.title, CannedReply.id)))


def save_canned(target: AdviceQueue, user, title: str, language: str, body: str,
                reply_id: int | None = None, now: datetime | None = None) -> CannedReply:
    now = _now(now)
    if reply_id:
        reply = db.session.get(CannedReply, reply_id)
        if reply is None or reply.queue_id != target.id:
            raise NotFound()
    else:
        reply = CannedReply(queue_id=target.id, created_at=now)
        db.session.add(reply)
    reply.title = title.strip()
    reply.language = language
    reply.body_markdown = body
    reply.body_html = str(render_markdown(body))
    reply.updated_by_id = user.id
    reply.updated_at = now
    db.session.commit()
    return reply


def delete_canned(target: AdviceQueue, reply_id: int) -> None:
    reply = db.session.get(CannedReply, reply_id)
    if reply is None or reply.queue_id != target.id:
        raise NotFound()
    db.session.delete(reply)
    db.session.commit()


# Expertise and queues ----------------------------------------------------------------

@dataclass
class ExpertiseChoice:
    queue_ids: list[int]
    regions: list[str]
    value_chains: list[str]
    languages: list[str]


def expertise_choice(user_id: int) -> ExpertiseChoice:
    codes = queue.expertise_of(user_id)
    queue_ids = db.session.scalars(select(QueueMember.queue_id).where(
        QueueMember.user_id == user_id, QueueMember.role == "expert")).all()
    return ExpertiseChoice(sorted(queue_ids), sorted(codes.get("region", ())),
                           sorted(codes.get("value_chain", ())), sorted(codes.get("language", ())))


def save_expertise(user, choice: ExpertiseChoice, now: datetime | None = None) -> None:
    """Replace the expert's declared queues and expertise. Leaving a queue
    releases the requests they hold there (they could no longer see them)."""
    now = _now(now)
    valid_queues = set(db.session.scalars(select(AdviceQueue.id).where(AdviceQueue.active.is_(True))))
    wanted_queues = set(choice.queue_ids) & valid_queues
    current = {row.queue_id: row for row in db.session.scalars(
        select(QueueMember).where(QueueMember.user_id == user.id, QueueMember.role == "expert"))}
    for queue_id in set(current) - wanted_queues:
        db.session.delete(current[queue_id])
    for queue_id in wanted_queues - set(current):
        db.session.add(QueueMember(queue_id=queue_id, user_id=user.id, role="expert"))
    wanted = {("region", code) for code in choice.regions if code in REGION_NAMES}
    wanted |= {("value_chain", code) for code in choice.value_chains if code in VALUE_CHAIN_NAMES}
    wanted |= {("language", code) for code in choice.languages if code in current_app.config["LANGUAGES"]}
    rows = {(row.kind, row.code): row for row in db.session.scalars(
        select(Expertise).where(Expertise.user_id == user.id))}
    for key in set(rows) - wanted:
        db.session.delete(rows[key])
    for kind, code in wanted - set(rows):
        db.session.add(Expertise(user_id=user.id, kind=kind, code=code))
    db.session.flush()
    left = set(current) - wanted_queues
    coordinated = set(db.session.scalars(select(QueueMember.queue_id).where(
        QueueMember.user_id == user.id, QueueMember.role == "coordinator")))
    held = db.session.scalars(select(AdviceRequest).where(
        AdviceRequest.claimed_by_id == user.id, AdviceRequest.queue_id.in_(left - coordinated),
        AdviceRequest.state == CLAIMED)).all() if left - coordinated else []
    for request in held:
        _move(request, CLAIMED, SUBMITTED, now, claimed_by_id=None, claimed_at=None, lease_expires_at=None)
        _event(request, "release", user.id, now, CLAIMED, SUBMITTED, expert=user.id)
    db.session.commit()


@dataclass
class QueueData:
    slug: str
    names: dict[str, str]
    descriptions: dict[str, str]
    first_response_hours: int
    resolution_hours: int
    active: bool
    coordinator_ids: list[int]


def all_queues() -> list[AdviceQueue]:
    return list(db.session.scalars(select(AdviceQueue).options(
        selectinload(AdviceQueue.members).selectinload(QueueMember.user))
        .order_by(AdviceQueue.position, AdviceQueue.id)))


def experts() -> list[User]:
    from lms.auth.models import UserRole

    return list(db.session.scalars(select(User).where(User.id.in_(
        select(UserRole.user_id).where(UserRole.role == "expert"))).order_by(User.name, User.id)))


def save_queue(data: QueueData, queue_id: int | None = None) -> AdviceQueue:
    target = db.session.get(AdviceQueue, queue_id) if queue_id else None
    if queue_id and target is None:
        raise NotFound()
    clash = db.session.scalar(select(AdviceQueue.id).where(AdviceQueue.slug == data.slug))
    if clash is not None and clash != queue_id:
        raise TransitionError(_l("Another queue already uses this short name."), code="slug")
    if data.first_response_hours < 1 or data.resolution_hours < data.first_response_hours:
        raise TransitionError(_l("The resolution target must be at least the first-response target."),
                              code="resolution_hours")
    allowed = {user.id for user in experts()}
    if set(data.coordinator_ids) - allowed:
        raise TransitionError(_l("Coordinators are chosen among the experts."), code="coordinator_ids")
    if target is None:
        position = (db.session.scalar(select(func.max(AdviceQueue.position))) or 0) + 1
        target = AdviceQueue(slug=data.slug, position=position)
        db.session.add(target)
    target.slug = data.slug
    target.names = {lang: text.strip() for lang, text in data.names.items() if text and text.strip()}
    target.descriptions = {lang: text.strip() for lang, text in data.descriptions.items()
                           if text and text.strip()}
    target.first_response_hours = data.first_response_hours
    target.resolution_hours = data.resolution_hours
    target.active = data.active
    db.session.flush()
    current = {row.user_id: row for row in db.session.scalars(
        select(QueueMember).where(QueueMember.queue_id == target.id, QueueMember.role == "coordinator"))}
    for user_id in set(current) - set(data.coordinator_ids):
        db.session.delete(current[user_id])
    for user_id in set(data.coordinator_ids) - set(current):
        db.session.add(QueueMember(queue_id=target.id, user_id=user_id, role="coordinator"))
    db.session.commit()
    return target

