"""Reading the glossary: the terms in the reader's language, in one query."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select

from lms.extensions import db
from lms.glossary.models import GlossaryTerm, GlossaryTermText
from lms.i18n import current_language, pick


@dataclass(frozen=True)
class TermView:
    key: str
    term: str
    definition: str
    language: str
    sort_key: str

    @property
    def anchor(self) -> str:
        return f"term-{self.key}"

    @property
    def letter(self) -> str:
        return (self.sort_key[:1] or "#").upper() if self.sort_key[:1].isalpha() else "#"


def _terms(keys: list[str] | None = None) -> list[TermView]:
    statement = (select(GlossaryTerm.key, GlossaryTermText.language, GlossaryTermText.term,
                        GlossaryTermText.definition, GlossaryTermText.sort_key)
                 .join(GlossaryTermText, GlossaryTermText.term_id == GlossaryTerm.id)
                 .where(GlossaryTerm.archived_at.is_(None)))
    if keys is not None:
        statement = statement.where(GlossaryTerm.key.in_(keys))
    variants: dict[str, dict[str, tuple]] = {}
    for key, language, term, definition, sort_key in db.session.execute(statement):
        variants.setdefault(key, {})[language] = (term, definition, sort_key)
    reader = current_language()
    views = []
    for key, by_language in variants.items():
        (term, definition, sort_key), language = pick(by_language, reader)
        views.append(TermView(key, term, definition, language, sort_key))
    return sorted(views, key=lambda view: (view.sort_key, view.key))


def all_terms() -> list[TermView]:
    """Every active term, alphabetical in the reader's language (accents and case ignored)."""
    return _terms()


def by_letter(terms: list[TermView]) -> list[tuple[str, list[TermView]]]:
    return [(letter, list(group)) for letter, group in groupby(terms, key=lambda view: view.letter)]


def lesson_terms(keys: list[str] | None) -> list[TermView]:
    """The terms a lesson names (Lesson.glossary_terms); no query when it names none."""
    if not keys:
        return []
    return _terms(list(keys))
