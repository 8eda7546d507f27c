"""Signed-in pages served from a shared shell with personal holes.

A lesson page is the same for every learner but for a few small pieces: the
header's unread-notification count, the "done" marks in the outline, the
lesson's "Mark as done" form and the CSRF token in the forms. Rendering the
whole template for each request costs more than everything else the page does
(the person's query, the progress query, the session), so the page is rendered
once per content version (lms.content.version), code version, language, URL
and set of roles, with a marker where each personal piece goes. Each request
fills the markers in: a dict lookup and a short string per piece.

Templates write a personal piece as `{{ personal("name", arg, ...) }}`. Outside
a shell (any other page, a page with a flashed message, debug mode) the piece
is made on the spot, so a template has one code path. A piece is a function
registered with `@part("name")`; it gets the request's `Fill` (the reader's
language and the request's `g`, looked up once per page rather than once per
piece) and its arguments back as strings, and returns HTML. Pieces that hold a
form use `cached_piece`, which keeps them with a placeholder for the token;
pieces that depend only on the language use `snippet`.

The markers carry a per-process secret, so no stored text (Markdown is
sanitised anyway) can ever be taken for one. A shell is kept split at its
markers and token placeholders (`Shell`), so a request joins strings rather
than searching the page for markers.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from flask import current_app, g, render_template, request, session
from flask_login import current_user
from markupsafe import Markup

from lms.ops.csrf_tokens import signed_token
from lms.ops.http_cache import TOKEN_PLACEHOLDER, code_version, render_with_token_placeholder

_SECRET = secrets.token_hex(8)
_HOLE = re.compile(rf"<!--{_SECRET}:([a-z_]+):([^>]*)-->|{TOKEN_PLACEHOLDER}")
_BUILDING = "page_shell_building"

PARTS: dict[str, Callable[..., str]] = {}
_shells = None
_pieces = None


@dataclass(frozen=True)
class Fill:
    """What pieces read of the request, found once per page."""
    language: str
    state: Any  # the request's `g` itself (not the proxy): state.get("course_marks")


def _fill_context() -> Fill:
    fill = g.get("page_shell_fill")
    if fill is None:
        from lms.i18n import current_language

        fill = Fill(current_language(), g._get_current_object())
        g.page_shell_fill = fill
    return fill


def part(name: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register the function that makes the personal piece `name`."""
    def register(function: Callable[..., str]) -> Callable[..., str]:
        PARTS[name] = function
        return function
    return register


def personal(name: str, *args: object) -> Markup:
    """The Jinja global: a marker while a shell is built, else the piece itself."""
    if g.get(_BUILDING):
        encoded = "|".join(quote(str(arg), safe="") for arg in args)
        return Markup(f"<!--{_SECRET}:{name}:{encoded}-->")
    return Markup(PARTS[name](_fill_context(), *(str(arg) for arg in args)))


def cached_piece(key: tuple, render: Callable[[], str]) -> str:
    """A piece the same for everyone with the same `key` (give the language and
    whatever the piece shows), kept per content version with its CSRF token
    left out and this person's put in."""
    global _pieces
    from lms.content import version

    if _pieces is None:
        _pieces = version.StampCache(size=512)
    html = _pieces.get(key, lambda: render_with_token_placeholder(render))
    return html.replace(TOKEN_PLACEHOLDER, signed_token()) if TOKEN_PLACEHOLDER in html else html


_snippets: dict[tuple[str, str], str] = {}


def snippet(name: str, language: str, render: Callable[[], str]) -> str:
    """A piece that is the same for everyone reading `language` and holds no
    form (a "done" mark): made once per process (in debug mode, every time)."""
    key = (name, language)
    html = _snippets.get(key)
    if html is None:
        html = render()
        if not current_app.debug:
            _snippets[key] = html
    return html


# In a kept shell: the CSRF token's place.
_TOKEN = object()


def split_shell(html: str) -> tuple:
    """The shell as literal strings, `_TOKEN` and (piece name, arguments)."""
    parts: list = []
    position = 0
    for match in _HOLE.finditer(html):
        parts.append(html[position:match.start()])
        if match.group(1) is None:
            parts.append(_TOKEN)
        else:
            arguments = match.group(2)
            parts.append((match.group(1), tuple(unquote(arg) for arg in arguments.split("|")) if arguments else ()))
        position = match.end()
    parts.append(html[position:])
    return tuple(part for part in parts if part != "")


def fill_shell(parts: tuple, fill: Fill) -> str:
    token = None
    out = []
    for part in parts:
        if part.__class__ is str:
            out.append(part)
        elif part is _TOKEN:
            out.append(token or (token := signed_token()))
        else:
            out.append(PARTS[part[0]](fill, *part[1]))
    return "".join(out)


def shared_page(key: tuple, render: Callable[[], str]) -> str:
    """The page `render()` makes, from the shell kept for `key` (plus language,
    URL, roles and code version), with this request's personal pieces put in.

    Only for signed-in people on pages whose content is published content and
    whose other personal parts are all `personal(...)` pieces."""
    global _shells
    user = current_user._get_current_object()
    if current_app.debug or not user or not user.is_authenticated or session.get("_flashes"):
        return render()
    from lms.content import version
    from lms.i18n import current_language

    if _shells is None:
        _shells = version.StampCache(size=256)

    def build() -> tuple:
        setattr(g, _BUILDING, True)
        try:
            return split_shell(render_with_token_placeholder(render))
        finally:
            setattr(g, _BUILDING, False)

    full_key = (key, code_version(), current_language(), request.full_path, tuple(sorted(user.roles)))
    return fill_shell(_shells.get(full_key, build), _fill_context())


def init_app(app) -> None:  # noqa: ANN001
    app.jinja_env.globals["personal"] = personal


def personal_body(key: tuple, page: str, body: str, shell: dict[str, Any] | None = None,
                  **context: Any) -> str:
    """A page whose whole body is the person's own ("My learning", the inbox):
    `body` is rendered with `context` for each request and put into a shell of
    `page` (whose content block is `{{ personal("body") }}`, rendered with `shell`:
    what the title needs) kept as shared_page keeps it, so the header and footer
    are rendered once per language, URL and roles."""
    g.page_shell_body = (body, context)
    return shared_page(key, lambda: render_template(page, **(shell or {})))


@part("body")
def _body(fill: Fill) -> str:
    body, context = fill.state.get("page_shell_body")
    return render_template(body, **context)
