"""Checks that lessons name things that exist (glossary terms, knowledge
entries), reported at the lesson file's front-matter line."""
from __future__ import annotations

from pathlib import Path

from lms.content.loader import CourseSource, _Problems, find_line, split_front_matter


def front_matter_line(path: str, key: str) -> int | None:
    """The file line of `key` in a Markdown file's front matter."""
    try:
        front, _body, _start = split_front_matter(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    line = find_line(front, key)
    return line + 1 if line else None


def check_lesson_references(courses: list[CourseSource], attribute: str, known: set[str],
                            problems: _Problems, hint: str) -> None:
    """Every id a lesson lists under `attribute` ("glossary", "knowledge") must be in `known`."""
    for course in courses:
        for module in course.modules:
            for lesson in module.lessons:
                for variant in lesson.variants.values():
                    for ref in getattr(variant, attribute):
                        if ref not in known:
                            problems.add(variant.path, front_matter_line(variant.path, attribute),
                                         f"{attribute}: '{ref}' {hint}")
