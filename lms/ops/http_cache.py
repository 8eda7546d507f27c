"""ETag and If-None-Match (304) on public pages, for visitors only.

A visitor's browser revalidating a catalog, course, lesson or knowledge page
it already holds gets `304 Not Modified` and no body: on a slow link in a
border region that saves the whole page. The ETag is weak and taken from the
response body, so it changes whenever anything shown changes (content,
language, a flashed message), with two adjustments:

* a page that carries a CSRF token (visitors' pages carry none since the
  language switch became a link): Flask-WTF signs it with a timestamp, so the
  signed value differs on every request and is left out of the hash. The
  session's raw token, which every signed value of it stands for, is put in
  instead: such a page is only ever "not modified" for the session whose
  token it carries.
* signed-in people's pages get no ETag at all: they are `no-store`
  (lms/security.py) and never replayed from a cache.

Responses get `Cache-Control: private, no-cache` (any cache must revalidate,
and no shared cache may keep a page holding a session's token).

Pages made only of published content (the catalog, course and lesson pages)
can do better: `content_etag(...)` derives the tag, before anything is
rendered, from the content version stamp (lms.content.version), the page's
path and query, the language, the session's raw CSRF token if any and the code
(templates and compiled catalogs); `not_modified()` then answers `304` at
the cost of one small query. No stamp, a flashed message waiting, a
signed-in person or debug mode: the body's hash as above.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request, session

from lms.person import signed_in_user

# The pages anyone may read: visitors' copies are revalidated with ETags.
PUBLIC_PAGES = frozenset({
    "core.home", "catalog.index", "catalog.course", "catalog.lesson", "knowledge.index", "knowledge.entry",
})
CACHE_CONTROL = "private, no-cache"


def body_etag(body: bytes) -> str:
    field = csrf_field()
    signed = g.get(field)
    if signed:
        body = body.replace(signed.encode(), b"")
    digest = hashlib.blake2b(body, digest_size=16)
    raw = session.get(field)
    if raw:
        digest.update(b"\0csrf:" + str(raw).encode())
    return digest.hexdigest()


_code_version: str | None = None


def csrf_field() -> str:
    """The form field (and the key in the session and in `g`) of the CSRF token."""
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def code_version() -> str:
    """A hash of the templates and compiled translations (names, sizes, times), once per process."""
    global _code_version
    if _code_version is None:
        digest = hashlib.blake2b(digest_size=8)
        app = current_app
        folders = [os.path.join(app.root_path, app.template_folder or "templates"),
                   os.path.join(app.root_path, "..", "translations")]
        for folder in folders:
            for base, dirs, files in os.walk(folder):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith((".html", ".txt", ".mo")):
                        stat = os.stat(os.path.join(base, name))
                        digest.update(f"{base}/{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        _code_version = digest.hexdigest()
    return _code_version


def _stamped(*parts: object) -> str | None:
    """The stamped ETag of this visitor's page, or None when it must come from the body."""
    if current_app.debug or request.method not in ("GET", "HEAD") or request.endpoint not in PUBLIC_PAGES:
        return None
    if signed_in_user() is not None:
        return None
    from lms.i18n import current_language

    # A page holding a CSRF token is only "not modified" for the session the token is of.
    raw = session.get(csrf_field(), "")
    digest = hashlib.blake2b(digest_size=16)
    for part in (*parts, code_version(), current_language(), request.full_path, raw):
        digest.update(str(part).encode() + b"\0")
    return "s" + digest.hexdigest()


def content_etag(stamp: str | None, *parts: object) -> Response | None:
    """For a page made only of published content (stamp from lms.content.version):
    remember how to tag the response, and return a `304` right away when the
    visitor's copy is current. None: render the page."""
    if stamp is None or session.get("_flashes"):
        return None  # a page showing a flashed message is tagged by its body
    g.content_etag_parts = (stamp, *parts)
    g.content_etag_tag = tag = _stamped(*g.content_etag_parts)
    if tag is None or "HTTP_IF_NONE_MATCH" not in request.environ or not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    _public_headers(response)
    return response


# Visitors' copies of content pages, per process (lms.content.version keys them).
_visitor_pages = None
# Stands for the CSRF token in pages kept for several people (here and lms.ops.page_shell).
TOKEN_PLACEHOLDER = "csrf-token-" + secrets.token_hex(16)


def render_with_token_placeholder(render: Callable[[], str]) -> str:
    """`render()` with TOKEN_PLACEHOLDER wherever csrf_token() puts this session's
    token, so the result can be kept and each person's token put in later. Makes
    no token (and so no session) of its own."""
    field = csrf_field()
    previous = g.get(field)
    setattr(g, field, TOKEN_PLACEHOLDER)  # what csrf_token() gives the template
    try:
        return render()
    finally:
        if previous is None:
            g.pop(field, None)
        else:
            setattr(g, field, previous)


def visitor_page(name: str, render: Callable[[], str]) -> str:
    """A content page as a visitor gets it: rendered once per content version,
    language and URL (path and query) in each process. A page with a form gets
    this visitor's CSRF token put in (visitors' pages have none today: the
    language switch is a link, so they set no session cookie). Signed-in people,
    pages with a flashed message and debug mode get `render()` itself. Call only
    where `content_etag` was called."""
    global _visitor_pages
    if g.get("content_etag_parts") is None or current_app.debug or (
            signed_in_user() is not None):
        return render()
    from lms.content import version
    from lms.i18n import current_language

    if _visitor_pages is None:
        _visitor_pages = version.StampCache(size=64)
    html = _visitor_pages.get((name, code_version(), current_language(), request.full_path),
                              lambda: render_with_token_placeholder(render))
    if TOKEN_PLACEHOLDER not in html:
        from lms.ops.visitor_cache import mark_shareable

        mark_shareable()  # the same bytes for every visitor of this language
        return html
    from lms.ops.csrf_tokens import signed_token

    return html.replace(TOKEN_PLACEHOLDER, signed_token())  # this visitor's, signed


def _public_headers(response: Response) -> None:
    response.headers["Cache-Control"] = CACHE_CONTROL
    if "Vary" in response.headers:
        response.vary.update(("Cookie", "Accept-Language"))
    else:
        response.headers["Vary"] = "Cookie, Accept-Language"


def conditional_public_page(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or request.endpoint not in PUBLIC_PAGES or response.direct_passthrough
            or response.is_streamed or "ETag" in response.headers):
        return response
    if signed_in_user() is not None:
        return response
    parts = g.get("content_etag_parts")
    tag = None
    if parts:
        # Computed before rendering, unless rendering gave the session a CSRF token.
        tag = g.get("content_etag_tag") if session.get(csrf_field(), "") == "" else _stamped(*parts)
    response.set_etag(tag or body_etag(response.get_data()), weak=True)
    _public_headers(response)
    if "HTTP_IF_NONE_MATCH" not in request.environ and "HTTP_IF_MODIFIED_SINCE" not in request.environ:
        return response  # nothing to compare: the page as it is
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.after_request(conditional_public_page)
