"""Both catalogs are complete and current: a string added to the code without
a Spanish (or English) translation fails here, with the list of what is missing.

To fix: `make i18n`, then translate the new entries in
translations/es/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def load(path: Path, locale: str | None = None):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    target = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2", "--no-location", "-o", str(target), "."],
        cwd=ROOT, check=True, capture_output=True)
    return {message.id for message in load(target) if message.id}


def test_template_is_current(extracted):
    committed = {message.id for message in load(ROOT / "translations" / "messages.pot") if message.id}
    missing = sorted(map(str, extracted - committed))
    assert not missing, "strings missing from messages.pot (run `make i18n`):\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["es", "en"])
def test_catalog_is_complete(extracted, locale):
    catalog = load(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", locale)
    translated = {}
    for message in catalog:
        if message.id and "fuzzy" not in message.flags:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(strings):
                translated[message.id] = strings
    untranslated = sorted(str(mid) for mid in extracted if mid not in translated)
    assert not untranslated, f"{len(untranslated)} strings without a {locale} translation:\n" + "\n".join(untranslated[:60])


@pytest.mark.parametrize("locale", ["es", "en"])
def test_placeholders_match(locale):
    catalog = load(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", locale)
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = {m for text in ids for m in PLACEHOLDER.findall(text)}
        for text in strings:
            if text and {m for m in PLACEHOLDER.findall(text)} - expected:
                wrong.append(f"{ids[0]!r} -> {text!r}")
            elif text and len(ids) == 1 and set(PLACEHOLDER.findall(text)) != expected:
                wrong.append(f"{ids[0]!r} -> {text!r}")
    assert not wrong, "placeholders differ from the original:\n" + "\n".join(wrong)


def test_spanish_pages_are_in_spanish(client):
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Cursos" in html and "Iniciar sesión" in html
