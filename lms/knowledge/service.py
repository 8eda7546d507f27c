"""Knowledge entries: the public repository, and the way from an answered
advice request to a published entry (draft -> review -> published).

An entry drafted from a request is anonymised (names, e-mail addresses,
phone numbers removed) unless the learner consented to be named; it cannot
be published until a coordinator confirms that nothing identifying is left.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.advice import notifications
from lms.advice.models import AdviceMessage, AdviceQueue, AdviceRequest
from lms.advice.queue import Membership, membership, queue_staff_ids
from lms.advice.service import NotFound, visible_request
from lms.advice.transitions import ANSWERED, CLOSED, TransitionError
from lms.content.markdown import render_markdown
from lms.content.text import fold
from lms.content.vocab import REGION_NAMES, SDG_RANGE, TOPIC_NAMES, VALUE_CHAIN_NAMES
from lms.extensions import db
from lms.knowledge.anonymise import anonymise
from lms.knowledge.models import TAG_KINDS, KnowledgeEntry, KnowledgeEntryText, KnowledgeTag
from lms.timeutil import utcnow

STATUS_LABELS = {
    "draft": _l("Draft"),
    "review": _l("In review"),
    "published": _l("Published"),
    "archived": _l("Archived"),
}
KIND_LABELS = {
    "case": _l("Case"),
    "action-plan": _l("Action plan"),
    "answer": _l("Expert answer"),
}
VALID_TAGS = {
    "regions": set(REGION_NAMES),
    "value_chains": set(VALUE_CHAIN_NAMES),
    "topics": set(TOPIC_NAMES),
    "sdgs": {str(n) for n in SDG_RANGE},
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _topics_for_queue(slug: str) -> list[str]:
    if slug.startswith("value-chain"):
        return ["value-chains"]
    return {"cross-border-governance": ["governance", "cross-border-cooperation"],
            "smart-specialisation": ["smart-specialisation"],
            "funding-projects": ["funding"]}.get(slug, [])


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:80] or "entry"


# Public ------------------------------------------------------------------------------

@dataclass
class Filters:
    region: str = ""
    value_chain: str = ""
    topic: str = ""
    sdg: str = ""
    kind: str = ""  # case | action-plan | answer
    q: str = ""     # words searched in any language, accents and case ignored

    @classmethod
    def from_args(cls, args) -> Filters:
        return cls(**{name: (args.get(name) or "").strip()[:100 if name == "q" else 40]
                      for name in cls.__dataclass_fields__})

    @property
    def active(self) -> bool:
        return any(vars(self).values())


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_words(query: str) -> list[str]:
    """The folded words of a search ("Energía  solar" -> ["energia", "solar"]), at most eight."""
    return [word for word in fold(query).split(" ") if word][:8]


def published_entries(filters: Filters | None = None, limit: int = 200) -> list[KnowledgeEntry]:
    """Published entries with their texts and tags, in two or three queries.

    Search is a LIKE on each text's folded `search_text` (lms.content.text.fold),
    so it ignores accents and case on SQLite and PostgreSQL alike: every word
    must be found in the same language's text, in any language.
    """
    statement = (select(KnowledgeEntry).where(KnowledgeEntry.status == "published")
                 .options(selectinload(KnowledgeEntry.texts), selectinload(KnowledgeEntry.tags))
                 .order_by(KnowledgeEntry.published_at.desc(), KnowledgeEntry.id.desc()).limit(limit))
    filters = filters or Filters()
    for kind, value in (("regions", filters.region), ("value_chains", filters.value_chain),
                        ("topics", filters.topic), ("sdgs", filters.sdg)):
        if value:
            statement = statement.where(exists().where(
                KnowledgeTag.entry_id == KnowledgeEntry.id, KnowledgeTag.kind == kind,
                KnowledgeTag.code == value))
    if filters.kind:
        statement = statement.where(KnowledgeEntry.kind == filters.kind)
    words = search_words(filters.q)
    if words:
        statement = statement.where(exists().where(
            KnowledgeEntryText.entry_id == KnowledgeEntry.id,
            *(KnowledgeEntryText.search_text.like(f"%{_escape_like(word)}%", escape="\\") for word in words)))
    return list(db.session.scalars(statement))


def published_entry(slug: str) -> KnowledgeEntry | None:
    return db.session.scalar(
        select(KnowledgeEntry).where(KnowledgeEntry.slug == slug, KnowledgeEntry.status == "published")
        .options(selectinload(KnowledgeEntry.texts), selectinload(KnowledgeEntry.tags)))


# Who may edit ----------------------------------------------------------------------

def _source_queue_id(entry: KnowledgeEntry) -> int | None:
    if entry.source_request_id is None:
        return None
    return db.session.scalar(
        select(AdviceRequest.queue_id).where(AdviceRequest.id == entry.source_request_id))


def can_edit(entry: KnowledgeEntry, member: Membership) -> bool:
    """Experts and coordinators of the source request's queue, and admins."""
    if entry.source != "advice":
        return member.is_admin
    queue_id = _source_queue_id(entry)
    return member.is_admin or (queue_id is not None and queue_id in member.queue_ids)


def can_publish(entry: KnowledgeEntry, member: Membership) -> bool:
    queue_id = _source_queue_id(entry)
    return member.is_admin or (queue_id is not None and queue_id in member.coordinator_of)


def editable_entry(entry_id: int, user) -> tuple[KnowledgeEntry, Membership] | None:
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.id == entry_id).options(
        selectinload(KnowledgeEntry.texts), selectinload(KnowledgeEntry.tags)))
    member = membership(user)
    if entry is None or not can_edit(entry, member):
        return None
    return entry, member


def entries_to_review(member: Membership) -> list[KnowledgeEntry]:
    """Drafts and entries in review from the queues this person coordinates."""
    statement = (select(KnowledgeEntry)
                 .join(AdviceRequest, AdviceRequest.id == KnowledgeEntry.source_request_id)
                 .where(KnowledgeEntry.status.in_(("draft", "review")))
                 .options(selectinload(KnowledgeEntry.texts))
                 .order_by(KnowledgeEntry.updated_at.desc()).limit(100))
    if not member.is_admin:
        statement = statement.where(AdviceRequest.queue_id.in_(member.coordinator_of or {-1}))
    return list(db.session.scalars(statement))


# From an answered request to a draft -----------------------------------------------

def _compose(request: AdviceRequest, messages: list[AdviceMessage]) -> str:
    question = next((m.body_markdown for m in messages if m.kind == "question"), "")
    answers = [m.body_markdown for m in messages if m.kind == "public" and m.action == "answer"]
    if not answers:
        answers = [m.body_markdown for m in messages if m.kind == "public"
                   and m.action in ("reply", "answer")]
    with force_locale(request.language):
        question_heading, answer_heading = gettext("The question"), gettext("The experts' answer")
    return f"## {question_heading}\n\n{question.strip()}\n\n## {answer_heading}\n\n" + \
        "\n\n".join(answer.strip() for answer in answers) + "\n"


def draft_from_request(request_id: int, user, now: datetime | None = None) -> KnowledgeEntry:
    """The request's entry, drafted now or the one drafted before (one per request)."""
    now = now or utcnow()
    member = membership(user)
    request = visible_request(request_id, user, member)
    if request is None:
        raise NotFound()
    if not member.is_staff_of(request.queue_id):
        raise TransitionError(_l("Only the experts of this queue can publish its answers."), code="role")
    if request.state not in (ANSWERED, CLOSED) or request.answered_at is None:
        raise TransitionError(_l("Only answered requests can become knowledge entries."), code="state")
    existing = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == request.id))
    if existing is not None:
        return existing
    messages = list(db.session.scalars(select(AdviceMessage).where(AdviceMessage.request_id == request.id)
                                       .order_by(AdviceMessage.id)))
    body, title = _compose(request, messages), request.title
    consent = request.publish_consent
    if not consent:
        names = [request.learner.name]
        body, title = anonymise(body, names), anonymise(title, names)
    entry = KnowledgeEntry(
        slug=f"{slugify(title)[:60]}-{secrets.token_hex(3)}", source="advice", status="draft",
        source_request_id=request.id, source_lesson_id=request.lesson_id,
        credited_name=request.learner.name if consent else None, anonymised=not consent,
        created_by_id=user.id, created_at=now, updated_at=now)
    entry.texts = [_text(request.language, title, "", body, now)]
    tags = {("regions", request.region), ("value_chains", request.value_chain)}
    tags |= {("topics", code) for code in _topics_for_queue(request.queue.slug)}
    entry.tags = [KnowledgeTag(kind=kind, code=code) for kind, code in sorted(tags) if code]
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        # Two experts pressed "publish" together: the other draft is the one.
        db.session.rollback()
        return db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == request_id))
    return entry


def _text(language: str, title: str, summary: str, body: str, now: datetime) -> KnowledgeEntryText:
    text = KnowledgeEntryText(language=language)
    _fill(text, title, summary, body, now)
    return text


def _fill(text: KnowledgeEntryText, title: str, summary: str, body: str, now: datetime) -> None:
    text.title = title.strip()
    text.summary = (summary or "").strip()
    text.body_markdown = body
    text.body_html = str(render_markdown(body))
    text.search_text = fold(" ".join((text.title, text.summary, body)))
    text.updated_at = now


# Editing and review -------------------------------------------------------------------

@dataclass
class EntryEdit:
    slug: str
    texts: dict[str, tuple[str, str, str]]  # language -> (title, summary, body)
    tags: dict[str, list[str]] = field(default_factory=dict)


def update_entry(entry: KnowledgeEntry, member: Membership, data: EntryEdit,
                 now: datetime | None = None) -> None:
    now = now or utcnow()
    if not can_edit(entry, member):
        raise NotFound()
    if entry.status == "published":
        raise TransitionError(_l("Unpublish the entry before changing it."), code="state")
    if not SLUG_RE.match(data.slug or "") or len(data.slug) > 120:
        raise TransitionError(_l("Use lowercase letters, digits and hyphens."), code="slug")
    clash = db.session.scalar(select(KnowledgeEntry.id).where(KnowledgeEntry.slug == data.slug))
    if clash is not None and clash != entry.id:
        raise TransitionError(_l("Another entry already uses this address."), code="slug")
    wanted = {lang: parts for lang, parts in data.texts.items() if parts[0].strip() and parts[2].strip()}
    if not wanted:
        raise TransitionError(_l("Write the title and text in at least one language."), code="title_es")
    entry.slug = data.slug
    current = entry.text_by_language()
    for language, (title, summary, body) in wanted.items():
        if language in current:
            _fill(current[language], title, summary, body, now)
        else:
            entry.texts.append(_text(language, title, summary, body, now))
    for language, text in current.items():
        if language not in wanted:
            entry.texts.remove(text)
    wanted_tags = {(kind, code) for kind, codes in data.tags.items() if kind in TAG_KINDS
                   for code in codes if code in VALID_TAGS[kind]}
    existing = {(tag.kind, tag.code): tag for tag in entry.tags}
    for key in set(existing) - wanted_tags:
        entry.tags.remove(existing[key])
    for kind, code in sorted(wanted_tags - set(existing)):
        entry.tags.append(KnowledgeTag(kind=kind, code=code))
    entry.updated_at = now
    db.session.commit()


STATUS_MOVES = {
    # action: (from, to, needs the publisher's right)
    "submit_review": ("draft", "review", False),
    "return_to_draft": ("review", "draft", True),
    "publish": ("review", "published", True),
    "unpublish": ("published", "draft", True),
}


def change_status(entry: KnowledgeEntry, member: Membership, user, action: str, confirmed_anonymous: bool,
                  now: datetime | None = None) -> None:
    now = now or utcnow()
    if action not in STATUS_MOVES or not can_edit(entry, member):
        raise TransitionError(_l("This change is not possible."), code="state")
    source, target, needs_publisher = STATUS_MOVES[action]
    if entry.status != source:
        raise TransitionError(_l("This change is not possible."), code="state")
    if needs_publisher and not can_publish(entry, member):
        raise TransitionError(_l("Only a coordinator of the queue can do this."), code="role")
    if action == "publish" and entry.anonymised and not confirmed_anonymous:
        raise TransitionError(_l("The learner did not agree to be named: confirm that you have removed "
                                 "everything that could identify them."), code="confirm_anonymous")
    entry.status = target
    entry.updated_at = now
    request = db.session.get(AdviceRequest, entry.source_request_id) if entry.source_request_id else None
    if action == "publish":
        entry.published_at = now
        entry.reviewed_by_id = user.id
        if request is not None:
            notifications.notify("published", [request.learner], request, now, actor_id=user.id,
                                 endpoint="knowledge.entry", values={"slug": entry.slug})
    if action == "submit_review" and request is not None:
        queue = db.session.get(AdviceQueue, request.queue_id)
        coordinators = ({m.user_id for m in queue.members if m.role == "coordinator"}
                        & queue_staff_ids(queue.id))
        notifications.notify_ids("knowledge_review", coordinators, request, now, actor_id=user.id,
                                 endpoint="knowledge.edit", values={"entry_id": entry.id})
    db.session.commit()
