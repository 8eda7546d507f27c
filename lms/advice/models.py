"""Expert-advice requests: queues, expertise, requests, their conversation,
the append-only event log, attachments, canned replies and notifications.

Columns such as `first_response_seconds`, `active_seconds` and the due times
are kept by the service at every transition, in the same transaction as the
event that explains them (see `lms.advice.sla`), so that the inbox and the
dashboard aggregate them in SQL instead of replaying every log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.extensions import db
from lms.timeutil import utcnow

QUEUE_ROLES = ("expert", "coordinator")
EXPERTISE_KINDS = ("region", "value_chain", "language")
MESSAGE_KINDS = ("question", "public", "internal")


def queue_name(names: dict | None, slug: str, language: str | None = None) -> str:
    """A queue's name in `language` (or the best other), else its slug."""
    from lms.i18n import pick

    value, _language = pick(names or {}, language)
    return value or slug


class AdviceQueue(db.Model):
    __tablename__ = "advice_queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # {language: text}; shown with lms.i18n.pick in the reader's language.
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    descriptions: Mapped[dict] = mapped_column(JSON, default=dict)
    first_response_hours: Mapped[int] = mapped_column(default=48)
    resolution_hours: Mapped[int] = mapped_column(default=240)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[QueueMember]] = relationship(
        back_populates="queue", cascade="all, delete-orphan")

    def name(self, language: str | None = None) -> str:
        return queue_name(self.names, self.slug, language)

    def description(self, language: str | None = None) -> str:
        from lms.i18n import pick

        value, _language = pick(self.descriptions or {}, language)
        return value or ""


class QueueMember(db.Model):
    """An expert who declared the queue, or a coordinator an admin named."""

    __tablename__ = "advice_queue_members"
    __table_args__ = (UniqueConstraint("queue_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("advice_queues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    queue: Mapped[AdviceQueue] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class Expertise(db.Model):
    """What an expert knows: kind is region, value_chain or language."""

    __tablename__ = "advice_expertise"
    __table_args__ = (UniqueConstraint("user_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(40))


class AdviceRequest(db.Model):
    __tablename__ = "advice_requests"
    __table_args__ = (
        # A queue's requests in a state, oldest first, with the columns the inbox
        # scores a waiting request by: the inbox filtered to one queue reads it alone.
        Index("ix_advice_requests_queue_state_created_match", "queue_id", "state", "created_at", "id",
              "region", "value_chain", "language"),
        Index("ix_advice_requests_learner_created", "learner_id", "created_at"),
        # The requests an expert holds, by resolution due time (the inbox), read in the index.
        Index("ix_advice_requests_claimed_state_due", "claimed_by_id", "state", "resolution_due_at", "id"),
        # Requests in a state, oldest first, with the columns the inbox scores a
        # waiting request by (queue, region, value chain, language): the inbox
        # of several queues walks it per score without reading the table (lms.advice.queue).
        Index("ix_advice_requests_state_created_match", "state", "created_at", "id", "queue_id", "region",
              "value_chain", "language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("advice_queues.id"))
    title: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(16))
    value_chain: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[str] = mapped_column(String(24))
    language: Mapped[str] = mapped_column(String(8))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    # Whether the learner agrees that a published answer names them and keeps
    # their words; without it a knowledge entry is anonymised.
    publish_consent: Mapped[bool] = mapped_column(default=False)

    state: Mapped[str] = mapped_column(String(20), default="submitted")
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Service levels (kept from the event log by lms.advice.sla).
    first_response_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_seconds: Mapped[int | None]
    resolution_due_at: Mapped[datetime | None]
    active_seconds: Mapped[int] = mapped_column(default=0)
    active_since: Mapped[datetime | None]
    resolution_seconds: Mapped[int | None]

    awaiting_since: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("advice_requests.id", ondelete="SET NULL"))

    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]

    queue: Mapped[AdviceQueue] = relationship()
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    messages: Mapped[list[AdviceMessage]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AdviceMessage.id")
    events: Mapped[list[AdviceEvent]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True,
        order_by="AdviceEvent.id")
    attachments: Mapped[list[AdviceAttachment]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="AdviceAttachment.id")


class AdviceMessage(db.Model):
    """The question (first message), public replies, and internal notes."""

    __tablename__ = "advice_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("advice_requests.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    # The action the message came with (answer, ask_clarification, ...).
    action: Mapped[str | None] = mapped_column(String(24))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]

    request: Mapped[AdviceRequest] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    versions: Mapped[list[AdviceMessageVersion]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="AdviceMessageVersion.version")
    attachments: Mapped[list[AdviceAttachment]] = relationship(
        back_populates="message", order_by="AdviceAttachment.id", viewonly=True)

    @property
    def internal(self) -> bool:
        return self.kind == "internal"


class AdviceMessageVersion(db.Model):
    """An earlier text of an edited message (edits never lose what was said)."""

    __tablename__ = "advice_message_versions"
    __table_args__ = (UniqueConstraint("message_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("advice_messages.id", ondelete="CASCADE"))
    version: Mapped[int]
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[AdviceMessage] = relationship(back_populates="versions")


class AdviceAttachment(db.Model):
    __tablename__ = "advice_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("advice_requests.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("advice_messages.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    # A random name under UPLOADS_PATH: nothing from the uploader reaches the path.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AdviceRequest] = relationship(back_populates="attachments")
    message: Mapped[AdviceMessage | None] = relationship(viewonly=True)


class AdviceEvent(db.Model):
    """Append-only: every transition, reply, note and reassignment."""

    __tablename__ = "advice_events"
    __table_args__ = (Index("ix_advice_events_request_id_id", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("advice_requests.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[AdviceRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


@event.listens_for(AdviceEvent, "before_update")
@event.listens_for(AdviceEvent, "before_delete")
def _events_are_append_only(_mapper, _connection, target) -> None:
    raise RuntimeError(f"advice event {target.id} is append-only")


class CannedReply(db.Model):
    __tablename__ = "advice_canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("advice_queues.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(db.Model):
    """One in-app notification; its text is written at display time in the
    reader's language from `kind` and `data`."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("advice_requests.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    data: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    request: Mapped[AdviceRequest | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class NotificationPreference(db.Model):
    """A person's choice for one kind; no row means the kind's defaults."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    in_app: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


class DigestCursor(db.Model):
    """The newest request already included in a person's new-request digest."""

    __tablename__ = "advice_digest_cursors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_request_id: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
