"""Prospectuses: private drafts saved as the learner goes, checked against
their template, and sent to an expert through the advice queue.

Saving checks lengths only; sending also needs every required section. A
prospectus belongs to its owner alone: anyone else gets None (404).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.advice import service as advice
from lms.advice.models import AdviceQueue, AdviceRequest
from lms.advice.transitions import TransitionError
from lms.content.vocab import REGION_NAMES, VALUE_CHAIN_NAMES
from lms.extensions import db
from lms.i18n import pick
from lms.prospectus.models import Prospectus, ProspectusTemplate, SectionSpec
from lms.timeutil import utcnow

# The advice queue that reviews prospectuses, created by `flask lms seed-queues`
# (lms.advice.seed.QUEUES: "Funding and project prospectus").
REVIEW_QUEUE = "funding-projects"
REVIEW_PHASE = "action_plan"
LANGUAGES = ("es", "en")


class ProspectusError(Exception):
    """A refusal with a translated message; `field` names the form field it is about."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class MissingSections(ProspectusError):
    """Sending needs every required section; the draft itself was saved."""

    def __init__(self, section_ids: list[str]):
        super().__init__(_l("Fill in the required sections before sending the prospectus for review."))
        self.section_ids = section_ids


REQUIRED_TO_SEND = _l("This section is required before sending for review.")
ALREADY_SENT = _l("This version has already been sent for review. Change something to send it again.")
QUEUE_MISSING = _l("Expert review of prospectuses is not available yet. Your draft is saved; "
                   "please try again later.")


@dataclass
class ProspectusData:
    title: str
    language: str
    region: str | None = None
    value_chain: str | None = None
    answers: dict[str, str] = field(default_factory=dict)


def normalise(text: str | None) -> str:
    """Browsers send line breaks as CRLF; lengths count them once."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def too_long(spec: SectionSpec, text: str | None) -> bool:
    return len(normalise(text)) > spec.max_chars


# Reading --------------------------------------------------------------------------

def active_templates() -> list[ProspectusTemplate]:
    return list(db.session.scalars(select(ProspectusTemplate).where(ProspectusTemplate.archived_at.is_(None))
                                   .order_by(ProspectusTemplate.key)))


def template_for_new(key: str | None) -> ProspectusTemplate | None:
    """The template named, or the first active one."""
    templates = active_templates()
    if key:
        return next((template for template in templates if template.key == key), None)
    return templates[0] if templates else None


def my_prospectuses(user_id: int) -> list[Prospectus]:
    return list(db.session.scalars(
        select(Prospectus).where(Prospectus.owner_id == user_id)
        .options(selectinload(Prospectus.template), selectinload(Prospectus.advice_request))
        .order_by(Prospectus.updated_at.desc(), Prospectus.id.desc())))


def owned_prospectus(prospectus_id: int, user) -> Prospectus | None:
    """The prospectus when `user` owns it; None for anyone else, admins included."""
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Prospectus).where(Prospectus.id == prospectus_id, Prospectus.owner_id == user.id)
        .options(selectinload(Prospectus.template), selectinload(Prospectus.advice_request)))


def template_title(template: ProspectusTemplate, language: str | None = None) -> str:
    title, _language = pick(template.titles or {}, language)
    return title or template.key


# Saving ---------------------------------------------------------------------------

def _clean(template: ProspectusTemplate, data: ProspectusData) -> dict:
    title = (data.title or "").strip()
    if not 5 <= len(title) <= 200:
        raise ProspectusError(_l("Give the project a title of 5 to 200 characters."), field="title")
    if data.language not in LANGUAGES:
        raise ProspectusError(_l("Choose a language."), field="language")
    if data.region and data.region not in REGION_NAMES:
        raise ProspectusError(_l("Choose a border region from the list."), field="region")
    if data.value_chain and data.value_chain not in VALUE_CHAIN_NAMES:
        raise ProspectusError(_l("Choose a value chain from the list."), field="value_chain")
    answers = {}
    for spec in template.specs():
        text = normalise(data.answers.get(spec.id))
        if len(text) > spec.max_chars:
            raise ProspectusError(_l("At most %(max)d characters.", max=spec.max_chars), field=spec.id)
        if text:
            answers[spec.id] = text
    return {"title": title, "language": data.language, "region": data.region or None,
            "value_chain": data.value_chain or None, "answers": answers}


def _write(prospectus: Prospectus, values: dict, now: datetime) -> None:
    if any(getattr(prospectus, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(prospectus, name, value)
        prospectus.revision = (prospectus.revision or 1) + (1 if prospectus.id else 0)
        prospectus.updated_at = now


def create(user, template: ProspectusTemplate, token: str, data: ProspectusData, send: bool = False,
           consent: bool = False, now: datetime | None = None) -> tuple[Prospectus, AdviceRequest | None]:
    """Save a new draft; the form's token makes a double submit save one draft
    (the second updates it)."""
    now = now or utcnow()
    token = (token or "").strip()[:64]
    if len(token) < 16:
        raise ProspectusError(_l("The form has expired. Please copy your text and open it again."))
    values = _clean(template, data)
    prospectus = db.session.scalar(select(Prospectus).where(Prospectus.owner_id == user.id,
                                                            Prospectus.client_token == token))
    if prospectus is None:
        prospectus = Prospectus(owner_id=user.id, template_id=template.id, client_token=token, revision=1,
                                created_at=now, updated_at=now, **values)
        db.session.add(prospectus)
        try:
            db.session.commit()
        except IntegrityError:  # the same form sent twice at once: the other saved it
            db.session.rollback()
            prospectus = db.session.scalar(select(Prospectus).where(Prospectus.owner_id == user.id,
                                                                    Prospectus.client_token == token))
            if prospectus is None:
                raise
    else:
        _write(prospectus, values, now)
        db.session.commit()
    request = send_for_review(prospectus, user, consent, now) if send else None
    return prospectus, request


def save(prospectus: Prospectus, user, data: ProspectusData, send: bool = False, consent: bool = False,
         now: datetime | None = None) -> AdviceRequest | None:
    """Save the draft (a new revision when something changed); then, if asked, send it."""
    now = now or utcnow()
    if prospectus.owner_id != user.id:
        raise ProspectusError(_l("This prospectus does not exist."))
    _write(prospectus, _clean(prospectus.template, data), now)
    db.session.commit()
    return send_for_review(prospectus, user, consent, now) if send else None


# Sending for review ---------------------------------------------------------------

def missing_sections(prospectus: Prospectus) -> list[str]:
    answers = prospectus.answers or {}
    return [spec.id for spec in prospectus.template.specs()
            if spec.required and not normalise(answers.get(spec.id))]


def review_queue() -> AdviceQueue | None:
    return db.session.scalar(select(AdviceQueue).where(AdviceQueue.slug == REVIEW_QUEUE,
                                                       AdviceQueue.active.is_(True)))


def render_markdown_body(prospectus: Prospectus) -> str:
    """The whole prospectus as Markdown, in its own language: the advice request's question."""
    language = prospectus.language
    template = prospectus.template
    answers = prospectus.answers or {}
    with force_locale(language):
        lines = [gettext("Prospectus written with the template “%(template)s”.",
                         template=template_title(template, language)), ""]
        facts = []
        if prospectus.region:
            facts.append(f"**{gettext('Border region')}:** {REGION_NAMES[prospectus.region]}")
        if prospectus.value_chain:
            facts.append(f"**{gettext('Value chain')}:** {VALUE_CHAIN_NAMES[prospectus.value_chain]}")
        if facts:
            lines += ["  \n".join(facts), ""]
        empty = gettext("Not filled in.")
        for spec in template.specs():
            title, _language = pick(spec.titles, language)
            lines += [f"## {title or spec.id}", "", answers.get(spec.id) or f"*{empty}*", ""]
        return "\n".join(lines)


def review_title(prospectus: Prospectus) -> str:
    with force_locale(prospectus.language):
        title = gettext("Prospectus review: %(title)s", title=prospectus.title)
    return title[:200]


def send_for_review(prospectus: Prospectus, user, consent: bool = False,
                    now: datetime | None = None) -> AdviceRequest:
    """Ask the prospectus queue for a review of the saved revision, once per revision."""
    now = now or utcnow()
    if prospectus.owner_id != user.id:
        raise ProspectusError(_l("This prospectus does not exist."))
    missing = missing_sections(prospectus)
    if missing:
        raise MissingSections(missing)
    queue = review_queue()
    if queue is None:
        raise ProspectusError(QUEUE_MISSING)
    if prospectus.sent_revision == prospectus.revision:
        raise ProspectusError(ALREADY_SENT)
    # Take the send with a conditional UPDATE: two clicks (or two tabs) ask once.
    taken = db.session.execute(
        update(Prospectus).where(Prospectus.id == prospectus.id, Prospectus.revision == prospectus.revision,
                                 or_(Prospectus.sent_revision.is_(None),
                                     Prospectus.sent_revision < Prospectus.revision))
        .values(sent_revision=prospectus.revision).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        db.session.rollback()
        raise ProspectusError(ALREADY_SENT)
    try:
        # Commits the advice request together with the taken send.
        request = advice.submit(user, advice.NewRequest(
            title=review_title(prospectus), body=render_markdown_body(prospectus), queue_id=queue.id,
            phase=REVIEW_PHASE, language=prospectus.language, region=prospectus.region,
            value_chain=prospectus.value_chain, consent=bool(consent)), now=now)
    except TransitionError as error:
        db.session.rollback()
        raise ProspectusError(error.message) from error
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(prospectus)
    prospectus.advice_request_id = request.id
    prospectus.sent_at = now
    db.session.commit()
    return request
