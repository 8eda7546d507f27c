"""Drafts and revisions of the texts of courses, modules and lessons.

Every save in the browser writes a `ContentRevision` with the whole text of
one language of one item; the newest one is the draft ("head"). Saves carry
the revision each language was based on: a save based on an older revision
than the head is refused (`EditConflict`), never written over someone
else's work. Restoring writes the old text again as a new revision.

Texts imported before the history existed have no revision rows: their
published text row stands for that revision (`Version.stored` is False) and
is copied into the history the first time something newer is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from lms.authoring.models import EDIT, IMPORT, RESTORE, ContentRevision
from lms.content.models import Course, CourseText, LessonText, ModuleText
from lms.extensions import db
from lms.timeutil import utcnow

TEXT_MODELS = {"course": CourseText, "module": ModuleText, "lesson": LessonText}
TEXT_OWNER = {"course": "course", "module": "module", "lesson": "lesson"}


class AuthoringError(Exception):
    """A reason, translated lazily, shown next to a field or as a flash."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)  # lazy: translated when shown, not when raised
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Version:
    """One revision of one language of one item."""

    kind: str
    item_id: int
    language: str
    number: int
    title: str
    text: str                      # summary (course, module) or Markdown body (lesson)
    source_revision: int | None = None
    action: str = IMPORT
    note: str = ""
    author_name: str | None = None
    created_at: datetime | None = None
    published_at: datetime | None = None
    stored: bool = True            # False: only the published text row holds it

    @property
    def content(self) -> tuple[str, str]:
        return (self.title, self.text)

    def document(self) -> str:
        """Title and text as one document, for diffs."""
        return f"{self.title}\n\n{self.text}".rstrip("\n") + "\n"


@dataclass
class Conflict:
    """Someone saved `head` while this person edited `base` of `language`."""

    language: str
    base: Version | None
    head: Version


class EditConflict(Exception):
    def __init__(self, conflicts: list[Conflict], heads: dict[str, Version | None]):
        super().__init__("edit conflict")
        self.conflicts = conflicts
        self.heads = heads
        self.message = _l("Someone else saved this text after you opened it. Nothing of yours was saved: "
                          "their changes are shown below. Merge them into your text, then save again.")


@dataclass
class Submitted:
    """What the form sent for one language."""

    title: str = ""
    text: str = ""

    @property
    def empty(self) -> bool:
        return not self.title and not self.text


# Reading --------------------------------------------------------------------------

def text_of(kind: str, row) -> str:
    return row.body_markdown if kind == "lesson" else row.summary


def item_id_of(kind: str, row) -> int | None:
    owner = getattr(row, TEXT_OWNER[kind])
    return owner.id if owner is not None else getattr(row, f"{kind}_id")


def course_id_of(kind: str, item) -> int:
    return item.id if kind == "course" else item.course_id


def version_from_row(kind: str, item_id: int, row, with_text: bool = True) -> Version:
    return Version(kind=kind, item_id=item_id, language=row.language, number=row.revision,
                   title=row.title, text=text_of(kind, row) if with_text else "",
                   source_revision=row.source_revision, action=IMPORT, created_at=row.updated_at,
                   published_at=row.updated_at, stored=False)


def version_from_revision(revision: ContentRevision, with_text: bool = True) -> Version:
    text = ""
    if with_text:
        text = revision.body if revision.kind == "lesson" else revision.summary
    return Version(kind=revision.kind, item_id=revision.item_id, language=revision.language,
                   number=revision.number, title=revision.title, text=text,
                   source_revision=revision.source_revision, action=revision.action, note=revision.note,
                   author_name=revision.author.name if revision.author else None,
                   created_at=revision.created_at, published_at=revision.published_at)


def latest_revisions(kind: str | None, course_id: int | None, item_ids: list[int] | None,
                      with_text: bool):
    """The newest revision per (kind, item, language), in one query."""
    latest = select(ContentRevision.kind, ContentRevision.item_id, ContentRevision.language,
                    func.max(ContentRevision.number).label("number"))
    if kind is not None:
        latest = latest.where(ContentRevision.kind == kind)
    if course_id is not None:
        latest = latest.where(ContentRevision.course_id == course_id)
    if item_ids is not None:
        latest = latest.where(ContentRevision.item_id.in_(item_ids))
    latest = latest.group_by(ContentRevision.kind, ContentRevision.item_id, ContentRevision.language).subquery()
    statement = (select(ContentRevision).join(latest, (latest.c.kind == ContentRevision.kind)
                                              & (latest.c.item_id == ContentRevision.item_id)
                                              & (latest.c.language == ContentRevision.language)
                                              & (latest.c.number == ContentRevision.number))
                 .options(joinedload(ContentRevision.author)))
    if not with_text:
        statement = statement.options(defer(ContentRevision.body), defer(ContentRevision.summary))
    return db.session.scalars(statement).all()


def merge_heads(kind: str, published: dict[tuple[int, str], object], revisions,
                with_text: bool = True) -> dict[tuple[int, str], Version]:
    """Head per (item id, language): the newest revision, or the published row
    when it is newer (texts imported before the history existed)."""
    result: dict[tuple[int, str], Version] = {}
    for revision in revisions:
        if revision.kind == kind:
            result[(revision.item_id, revision.language)] = version_from_revision(revision, with_text)
    for (item_id, language), row in published.items():
        current = result.get((item_id, language))
        if current is None or row.revision > current.number:
            result[(item_id, language)] = version_from_row(kind, item_id, row, with_text)
    return result


def item_heads(kind: str, item) -> dict[str, Version]:
    """Head per language of one item (its texts must be loaded), in one query."""
    published = {(item.id, row.language): row for row in item.texts}
    heads = merge_heads(kind, published, latest_revisions(kind, None, [item.id], True))
    return {language: version for (_item_id, language), version in heads.items()}


def course_heads(course: Course, published: dict[str, dict[tuple[int, str], object]]
                 ) -> dict[str, dict[tuple[int, str], Version]]:
    """Heads of every item of a course, without texts, in one query.

    `published` maps kind -> (item id, language) -> published text row."""
    revisions = latest_revisions(None, course.id, None, with_text=False)
    return {kind: merge_heads(kind, published.get(kind, {}), revisions, with_text=False)
            for kind in TEXT_MODELS}


def load_version(kind: str, item, language: str, number: int | None) -> Version | None:
    if number is None:
        return None
    revision = db.session.scalar(select(ContentRevision).where(
        ContentRevision.kind == kind, ContentRevision.item_id == item.id,
        ContentRevision.language == language, ContentRevision.number == number)
        .options(joinedload(ContentRevision.author)))
    if revision is not None:
        return version_from_revision(revision)
    row = item.text_by_language().get(language)
    if row is not None and row.revision == number:
        return version_from_row(kind, item.id, row)
    return None


def load_versions(kind: str, item, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], Version]:
    """Several (language, number) versions of one item in one query."""
    wanted = [pair for pair in wanted if pair[1] is not None]
    if not wanted:
        return {}
    rows = db.session.scalars(select(ContentRevision).where(
        ContentRevision.kind == kind, ContentRevision.item_id == item.id,
        tuple_(ContentRevision.language, ContentRevision.number).in_(wanted))
        .options(joinedload(ContentRevision.author))).all()
    result = {(row.language, row.number): version_from_revision(row) for row in rows}
    published = item.text_by_language()
    for language, number in wanted:
        row = published.get(language)
        if (language, number) not in result and row is not None and row.revision == number:
            result[(language, number)] = version_from_row(kind, item.id, row)
    return result


def history(kind: str, item, language: str) -> list[Version]:
    """Every revision of one language of an item, newest first (texts not loaded)."""
    rows = db.session.scalars(select(ContentRevision).where(
        ContentRevision.kind == kind, ContentRevision.item_id == item.id,
        ContentRevision.language == language)
        .options(joinedload(ContentRevision.author), defer(ContentRevision.body),
                 defer(ContentRevision.summary))
        .order_by(ContentRevision.number.desc())).all()
    versions = [version_from_revision(row, with_text=False) for row in rows]
    published = item.text_by_language().get(language)
    if published is not None and published.revision not in {v.number for v in versions}:
        versions.append(version_from_row(kind, item.id, published, with_text=False))
        versions.sort(key=lambda v: v.number, reverse=True)
    return versions


# Writing ---------------------------------------------------------------------------

def normalise(kind: str, title: str | None, text: str | None) -> Submitted:
    """The form's text as the course files would hold it."""
    title = " ".join((title or "").split())
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if kind == "lesson":
        text = text.strip() + "\n" if text.strip() else ""
    else:
        text = text.strip()
    return Submitted(title, text)


def _check_complete(kind: str, language: str, submitted: Submitted, source_language: str) -> None:
    if not submitted.title:
        raise AuthoringError(_l("Give this language a title too, or leave both fields empty."),
                             f"title_{language}")
    if kind == "lesson" and not submitted.text:
        raise AuthoringError(_l("Write the text of the lesson, or leave both fields empty."),
                             f"text_{language}")
    if kind == "course" and language == source_language and not submitted.text:
        raise AuthoringError(_l("The course needs a summary in its source language."), f"text_{language}")


def _store(course_id: int, kind: str, item_id: int, language: str, number: int, title: str, text: str,
           source_revision: int | None, action: str, author_id: int | None, note: str = "") -> ContentRevision:
    revision = ContentRevision(course_id=course_id, kind=kind, item_id=item_id, language=language,
                               number=number, title=title, source_revision=source_revision,
                               action=action, author_id=author_id, note=note[:200])
    if kind == "lesson":
        revision.body = text
    else:
        revision.summary = text
    db.session.add(revision)
    return revision


def keep_in_history(course_id: int, version: Version | None) -> None:
    """Copy a published-only version into the history before something replaces it."""
    if version is not None and not version.stored:
        _store(course_id, version.kind, version.item_id, version.language, version.number, version.title,
               version.text, version.source_revision, IMPORT, None, "as imported")


def save_texts(course: Course, kind: str, item, author, submitted: dict[str, Submitted],
               bases: dict[str, int | None], confirm_current: set[str] | frozenset = frozenset(),
               note: str = "") -> list[tuple[str, int]]:
    """Save the languages that changed since the revision each was based on.

    Returns the (language, number) of the revisions written. Raises
    AuthoringError for an incomplete text and EditConflict when another save
    came first; then nothing is written.
    """
    source_language = course.source_language
    heads = item_heads(kind, item)
    bases_loaded = load_versions(kind, item, [(language, bases.get(language)) for language in submitted
                                              if bases.get(language) is not None])
    plan: dict[str, Submitted] = {}
    confirm: set[str] = set()
    conflicts: list[Conflict] = []
    for language, text in submitted.items():
        base_number = bases.get(language)
        base = bases_loaded.get((language, base_number)) if base_number is not None else None
        head = heads.get(language)
        if text.empty:
            if head is not None and base is not None:
                raise AuthoringError(_l("A language cannot be emptied here; restore or edit it instead."),
                                     f"title_{language}")
            continue
        _check_complete(kind, language, text, source_language)
        changed = base is None or (text.title, text.text) != base.content
        wants_confirm = language in confirm_current and language != source_language
        if not changed and not wants_confirm:
            continue
        if changed and head is not None and (text.title, text.text) == head.content and not wants_confirm:
            continue  # already saved (a double submit, or the same change made by someone else)
        if (head.number if head else None) != base_number:
            conflicts.append(Conflict(language, base, head))
            continue
        if changed:
            plan[language] = text
        else:
            confirm.add(language)
    if conflicts:
        raise EditConflict(conflicts, heads)
    if not plan and not confirm:
        return []

    written: list[tuple[str, int]] = []
    course_id = course_id_of(kind, item)
    source_head = heads.get(source_language)
    # A translation follows the source revision its translator saw, or the new
    # one when both were edited together in this save.
    followed = bases.get(source_language) if source_language in submitted else (
        source_head.number if source_head else None)
    for language in sorted(set(plan) | confirm, key=lambda lang: lang != source_language):
        head = heads.get(language)
        keep_in_history(course_id, head)
        number = (head.number if head else 0) + 1
        if language == source_language:
            source_revision = None
        else:
            source_revision = followed
        if language in plan:
            text = plan[language]
            _store(course_id, kind, item.id, language, number, text.title, text.text, source_revision,
                   EDIT, author.id, note)
        else:
            if head.source_revision == source_revision:
                continue
            _store(course_id, kind, item.id, language, number, head.title, head.text, source_revision,
                   EDIT, author.id, "marked as up to date with the source")
        written.append((language, number))
        if language == source_language:
            followed = number
    touch(course)
    _commit_or_conflict(kind, item, heads)
    return written


def _commit_or_conflict(kind: str, item, heads: dict[str, Version]) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two saves at the same moment: the other one took the number.
        db.session.rollback()
        raise EditConflict([], heads) from None


def touch(course: Course) -> None:
    course.edited_at = utcnow()


def restore(course: Course, kind: str, item, language: str, number: int, author) -> int | None:
    """Write revision `number` again as the newest; returns the new number
    (None when it already is the current text)."""
    old = load_version(kind, item, language, number)
    if old is None:
        raise AuthoringError(_l("That revision does not exist."))
    head = item_heads(kind, item).get(language)
    if head is not None and head.content == old.content and head.source_revision == old.source_revision:
        return None
    keep_in_history(course_id_of(kind, item), head)
    new_number = (head.number if head else 0) + 1
    _store(course_id_of(kind, item), kind, item.id, language, new_number, old.title, old.text,
           old.source_revision, RESTORE, author.id, f"restored revision {number}")
    touch(course)
    _commit_or_conflict(kind, item, {})
    return new_number


def create_texts(course_id: int, kind: str, item_id: int, texts: dict[str, Submitted], source_language: str,
                 author) -> None:
    """First revisions of a new item (no commit: the caller's transaction)."""
    for language in sorted(texts, key=lambda lang: lang != source_language):
        text = texts[language]
        if text.empty:
            continue
        source_revision = None if language == source_language or source_language not in texts \
            or texts[source_language].empty else 1
        _store(course_id, kind, item_id, language, 1, text.title, text.text, source_revision, EDIT,
               author.id if author else None)


# The file importer -----------------------------------------------------------------

def record_import(kind: str, row, event: str) -> None:
    """Importer hook: number imported texts past any draft and keep them in the history."""
    if kind not in TEXT_OWNER:
        return  # quiz texts: the quiz package keeps their revisions
    owner = getattr(row, TEXT_OWNER[kind])
    if owner is None:
        return
    if owner.id is None:
        db.session.flush()
        brand_new = True
    else:
        brand_new = False
    item_id = owner.id
    course_id = item_id if kind == "course" else owner.course_id
    if course_id is None:
        db.session.flush()
        course_id = item_id if kind == "course" else owner.course_id
    last = None if brand_new else db.session.scalar(
        select(func.max(ContentRevision.number)).where(
            ContentRevision.kind == kind, ContentRevision.item_id == item_id,
            ContentRevision.language == row.language))
    if event == "removed":
        if last is None or last < row.revision:
            # What the files no longer have stays in the history.
            _store(course_id, kind, item_id, row.language, row.revision, row.title, text_of(kind, row),
                   row.source_revision, IMPORT, None, "removed by import")
        return
    if last is not None and row.revision <= last:
        row.revision = last + 1
    revision = _store(course_id, kind, item_id, row.language, row.revision, row.title, text_of(kind, row),
                      row.source_revision, IMPORT, None)
    revision.published_at = utcnow()

