"""`flask lms backup` and `flask lms restore` on SQLite: what was backed up comes back."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from factories import make_user
from lms.auth.models import User
from lms.extensions import db

needs_sqlite = pytest.mark.skipif(
    "postgresql" in __import__("os").environ.get("LMS_TEST_DATABASE_URL", ""),
    reason="SQLite backups only: PostgreSQL is backed up with pg_dump (its refusal is tested below)")


def emails() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(select(User.email)))


@needs_sqlite
def test_backup_then_restore_brings_the_data_back(runner, tmp_path):
    make_user(email="ana@example.org")
    make_user("expert", email="eva@example.org")
    target = tmp_path / "nightly" / "frontera.sqlite"

    result = runner.invoke(args=["lms", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Backed up to" in result.output and "2 people" in result.output
    with sqlite3.connect(target) as copy:
        assert {row[0] for row in copy.execute("SELECT email FROM users")} == {"ana@example.org", "eva@example.org"}

    # Life goes on: someone new registers, someone is removed.
    make_user(email="late@example.org")
    db.session.execute(User.__table__.delete().where(User.email == "eva@example.org"))
    db.session.commit()
    assert emails() == {"ana@example.org", "late@example.org"}

    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output
    assert emails() == {"ana@example.org", "eva@example.org"}
    # The restored expert still has her role (related rows came back too).
    eva = db.session.scalar(select(User).where(User.email == "eva@example.org"))
    assert eva.roles == {"expert"}


@needs_sqlite
def test_restore_refuses_to_overwrite_data_without_force(runner, tmp_path):
    make_user(email="ana@example.org")
    target = tmp_path / "backup.sqlite"
    assert runner.invoke(args=["lms", "backup", str(target)]).exit_code == 0
    make_user(email="late@example.org")

    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(target)])
    assert result.exit_code == 1
    assert "Nothing was restored" in result.output and "--force" in result.output
    assert emails() == {"ana@example.org", "late@example.org"}


@needs_sqlite
def test_restore_into_an_empty_database_needs_no_force(runner, tmp_path):
    make_user(email="ana@example.org")
    target = tmp_path / "backup.sqlite"
    assert runner.invoke(args=["lms", "backup", str(target)]).exit_code == 0
    db.session.execute(User.__table__.delete())
    db.session.commit()
    assert db.session.scalar(select(func.count(User.id))) == 0

    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(target)])
    assert result.exit_code == 0, result.output
    assert emails() == {"ana@example.org"}


@needs_sqlite
def test_backup_into_a_folder_gets_a_dated_name_and_never_overwrites(runner, tmp_path):
    make_user(email="ana@example.org")
    result = runner.invoke(args=["lms", "backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    made = list(tmp_path.glob("frontera-*.sqlite"))
    assert len(made) == 1
    again = runner.invoke(args=["lms", "backup", str(made[0])])
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(args=["lms", "backup", str(made[0]), "--force"]).exit_code == 0
    assert not list(tmp_path.glob(".frontera-backup-*")), "no temporary file is left behind"


@needs_sqlite
@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path, content):
    make_user(email="ana@example.org")
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(content)
    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(bogus), "--force"])
    assert result.exit_code == 1
    assert "Nothing was restored" in result.output
    assert emails() == {"ana@example.org"}


@needs_sqlite
def test_restore_refuses_a_database_of_something_else(runner, tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    make_user(email="ana@example.org")
    db.session.remove()
    result = runner.invoke(args=["lms", "restore", str(other), "--force"])
    assert result.exit_code == 1
    assert "not a Frontera backup" in result.output and "users" in result.output
    assert emails() == {"ana@example.org"}


def test_both_commands_refuse_postgresql_and_point_to_pg_dump(app, runner, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SQLALCHEMY_DATABASE_URI", "postgresql://postgres@127.0.0.1:5432/frontera")
    for args in (["lms", "backup", str(tmp_path / "x.sqlite")], ["lms", "restore", str(tmp_path / "x.sqlite")]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "postgresql" in result.output and "pg_dump" in result.output
    assert not (tmp_path / "x.sqlite").exists()
