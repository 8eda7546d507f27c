"""Database engine settings that the models do not express."""
from __future__ import annotations

import sqlite3

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def init_app(app: Flask) -> None:
    """Before Flask-SQLAlchemy makes the engine."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _ensure_instance_folder(app)
        # A server can drop idle connections (restart, failover), so each is tested
        # as it leaves the pool; a SQLite file cannot, and the test costs every request.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _ensure_instance_folder(app: Flask) -> None:
    import os

    os.makedirs(app.instance_path, exist_ok=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    # WAL lets readers work while one writer commits; SQLite leaves foreign
    # keys off unless asked, and we rely on them as PostgreSQL does.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL is safe from corruption and syncs at checkpoints, not
        # at every commit (a power cut may lose the last commits, never the file).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session has loaded.

    A commit normally expires every loaded object, so that the page rendered
    afterwards reloads the person, the course, its texts... one statement
    each. Use this after a write that changes none of the loaded objects (or
    only through statements whose effect the caller does not read back from
    those objects): their loaded values are still right.
    """
    from lms.extensions import db

    session = db.session()
    previous = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def upsert_insert(dialect_name: str):
    """The INSERT that takes ON CONFLICT for this database (SQLite and PostgreSQL
    share the syntax). Imported on first use: the PostgreSQL dialect package
    brings every PostgreSQL driver's dialect, about 3 MB a process that a
    SQLite site never needs."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert
