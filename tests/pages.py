"""Reading pages the way a person (or a screen reader) does: fields, their
values and errors, flash messages, the page language. Standard library only."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

ROOT = Path(__file__).resolve().parent.parent
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None = None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.text = ""

    def within(self, tag: str) -> Element | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs} {self.text!r}>"


class Page(HTMLParser):
    """Every element with its attributes and its text (text of children included)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self._open[-1] if self._open else None)
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), self._open[-1] if self._open else None))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data

    # Queries ------------------------------------------------------------------

    def find_all(self, tag: str | None = None, **attrs) -> list[Element]:
        found = []
        for element in self.elements:
            if tag and element.tag != tag:
                continue
            if all(element.attrs.get(name.rstrip("_")) == value for name, value in attrs.items()):
                found.append(element)
        return found

    def find(self, tag: str | None = None, **attrs) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> Element | None:
        return self.find(id=element_id)

    def field_value(self, name: str) -> str | None:
        element = self.find("input", name=name)
        return None if element is None else element.get("value")

    def selected(self, name: str) -> list[str]:
        """The values chosen in the select (or checkboxes) called `name`."""
        chosen = []
        for element in self.elements:
            if element.tag == "option" and "selected" in element.attrs:
                select = element.within("select")
                if select is not None and select.get("name") == name:
                    chosen.append(element.get("value"))
            elif element.tag == "input" and element.get("name") == name and "checked" in element.attrs:
                chosen.append(element.get("value"))
        return chosen

    def field_error(self, field_id: str) -> str | None:
        """The error shown under a field (the `<id>-error` paragraph), or None."""
        element = self.by_id(f"{field_id}-error")
        return None if element is None else " ".join(element.text.split())

    def invalid_fields(self) -> set[str]:
        return {e.get("name") for e in self.elements if e.get("aria-invalid") == "true"}

    def flashes(self) -> list[str]:
        return [" ".join(e.text.split()) for e in self.elements
                if "flash" in (e.get("class") or "").split()]

    @property
    def lang(self) -> str | None:
        html = self.find("html")
        return None if html is None else html.get("lang")

    @property
    def title(self) -> str:
        heading = self.find("h1")
        return "" if heading is None else " ".join(heading.text.split())


def page(response) -> Page:
    return Page(response.get_data(as_text=True))


# Spanish text -----------------------------------------------------------------------
# The Spanish catalog is being translated by someone else. Tests that check a
# Spanish sentence ask for it here: until the catalog has it (and is compiled),
# the test is skipped with "check translation later", so it starts checking by
# itself once the translation lands, without any test naming the wording.

_catalog_cache: dict | None = None


def _spanish_catalog() -> dict:
    global _catalog_cache
    if _catalog_cache is None:
        from babel.messages.pofile import read_po

        with open(ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po", "rb") as handle:
            catalog = read_po(handle)
        _catalog_cache = {message.id: message.string for message in catalog if message.id}
    return _catalog_cache


def spanish(msgid: str, **params) -> str:
    """The Spanish translation of `msgid`, as escaped in a page; skip until it exists."""
    translation = _spanish_catalog().get(msgid)
    if isinstance(translation, tuple):  # plural entries: the singular form
        translation = translation[0]
    if not translation:
        pytest.skip(f"check translation later: the Spanish catalog has no translation for {msgid!r}")
    if not (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.mo").exists():
        pytest.skip("check translation later: the Spanish catalog is not compiled (make translations)")
    return str(escape(translation % params if params else translation))


@contextmanager
def rendered_templates(app) -> Iterator[list[str]]:  # noqa: ANN001
    """The names of the templates the app renders inside the block, in order."""
    from flask import template_rendered

    names: list[str] = []

    def record(_sender, template, **_extra):  # a named function: blinker keeps a weak reference
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)
