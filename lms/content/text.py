"""Text normalisation shared by search and answer matching."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase, without accents, single-spaced: 'Energía  Solar' -> 'energia solar'.

    Stored beside searchable text so that search is accent-insensitive on
    every database without extensions.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()
