"""`flask lms backup` and `flask lms restore` (SQLite)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from lms.ops import backup as backups


def _url() -> str:
    return current_app.config["SQLALCHEMY_DATABASE_URI"]


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH while the site runs (a folder: a dated file inside it).

    Uses SQLite's online backup; PostgreSQL sites use pg_dump (docs/deploy.md).
    """
    try:
        report = backups.backup(_url(), path, overwrite=force)
    except backups.BackupError as error:
        click.echo(f"No backup was made: {error}", err=True)
        sys.exit(1)
    people = report.rows.get("users", 0)
    click.echo(f"Backed up to {report.path}: {report.tables} tables, {people} people, "
               f"{report.size / 1024 / 1024:.1f} MiB.")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore_command(path: Path, force: bool) -> None:
    """Replace the SQLite database with the backup at PATH (checked first).

    Refuses while the database holds data unless --force. Stop the app
    servers first, or expect them to see the restored data at once.
    """
    try:
        report = backups.restore(_url(), path, force=force)
    except backups.BackupError as error:
        click.echo(f"Nothing was restored: {error}", err=True)
        sys.exit(1)
    click.echo(f"Restored {report.path}: {report.tables} tables, {report.rows.get('users', 0)} people.")
    if report.missing_tables:
        click.echo(f"The backup predates {len(report.missing_tables)} table(s) of this version "
                   f"({', '.join(report.missing_tables[:5])}...): run `flask db upgrade` now.")


def register(group: click.Group) -> None:
    group.add_command(backup_command)
    group.add_command(restore_command)
