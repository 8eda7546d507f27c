"""Read `courses/` into plain objects, collecting every problem found.

Nothing here touches the database: the importer only writes once the whole
tree has been read without a single problem.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lms.content.errors import ContentError, ContentProblem
from lms.content.vocab import SDG_RANGE, TAG_KINDS

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MODULE_DIR_RE = re.compile(r"^(\d+)-(.+)$")
LESSON_FILE_RE = re.compile(r"^(\d+)-(.+)\.([a-z]{2})\.md$")
FRONT = "+++"


@dataclass
class LessonVariantSource:
    path: str
    title: str
    body: str
    minutes: int | None = None
    glossary: list[str] = field(default_factory=list)
    knowledge: list[str] = field(default_factory=list)


@dataclass
class LessonSource:
    key: str
    position: int
    variants: dict[str, LessonVariantSource] = field(default_factory=dict)


@dataclass
class ModuleSource:
    key: str
    position: int
    path: str
    titles: dict[str, str]
    summaries: dict[str, str]
    required_lessons: list[str] | None
    quiz_required: bool
    lessons: list[LessonSource] = field(default_factory=list)
    quiz_path: str | None = None
    quiz: Any = None  # the parsed quiz, when the quiz engine reads one


@dataclass
class CourseSource:
    slug: str
    path: str
    source_language: str
    hours: float | None
    titles: dict[str, str]
    summaries: dict[str, str]
    tags: dict[str, list[str]]
    modules: list[ModuleSource] = field(default_factory=list)


class _Problems:
    def __init__(self) -> None:
        self.items: list[ContentProblem] = []

    def add(self, path: Path | str, line: int | None, message: str) -> None:
        self.items.append(ContentProblem(display_path(path), line, message))


def display_path(path: Path | str) -> str:
    """Relative to the working folder when inside it, as a trainer would type it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def find_line(source: str, key: str, start: int = 1) -> int | None:
    """The first line at or after `start` that sets or opens `key`: tomllib
    gives no positions, so errors about keys are placed by reading the text."""
    pattern = re.compile(rf"^\s*(\[+\s*)?{re.escape(key)}\b")
    for number, line in enumerate(source.splitlines(), start=1):
        if number >= start and pattern.match(line):
            return number
    return None


def _toml_error_line(error: tomllib.TOMLDecodeError) -> int | None:
    match = re.search(r"line (\d+)", str(error))
    return int(match.group(1)) if match else None


def read_toml(path: Path, problems: _Problems) -> tuple[dict | None, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problems.add(path, None, f"not valid UTF-8 ({error.reason} at byte {error.start})")
        return None, ""
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        problems.add(path, _toml_error_line(error), f"TOML syntax error: {error}")
        return None, text


def _language_table(data: dict, key: str, path: Path, source: str, problems: _Problems,
                    languages: tuple[str, ...], required: tuple[str, ...]) -> dict[str, str]:
    value = data.get(key)
    line = find_line(source, key)
    if value is None:
        if required:
            problems.add(path, line, f"missing [{key}] with a text per language")
        return {}
    if not isinstance(value, dict):
        problems.add(path, line, f"{key} must be a table of languages, like {key} = {{ es = \"...\", en = \"...\" }}")
        return {}
    result = {}
    for language, text in value.items():
        if language not in languages:
            problems.add(path, find_line(source, language, line or 1),
                         f"{key}: unknown language '{language}' (expected one of {', '.join(languages)})")
        elif not isinstance(text, str) or not text.strip():
            problems.add(path, find_line(source, language, line or 1), f"{key}.{language} must be non-empty text")
        else:
            result[language] = text.strip()
    for language in required:
        if language not in result and language in languages and not any(
                p.message.startswith(f"{key}.{language}") for p in problems.items):
            problems.add(path, line, f"{key} has no text in '{language}'")
    return result


def load_courses(root: str | Path, languages: tuple[str, ...] = ("es", "en")) -> list[CourseSource]:
    """Every course under `root` (a folder with a course.toml), or ContentError."""
    root = Path(root)
    problems = _Problems()
    if not root.is_dir():
        raise ContentError([ContentProblem(str(root), None, "is not a folder")])
    folders = [root] if (root / "course.toml").is_file() else sorted(
        p for p in root.iterdir() if p.is_dir() and (p / "course.toml").is_file())
    courses = [_load_course(folder, problems, languages) for folder in folders]
    if problems.items:
        raise ContentError(problems.items)
    return [course for course in courses if course is not None]


def _load_course(folder: Path, problems: _Problems, languages: tuple[str, ...]) -> CourseSource | None:
    path = folder / "course.toml"
    slug = folder.name
    if not ID_RE.match(slug):
        problems.add(folder, None, f"course folder name '{slug}' is not a valid id (lowercase words joined by '-')")
    data, source = read_toml(path, problems)
    if data is None:
        return None
    source_language = data.get("source_language")
    if source_language not in languages:
        problems.add(path, find_line(source, "source_language"),
                     f"source_language must be one of {', '.join(languages)}")
        source_language = languages[0]
    hours = data.get("hours")
    if hours is not None and (not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0):
        problems.add(path, find_line(source, "hours"), "hours must be a positive number")
        hours = None
    titles = _language_table(data, "title", path, source, problems, languages, (source_language,))
    summaries = _language_table(data, "summary", path, source, problems, languages, (source_language,))
    tags = _read_tags(data.get("tags", {}), path, source, problems)
    course = CourseSource(slug=slug, path=str(path), source_language=source_language,
                          hours=float(hours) if hours else None, titles=titles,
                          summaries=summaries, tags=tags)
    module_keys: set[str] = set()
    lesson_keys: set[str] = set()
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir():
            continue
        match = MODULE_DIR_RE.match(entry.name)
        if not match:
            problems.add(entry, None, "a module folder must be named NN-module-id, like 01-border-areas")
            continue
        module = _load_module(entry, int(match.group(1)), match.group(2), problems, languages, lesson_keys)
        if module is None:
            continue
        if module.key in module_keys:
            problems.add(entry, None, f"module id '{module.key}' is used twice in this course")
        module_keys.add(module.key)
        course.modules.append(module)
    if not course.modules:
        problems.add(folder, None, "the course has no modules")
    return course


def _read_tags(tags: Any, path: Path, source: str, problems: _Problems) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {"topics": [], "regions": [], "value_chains": [], "sdgs": []}
    if not isinstance(tags, dict):
        problems.add(path, find_line(source, "tags"), "[tags] must be a table")
        return result
    for kind, values in tags.items():
        line = find_line(source, kind)
        if kind not in result:
            problems.add(path, line, f"unknown tag kind '{kind}' (expected {', '.join(result)})")
            continue
        if not isinstance(values, list):
            problems.add(path, line, f"tags.{kind} must be a list")
            continue
        for value in values:
            if kind == "sdgs":
                if not isinstance(value, int) or value not in SDG_RANGE:
                    problems.add(path, line, f"tags.sdgs: {value!r} is not an SDG number from 1 to 17")
                    continue
                result[kind].append(str(value))
            elif value not in TAG_KINDS[kind]:
                problems.add(path, line, f"tags.{kind}: unknown code {value!r} (known: {', '.join(TAG_KINDS[kind])})")
            else:
                result[kind].append(value)
    return result


def _load_module(folder: Path, position: int, key: str, problems: _Problems,
                 languages: tuple[str, ...], lesson_keys: set[str]) -> ModuleSource | None:
    if not ID_RE.match(key):
        problems.add(folder, None, f"module id '{key}' is not valid (lowercase words joined by '-')")
    path = folder / "module.toml"
    if not path.is_file():
        problems.add(folder, None, "module.toml is missing")
        return None
    data, source = read_toml(path, problems)
    if data is None:
        return None
    titles = _language_table(data, "title", path, source, problems, languages, ())
    if not titles:
        problems.add(path, find_line(source, "title"), "the module needs a title in at least one language")
    summaries = _language_table(data, "summary", path, source, problems, languages, ())
    completion = data.get("completion", {})
    required_lessons = None
    quiz_required = True
    if not isinstance(completion, dict):
        problems.add(path, find_line(source, "completion"), "[completion] must be a table")
    else:
        required_lessons = completion.get("lessons")
        quiz_required = completion.get("quiz", True)
        if required_lessons is not None and (not isinstance(required_lessons, list) or not all(
                isinstance(item, str) for item in required_lessons)):
            problems.add(path, find_line(source, "lessons"), "completion.lessons must be a list of lesson ids")
            required_lessons = None
        if not isinstance(quiz_required, bool):
            problems.add(path, find_line(source, "quiz"), "completion.quiz must be true or false")
            quiz_required = True
    module = ModuleSource(key=key, position=position, path=str(path), titles=titles,
                          summaries=summaries, required_lessons=required_lessons,
                          quiz_required=quiz_required)
    lessons: dict[str, LessonSource] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name in {"module.toml"} or entry.is_dir():
            continue
        if entry.name == "quiz.toml":
            module.quiz_path = str(entry)
            continue
        if entry.suffix != ".md":
            continue
        match = LESSON_FILE_RE.match(entry.name)
        if not match:
            problems.add(entry, None, "a lesson file must be named NN-lesson-id.LANG.md, like 01-why-borders.es.md")
            continue
        number, lesson_key, language = int(match.group(1)), match.group(2), match.group(3)
        if language not in languages:
            problems.add(entry, None, f"unknown language '{language}' (expected one of {', '.join(languages)})")
            continue
        if not ID_RE.match(lesson_key):
            problems.add(entry, None, f"lesson id '{lesson_key}' is not valid (lowercase words joined by '-')")
            continue
        lesson = lessons.get(lesson_key)
        if lesson is None:
            if lesson_key in lesson_keys:
                problems.add(entry, None, f"lesson id '{lesson_key}' is already used elsewhere in this course")
                continue
            lesson_keys.add(lesson_key)
            lesson = lessons[lesson_key] = LessonSource(key=lesson_key, position=number)
        elif lesson.position != number:
            problems.add(entry, None, f"the {language} file's number {number:02d} differs from the other language's {lesson.position:02d}")
        variant = _load_lesson_variant(entry, problems)
        if variant is not None:
            lesson.variants[language] = variant
    module.lessons = sorted(lessons.values(), key=lambda lesson: (lesson.position, lesson.key))
    if not module.lessons:
        problems.add(folder, None, "the module has no lessons")
    if required_lessons:
        known = {lesson.key for lesson in module.lessons}
        for missing in [key for key in required_lessons if key not in known]:
            problems.add(path, find_line(source, "lessons"),
                         f"completion.lessons names '{missing}', which is not a lesson of this module")
    return module


def split_front_matter(text: str) -> tuple[str, str, int]:
    """(front matter, body, line where the body starts); raises ValueError."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != FRONT:
        raise ValueError("the file must start with a '+++' line opening the front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() == FRONT:
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    raise ValueError("the front matter is not closed by a '+++' line")


def read_front_matter_file(path: Path, problems: _Problems) -> tuple[str, str, str, dict] | None:
    """(text, front matter, body, parsed front matter) of a Markdown file with
    TOML front matter, or None after recording the problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        problems.add(path, None, f"not valid UTF-8 ({error.reason} at byte {error.start})")
        return None
    try:
        front, body, _body_line = split_front_matter(text)
    except ValueError as error:
        problems.add(path, 1, str(error))
        return None
    try:
        meta = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        line = _toml_error_line(error)
        problems.add(path, line + 1 if line else None, f"front matter TOML syntax error: {error}")
        return None
    return text, front, body, meta


def _load_lesson_variant(path: Path, problems: _Problems) -> LessonVariantSource | None:
    read = read_front_matter_file(path, problems)
    if read is None:
        return None
    _text, front, body, meta = read
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.add(path, (find_line(front, "title") or 0) + 1, "the front matter needs a title")
        return None
    minutes = meta.get("minutes")
    if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0):
        problems.add(path, (find_line(front, "minutes") or 0) + 1, "minutes must be a positive whole number")
        minutes = None
    lists = {}
    for key in ("glossary", "knowledge"):
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.add(path, (find_line(front, key) or 0) + 1, f"{key} must be a list of ids")
            value = []
        lists[key] = value
    if not body.strip():
        problems.add(path, None, "the lesson has no text after the front matter")
    return LessonVariantSource(path=str(path), title=title.strip(), body=body.strip() + "\n",
                               minutes=minutes, **lists)
