"""The glossary: imported from glossary.toml with the courses (all or nothing,
idempotent, archived not deleted), shown alphabetically in the reader's
language with anchors, and listed on the lessons that use its terms."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from library_support import course_with_links, lesson_file, write_glossary
from lms.config import ROOT
from lms.content.errors import ContentError
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.glossary.models import GlossaryTerm, GlossaryTermText

TERMS = [
    ("value-chain", {"es": "Cadena de valor", "en": "Value chain"},
     {"es": "Actividades por las que pasa un producto.", "en": "Activities a product goes through."}),
    ("s3", {"es": "Especialización inteligente (S3)", "en": "Smart specialisation (S3)"},
     {"es": "Enfoque de política de innovación.", "en": "An innovation policy approach."}),
    ("action-plan", {"es": "Plan de acción", "en": "Action plan"},
     {"es": "Acciones concretas con plazos.", "en": "Concrete actions with timelines."}),
    ("energy-transition", {"es": "Énfasis energético", "en": "Energy emphasis"},
     {"es": "Prioridad a la energía.", "en": "Priority on energy."}),
    ("only-english", {"en": "Binational"}, {"en": "Involving two countries."}),
]


def problems_of(root) -> list[str]:
    with pytest.raises(ContentError) as caught:
        import_courses(root)
    return [str(problem) for problem in caught.value.problems]


def page_terms(client, language: str) -> list[str]:
    html = client.get("/glossary/", headers={"Accept-Language": language}).get_data(as_text=True)
    return [re.sub(r"\s*<span.*", "", term) for term in re.findall(r"<dt>(.*?)</dt>", html)]


@pytest.fixture()
def glossary(tmp_path):
    course_with_links(tmp_path, glossary=["s3", "value-chain"])
    write_glossary(tmp_path, TERMS)
    import_courses(tmp_path)
    return tmp_path


def test_import_is_idempotent_and_archives_removed_terms(glossary, client):
    assert db.session.scalar(select(func.count(GlossaryTerm.id))) == 5
    assert db.session.scalar(select(func.count(GlossaryTermText.id))) == 9
    assert not import_courses(glossary).changed

    write_glossary(glossary, [TERMS[0], TERMS[1], (TERMS[2][0], {"es": "Plan de acción", "en": "Plan of action"},
                                                   TERMS[2][2])])
    report = import_courses(glossary)
    assert report.changes["glossary terms updated"] == 1
    assert report.changes["glossary terms archived"] == 2
    assert db.session.scalar(select(func.count(GlossaryTerm.id))) == 5  # archived, not deleted
    assert page_terms(client, "en") == ["Plan of action", "Smart specialisation (S3)", "Value chain"]
    write_glossary(glossary, TERMS)
    assert import_courses(glossary).changes["glossary terms restored"] == 2


def test_page_is_alphabetical_in_the_readers_language_with_anchors(glossary, client):
    assert page_terms(client, "es") == ["Binational", "Cadena de valor", "Énfasis energético",
                                        "Especialización inteligente (S3)", "Plan de acción"]
    assert page_terms(client, "en") == ["Action plan", "Binational", "Energy emphasis",
                                        "Smart specialisation (S3)", "Value chain"]
    html = client.get("/glossary/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'id="term-s3"' in html and 'id="letter-E"' in html and 'href="#letter-E"' in html
    # The term without a Spanish text is shown in English, marked as such.
    assert re.search(r'id="term-only-english" lang="en"', html)
    assert "Actividades por las que pasa un producto." in html


def test_lesson_lists_its_terms_linking_to_the_glossary(glossary, client):
    html = client.get("/courses/linked-course/lessons/lesson-1-1",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    box = html[html.index("Terms in this lesson"):]
    box = box[:box.index("</aside>")]
    assert re.findall(r'href="/glossary/#term-([a-z0-9-]+)">([^<]+)</a>', box) == [
        ("s3", "Smart specialisation (S3)"), ("value-chain", "Value chain")]
    other = client.get("/courses/linked-course/lessons/lesson-1-2").get_data(as_text=True)
    assert "Terms in this lesson" not in other


def test_errors_name_file_and_line_and_nothing_is_imported(tmp_path):
    course_with_links(tmp_path, glossary=["no-such-term"])
    path = write_glossary(tmp_path, [TERMS[0], TERMS[0], ("Bad Id", {"es": "x"}, {"es": "y"}),
                                     ("half", {"es": "Mitad", "en": "Half"}, {"es": "Solo español."})],
                          extra='\n[[terms]]\nid = "typo"\nterm = { es = "T", en = "T" }\n'
                                'definition = { es = "D", en = "D" }\ndefinitoin = "x"\n')
    problems = "\n".join(problems_of(tmp_path))
    assert f"{path}:9: term id 'value-chain' is used twice (first at line 4)" in problems
    assert f"{path}:14: term id 'Bad Id' is not valid" in problems
    assert f"{path}:21: term 'half': the term and its definition must be written in the same languages" in problems
    assert f"{path}:27: unknown key 'definitoin'" in problems
    assert db.session.scalar(select(func.count(Course.id))) == 0
    assert db.session.scalar(select(func.count(GlossaryTerm.id))) == 0


def test_lessons_must_name_existing_terms(tmp_path):
    course_with_links(tmp_path, glossary=["no-such-term"])
    write_glossary(tmp_path, TERMS)
    problems = problems_of(tmp_path)
    lesson = lesson_file(tmp_path, "linked-course", "lesson-1-1", "en")
    assert f"{lesson}:3: glossary: 'no-such-term' is not a term of glossary.toml" in "\n".join(problems)


def test_toml_syntax_error_has_a_line(tmp_path):
    course_with_links(tmp_path)
    (tmp_path / "glossary.toml").write_text('[[terms]]\nid = "a"\nterm = { es = "x" \n', encoding="utf-8")
    problems = problems_of(tmp_path)
    assert any(p.startswith(f"{tmp_path / 'glossary.toml'}:3: TOML syntax error") for p in problems), problems


def test_shipped_glossary_imports_and_every_shipped_lesson_term_exists(client):
    report = import_courses(ROOT / "courses")
    assert report.changes["glossary terms created"] >= 15
    for text in db.session.scalars(select(GlossaryTermText)):
        assert text.term and text.definition
    languages = dict(db.session.execute(
        select(GlossaryTerm.key, func.count(GlossaryTermText.id)).join(GlossaryTermText)
        .group_by(GlossaryTerm.key)).all())
    assert set(languages.values()) == {2}, languages
    html = client.get("/courses/smart-specialisation/lessons/" + _first_lesson_with_terms(),
                      headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "/glossary/#term-" in html


def _first_lesson_with_terms() -> str:
    for path in sorted((ROOT / "courses" / "smart-specialisation").glob("*/*.es.md")):
        if "\nglossary = [" in path.read_text(encoding="utf-8"):
            return re.match(r"\d+-(.+)\.es\.md", path.name).group(1)
    raise AssertionError("no lesson of smart-specialisation names a glossary term")


def test_glossary_and_lesson_box_take_a_fixed_number_of_queries(tmp_path, client, count_queries):
    counts = {}
    for size in (3, 12):
        root = tmp_path / f"size-{size}"
        terms = [(f"term-{n}", {"es": f"Término {n}", "en": f"Term {n}"}, {"es": "Def.", "en": "Def."})
                 for n in range(size)]
        course_with_links(root, glossary=[key for key, _names, _definitions in terms])
        write_glossary(root, terms)
        import_courses(root)
        counts[size] = {}
        for name, url in (("glossary", "/glossary/"), ("lesson", "/courses/linked-course/lessons/lesson-1-1")):
            with count_queries() as queries:
                html = client.get(url).get_data(as_text=True)
            counts[size][name] = len(queries)
            assert html.count('href="/glossary/#term-term-') == (size if name == "lesson" else 0)
    assert counts[3] == counts[12], counts
    assert counts[12]["glossary"] <= 2, counts
