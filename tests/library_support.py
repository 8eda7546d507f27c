"""Builders for the knowledge, glossary and prospectus tests: files written
beside a small course, the way trainers ship them."""
from __future__ import annotations

from pathlib import Path

from factories import write_course


def toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in values) + "]"


def write_entry(root: Path, slug: str, language: str, *, title: str | None = None, body: str | None = None,
                kind: str = "case", regions=("pe-cl",), value_chains=(), topics=(), sdgs=(), lessons=(),
                extra: str = "") -> Path:
    folder = root / "knowledge"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.{language}.md"
    front = [f'title = "{title or f"{slug} ({language})"}"', f'kind = "{kind}"',
             f"regions = {toml_list(regions)}", f"value_chains = {toml_list(value_chains)}",
             f"topics = {toml_list(topics)}", f"sdgs = {toml_list(sdgs)}", f"lessons = {toml_list(lessons)}"]
    if extra:
        front.append(extra)
    text = body if body is not None else f"## Context\n\nText of {slug} in {language}.\n"
    path.write_text("+++\n" + "\n".join(front) + "\n+++\n" + text, encoding="utf-8")
    return path


def write_glossary(root: Path, terms: list[tuple[str, dict[str, str], dict[str, str]]], extra: str = "") -> Path:
    """terms: (id, {lang: term}, {lang: definition})."""
    blocks = []
    for key, names, definitions in terms:
        name_table = ", ".join(f'{lang} = "{text}"' for lang, text in names.items())
        definition_table = ", ".join(f'{lang} = "{text}"' for lang, text in definitions.items())
        blocks.append(f'[[terms]]\nid = "{key}"\nterm = {{ {name_table} }}\ndefinition = {{ {definition_table} }}\n')
    path = root / "glossary.toml"
    path.write_text("# Glossary\n\n" + "\n".join(blocks) + extra, encoding="utf-8")
    return path


def lesson_file(root: Path, course: str, lesson: str, language: str) -> Path:
    module = lesson.split("-")[1]
    number = int(lesson.split("-")[2])
    return root / course / f"{int(module):02d}-module-{module}" / f"{number:02d}-{lesson}.{language}.md"


def set_front(path: Path, **values) -> None:
    """Add keys to a lesson's front matter (after its title line)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    extra = [f"{key} = {toml_list(value) if isinstance(value, (list, tuple)) else value}"
             for key, value in values.items()]
    path.write_text("\n".join(lines[:2] + extra + lines[2:]), encoding="utf-8")


def course_with_links(root: Path, *, glossary=(), knowledge=(), lessons: int = 2, slug: str = "linked-course"):
    """A two-lesson course whose first lesson names glossary terms and knowledge entries."""
    write_course(root, slug, lessons=lessons)
    for language in ("es", "en"):
        values = {}
        if glossary:
            values["glossary"] = list(glossary)
        if knowledge:
            values["knowledge"] = list(knowledge)
        if values:
            set_front(lesson_file(root, slug, "lesson-1-1", language), **values)
    return root / slug
