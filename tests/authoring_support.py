"""Helpers for the authoring tests: courses with authors, and editor forms
filled in the way a browser sends them back."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from lms.authoring.models import CourseAuthor
from lms.content.models import Course, Lesson, LessonText
from lms.extensions import db
from lms.content.importer import import_courses
from factories import write_course
from pages import Page, page


QUIZ_TOML = """\
pass_mark = 50

[title]
es = "Cuestionario"
en = "Quiz"

[[questions]]
id = "capital"
type = "single"
text = { es = "¿Capital del Perú?", en = "Capital of Peru?" }

  [[questions.choices]]
  id = "a"
  text = { es = "Lima", en = "Lima" }
  fraction = 1.0

  [[questions.choices]]
  id = "b"
  text = { es = "Cusco", en = "Cusco" }
  fraction = 0.0

[[questions]]
id = "border"
type = "truefalse"
text = { es = "Tacna limita con Arica.", en = "Tacna borders Arica." }
answer = true
"""


def authored_course(root, owner, slug: str = "authored", quiz: bool = False, **kwargs) -> Course:
    """An imported course owned by `owner` (with a quiz in every module when asked)."""
    folder = write_course(root, slug, **kwargs)
    if quiz:
        for module_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            (module_dir / "quiz.toml").write_text(QUIZ_TOML, encoding="utf-8")
    import_courses(root)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    db.session.add(CourseAuthor(course_id=course.id, user_id=owner.id, role="owner"))
    db.session.commit()
    return course


def textarea(parsed: Page, name: str) -> str:
    element = parsed.find("textarea", name=name)
    assert element is not None, f"no textarea {name}"
    text = element.text
    # A browser drops the newline that follows <textarea>.
    if text.startswith("\r\n"):
        text = text[2:]
    elif text.startswith("\n"):
        text = text[1:]
    return text


def editor_fields(response) -> dict[str, str]:
    """What the editor form would send back unchanged: titles, texts, bases, minutes."""
    parsed = page(response)
    fields: dict[str, str] = {}
    for language in ("es", "en"):
        fields[f"title_{language}"] = parsed.field_value(f"title_{language}") or ""
        fields[f"text_{language}"] = textarea(parsed, f"text_{language}")
        fields[f"base_{language}"] = parsed.field_value(f"base_{language}") or ""
    minutes = parsed.find("input", name="minutes")
    if minutes is not None:
        fields["minutes"] = minutes.get("value") or ""
    return fields


def published_body(slug: str, key: str, language: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(LessonText.body_markdown).join(Lesson).join(Course, Course.id == Lesson.course_id)
                             .where(Course.slug == slug, Lesson.key == key, LessonText.language == language))


def image_bytes(fmt: str = "PNG", size=(40, 30), color="teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()
