"""Where keys are in a TOML file.

`tomllib` gives no positions for keys, so `TomlLocator` re-reads the source
text and maps key paths such as ``("questions", 2, "choices", 0, "fraction")``
to lines; `toml_error_problem` turns a syntax error into a problem with its line.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass

from lms.content.errors import ContentProblem
from lms.quizzes.spec.model import PathPart


@dataclass(frozen=True)
class _Token:
    kind: str  # "punct", "bare", "str", "nl" or "eof"
    value: str
    line: int
    pos: int


_PUNCT = frozenset("[]{}=,")
_BARE_STOP = frozenset(" \t\r\n#[]{}=,\"'")


def _string_end(src: str, i: int) -> int:
    """Index just past the TOML string starting at src[i]."""
    quote, n = src[i], len(src)
    escapes = quote == '"'
    if src.startswith(quote * 3, i):
        j = i + 3
        while j < n:
            if escapes and src[j] == "\\":
                j += 2
            elif src.startswith(quote * 3, j):
                end = j + 3
                # Up to two quotes of the content may touch the closing ones.
                while end < n and src[end] == quote and end - j < 5:
                    end += 1
                return end
            else:
                j += 1
        return n
    j = i + 1
    while j < n and src[j] != "\n":
        if escapes and src[j] == "\\":
            j += 2
        elif src[j] == quote:
            return j + 1
        else:
            j += 1
    return j


def _tokenize(src: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, line, n = 0, 1, len(src)
    while i < n:
        c = src[i]
        if c in " \t\r":
            i += 1
        elif c == "\n":
            tokens.append(_Token("nl", c, line, i))
            line += 1
            i += 1
        elif c == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif c in _PUNCT:
            tokens.append(_Token("punct", c, line, i))
            i += 1
        elif c in "\"'":
            end = _string_end(src, i)
            tokens.append(_Token("str", src[i:end], line, i))
            line += src.count("\n", i, end)
            i = end
        else:
            j = i
            while j < n and src[j] not in _BARE_STOP:
                j += 1
            tokens.append(_Token("bare", src[i:j], line, i))
            i = j
    tokens.append(_Token("eof", "", line, n))
    return tokens


def _decode_key(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1]
    return str(tomllib.loads(f"k = {raw}")["k"])


class _LocatorParser:
    """A forgiving TOML reader that only records where keys and items start.

    It runs on text tomllib has already accepted, so it can skip values
    without understanding them.
    """

    def __init__(self, source: str, out: dict[tuple[PathPart, ...], int]):
        self.tokens = _tokenize(source)
        self.k = 0
        self.out = out
        self.table: tuple[PathPart, ...] = ()
        self.aot_counts: dict[tuple[PathPart, ...], int] = {}

    def peek(self) -> _Token:
        return self.tokens[self.k]

    def advance(self) -> _Token:
        token = self.tokens[self.k]
        if token.kind != "eof":
            self.k += 1
        return token

    def at(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (value is None or token.value == value)

    def record(self, path: tuple[PathPart, ...], line: int) -> None:
        self.out.setdefault(path, line)

    def run(self) -> None:
        while not self.at("eof"):
            if self.at("nl"):
                self.advance()
                continue
            if self.at("punct", "["):
                self.header()
            else:
                self.key_value(self.table)
            while not (self.at("nl") or self.at("eof")):
                self.advance()

    def key(self) -> list[str]:
        parts: list[str] = []
        while self.peek().kind in ("bare", "str"):
            token = self.advance()
            if token.kind == "str":
                parts.append(_decode_key(token.value))
            else:
                parts.extend(p.strip() for p in token.value.split(".") if p.strip())
        return parts

    def header(self) -> None:
        first = self.advance()
        nxt = self.peek()
        is_array = nxt.kind == "punct" and nxt.value == "[" and nxt.pos == first.pos + 1
        if is_array:
            self.advance()
        keys = self.key()
        path: tuple[PathPart, ...] = ()
        for n, key in enumerate(keys):
            path += (key,)
            if is_array and n == len(keys) - 1:
                index = self.aot_counts.get(path, 0)
                self.aot_counts[path] = index + 1
                self.record(path, first.line)
                path += (index,)
            elif path in self.aot_counts:
                path += (self.aot_counts[path] - 1,)
        self.table = path
        self.record(path, first.line)

    def key_value(self, base: tuple[PathPart, ...]) -> None:
        line = self.peek().line
        keys = self.key()
        if not keys or not self.at("punct", "="):
            self.advance()
            return
        self.advance()
        path = base
        for key in keys:
            path += (key,)
            self.record(path, line)
        self.value(path)

    def value(self, path: tuple[PathPart, ...]) -> None:
        if self.at("punct", "{"):
            self.advance()
            self.inline_table(path)
        elif self.at("punct", "["):
            self.advance()
            self.array(path)
        else:
            while not (self.at("eof") or self.at("nl")
                       or (self.peek().kind == "punct" and self.peek().value in ",]}")):
                self.advance()

    def inline_table(self, path: tuple[PathPart, ...]) -> None:
        while not self.at("eof"):
            if self.at("nl") or self.at("punct", ","):
                self.advance()
            elif self.at("punct", "}"):
                self.advance()
                return
            else:
                self.key_value(path)

    def array(self, path: tuple[PathPart, ...]) -> None:
        index = 0
        while not self.at("eof"):
            if self.at("nl"):
                self.advance()
            elif self.at("punct", "]"):
                self.advance()
                return
            elif self.at("punct", ","):
                self.advance()
                index += 1
            else:
                self.record(path + (index,), self.peek().line)
                self.value(path + (index,))


class TomlLocator:
    """Finds the line of a key path in TOML source text.

    Paths mix keys and array indexes, e.g. ``("questions", 2, "id")`` is the
    `id` of the third `[[questions]]`.  A path that is not written in the file
    (a missing key) resolves to its nearest written ancestor, so "question 3
    has no id" points at the third `[[questions]]` header.
    """

    def __init__(self, source: str):
        self._lines: dict[tuple[PathPart, ...], int] = {}
        try:
            _LocatorParser(source, self._lines).run()
        except Exception:  # noqa: BLE001 - a locator bug must not hide the real problems
            self._lines.clear()

    def line(self, path: Iterable[PathPart]) -> int | None:
        key = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return None


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column \d+\)")


def toml_error_problem(path: str, source: str, exc: tomllib.TOMLDecodeError) -> ContentProblem:
    """Turn a tomllib syntax error into a problem with the line it names."""
    message = str(exc)
    match = _TOML_POSITION.search(message)
    if match:
        line: int | None = int(match.group(1))
        message = message[:match.start()] + message[match.end():]
    elif "end of document" in message:
        line = source.count("\n") + 1
        message = message.replace(" (at end of document)", "")
    else:
        line = None
    return ContentProblem(path, line, f"TOML syntax error: {message.strip()}")

