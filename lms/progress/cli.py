"""`flask lms export-xapi` and `flask lms recompute-progress`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from lms.content.models import Course
from lms.extensions import db


@click.command("export-xapi")
@click.argument("slug")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--site-url",
    default=None,
    help="The site's public address, used in activity ids (default: SITE_URL setting or "
    "environment variable).",
)
@click.option(
    "--actor",
    type=click.Choice(["account", "mbox_sha1sum"]),
    default="account",
    show_default=True,
    help="How learners are identified: an account on the site (pseudonymous) or their hashed e-mail.",
)
def export_xapi(slug: str, output: Path | None, site_url: str | None, actor: str) -> None:
    """Export a course's learning records as xAPI statements (a JSON array)."""
    from lms.progress import xapi

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        click.echo(f"No course with the slug {slug!r}.", err=True)
        sys.exit(1)
    site_url = site_url or current_app.config.get("SITE_URL") or os.environ.get("SITE_URL")
    if not site_url:
        click.echo(
            "Give the site's public address with --site-url (or set SITE_URL): "
            "statements name activities by their URL.",
            err=True,
        )
        sys.exit(2)
    statements = xapi.iter_statements(course, xapi.site_urls(course, site_url), actor)
    if output is None:
        count = xapi.write_json(statements, sys.stdout)
    else:
        with output.open("w", encoding="utf-8") as out:
            count = xapi.write_json(statements, out)
        click.echo(f"Wrote {count} statements to {output}.", err=True)


@click.command("recompute-progress")
@click.argument("slug", required=False)
def recompute_progress(slug: str | None) -> None:
    """Bring module and course completions up to date (after content changed); issues due certificates."""
    from lms.progress.service import recompute_courses

    learners, certificates = recompute_courses(slug)
    click.echo(f"Progress recomputed for {learners} enrolment(s); {certificates} certificate(s) issued.")
