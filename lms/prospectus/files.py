"""courses/<slug>/prospectus-template.toml: read and checked with the courses,
written in the same transaction (lms.content.importer.TREE_STEPS).

```toml
[title]
es = "..."
en = "..."

[intro]                      # optional
es = "..."
en = "..."

[[sections]]
id = "project-summary"       # stable: learners' answers hang on it
title = { es = "...", en = "..." }
guidance = { es = "...", en = "..." }   # optional
required = true              # optional, default false: needed to send for review
max_chars = 1000             # optional, default 2000
```
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from lms.content.errors import ContentError
from lms.content.loader import ID_RE, CourseSource, _Problems, read_toml
from lms.content.models import Course
from lms.content.tomlcheck import array_table_lines, key_line, language_texts, unknown_keys
from lms.extensions import db
from lms.prospectus.models import ProspectusTemplate, SectionSpec
from lms.timeutil import utcnow

FILE_NAME = "prospectus-template.toml"
LANGUAGES = ("es", "en")
TOP_KEYS = {"title", "intro", "sections"}
SECTION_KEYS = {"id", "title", "guidance", "required", "max_chars"}
DEFAULT_MAX_CHARS = 2000
MAX_CHARS_LIMIT = 20000


@dataclass
class TemplateSource:
    key: str
    titles: dict[str, str]
    intros: dict[str, str]
    sections: list[SectionSpec] = field(default_factory=list)


def read_template(path: Path, key: str, problems: _Problems,
                  languages: tuple[str, ...] = LANGUAGES) -> TemplateSource | None:
    data, source = read_toml(path, problems)
    if data is None:
        return None
    first_section = (array_table_lines(source, "sections") or [None])[0]
    unknown_keys(data, TOP_KEYS, path, source, problems, 1, first_section)
    titles = language_texts(data.get("title"), "title", path, key_line(source, "title", 1, first_section),
                            problems, languages)
    intros = language_texts(data.get("intro"), "intro", path, key_line(source, "intro", 1, first_section),
                            problems, languages, required=False)
    template = TemplateSource(key=key, titles=titles, intros=intros)
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections or not all(isinstance(item, dict) for item in sections):
        problems.add(path, first_section or 1, "the template needs at least one [[sections]] table")
        return template
    lines = array_table_lines(source, "sections")
    seen: dict[str, int | None] = {}
    for index, item in enumerate(sections):
        start = lines[index] if index < len(lines) else None
        end = lines[index + 1] if index + 1 < len(lines) else None
        unknown_keys(item, SECTION_KEYS, path, source, problems, start, end)
        section_id = item.get("id")
        id_line = key_line(source, "id", start, end)
        if not isinstance(section_id, str) or not ID_RE.match(section_id):
            problems.add(path, id_line,
                         f"section id {section_id!r} is not valid (lowercase words joined by '-')")
            continue
        if section_id in seen:
            problems.add(path, id_line,
                         f"section id '{section_id}' is used twice (first at line {seen[section_id]})")
            continue
        seen[section_id] = id_line
        where = f"section '{section_id}': "
        section_titles = language_texts(item.get("title"), "title", path,
                                        key_line(source, "title", start, end), problems, languages,
                                        where=where)
        guidance = language_texts(item.get("guidance"), "guidance", path,
                                  key_line(source, "guidance", start, end), problems, languages,
                                  required=False, where=where)
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.add(path, key_line(source, "required", start, end),
                         f"{where}required must be true or false")
            required = False
        max_chars = item.get("max_chars", DEFAULT_MAX_CHARS)
        if isinstance(max_chars, bool) or not isinstance(max_chars, int) \
                or not 1 <= max_chars <= MAX_CHARS_LIMIT:
            problems.add(path, key_line(source, "max_chars", start, end),
                         f"{where}max_chars must be a whole number from 1 to {MAX_CHARS_LIMIT}")
            max_chars = DEFAULT_MAX_CHARS
        template.sections.append(SectionSpec(id=section_id, titles=section_titles, guidance=guidance,
                                             required=required, max_chars=max_chars))
    return template


def validate_templates(root: Path, courses: list[CourseSource]) -> dict[str, TemplateSource | None]:
    """Per course in the tree: its template, or None (an earlier one is then archived)."""
    problems = _Problems()
    result: dict[str, TemplateSource | None] = {}
    for course in courses:
        path = Path(course.path).parent / FILE_NAME
        result[course.slug] = read_template(path, course.slug, problems) if path.is_file() else None
    if problems.items:
        raise ContentError(problems.items)
    return result


def apply_templates(templates: dict[str, TemplateSource | None], courses: list[CourseSource], report) -> None:
    if not templates:
        return
    now = utcnow()
    existing = {template.key: template for template in db.session.scalars(
        select(ProspectusTemplate).where(ProspectusTemplate.key.in_(list(templates))))}
    course_ids = dict(db.session.execute(
        select(Course.slug, Course.id).where(Course.slug.in_(list(templates)))).all())
    for key, source in templates.items():
        template = existing.get(key)
        if source is None:
            if template is not None and template.archived_at is None:
                template.archived_at = now
                report.count("prospectus templates archived")
            continue
        values = {"course_id": course_ids.get(key), "titles": source.titles, "intros": source.intros,
                  "sections": [spec.to_json() for spec in source.sections]}
        if template is None:
            db.session.add(ProspectusTemplate(key=key, created_at=now, updated_at=now, **values))
            report.count("prospectus templates created")
            continue
        changed = any(getattr(template, name) != value for name, value in values.items())
        for name, value in values.items():
            if getattr(template, name) != value:
                setattr(template, name, value)
        if template.archived_at is not None:
            template.archived_at = None
            report.count("prospectus templates restored")
        elif changed:
            report.count("prospectus templates updated")
        else:
            report.count("prospectus templates unchanged")
        if changed:
            template.updated_at = now
