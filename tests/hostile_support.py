"""Pieces of the hostile-input suite (tests/test_hostile_input.py): the payloads,
the forms read from the pages that show them, the database snapshot and the
checks every answer must pass.

How new routes are picked up
----------------------------
* Every route of ``app.url_map`` that accepts POST/PUT/PATCH/DELETE is attacked
  as a role that may use it: the first of admin, trainer, expert, learner,
  visitor that route_expectations.EXPECTATIONS lets in (200), else the owner
  named in ``OWNERS`` (a route only the owner of an object may use).
* Its fields are read from the HTML of the pages that hold a ``<form>`` whose
  ``action`` is that route (every GET page of EXPECTATIONS is read once, as
  every role and as the owners). A route no page shows a form for (buttons
  that appear only in some states, the editor's script) is described in
  ``STATED_FIELDS``; a route in neither FAILS the suite, saying so.
* An ``<input type=file>`` makes the route an upload endpoint: it also gets
  the upload attacks, with a valid file of the kind stated in ``UPLOAD_KINDS``.
"""
from __future__ import annotations

import io
import json
import struct
import zlib
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from lms.extensions import db
from pages import Page

# Payloads ---------------------------------------------------------------------------

MARK = "window.__xss=1"
XSS = {
    "script": f"<script>{MARK}</script>",
    "img-onerror": f'<img src=x onerror="{MARK}">',
    "svg-onload": f'"><svg onload={MARK}>',
    "markdown-javascript-link": f"[click me](javascript:{MARK}) <a href=\"javascript:{MARK}\">x</a> "
                                f"![i](x\" onerror=\"{MARK})",
}
SQL = {
    "sql-or": "' OR 1=1 --",
    "sql-drop": '"; DROP TABLE users; --',
}
LONG = "x" * 100_000
CONTROL = "a\x00b\x07c\x1b[2J\u202ed\ufeff\r\ne"
INVALID_UTF8 = b"%FF%FE%C3%28%ED%A0%80"  # urlencoded bytes that are not UTF-8
HOSTILE_NEXT = ["//evil.example", "https://evil.example", "/\\evil.example", "javascript:alert(1)"]

TEXT_TYPES = {"text", "email", "search", "url", "tel", "password", "textarea", ""}
TYPED_TYPES = {"number", "hidden", "select", "radio", "checkbox", "date", "range"}
NEVER_SENT = {"submit", "button", "reset", "image"}


# Forms ------------------------------------------------------------------------------

@dataclass
class Field:
    name: str
    kind: str                      # an input type, "textarea" or "select"
    value: str | None = None       # what the page fills in (None: not sent by default)
    options: list[str] = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_TYPES

    @property
    def is_file(self) -> bool:
        return self.kind == "file"


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, Field]
    enctype: str = ""

    def defaults(self) -> list[tuple[str, str]]:
        """What a browser sends when the form is submitted as shown."""
        sent = []
        for item in self.fields.values():
            if item.name == "csrf_token" or item.is_file or item.value is None:
                continue
            sent.append((item.name, item.value))
        return sent

    @property
    def text_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.is_text and f.name != "csrf_token"]

    @property
    def typed_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.kind in TYPED_TYPES and f.name != "csrf_token"]

    @property
    def file_fields(self) -> list[Field]:
        return [f for f in self.fields.values() if f.is_file]


def forms_in(html: str) -> list[Form]:
    """Every form of a page with its fields and what a browser would send."""
    parsed = Page(html)
    forms: dict[int, Form] = {}
    for element in parsed.elements:
        if element.tag == "form":
            forms[id(element)] = Form(element.get("action") or "", (element.get("method") or "get").upper(), {},
                                      element.get("enctype") or "")
    # Buttons with a name (action=...) are kept as fields: they choose what a post does.
    for element in parsed.elements:
        if element.tag not in ("input", "textarea", "select", "button") or not element.get("name"):
            continue
        owner = element.within("form")
        if owner is None or id(owner) not in forms:
            continue
        form = forms[id(owner)]
        name = element.get("name")
        if element.tag == "textarea":
            kind, value = "textarea", element.text.removeprefix("\r\n").removeprefix("\n")
        elif element.tag == "select":
            kind, value = "select", None
        elif element.tag == "button":
            kind, value = "button", element.get("value", "")
        else:
            kind = (element.get("type") or "text").lower()
            value = element.get("value", "" if kind not in ("checkbox", "radio") else "y")
            if kind in ("checkbox", "radio") and "checked" not in element.attrs:
                value = None if name not in form.fields else form.fields[name].value
        if kind == "button":
            if name not in form.fields:  # the first button is the one a person presses
                form.fields[name] = Field(name, "button", value)
            form.fields[name].options.append(value)
            continue
        if kind in NEVER_SENT:
            continue
        known = form.fields.get(name)
        if known is None:
            form.fields[name] = Field(name, kind, value)
        elif kind in ("checkbox", "radio") and value is not None:
            known.value = value
    # A button with its own formaction posts the fields of its form elsewhere (history: restore).
    for element in parsed.elements:
        owner = element.within("form") if element.tag in ("button", "input") else None
        if owner is None or id(owner) not in forms or not element.get("formaction"):
            continue
        method = (element.get("formmethod") or forms[id(owner)].method).upper()
        extra = Form(element.get("formaction"), method, dict(forms[id(owner)].fields))
        if element.get("name"):
            extra.fields[element.get("name")] = Field(element.get("name"), "button", element.get("value", ""))
        forms[id(element)] = extra
    for element in parsed.elements:
        if element.tag != "option":
            continue
        select = element.within("select")
        owner = select.within("form") if select is not None else None
        if owner is None or id(owner) not in forms or not select.get("name"):
            continue
        item = forms[id(owner)].fields.get(select.get("name"))
        if item is None:
            continue
        value = element.get("value", element.text.strip())
        item.options.append(value)
        if "selected" in element.attrs or item.value is None:
            item.value = value
    return list(forms.values())


# The database -----------------------------------------------------------------------

# Columns that change for reasons other than the request being tested
IGNORED_COLUMNS = {
    "users": {"last_login_at", "session_token"},
}


def snapshot() -> dict[str, dict]:
    """Every row of every table, by primary key (columns that move by themselves left out)."""
    db.session.rollback()
    shot = {}
    for table in db.metadata.sorted_tables:
        ignored = IGNORED_COLUMNS.get(table.name, set())
        columns = [c for c in table.columns if c.name not in ignored]
        keys = [c.name for c in table.primary_key.columns]
        rows = {}
        for row in db.session.execute(select(*columns)).mappings():
            rows[tuple(row[k] for k in keys)] = tuple(repr(row[c.name]) for c in columns)
        shot[table.name] = rows
    db.session.rollback()
    return shot


def changes(before: dict, after: dict) -> list[str]:
    found = []
    for table, rows in before.items():
        now = after.get(table, {})
        for key, row in rows.items():
            if key not in now:
                found.append(f"{table} {key}: lost")
            elif now[key] != row:
                found.append(f"{table} {key}: changed")
        for key in set(now) - set(rows):
            found.append(f"{table} {key}: added")
    return found


def lost(before: dict, after: dict, may_delete: set[str]) -> list[str]:
    return [f"{table} {key}: lost" for table, rows in before.items() if table not in may_delete
            for key in rows if key not in after.get(table, {})]


# Checks on what comes back ----------------------------------------------------------

def is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/")
            and not location.startswith("//") and "\\" not in location
            and not any(ord(ch) < 32 for ch in location))


RAW_PAYLOADS = [payload for payload in XSS.values()] + ["<svg onload", "onerror=\"window", "<script>window"]


def injected(html: str) -> list[str]:
    """What a payload would have put into the page: event handlers, javascript:
    URLs, inline scripts, the raw payload text."""
    problems = []
    for raw in RAW_PAYLOADS:
        if raw in html:
            problems.append(f"raw payload in the HTML: {raw[:40]!r}")
    for element in Page(html).elements:
        if element.tag == "script" and not element.get("src"):
            problems.append("an inline <script>")
        if element.tag == "svg" and any(name.startswith("on") for name in element.attrs):
            problems.append("an <svg> with an event handler")
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problems.append(f"{name}= on <{element.tag}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and value:
                compact = "".join(ch for ch in value if ch > " ").lower()
                if compact.startswith(("javascript:", "vbscript:", "data:text/html")):
                    problems.append(f"{name}={value[:40]!r} on <{element.tag}>")
    return sorted(set(problems))


def json_injected(body: bytes) -> list[str]:
    try:
        data = json.loads(body)
    except ValueError:
        return []
    problems = []

    def walk(value):
        if isinstance(value, str):
            problems.extend(injected(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(data)
    return problems


# Bodies -----------------------------------------------------------------------------

def urlencoded(pairs: list[tuple[str, str | bytes]]) -> bytes:
    """A raw application/x-www-form-urlencoded body; bytes values are sent as they are."""
    parts = []
    for name, value in pairs:
        encoded = value if isinstance(value, bytes) else quote(value, safe="").encode()
        parts.append(quote(name, safe="").encode() + b"=" + encoded)
    return b"&".join(parts)


# Files ------------------------------------------------------------------------------

def says_done(response) -> bool:
    """A page shown again (200) that reports success: a "success" flash and no field marked invalid."""
    if response.status_code != 200 or response.mimetype != "text/html":
        return False
    shown = Page(response.get_data(as_text=True))
    success = any("flash-success" in (e.get("class") or "").split() for e in shown.elements)
    return success and not shown.invalid_fields()


def tiny_png(shade: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + bytes([255, shade % 256, 0]) * 2 + b"\x00" + b"\x00\xff\x00" * 2)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
GIFT = "::Q1:: Is the sky blue? {TRUE}\n"


def file_of(kind: str, variant: int = 0) -> tuple[bytes, str]:
    """A file the endpoint accepts, a different one for each variant: (content, name)."""
    return {
        "image": (tiny_png(variant + 1), "dot.png"),
        "document": (PDF + f"% {variant}\n".encode(), "plan.pdf"),
        "gift": (GIFT.replace("Q1", f"Q{variant + 1}").encode(), "questions.gift"),
    }[kind]


def upload(data: bytes, name: str):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
