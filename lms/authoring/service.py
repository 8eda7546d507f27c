"""Who may edit which course, and the structure of a course: its metadata,
tags, modules and lessons (add, reorder, archive).

Texts go through drafts (lms.authoring.revisions) and publishing
(lms.authoring.publishing); the structure and metadata edited here (order,
archive, tags, hours, completion rules) apply at once: they change no text a
learner reads, and a module or lesson created here stays invisible until its
texts are published.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, selectinload

from lms.auth.models import User
from lms.authoring.models import AUTHOR_ROLES, CourseAuthor
from lms.authoring.revisions import (AuthoringError, Submitted, Version, create_texts, item_heads, load_versions,
                                     save_texts, touch)
from lms.content.loader import ID_RE
from lms.content.models import Course, CourseTag, Lesson, LessonText, Module
from lms.content.vocab import SDG_RANGE, TAG_KINDS
from lms.extensions import db
from lms.timeutil import utcnow


class NotAllowed(Exception):
    """The person may know the object exists but may not change it (403)."""


# Who may edit ------------------------------------------------------------------------

def is_admin(user) -> bool:
    return user.has_role("admin")


def may_edit(user, course: Course) -> bool:
    if is_admin(user):
        return True
    return db.session.scalar(select(CourseAuthor.id).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)) is not None


def course_for_editing(slug: str, user, *, load_structure: bool = False) -> Course | None:
    """The course if `user` may edit it; None when they may not know it exists
    (404); NotAllowed when they may know it but not edit it (403)."""
    statement = select(Course).where(Course.slug == slug).options(selectinload(Course.texts),
                                                                   selectinload(Course.tags))
    if load_structure:
        statement = statement.options(selectinload(Course.modules).selectinload(Module.texts))
    course = db.session.scalar(statement)
    if course is None:
        return None
    if may_edit(user, course):
        return course
    if course.published and course.archived_at is None:
        raise NotAllowed()
    return None  # someone else's unpublished course is not theirs to know about


def editable_courses(user) -> list[Course]:
    statement = select(Course).options(selectinload(Course.texts)).order_by(Course.slug)
    if not is_admin(user):
        statement = statement.join(CourseAuthor, CourseAuthor.course_id == Course.id).where(
            CourseAuthor.user_id == user.id)
    return list(db.session.scalars(statement).all())


@dataclass(frozen=True)
class AuthorView:
    user_id: int
    name: str
    email: str
    role: str


def authors(course: Course) -> list[AuthorView]:
    rows = db.session.execute(select(CourseAuthor.user_id, User.name, User.email, CourseAuthor.role)
                              .join(User, User.id == CourseAuthor.user_id)
                              .where(CourseAuthor.course_id == course.id)
                              .order_by(CourseAuthor.role.desc(), CourseAuthor.id)).all()
    return [AuthorView(*row) for row in rows]


def may_manage_authors(user, course: Course, authors: list[AuthorView] | None = None) -> bool:
    """Owners and admins add and remove authors."""
    if is_admin(user):
        return True
    if authors is not None:
        return any(a.user_id == user.id and a.role == "owner" for a in authors)
    return db.session.scalar(select(CourseAuthor.id).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id,
        CourseAuthor.role == "owner")) is not None


def add_author(course: Course, actor, email: str, role: str) -> CourseAuthor:
    if not may_manage_authors(actor, course):
        raise NotAllowed()
    if role not in AUTHOR_ROLES:
        raise AuthoringError(_l("Choose owner or co-author."), "role")
    person = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if person is None or not person.active:
        raise AuthoringError(_l("Nobody with this email has an active account."), "email")
    if not person.has_role("trainer", "admin"):
        raise AuthoringError(_l("Only trainers can be authors of a course."), "email")
    existing = db.session.scalar(select(CourseAuthor).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == person.id))
    if existing is not None:
        existing.role = role
        db.session.commit()
        return existing
    author = CourseAuthor(course_id=course.id, user_id=person.id, role=role)
    db.session.add(author)
    try:
        db.session.commit()
    except IntegrityError:  # a double submit
        db.session.rollback()
        return db.session.scalar(select(CourseAuthor).where(
            CourseAuthor.course_id == course.id, CourseAuthor.user_id == person.id))
    return author


def remove_author(course: Course, actor, user_id: int) -> None:
    if not may_manage_authors(actor, course):
        raise NotAllowed()
    author = db.session.scalar(select(CourseAuthor).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user_id))
    if author is None:
        return
    if author.role == "owner":
        owners = db.session.scalar(select(func.count(CourseAuthor.id)).where(
            CourseAuthor.course_id == course.id, CourseAuthor.role == "owner"))
        if owners <= 1 and not is_admin(actor):
            raise AuthoringError(_l("A course keeps at least one owner."))
    db.session.delete(author)
    db.session.commit()


# Course metadata -------------------------------------------------------------------------

@dataclass
class CourseMeta:
    source_language: str
    hours: float | None
    tags: dict[str, list[str]]


def _check_key(key: str, field: str = "key") -> str:
    key = (key or "").strip()
    if not ID_RE.match(key) or len(key) > 100:
        raise AuthoringError(_l("Use lowercase letters and digits in words joined by '-', like "
                                "border-areas."), field)
    return key


def _check_tags(tags: dict[str, list[str]]) -> dict[str, list[str]]:
    clean: dict[str, list[str]] = {}
    for kind, codes in tags.items():
        if kind == "sdgs":
            clean[kind] = sorted({str(int(code)) for code in codes if str(code).isdigit()
                                  and int(code) in SDG_RANGE}, key=int)
        elif kind in TAG_KINDS:
            clean[kind] = sorted({code for code in codes if code in TAG_KINDS[kind]})
    return clean


def _set_tags(course: Course, tags: dict[str, list[str]]) -> None:
    wanted = {(kind, code) for kind, codes in _check_tags(tags).items() for code in codes}
    current = {(tag.kind, tag.code): tag for tag in course.tags}
    for key in set(current) - wanted:
        course.tags.remove(current[key])
    for kind, code in sorted(wanted - set(current)):
        course.tags.append(CourseTag(kind=kind, code=code))


def create_course(user, slug: str, meta: CourseMeta, texts: dict[str, Submitted]) -> Course:
    """A new, unpublished course; its creator is its owner."""
    slug = _check_key(slug, "slug")
    if db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise AuthoringError(_l("A course with this short name already exists."), "slug")
    source = texts.get(meta.source_language)
    if source is None or not source.title or not source.text:
        raise AuthoringError(_l("Give the course a title and a summary in its source language."),
                             f"title_{meta.source_language}")
    for language, text in texts.items():
        if text.text and not text.title:
            raise AuthoringError(_l("Give this language a title too, or leave both fields empty."),
                                 f"title_{language}")
    course = Course(slug=slug, source_language=meta.source_language, hours=meta.hours, published=False,
                    edited_at=utcnow())
    db.session.add(course)
    _set_tags(course, meta.tags)
    db.session.flush()
    db.session.add(CourseAuthor(course_id=course.id, user_id=user.id, role="owner"))
    create_texts(course.id, "course", course.id, texts, meta.source_language, user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AuthoringError(_l("A course with this short name already exists."), "slug") from None
    return course


def update_course_meta(course: Course, meta: CourseMeta) -> None:
    course.source_language = meta.source_language
    course.hours = meta.hours
    _set_tags(course, meta.tags)
    touch(course)
    db.session.commit()


# Modules and lessons ---------------------------------------------------------------------

def structure(course: Course) -> list[Module]:
    """Modules (archived last) with their lessons and texts, in three queries."""
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id)
                                 .options(selectinload(Module.texts),
                                          selectinload(Module.lessons).selectinload(Lesson.texts)
                                          .options(defer(LessonText.body_markdown), defer(LessonText.body_html)))
                                 .order_by(Module.position, Module.id)).all()
    return sorted(modules, key=lambda m: (m.archived_at is not None, m.position, m.id))


def module_by_key(course: Course, key: str) -> Module | None:
    return db.session.scalar(select(Module).where(Module.course_id == course.id, Module.key == key)
                             .options(selectinload(Module.texts), selectinload(Module.lessons)))


def lesson_by_key(course: Course, key: str) -> Lesson | None:
    return db.session.scalar(select(Lesson).where(Lesson.course_id == course.id, Lesson.key == key)
                             .options(selectinload(Lesson.texts), selectinload(Lesson.module)
                                      .selectinload(Module.texts)))


RESERVED_KEYS = {"new"}  # taken by the editor's own addresses (/modules/new)
_MODULE_KEY_TAKEN = _l("This course already has a module with this short name.")
_LESSON_KEY_TAKEN = _l("This course already has a lesson with this short name.")


def _insert(course: Course, kind: str, item: Module | Lesson, user, texts: dict[str, Submitted], taken):
    """Add a new module or lesson with its first drafts; `taken` when its short
    name was taken meanwhile (a double submit)."""
    db.session.add(item)
    db.session.flush()
    create_texts(course.id, kind, item.id, texts, course.source_language, user)
    touch(course)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AuthoringError(taken, "key") from None
    return item


def add_module(course: Course, user, key: str, texts: dict[str, Submitted]) -> Module:
    key = _check_key(key)
    if key in RESERVED_KEYS:
        raise AuthoringError(_l("This short name is reserved; choose another."), "key")
    if db.session.scalar(select(Module.id).where(Module.course_id == course.id, Module.key == key)):
        raise AuthoringError(_MODULE_KEY_TAKEN, "key")
    if not any(text.title for text in texts.values()):
        raise AuthoringError(_l("Give the module a title."), f"title_{course.source_language}")
    position = (db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id))
                or 0) + 1
    module = Module(course_id=course.id, key=key, position=position)
    return _insert(course, "module", module, user, texts, _MODULE_KEY_TAKEN)


def add_lesson(course: Course, module: Module, user, key: str, texts: dict[str, Submitted],
               minutes: int | None = None) -> Lesson:
    key = _check_key(key)
    if db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.key == key)):
        raise AuthoringError(_LESSON_KEY_TAKEN, "key")
    for language, text in texts.items():
        if not text.empty and (not text.title or not text.text):
            raise AuthoringError(_l("Give this language a title and a text, or leave both empty."),
                                 f"title_{language}")
    if all(text.empty for text in texts.values()):
        raise AuthoringError(_l("Give the lesson a title and a text in at least one language."),
                             f"title_{course.source_language}")
    position = (db.session.scalar(select(func.max(Lesson.position)).where(Lesson.module_id == module.id))
                or 0) + 1
    lesson = Lesson(course_id=course.id, module_id=module.id, key=key, position=position, minutes=minutes)
    return _insert(course, "lesson", lesson, user, texts, _LESSON_KEY_TAKEN)


def _move(items: list, item, direction: str) -> None:
    """Swap with the neighbour and renumber 1..n (active items only)."""
    items = [other for other in items if other.archived_at is None]
    index = items.index(item)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items, start=1):
        other.position = position


def move_module(course: Course, module: Module, direction: str) -> None:
    if module.archived_at is not None:
        raise AuthoringError(_l("Restore the module before moving it."))
    siblings = sorted(db.session.scalars(select(Module).where(Module.course_id == course.id)).all(),
                      key=lambda m: (m.position, m.id))
    _move(siblings, module, direction)
    touch(course)
    db.session.commit()


def move_lesson(course: Course, lesson: Lesson, direction: str) -> None:
    if lesson.archived_at is not None:
        raise AuthoringError(_l("Restore the lesson before moving it."))
    siblings = sorted(db.session.scalars(select(Lesson).where(Lesson.module_id == lesson.module_id)).all(),
                      key=lambda m: (m.position, m.id))
    _move(siblings, lesson, direction)
    touch(course)
    db.session.commit()


def set_archived(course: Course, item: Module | Lesson, archived: bool) -> None:
    """Archive (hide from learners, keep records) or bring back a module or lesson."""
    if archived and item.archived_at is None:
        item.archived_at = utcnow()
    elif not archived and item.archived_at is not None:
        item.archived_at = None
        if isinstance(item, Module):
            item.position = (db.session.scalar(select(func.max(Module.position)).where(
                Module.course_id == course.id, Module.archived_at.is_(None))) or 0) + 1
        else:
            item.position = (db.session.scalar(select(func.max(Lesson.position)).where(
                Lesson.module_id == item.module_id, Lesson.archived_at.is_(None))) or 0) + 1
    touch(course)
    db.session.commit()


def update_module_settings(course: Course, module: Module, required_lessons: list[str] | None,
                           quiz_required: bool) -> None:
    keys = {lesson.key for lesson in module.lessons}
    chosen = [key for key in (required_lessons or []) if key in keys]
    module.required_lessons = chosen or None
    module.quiz_required = quiz_required
    touch(course)
    db.session.commit()


def set_lesson_minutes(course: Course, lesson: Lesson, minutes: int | None) -> None:
    if lesson.minutes != minutes:
        lesson.minutes = minutes
        touch(course)
        db.session.commit()


# Saving an item: its texts (revisions) and its settings ----------------------------------

def _save_then(course: Course, kind: str, item, user, submitted, bases, confirm, apply_settings) -> list:
    """Texts first (they may be refused: then nothing changes), then settings."""
    written = save_texts(course, kind, item, user, submitted, bases, confirm)
    if apply_settings(item):
        touch(course)
        db.session.commit()
    return written


def save_course(course: Course, user, submitted, bases, confirm, meta: CourseMeta) -> list:
    def apply(item: Course) -> bool:
        before = (item.source_language, item.hours, sorted((t.kind, t.code) for t in item.tags))
        item.source_language = meta.source_language
        item.hours = meta.hours
        _set_tags(item, meta.tags)
        return before != (item.source_language, item.hours, sorted((t.kind, t.code) for t in item.tags))
    return _save_then(course, "course", course, user, submitted, bases, confirm, apply)


def save_module(course: Course, module: Module, user, submitted, bases, confirm,
                required_lessons: list[str] | None, quiz_required: bool) -> list:
    def apply(item: Module) -> bool:
        keys = {lesson.key for lesson in item.lessons}
        chosen = [key for key in (required_lessons or []) if key in keys] or None
        changed = (item.required_lessons, item.quiz_required) != (chosen, quiz_required)
        item.required_lessons, item.quiz_required = chosen, quiz_required
        return changed
    return _save_then(course, "module", module, user, submitted, bases, confirm, apply)


def save_lesson(course: Course, lesson: Lesson, user, submitted, bases, confirm, minutes: int | None) -> list:
    def apply(item: Lesson) -> bool:
        changed = item.minutes != minutes
        item.minutes = minutes
        return changed
    return _save_then(course, "lesson", lesson, user, submitted, bases, confirm, apply)


def item_for(course: Course, kind: str, key: str):
    """The course, module or lesson a history page is about, or None."""
    if kind == "course":
        return course if key == course.slug else None
    if kind == "module":
        return module_by_key(course, key)
    if kind == "lesson":
        return lesson_by_key(course, key)
    return None


# What an editor page shows ---------------------------------------------------------------

@dataclass
class EditorState:
    heads: dict[str, Version]
    published: dict[str, object]
    statuses: dict[str, str]
    # language -> (source as the translation knew it, source now): for the "what changed" diff
    source_changes: dict[str, tuple[Version | None, Version]]

    def waiting(self, language: str) -> bool:
        head = self.heads.get(language)
        row = self.published.get(language)
        return head is not None and (row is None or head.number > row.revision)

    @property
    def any_waiting(self) -> bool:
        return any(self.waiting(language) for language in self.heads)


def editor_state(course: Course, kind: str, item, languages: tuple[str, ...]) -> EditorState:
    """Drafts, published texts and translation status of one item, in two queries."""
    from lms.authoring.translation_status import NEEDS_UPDATE, statuses

    heads = item_heads(kind, item)
    state = statuses(languages, course.source_language, heads)
    behind = [language for language, value in state.items() if value == NEEDS_UPDATE]
    source = heads.get(course.source_language)
    old = load_versions(kind, item, [(course.source_language, heads[lang].source_revision) for lang in behind])
    changes = {lang: (old.get((course.source_language, heads[lang].source_revision)), source) for lang in behind}
    return EditorState(heads, item.text_by_language(), state, changes)
