"""Prospectus templates (imported with their course) and learners' prospectuses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.timeutil import utcnow


@dataclass(frozen=True)
class SectionSpec:
    id: str
    titles: dict[str, str]
    guidance: dict[str, str]
    required: bool
    max_chars: int

    @classmethod
    def from_json(cls, data: dict) -> SectionSpec:
        return cls(id=data["id"], titles=dict(data.get("title") or {}),
                   guidance=dict(data.get("guidance") or {}), required=bool(data.get("required")),
                   max_chars=int(data.get("max_chars") or 0))

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.titles, "guidance": self.guidance, "required": self.required,
                "max_chars": self.max_chars}


class ProspectusTemplate(db.Model):
    """One per course folder that ships a prospectus-template.toml; `key` is the course slug."""

    __tablename__ = "prospectus_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    titles: Mapped[dict] = mapped_column(JSON, default=dict)   # {language: text}
    intros: Mapped[dict] = mapped_column(JSON, default=dict)   # {language: text}
    sections: Mapped[list] = mapped_column(JSON, default=list)  # [SectionSpec.to_json()]
    # A template gone from the files is archived: prospectuses written with it stay.
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def specs(self) -> list[SectionSpec]:
        return [SectionSpec.from_json(item) for item in self.sections or []]


class Prospectus(db.Model):
    """A learner's prospectus: private to its owner (others get 404)."""

    __tablename__ = "prospectuses"
    __table_args__ = (
        # The new-prospectus form carries a token: a double submit saves one draft.
        UniqueConstraint("owner_id", "client_token"),
        Index("ix_prospectuses_owner_updated", "owner_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    template_id: Mapped[int] = mapped_column(ForeignKey("prospectus_templates.id"))
    client_token: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    region: Mapped[str | None] = mapped_column(String(16))
    value_chain: Mapped[str | None] = mapped_column(String(40))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {section id: text}
    # Every save that changes something is a new revision; sending records the
    # revision sent, so a double "send" asks for one review only.
    revision: Mapped[int] = mapped_column(default=1)
    sent_revision: Mapped[int | None]
    advice_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("advice_requests.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[ProspectusTemplate] = relationship()
    advice_request = relationship("AdviceRequest")  # the latest review asked for

    @property
    def changed_since_sent(self) -> bool:
        return self.sent_revision is not None and self.revision > self.sent_revision
