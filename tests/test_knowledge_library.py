"""The knowledge repository as readers use it: search (accents and case
ignored, both languages), filters, the entry page in the reader's language,
links between lessons and entries, and a fixed number of queries."""
from __future__ import annotations

import re

import pytest

from library_support import course_with_links, write_entry
from lms.config import ROOT
from lms.content.importer import import_courses
from lms.knowledge.service import search_words

ENERGY_ES = "## Contexto\n\nLa cooperación transfronteriza en energía solar une a los productores.\n"
ENERGY_EN = "## Context\n\nCross-border collaboration on solar power brings producers together.\n"
COCOA_ES = "## Contexto\n\nEl cacao fino de aroma se promociona en común.\n"
COCOA_EN = "## Context\n\nFine flavour cocoa is promoted jointly.\n"


@pytest.fixture()
def library(tmp_path):
    course_with_links(tmp_path, knowledge=["solar-cooperation"])
    common = {"lessons": ["linked-course/lesson-1-2"]}
    write_entry(tmp_path, "solar-cooperation", "es", title="Energía solar compartida", body=ENERGY_ES,
                kind="case", regions=["mx-gt"], value_chains=["energy"], topics=["cross-border-cooperation"],
                sdgs=[7], **common)
    write_entry(tmp_path, "solar-cooperation", "en", title="Shared solar power", body=ENERGY_EN,
                kind="case", regions=["mx-gt"], value_chains=["energy"], topics=["cross-border-cooperation"],
                sdgs=[7], **common)
    write_entry(tmp_path, "cocoa-promotion", "es", title="Promoción conjunta del cacao", body=COCOA_ES,
                kind="action-plan", regions=["ec-co"], value_chains=["cocoa"], topics=["governance"], sdgs=[8])
    write_entry(tmp_path, "cocoa-promotion", "en", title="Joint promotion of cocoa", body=COCOA_EN,
                kind="action-plan", regions=["ec-co"], value_chains=["cocoa"], topics=["governance"], sdgs=[8])
    write_entry(tmp_path, "only-spanish", "es", title="Solo en español", kind="case", regions=["pe-co"],
                body="## Contexto\n\nTexto únicamente en castellano.\n")
    import_courses(tmp_path)
    return tmp_path


def titles(client, query: str, language: str = "en") -> set[str]:
    html = client.get(f"/knowledge/?{query}", headers={"Accept-Language": language}).get_data(as_text=True)
    return set(re.findall(r'<h2><a href="/knowledge/[^"]+">([^<]+)</a></h2>', html))


def test_search_words_are_folded():
    assert search_words("  Energía   SOLAR ") == ["energia", "solar"]
    assert search_words("") == []


@pytest.mark.parametrize("query", ["energía", "energia", "ENERGIA", "Energía solar", "cooperación", "cooperacion"])
def test_spanish_words_find_the_entry_with_or_without_accents(client, library, query):
    assert titles(client, f"q={query}", "es") == {"Energía solar compartida"}
    # An English reader searching in Spanish finds it too (shown in English).
    assert titles(client, f"q={query}", "en") == {"Shared solar power"}


@pytest.mark.parametrize("query", ["solar power", "Collaboration", "producers"])
def test_english_words_find_the_entry_in_both_languages(client, library, query):
    assert titles(client, f"q={query}", "en") == {"Shared solar power"}
    assert titles(client, f"q={query}", "es") == {"Energía solar compartida"}


def test_search_covers_tag_names_and_misses_unrelated_words(client, library):
    assert titles(client, "q=fine+flavour", "en") == {"Joint promotion of cocoa"}
    assert titles(client, "q=castellano", "en") == {"Solo en español"}
    assert titles(client, "q=hydrogen", "en") == set()
    assert titles(client, "q=100%25", "en") == set()  # LIKE wildcards are plain characters
    assert titles(client, "q=solar+cocoa", "en") == set()  # every word must match


def test_filters_by_region_value_chain_topic_sdg_and_kind(client, library):
    assert titles(client, "region=mx-gt") == {"Shared solar power"}
    assert titles(client, "value_chain=cocoa") == {"Joint promotion of cocoa"}
    assert titles(client, "topic=governance") == {"Joint promotion of cocoa"}
    assert titles(client, "sdg=7") == {"Shared solar power"}
    assert titles(client, "kind=action-plan") == {"Joint promotion of cocoa"}
    assert titles(client, "kind=case") == {"Shared solar power", "Solo en español"}
    assert titles(client, "kind=case&region=ec-co") == set()
    assert titles(client, "") == {"Shared solar power", "Joint promotion of cocoa", "Solo en español"}
    html = client.get("/knowledge/?kind=case&region=mx-gt", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option value="case" selected>' in html and '<option value="mx-gt" selected>' in html


def test_entry_page_in_the_readers_language_with_tags_and_lessons(client, library):
    english = client.get("/knowledge/solar-cooperation", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Shared solar power</h1>" in english and "not yet available in your language" not in english
    assert "Energy" in english and "Mexico–Guatemala" in english and "SDG 7" in english
    assert 'href="/knowledge/?region=mx-gt"' in english
    # Both lessons that discuss it: the one that names it and the one it names.
    assert "/courses/linked-course/lessons/lesson-1-1" in english
    assert "/courses/linked-course/lessons/lesson-1-2" in english
    spanish = client.get("/knowledge/solar-cooperation", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "<h1>Energía solar compartida</h1>" in spanish

    only = client.get("/knowledge/only-spanish", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>Solo en español</h1>" in only and 'lang="es"' in only
    assert "This text is not yet available in your language" in only


def test_lesson_pages_link_to_their_entries(client, library):
    named = client.get("/courses/linked-course/lessons/lesson-1-1", headers={"Accept-Language": "en"})
    html = named.get_data(as_text=True)
    assert 'href="/knowledge/solar-cooperation">Shared solar power</a>' in html
    naming = client.get("/courses/linked-course/lessons/lesson-1-2", headers={"Accept-Language": "es"})
    assert 'href="/knowledge/solar-cooperation">Energía solar compartida</a>' in naming.get_data(as_text=True)
    assert "/knowledge/cocoa-promotion" not in html


def test_shipped_entries_are_found_with_and_without_accents_in_both_languages(client):
    import_courses(ROOT / "courses")
    for query in ("energía", "energia", "cooperación", "cooperacion"):
        for language in ("es", "en"):
            found = titles(client, f"q={query}", language)
            assert found, (query, language)
    assert titles(client, "q=energia", "en") == titles(client, "q=energía", "en") == \
        titles(client, "q=energy", "en")
    lesson = client.get("/courses/value-chains/lessons/peru-chile-smart-agriculture-plan",
                        headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/knowledge/binational-market-platform" in lesson
    entry = client.get("/knowledge/binational-market-platform", headers={"Accept-Language": "en"})
    assert "/courses/value-chains/lessons/peru-chile-smart-agriculture-plan" in entry.get_data(as_text=True)


def _grow(root, size: int) -> None:
    course_with_links(root, knowledge=[f"entry-{n}" for n in range(size)], lessons=size + 1)
    for n in range(size):
        for language in ("es", "en"):
            write_entry(root, f"entry-{n}", language, title=f"Entrada {n} ({language})", regions=["pe-cl", "mx-gt"],
                        topics=["governance"], sdgs=[7, 9],
                        lessons=[f"linked-course/lesson-1-{k}" for k in range(2, size + 2)])
    import_courses(root)


def test_pages_take_a_fixed_number_of_queries(tmp_path, client, count_queries):
    counts = {}
    for size in (2, 9):
        _grow(tmp_path / f"size-{size}", size)
        pages = {"index": "/knowledge/", "search": "/knowledge/?q=Entrada&region=pe-cl&kind=case",
                 "entry": "/knowledge/entry-1", "lesson": "/courses/linked-course/lessons/lesson-1-1"}
        counts[size] = {}
        for name, url in pages.items():
            with count_queries() as queries:
                response = client.get(url, headers={"Accept-Language": "en"})
            assert response.status_code == 200, url
            counts[size][name] = len(queries)
        assert len(titles(client, "q=Entrada&region=pe-cl&kind=case")) == size
        html = client.get("/knowledge/entry-1").get_data(as_text=True)
        assert html.count("/courses/linked-course/lessons/lesson-1-") == size + 1  # the lessons it names, and 1-1
    assert counts[2] == counts[9], counts
    assert counts[9]["index"] <= 4 and counts[9]["search"] <= 4 and counts[9]["entry"] <= 5, counts
