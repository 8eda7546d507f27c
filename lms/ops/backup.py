"""Backups of a SQLite database with SQLite's online backup API, and restores.

For small sites that run on SQLite. The backup is taken from the running
database without stopping the app: SQLite copies a consistent snapshot (in
WAL mode writers go on meanwhile). A backup is one self-contained file (its
journal mode set back to DELETE). PostgreSQL sites use pg_dump and WAL
archiving instead (docs/deploy.md); both commands refuse there.

Restore checks the file first (it opens, passes `PRAGMA quick_check`, and has
the platform's tables), refuses to overwrite a database that holds data
unless forced, and then copies it page by page into the live database with
the same backup API, so open connections never see a half-written file.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from lms.extensions import db

# Without these a file is not a Frontera database at all.
CORE_TABLES = ("users", "user_roles", "courses", "course_texts", "modules", "lessons", "lesson_texts",
               "enrolments")
PG_HINT = ("Back up PostgreSQL with pg_dump (pg_dump --format=custom --file=frontera.dump \"$DATABASE_URL\") "
           "and restore with pg_restore; for point-in-time recovery archive the WAL (docs/deploy.md).")


class BackupError(Exception):
    """Why a backup or restore was refused; nothing was changed."""


@dataclass
class Report:
    path: Path
    tables: int
    rows: dict[str, int] = field(default_factory=dict)
    missing_tables: list[str] = field(default_factory=list)  # model tables the backup lacks
    size: int = 0


def _require_sqlite(url: str) -> None:
    backend = make_url(url).get_backend_name()
    if backend != "sqlite":
        raise BackupError(f"This database is {backend}, not SQLite: these commands only handle SQLite. "
                          f"{PG_HINT}")


def _live_connection():
    """The app's own SQLite connection (works for files and for sqlite:// in memory)."""
    db.session.remove()
    raw = db.engine.raw_connection()
    return raw, raw.driver_connection


def _user_tables(connection: sqlite3.Connection) -> list[str]:
    return [name for (name,) in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def _row_counts(connection: sqlite3.Connection, tables) -> dict[str, int]:
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables}


def backup(url: str, destination: Path, *, overwrite: bool = False) -> Report:
    """Copy the live database at `url` to `destination` (a file, or a folder for a dated name)."""
    _require_sqlite(url)
    destination = Path(destination)
    if destination.is_dir():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"frontera-{stamp}.sqlite"
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} already exists; choose another name or pass --force to replace it.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the destination and renamed: a crash never leaves half a backup under its name.
    handle, temporary = tempfile.mkstemp(prefix=".frontera-backup-", suffix=".sqlite", dir=destination.parent)
    os.close(handle)
    raw, source = _live_connection()
    try:
        target = sqlite3.connect(temporary)
        try:
            source.backup(target)  # one step: a consistent snapshot
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            tables = _user_tables(target)
            rows = _row_counts(target, tables)
        finally:
            target.close()
    except Exception:
        os.unlink(temporary)
        raise
    finally:
        raw.close()
    os.replace(temporary, destination)
    return Report(destination, len(tables), rows, size=destination.stat().st_size)


def verify(path: Path, expected_tables) -> Report:
    """Open a backup read-only and check it is a sound Frontera database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be opened as a SQLite database: {error}") from None
    try:
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = _user_tables(connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a SQLite database: {error}") from None
        if check != "ok":
            raise BackupError(f"{path} is damaged (quick_check: {check}).")
        missing_core = [name for name in CORE_TABLES if name not in tables]
        if missing_core:
            raise BackupError(f"{path} is not a Frontera backup: it has no table {', '.join(missing_core)}.")
        rows = _row_counts(connection, tables)
    finally:
        connection.close()
    missing = sorted(set(expected_tables) - set(tables))
    return Report(path, len(tables), rows, missing_tables=missing, size=path.stat().st_size)


def live_rows(url: str) -> dict[str, int]:
    """Rows per table in the live database (tables that exist)."""
    _require_sqlite(url)
    raw, connection = _live_connection()
    try:
        return _row_counts(connection, _user_tables(connection))
    finally:
        raw.close()


def restore(url: str, path: Path, *, force: bool = False) -> Report:
    """Replace the live database's content with the backup at `path`."""
    _require_sqlite(url)
    report = verify(path, db.metadata.tables.keys())
    holding = {name: count for name, count in live_rows(url).items() if count and name != "alembic_version"}
    if holding and not force:
        largest = sorted(holding.items(), key=lambda item: -item[1])[:4]
        biggest = ", ".join(f"{name} ({count})" for name, count in largest)
        raise BackupError(f"The database already holds data ({biggest}...). Restoring would replace all of it: "
                          "take a backup of it first, then run again with --force.")
    source = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    raw, target = _live_connection()
    try:
        source.backup(target)
        if make_url(url).database not in (None, "", ":memory:"):
            target.execute("PRAGMA journal_mode=WAL")  # as lms.database sets it on every connection
    finally:
        source.close()
        raw.close()
    db.engine.dispose()  # pooled connections reopen on the restored file
    return report
