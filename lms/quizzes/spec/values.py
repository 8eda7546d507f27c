"""Reading the values of a TOML document one by one: each reader returns the
clean value, or records a problem with its line and returns None."""
from __future__ import annotations

from typing import Any

from lms.content.errors import ContentProblem
from lms.quizzes.spec.model import PathPart, Texts
from lms.quizzes.spec.toml_locator import TomlLocator

_MISSING: Any = object()
Where = tuple[PathPart, ...]
Table = dict[str, Any]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)



class ValueReader:
    """The checks of single values of a TOML document (numbers, options, texts
    in each language, lists of tables), collecting every problem it finds;
    lms.quizzes.spec.reader builds a quiz on it."""

    def __init__(self, data: dict[str, Any], source_text: str, path: str,
                 languages: tuple[str, ...], require_all_languages: bool):
        self.data = data
        self.path = path
        self.languages = tuple(languages)
        self.require_all = require_all_languages
        self.locator = TomlLocator(source_text)
        self.problems: list[ContentProblem] = []

    def fail(self, where: Where, message: str) -> None:
        self.problems.append(ContentProblem(self.path, self.locator.line(where), message))

    # -- scalar readers: return the clean value, or None after recording a problem

    def number(self, table: Table, key: str, where: Where, label: str, default: Any = _MISSING,
               *, low: float | None = None, high: float | None = None,
               integer: bool = False) -> Any:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                self.fail(where[:-1], f"{label}: {key} is missing")
                return None
            return default
        kind = "a whole number" if integer else "a number"
        ok = isinstance(value, int) if integer else _is_number(value)
        if not ok or isinstance(value, bool):
            self.fail(where, f"{label}: {key} must be {kind}, not {value!r}")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"from {low:g} to {high:g}" if high is not None
                      else f"at least {low:g}")
            self.fail(where, f"{label}: {key} must be {bounds}, got {value!r}")
            return None
        return value if integer else float(value)

    def boolean(self, table: Table, key: str, where: Where, label: str, default: bool) -> bool | None:
        value = table.get(key, default)
        if not isinstance(value, bool):
            self.fail(where, f"{label}: {key} must be true or false, not {value!r}")
            return None
        return value

    def option(self, table: Table, key: str, where: Where, label: str,
               options: tuple[str, ...], default: str) -> str | None:
        value = table.get(key, default)
        if not isinstance(value, str) or value not in options:
            self.fail(where, f"{label}: {key} must be one of {', '.join(options)}; "
                             f"got {value!r}")
            return None
        return value

    def texts(self, value: Any, where: Where, label: str, *, required: bool = True) -> Texts | None:
        """A `{ es = "...", en = "..." }` table."""
        if value is _MISSING or value is None:
            if required:
                self.fail(where[:-1] if where else where, f"{label} is missing")
            return None if required else {}
        if not isinstance(value, dict):
            self.fail(where, f"{label} must be a table with one text per language "
                             f"({', '.join(self.languages)}), not {value!r}")
            return None
        ok = True
        texts: Texts = {}
        for lang, text in value.items():
            if lang not in self.languages:
                self.fail(where, f'{label}: unknown language "{lang}" '
                                 f"(expected {', '.join(self.languages)})")
                ok = False
            elif not isinstance(text, str) or not text.strip():
                self.fail(where, f'{label}: the "{lang}" text is empty or not a string')
                ok = False
            else:
                texts[lang] = text
        missing = [lang for lang in self.languages if lang not in value]
        if self.require_all and missing:
            for lang in missing:
                self.fail(where, f'{label} lacks the "{lang}" text')
            ok = False
        elif not value:
            self.fail(where, f"{label} has no text in any language")
            ok = False
        return texts if ok else None

    def unknown_keys(self, table: Table, allowed: frozenset[str], where: Where, label: str) -> None:
        for key in table:
            if key not in allowed:
                self.fail(where + (key,), f'{label}: unknown key "{key}"')

    def table_list(self, table: Table, key: str, where: Where, label: str) -> list[Table] | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(where, f"{label}: {key} must be a list of tables")
            return None
        return value
