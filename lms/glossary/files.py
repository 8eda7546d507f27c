"""courses/glossary.toml, read and checked with the courses and written in
the same transaction (lms.content.importer.TREE_STEPS).

Terms removed from the file are archived, never deleted (lessons name them);
a rerun over the same file changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.content.errors import ContentError
from lms.content.loader import ID_RE, CourseSource, _Problems, display_path, read_toml
from lms.content.references import check_lesson_references
from lms.content.text import fold
from lms.content.tomlcheck import array_table_lines, key_line, language_texts, unknown_keys
from lms.extensions import db
from lms.glossary.models import GlossaryTerm, GlossaryTermText
from lms.timeutil import utcnow

FILE_NAME = "glossary.toml"
LANGUAGES = ("es", "en")
TERM_KEYS = {"id", "term", "definition"}


@dataclass
class TermSource:
    key: str
    position: int
    terms: dict[str, str]
    definitions: dict[str, str]


@dataclass
class GlossarySource:
    path: str
    terms: list[TermSource] = field(default_factory=list)


def read_glossary(path: Path, problems: _Problems,
                  languages: tuple[str, ...] = LANGUAGES) -> GlossarySource | None:
    data, source = read_toml(path, problems)
    if data is None:
        return None
    unknown_keys(data, {"terms"}, path, source, problems, 1)
    terms = data.get("terms", [])
    if not isinstance(terms, list) or not all(isinstance(item, dict) for item in terms):
        problems.add(path, key_line(source, "terms", 1), "terms must be a list of [[terms]] tables")
        return None
    lines = array_table_lines(source, "terms")
    glossary = GlossarySource(path=display_path(path))
    seen: dict[str, int | None] = {}
    for index, item in enumerate(terms):
        start = lines[index] if index < len(lines) else None
        end = lines[index + 1] if index + 1 < len(lines) else None
        unknown_keys(item, TERM_KEYS, path, source, problems, start, end)
        key = item.get("id")
        if not isinstance(key, str) or not ID_RE.match(key):
            problems.add(path, key_line(source, "id", start, end),
                         f"term id {key!r} is not valid (lowercase words joined by '-')")
            continue
        if key in seen:
            problems.add(path, key_line(source, "id", start, end),
                         f"term id '{key}' is used twice (first at line {seen[key]})")
            continue
        seen[key] = key_line(source, "id", start, end)
        where = f"term '{key}': "
        names = language_texts(item.get("term"), "term", path, key_line(source, "term", start, end),
                               problems, languages, where=where)
        definitions = language_texts(item.get("definition"), "definition", path,
                                     key_line(source, "definition", start, end), problems, languages,
                                     where=where)
        if names and definitions and set(names) != set(definitions):
            problems.add(path, key_line(source, "definition", start, end),
                         f"{where}the term and its definition must be written in the same languages")
        for language, name in names.items():
            if len(name) > 200:
                problems.add(path, key_line(source, "term", start, end),
                             f"{where}term.{language} is longer than 200 characters")
        glossary.terms.append(TermSource(key=key, position=index + 1, terms=names, definitions=definitions))
    return glossary


def validate_glossary(root: Path, courses: list[CourseSource]) -> GlossarySource | None:
    """The glossary beside the courses (None when there is none), and a check
    that every lesson's `glossary` ids are terms: of that file, or already
    imported when the tree has no glossary."""
    problems = _Problems()
    path = root / FILE_NAME
    glossary = None
    if path.is_file():
        glossary = read_glossary(path, problems)
        known = {term.key for term in glossary.terms} if glossary else None
    else:
        known = set(db.session.scalars(select(GlossaryTerm.key).where(GlossaryTerm.archived_at.is_(None))))
    if known is not None and not problems.items:
        check_lesson_references(courses, "glossary", known, problems,
                                f"is not a term of {FILE_NAME} (its ids: [[terms]] id = \"...\")")
    if problems.items:
        raise ContentError(problems.items)
    return glossary


def apply_glossary(glossary: GlossarySource | None, courses: list[CourseSource], report) -> None:
    if glossary is None:
        return
    now = utcnow()
    existing = {term.key: term for term in db.session.scalars(
        select(GlossaryTerm).options(selectinload(GlossaryTerm.texts)))}
    for source in glossary.terms:
        term = existing.get(source.key)
        if term is None:
            term = GlossaryTerm(key=source.key, position=source.position, created_at=now, updated_at=now)
            db.session.add(term)
            _sync_texts(term, source)
            report.count("glossary terms created")
            continue
        changed = _sync_texts(term, source) | (term.position != source.position)
        term.position = source.position
        if term.archived_at is not None:
            term.archived_at = None
            report.count("glossary terms restored")
        elif changed:
            report.count("glossary terms updated")
        else:
            report.count("glossary terms unchanged")
        if changed:
            term.updated_at = now
    wanted = {source.key for source in glossary.terms}
    for key, term in existing.items():
        if key not in wanted and term.archived_at is None:
            term.archived_at = now
            report.count("glossary terms archived")


def _sync_texts(term: GlossaryTerm, source: TermSource) -> bool:
    changed = False
    current = term.text_by_language()
    for language, name in source.terms.items():
        definition = source.definitions.get(language, "")
        text = current.get(language)
        if text is None:
            term.texts.append(GlossaryTermText(language=language, term=name, definition=definition,
                                               sort_key=fold(name)[:200]))
            changed = True
        elif (text.term, text.definition) != (name, definition):
            text.term, text.definition, text.sort_key = name, definition, fold(name)[:200]
            changed = True
    for language, text in current.items():
        if language not in source.terms:
            term.texts.remove(text)
            changed = True
    return changed
