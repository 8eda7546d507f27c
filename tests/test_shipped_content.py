"""What the shipped courses promise beyond importing cleanly (covered in
test_content_import.py and test_quiz_import.py): every module and lesson in
both languages, and the two versions of a lesson built alike."""
from __future__ import annotations

import re

import pytest

from lms.config import ROOT
from lms.content.loader import load_courses

COURSES = load_courses(ROOT / "courses")
LESSONS = [(course.slug, lesson) for course in COURSES for module in course.modules for lesson in module.lessons]


def test_every_module_has_title_and_summary_in_both_languages():
    assert len(COURSES) >= 4
    for course in COURSES:
        assert set(course.titles) == set(course.summaries) == {"es", "en"}, course.slug
        for module in course.modules:
            assert set(module.titles) == set(module.summaries) == {"es", "en"}, (course.slug, module.key)


@pytest.mark.parametrize("slug,lesson", LESSONS, ids=[f"{slug}/{lesson.key}" for slug, lesson in LESSONS])
def test_both_versions_of_a_lesson_are_built_alike(slug, lesson):
    assert set(lesson.variants) == {"es", "en"}
    spanish, english = lesson.variants["es"], lesson.variants["en"]
    # The same glossary terms, knowledge entries and reading time...
    assert sorted(spanish.glossary) == sorted(english.glossary)
    assert sorted(spanish.knowledge) == sorted(english.knowledge)
    assert spanish.minutes == english.minutes
    # ...and the same outline: sections, tables and lists line up between the languages.
    for pattern in (r"^## ", r"^### ", r"^\|\s*-", r"^\d+\. "):
        assert len(re.findall(pattern, spanish.body, re.M)) == len(re.findall(pattern, english.body, re.M)), pattern
