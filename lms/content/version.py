"""The content version stamp, and per-process caches keyed on it.

Published content (courses, modules, lessons, their texts and tags, quizzes
with their questions and texts, glossary terms, knowledge entries) changes rarely: through the importer,
authoring and publishing, archiving, the knowledge workflow. Every such change
writes a new random stamp in `content_versions` in the same transaction, from
SQLAlchemy session events, so no service has to remember to do it:

* an ORM flush that adds, deletes or modifies a row of a content table;
* an `insert()`/`update()`/`delete()` of a content table run through the
  session.

Readers ask `current()` and key caches on it (`StampCache`): the catalog's rendered cards, lesson pages'
content, visitors' ETags (lms.ops.http_cache). Rows written without the
session (raw SQL, bulk loads such as bench/seed.py) do not change the stamp:
restart the processes afterwards. With no stamp row yet (a database whose
content was never written through the app) nothing is cached.

`current()` reads the stamp with one small query, at most once per request
(kept in `g`), and each process keeps what it read for
CONTENT_STAMP_SECONDS (default 2; 0 reads it on every request): a change made
by another process shows after at most that long; one made by this process,
as soon as it is committed.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.content.models import ContentVersion
from lms.database import upsert_insert
from lms.extensions import db
from lms.timeutil import utcnow

NAME = "content"
CONTENT_TABLES = frozenset({
    "courses", "course_texts", "course_tags", "modules", "module_texts", "lessons", "lesson_texts",
    "quizzes", "quiz_texts", "quiz_questions", "quiz_question_texts", "glossary_terms", "glossary_term_texts",
    "knowledge_entries", "knowledge_entry_texts",
    "knowledge_entry_tags", "knowledge_entry_lessons",
})
_PENDING = "lms.content.version.pending"
_G_KEY = "content_stamp"


_BUMPED = "lms.content.version.bumped"
# Per database: (stamp, monotonic time it was read) in this process.
_process_stamps: dict[str, tuple[str | None, float]] = {}


def current() -> str | None:
    """The stamp of the content as this request sees it (None: do not cache).

    Outside a request (commands, the tick, code run in a test's app context)
    it is read every time."""
    in_request = has_request_context()
    if in_request and _G_KEY in g:
        return g.get(_G_KEY)
    if not in_request:
        return db.session.scalar(select(ContentVersion.stamp).where(ContentVersion.name == NAME))
    seconds = current_app.config.get("CONTENT_STAMP_SECONDS", 0)
    database = current_app.config["SQLALCHEMY_DATABASE_URI"]
    known = _process_stamps.get(database)
    now = time.monotonic()
    if seconds and known is not None and now - known[1] < seconds:
        stamp = known[0]
    else:
        stamp = db.session.scalar(select(ContentVersion.stamp).where(ContentVersion.name == NAME))
        _process_stamps[database] = (stamp, now)
    setattr(g, _G_KEY, stamp)
    return stamp


def process_stamp(database: str) -> tuple[str | None, float] | None:
    """(stamp, monotonic time read) this process trusts for `database`, if any:
    for code outside a request (lms.ops.visitor_cache). None after a change."""
    return _process_stamps.get(database)


def forget() -> None:
    """Read the stamp again at the next request (this process)."""
    _process_stamps.clear()


def _is_content(instance: Any) -> bool:
    return getattr(type(instance), "__tablename__", None) in CONTENT_TABLES


def _bump(connection) -> None:
    stamp, now = secrets.token_hex(16), utcnow()
    insert = upsert_insert(connection.dialect.name)
    table = ContentVersion.__table__
    statement = insert(table).values(name=NAME, stamp=stamp, changed_at=now)
    connection.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                       set_={"stamp": stamp, "changed_at": now}))
    forget()
    if has_app_context():
        g.pop(_G_KEY, None)


@event.listens_for(Session, "before_flush")
def _note_content_changes(session: Session, _context, _instances) -> None:
    if session.info.get(_PENDING):
        return
    if any(_is_content(obj) for obj in chain(session.new, session.deleted)) or any(
            _is_content(obj) and session.is_modified(obj, include_collections=False)
            for obj in session.dirty):
        session.info[_PENDING] = True


@event.listens_for(Session, "after_flush")
def _bump_after_flush(session: Session, _context) -> None:
    if session.info.pop(_PENDING, False):
        _bump(session.connection())
        session.info[_BUMPED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # A request of this process may have read the old stamp between the change and its commit.
    if session.info.pop(_BUMPED, False):
        forget()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_BUMPED, None)


@event.listens_for(Session, "do_orm_execute")
def _bump_for_bulk_statements(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in CONTENT_TABLES:
        _bump(state.session.connection())
        state.session.info[_BUMPED] = True


class StampCache:
    """A small LRU of values built from content, valid while the stamp stays.

    `get(key, build)` returns the cached value for (stamp, key) or builds and
    keeps it (None is returned, not kept). Entries of an older stamp are dropped when a newer one is seen.
    Not used in debug mode (templates change under a running server) or when
    there is no stamp. Values must not hold ORM objects attached to a session.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._stamp: str | None = None
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        stamp = current()
        if stamp is None or current_app.debug:
            return build()
        full = (stamp, key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                return self._data[full]
        value = build()
        if value is None:
            return None
        with self._lock:
            if stamp != self._stamp:
                self._data.clear()
                self._stamp = stamp
            self._data[full] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def get_many(self, keys: list, build_many: Callable[[list], dict]) -> dict:
        """{key: value} for every key; `build_many(missing keys)` gives {key: value} for the others."""
        stamp = current()
        if stamp is None or current_app.debug:
            return build_many(list(keys))
        found, missing = {}, []
        with self._lock:
            for key in keys:
                full = (stamp, key)
                if full in self._data:
                    self._data.move_to_end(full)
                    found[key] = self._data[full]
                else:
                    missing.append(key)
        if missing:
            built = build_many(missing)
            with self._lock:
                if stamp != self._stamp:
                    self._data.clear()
                    self._stamp = stamp
                for key, value in built.items():
                    self._data[(stamp, key)] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
            found.update(built)
        return found

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._stamp = None
