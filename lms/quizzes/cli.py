"""`flask lms gift ...`: check, import and export Moodle GIFT files."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.content.errors import ContentError

gift_cli = AppGroup("gift", help="Moodle GIFT question files.")
LANGUAGES = click.Choice(["es", "en"])


def _fail(error: ContentError, what: str) -> None:
    click.echo(f"{what}: {len(error.problems)} problem(s) found.", err=True)
    for problem in error.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


def _read(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        click.echo(f"{path}:{line}: the file is not UTF-8 text", err=True)
        sys.exit(1)


@gift_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the questions as JSON.")
@click.option("--lang", type=LANGUAGES, default="es", show_default=True,
              help="The language the file is written in.")
def check(file: Path, as_json: bool, lang: str) -> None:
    """Validate a GIFT file and print what it holds (nothing is imported)."""
    from lms.quizzes.gift import gift_to_json, parse_gift

    try:
        questions = parse_gift(_read(file), lang, str(file))
    except ContentError as error:
        _fail(error, f"{file} is not valid GIFT")
    if as_json:
        click.echo(json.dumps(gift_to_json(questions), ensure_ascii=False, indent=2))
        return
    click.echo(f"{file}: {len(questions)} question(s)")
    for number, q in enumerate(questions, start=1):
        text = " ".join(next(iter(q.text.values()), "").split())
        if len(text) > 60:
            text = text[:59] + "…"
        parts = len(q.choices) or len(q.short_answers) or len(q.numeric_answers) or len(q.pairs)
        detail = f", {parts} answer(s)" if parts else ""
        click.echo(f"  {number:>3}. [{q.type}{detail}] {q.id}: {text}")


@gift_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="Course slug.")
@click.option("--module", "module_key", required=True, help="Module id within the course.")
@click.option("--lang", type=LANGUAGES, required=True, help="The language the file is written in.")
def import_command(file: Path, slug: str, module_key: str, lang: str) -> None:
    """Import a GIFT file into a module's quiz (all or nothing)."""
    from lms.quizzes.importer import import_gift, module_in_course

    found = module_in_course(slug, module_key)
    if found is None:
        click.echo(f"No module '{module_key}' in a course '{slug}'.", err=True)
        sys.exit(1)
    try:
        done = import_gift(found[0], found[1], lang, _read(file), str(file))
    except ContentError as error:
        _fail(error, "Nothing was imported")
    click.echo(f"Imported {done.questions} question(s) from {file}: {done.report.summary()}")


@gift_cli.command("export")
@click.option("--course", "slug", required=True, help="Course slug.")
@click.option("--module", "module_key", required=True, help="Module id within the course.")
@click.option("--lang", type=LANGUAGES, required=True, help="The language of the texts.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of printing.")
def export_command(slug: str, module_key: str, lang: str, output: Path | None) -> None:
    """Write a module's quiz as GIFT, texts in one language."""
    from lms.quizzes.importer import export_quiz_gift, module_in_course, module_quiz

    found = module_in_course(slug, module_key)
    quiz = module_quiz(found[1].id) if found else None
    if quiz is None:
        click.echo(f"No quiz in module '{module_key}' of course '{slug}'.", err=True)
        sys.exit(1)
    text = export_quiz_gift(quiz.id, lang)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
