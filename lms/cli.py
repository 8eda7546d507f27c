"""`flask lms ...`: the commands an operator or trainer runs."""
from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from lms.auth import service as accounts
from lms.auth.models import ROLES
from lms.content.errors import ContentError

lms_cli = AppGroup("lms", help="Frontera commands.")

DEMO_PEOPLE = (
    ("learner@demo.frontera", "Ana Learner", ("learner",)),
    ("expert@demo.frontera", "Eva Expert", ("expert",)),
    ("trainer@demo.frontera", "Tomás Trainer", ("trainer",)),
    ("admin@demo.frontera", "Alba Admin", ("admin",)),
)


@lms_cli.command("create-user")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), default=["learner"],
              show_default=True, help="Repeat for several roles.")
@click.option("--name", default=None, help="Full name (default: the part of the email before @).")
@click.option("--language", type=click.Choice(["es", "en"]), default="es", show_default=True)
@click.password_option(help="Asked for when not given.")
def create_user(email: str, roles: tuple[str, ...], name: str | None, language: str, password: str) -> None:
    """Create a person (or add roles and set the password of an existing one)."""
    user = accounts.create_user(email, name or email.split("@")[0], password, set(roles), language)
    click.echo(f"{user.email}: {', '.join(sorted(user.roles))}")


@lms_cli.command("import-courses")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Import even over texts edited in the browser since the last "
              "import (they stay in the revision history).")
def import_courses_command(path: Path | None, force: bool) -> None:
    """Validate and import the course files (default: COURSES_PATH)."""
    from lms.authoring.sync import ImportConflict, guarded_import

    path = path or Path(current_app.config["COURSES_PATH"])
    try:
        report, replaced = guarded_import(path, force=force)
    except ContentError as error:
        click.echo(f"Nothing was imported: {len(error.problems)} problem(s) found.", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    except ImportConflict as conflict:
        click.echo(f"Nothing was imported: {len(conflict.losses)} change(s) made in the browser since the "
                   "last import would be lost. Export the course (flask lms export-course) and merge, or "
                   "run again with --force (the browser versions stay in the revision history).", err=True)
        for loss in conflict.losses:
            click.echo(f"  {loss.course}: {loss.what}", err=True)
            click.echo("".join(f"    {line}" for line in loss.diff().splitlines(keepends=True)), err=True, nl=False)
        sys.exit(1)
    for loss in replaced:
        click.echo(f"Replaced (kept in the history): {loss.course}: {loss.what}")
    click.echo(f"Imported {path}: {report.summary()}")
    from lms.progress.service import recompute_courses

    learners, certificates = recompute_courses()  # a loosened rule may complete learners
    click.echo(f"Progress recomputed for {learners} enrolment(s); {certificates} certificate(s) issued.")


@lms_cli.command("export-course")
@click.argument("slug")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace DIRECTORY/SLUG if it exists.")
def export_course_command(slug: str, directory: Path, replace: bool) -> None:
    """Write the published course SLUG as course files under DIRECTORY/SLUG."""
    from lms.authoring.export import export_to, load_for_export
    from lms.authoring.revisions import AuthoringError

    course = load_for_export(slug)
    if course is None:
        click.echo(f"No course {slug!r}.", err=True)
        sys.exit(1)
    try:
        folder = export_to(course, directory, replace=replace)
    except AuthoringError as error:
        from flask_babel import force_locale

        with force_locale("en"):  # operators read the commands' English
            click.echo(f"Nothing was exported: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"Exported {slug} to {folder}")


@lms_cli.command("demo-accounts")
@click.option("--file", "credentials_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where the demo passwords are kept (default: instance/demo-accounts.txt).")
def demo_accounts(credentials_file: Path | None) -> None:
    """Create one learner, expert, trainer and admin for trying the site, and print them.

    Passwords are random on first creation and kept in the instance folder
    (never in the repository), so a rerun prints the same ones.
    """
    credentials_file = credentials_file or Path(current_app.instance_path) / "demo-accounts.txt"
    known = {}
    if credentials_file.exists():
        for line in credentials_file.read_text(encoding="utf-8").splitlines():
            email, _, password = line.partition(" ")
            known[email] = password
    lines = []
    for email, name, roles in DEMO_PEOPLE:
        password = known.get(email)
        if password is None or accounts.find_by_email(email) is None:
            password = password or secrets.token_urlsafe(9)
            accounts.create_user(email, name, password, set(roles))
        lines.append(f"{email} {password}")
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _equip_demo_people()
    click.echo("Demo accounts (email / password):")
    for (email, _name, roles), line in zip(DEMO_PEOPLE, lines, strict=True):
        click.echo(f"  {roles[0]:<8} {line.replace(' ', '  /  ')}")


def _equip_demo_people() -> None:
    """Give the demo expert and trainer something to do: the expert answers in
    every advice queue in both languages, the trainer co-authors every course.
    Only adds what is missing, so a rerun (or the person's own changes) stays."""
    from sqlalchemy import select

    from lms.advice.models import AdviceQueue, Expertise, QueueMember
    from lms.authoring.models import CourseAuthor
    from lms.content.models import Course
    from lms.extensions import db

    expert = accounts.find_by_email("expert@demo.frontera")
    trainer = accounts.find_by_email("trainer@demo.frontera")
    if expert is not None:
        has_queues = db.session.scalar(select(QueueMember.id).where(
            QueueMember.user_id == expert.id, QueueMember.role == "expert").limit(1))
        if has_queues is None:
            for queue_id in db.session.scalars(select(AdviceQueue.id).where(AdviceQueue.active.is_(True))):
                db.session.add(QueueMember(queue_id=queue_id, user_id=expert.id, role="expert"))
            known = set(db.session.scalars(select(Expertise.code).where(
                Expertise.user_id == expert.id, Expertise.kind == "language")))
            for language in current_app.config["LANGUAGES"]:
                if language not in known:
                    db.session.add(Expertise(user_id=expert.id, kind="language", code=language))
    if trainer is not None:
        authored = set(db.session.scalars(select(CourseAuthor.course_id).where(
            CourseAuthor.user_id == trainer.id)))
        for course_id in db.session.scalars(select(Course.id)):
            if course_id not in authored:
                db.session.add(CourseAuthor(course_id=course_id, user_id=trainer.id, role="coauthor"))
    db.session.commit()


@lms_cli.command("send-mail")
def send_mail() -> None:
    """Send the messages waiting in the outbox (retries failed ones)."""
    from lms.mail.service import deliver_pending

    click.echo(f"Sent {deliver_pending()} message(s).")


@lms_cli.command("tick")
@click.option("--job", "jobs", multiple=True, help="Run only this job (repeatable).")
def tick(jobs: tuple[str, ...]) -> None:
    """Run the time-based jobs that are due (safe every minute, and twice at once)."""
    from lms.jobs import run_tick

    for name, result in run_tick(only=jobs).items():
        click.echo(f"{name}: {result}")


@lms_cli.command("seed-queues")
def seed_queues_command() -> None:
    """Create the programme's advice queues (bilingual names); a rerun adds only what is missing."""
    from lms.advice.seed import seed_queues

    created, existing = seed_queues()
    click.echo(f"Advice queues: {created} created, {existing} already there.")


def init_app(app: Flask) -> None:
    from lms.quizzes.cli import gift_cli

    lms_cli.add_command(gift_cli)
    from lms.progress.cli import export_xapi, recompute_progress

    lms_cli.add_command(export_xapi)
    lms_cli.add_command(recompute_progress)
    from lms.ops.cli import register as register_ops_commands

    register_ops_commands(lms_cli)  # backup, restore
    app.cli.add_command(lms_cli)
