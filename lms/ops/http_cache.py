"""ETag and If-None-Match (304) on public pages, for visitors only.

A visitor's browser revalidating a catalog, course, lesson or knowledge page
it already holds gets `304 Not Modified` and no body: on a slow link in a
border region that saves the whole page. The ETag is weak and taken from the
response body, so it changes whenever anything shown changes (content,
language, a flashed message), with two adjustments:

* the page carries the visitor's CSRF token (the language switch is a form);
  Flask-WTF signs it with a timestamp, so the signed value differs on every
  request and is left out of the hash. The session's raw token, which every
  signed value of it stands for, is put in instead: a page is only ever
  "not modified" for the session whose token it carries.
* signed-in people's pages get no ETag at all: they are `no-store`
  (lms/security.py) and never replayed from a cache.

Responses get `Cache-Control: private, no-cache` (any cache must revalidate,
and no shared cache may keep a page holding a session's token).
"""
from __future__ import annotations

import hashlib

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user

# The pages anyone may read: visitors' copies are revalidated with ETags.
PUBLIC_PAGES = frozenset({
    "core.home", "catalog.index", "catalog.course", "catalog.lesson", "knowledge.index", "knowledge.entry",
})
CACHE_CONTROL = "private, no-cache"


def body_etag(body: bytes) -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed = g.get(field)
    if signed:
        body = body.replace(signed.encode(), b"")
    digest = hashlib.blake2b(body, digest_size=16)
    raw = session.get(field)
    if raw:
        digest.update(b"\0csrf:" + str(raw).encode())
    return digest.hexdigest()


def conditional_public_page(response: Response) -> Response:
    if (request.method not in ("GET", "HEAD") or response.status_code != 200
            or request.endpoint not in PUBLIC_PAGES or response.direct_passthrough
            or response.is_streamed or "ETag" in response.headers):
        return response
    if current_user and current_user.is_authenticated:
        return response
    response.set_etag(body_etag(response.get_data()), weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.after_request(conditional_public_page)
