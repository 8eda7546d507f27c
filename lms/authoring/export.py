"""Write a course back to the `courses/` format (docs/content-format.md).

What is exported is what learners see: the published texts of the active
modules and lessons (drafts stay in the database). The result is read back
with the course loader before it is handed out, so an export is always
importable.
"""
from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.authoring.revisions import AuthoringError
from lms.content.errors import ContentError
from lms.content.importer import EXTRA_STEPS
from lms.content.loader import load_courses
from lms.content.models import Course, Lesson, Module
from lms.extensions import db

TAG_ORDER = ("topics", "regions", "value_chains", "sdgs")


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, except DEL)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"cannot write {value!r} as TOML")


def _language_table(name: str, values: dict[str, str]) -> str:
    lines = [f"[{name}]"] + [f"{language} = {toml_string(text)}" for language, text in values.items() if text]
    return "\n".join(lines) + "\n"


def load_for_export(slug: str) -> Course | None:
    return _load(select(Course).where(Course.slug == slug))


def _load(statement) -> Course | None:
    return db.session.scalar(statement.options(
        selectinload(Course.texts), selectinload(Course.tags),
        selectinload(Course.modules).selectinload(Module.texts),
        selectinload(Course.modules).selectinload(Module.lessons).selectinload(Lesson.texts)))


def _ordered(languages: dict, source_language: str) -> list[str]:
    return sorted(languages, key=lambda lang: (lang != source_language, lang))


def write_course(course: Course, root: Path) -> Path:
    """Write the published course under root/<slug>; returns that folder."""
    texts = course.text_by_language()
    if course.source_language not in texts:
        raise AuthoringError(_l("Publish the course's title and summary before exporting it."))
    folder = root / course.slug
    folder.mkdir(parents=True)
    order = _ordered(texts, course.source_language)
    parts = [f"source_language = {toml_string(course.source_language)}"]
    if course.hours:
        parts.append(f"hours = {toml_value(float(course.hours))}")
    parts.append("")
    parts.append(_language_table("title", {lang: texts[lang].title for lang in order}))
    parts.append(_language_table("summary", {lang: texts[lang].summary for lang in order}))
    tags = ["[tags]"]
    for kind in TAG_ORDER:
        codes = course.tag_codes(kind)
        if kind == "sdgs":
            tags.append(f"{kind} = {toml_value(sorted(int(code) for code in codes))}")
        else:
            tags.append(f"{kind} = {toml_value(sorted(codes))}")
    parts.append("\n".join(tags) + "\n")
    (folder / "course.toml").write_text("\n".join(parts), encoding="utf-8")

    modules = [m for m in sorted(course.modules, key=lambda m: (m.position, m.id))
               if m.archived_at is None and m.texts]
    number = 0
    for module in modules:
        lessons = [lesson for lesson in sorted(module.lessons, key=lambda item: (item.position, item.id))
                   if lesson.archived_at is None and lesson.texts]
        if not lessons:
            continue  # learners see no module without lessons either
        number += 1
        _write_module(course, module, lessons, folder / f"{number:02d}-{module.key}")
    return folder


def _write_module(course: Course, module: Module, lessons: list[Lesson], folder: Path) -> None:
    folder.mkdir()
    texts = module.text_by_language()
    order = _ordered(texts, course.source_language)
    parts = [_language_table("title", {lang: texts[lang].title for lang in order})]
    summaries = {lang: texts[lang].summary for lang in order if texts[lang].summary}
    if summaries:
        parts.append(_language_table("summary", summaries))
    required = [key for key in (module.required_lessons or []) if key in {lesson.key for lesson in lessons}]
    if required or not module.quiz_required:
        completion = ["[completion]"]
        if required:
            completion.append(f"lessons = {toml_value(required)}")
        if not module.quiz_required:
            completion.append("quiz = false")
        parts.append("\n".join(completion) + "\n")
    (folder / "module.toml").write_text("\n".join(parts), encoding="utf-8")
    for number, lesson in enumerate(lessons, start=1):
        for language, text in sorted(lesson.text_by_language().items()):
            front = [f"title = {toml_string(text.title)}"]
            if lesson.minutes:
                front.append(f"minutes = {lesson.minutes}")
            if lesson.glossary_terms:
                front.append(f"glossary = {toml_value(list(lesson.glossary_terms))}")
            if lesson.knowledge_entries:
                front.append(f"knowledge = {toml_value(list(lesson.knowledge_entries))}")
            body = text.body_markdown.strip() + "\n"
            (folder / f"{number:02d}-{lesson.key}.{language}.md").write_text(
                "+++\n" + "\n".join(front) + "\n+++\n" + body, encoding="utf-8")
    from lms.authoring.quiz_editor import published_spec, spec_to_toml

    quiz = published_spec(module)
    if quiz is not None:
        (folder / "quiz.toml").write_text(spec_to_toml(quiz), encoding="utf-8")


def _checked(course: Course, root: Path) -> Path:
    folder = write_course(course, root)
    try:
        sources = load_courses(folder)
        for validate, _apply in EXTRA_STEPS:  # quiz.toml, read by the quiz package
            validate(sources)
    except ContentError as error:  # a bug here, not the trainer's doing: say what
        raise AuthoringError(_l("The exported files would not import: %(problems)s",
                                problems="; ".join(str(p) for p in error.problems[:5]))) from error
    return folder


def export_to(course: Course, target: Path, replace: bool = False) -> Path:
    """Write the course to target/<slug> (replacing it only when asked)."""
    destination = target / course.slug
    if destination.exists() and not replace:
        raise AuthoringError(_l("%(path)s already exists.", path=str(destination)))
    with tempfile.TemporaryDirectory() as temporary:
        folder = _checked(course, Path(temporary))
        target.mkdir(parents=True, exist_ok=True)
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(folder, destination)
    return destination


def export_zip(course: Course) -> bytes:
    """The course folder as a zip file (the folder is the archive's top level)."""
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        folder = _checked(course, root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root).as_posix())
        return buffer.getvalue()
