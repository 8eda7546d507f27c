"""Small builders that keep tests short: people, and courses written as files
and imported the way trainers' courses are."""
from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

from lms.auth.models import User, UserRole
from lms.content.importer import import_courses
from lms.extensions import db

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_user(*roles: str, email: str | None = None, name: str | None = None,
              password: str = PASSWORD, locale: str = "es", active: bool = True,
              region: str | None = None) -> User:
    n = next(_sequence)
    user = User(email=email or f"person{n}@example.org", name=name or f"Person {n}", locale=locale,
                active=active, region=region)
    user.set_password(password)
    user.role_rows = [UserRole(role=role) for role in (roles or ("learner",))]
    db.session.add(user)
    db.session.commit()
    return user


def write_course(root: Path, slug: str = "sample-course", *, languages=("es", "en"),
                 modules: int = 1, lessons: int = 2, tags: str = "", title: str | None = None,
                 lesson_languages=None, body: str | None = None, source_language: str = "es") -> Path:
    """Write a small, valid course under `root/slug` and return its folder."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    titles = "\n".join(f'{lang} = "{title or slug} ({lang})"' for lang in languages)
    summaries = "\n".join(f'{lang} = "Summary of {slug} in {lang}"' for lang in languages)
    (folder / "course.toml").write_text(textwrap.dedent(f"""\
        source_language = "{source_language}"
        hours = 4

        [title]
        {titles}

        [summary]
        {summaries}

        [tags]
        {tags or 'topics = ["innovation"]'}
        """), encoding="utf-8")
    for m in range(1, modules + 1):
        module_dir = folder / f"{m:02d}-module-{m}"
        module_dir.mkdir(exist_ok=True)
        module_titles = "\n".join(f'{lang} = "Module {m} ({lang})"' for lang in languages)
        (module_dir / "module.toml").write_text(f"[title]\n{module_titles}\n", encoding="utf-8")
        for n in range(1, lessons + 1):
            for lang in (lesson_languages or languages):
                text = body if body is not None else f"## Part {n}\n\nLesson {m}.{n} text in {lang}.\n"
                (module_dir / f"{n:02d}-lesson-{m}-{n}.{lang}.md").write_text(
                    f'+++\ntitle = "Lesson {m}.{n} ({lang})"\nminutes = 5\n+++\n{text}', encoding="utf-8")
    return folder


def make_course(root: Path, slug: str = "sample-course", **kwargs):
    """Write a course and import it; returns the import report."""
    write_course(root, slug, **kwargs)
    return import_courses(root)
