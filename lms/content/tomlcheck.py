"""Small checks shared by the files read beside the courses (glossary,
knowledge entries, prospectus templates): every problem names its line."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lms.content.loader import _Problems, find_line


def array_table_lines(source: str, name: str) -> list[int]:
    """The line of each `[[name]]` header, in order (tomllib gives no positions)."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
    return [number for number, line in enumerate(source.splitlines(), start=1) if pattern.match(line)]


def key_line(source: str, key: str, start: int | None, end: int | None = None) -> int | None:
    """The line that sets `key` inside a block starting at `start` (before `end`)."""
    line = find_line(source, key, start or 1)
    if line is None or (end is not None and line >= end):
        return start
    return line


def unknown_keys(table: dict, allowed: set[str], path: Path | str, source: str, problems: _Problems,
                 start: int | None, end: int | None = None, where: str = "") -> None:
    for key in table:
        if key not in allowed:
            problems.add(path, key_line(source, key, start, end),
                         f"{where}unknown key '{key}' (expected {', '.join(sorted(allowed))})")


def language_texts(value: Any, key: str, path: Path | str, line: int | None, problems: _Problems,
                   languages: tuple[str, ...], required: bool = True, where: str = "") -> dict[str, str]:
    """`{ es = "...", en = "..." }` -> {language: text}, or problems."""
    if value is None:
        if required:
            problems.add(path, line, f"{where}missing {key} = {{ es = \"...\", en = \"...\" }}")
        return {}
    if not isinstance(value, dict):
        problems.add(path, line, f"{where}{key} must be a table of languages, like "
                                 f"{key} = {{ es = \"...\", en = \"...\" }}")
        return {}
    result = {}
    for language, text in value.items():
        if language not in languages:
            problems.add(path, line, f"{where}{key}: unknown language '{language}' "
                                     f"(expected one of {', '.join(languages)})")
        elif not isinstance(text, str) or not text.strip():
            problems.add(path, line, f"{where}{key}.{language} must be non-empty text")
        else:
            result[language] = text.strip()
    if required and not value:
        problems.add(path, line, f"{where}{key} has no text in any language")
    return result
