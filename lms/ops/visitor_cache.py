"""Visitors' copies of public pages answered before Flask runs (a micro-cache).

A visitor's catalog, course or lesson page is the same for every visitor of
the same language (lms.ops.http_cache keeps it per content version), yet each
request still went through Flask: the request context, the session, the
person loader, the locale, the hooks. This WSGI middleware keeps the
response itself (status, headers, body) while the process trusts the content
stamp it was made under (lms.content.version: CONTENT_STAMP_SECONDS from
when the stamp was read, and not after a change this process made), and
answers repeat requests from it, as Django's per-site cache does for
anonymous requests: a change made elsewhere shows within the same
CONTENT_STAMP_SECONDS as every other content cache. It only ever keeps:

* a GET answered 200 by a view that asked for it (`mark_shareable()`, called
  by http_cache.visitor_page), with no Set-Cookie;
* for a request with no cookie but the language one: the key holds the path,
  query, Cookie and Accept-Language headers (what the page varies on), host
  and scheme.

HEAD gets the headers, and If-None-Match the 304 the app would give. Each
answer from the cache is logged like any other request (LOG_REQUESTS).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from flask import Flask, request
from werkzeug.http import parse_etags

log = logging.getLogger("lms.requests")

SHAREABLE = "lms.visitor_cache.shareable"
_LANGUAGE_COOKIE_PREFIX = "lang="


def mark_shareable() -> None:
    """Called by a view whose response is a visitor's copy of published content."""
    request.environ[SHAREABLE] = True


class VisitorPageCache:
    def __init__(self, app: Flask, wsgi_app: Callable, seconds: float, size: int = 256) -> None:
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.size = size
        self.log_requests = bool(app.config.get("LOG_REQUESTS"))
        self.database = app.config["SQLALCHEMY_DATABASE_URI"]
        self._entries: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        cookie = environ.get("HTTP_COOKIE", "")
        if method not in ("GET", "HEAD") or (cookie and not _only_language(cookie)):
            return self.wsgi_app(environ, start_response)
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), cookie,
               environ.get("HTTP_ACCEPT_LANGUAGE", ""), environ.get("HTTP_HOST", ""),
               environ.get("wsgi.url_scheme", ""), environ.get("HTTP_X_FORWARDED_PROTO", ""),
               environ.get("HTTP_X_FORWARDED_HOST", ""))
        started = time.perf_counter()
        entry = self._fresh(key)
        if entry is not None:
            return self._answer(entry, environ, start_response, method, started)
        if method == "HEAD":
            return self.wsgi_app(environ, start_response)
        return self._fill(key, environ, start_response)

    # -- kept answers ------------------------------------------------------------------
    def _fresh(self, key: tuple) -> tuple | None:
        from lms.content import version

        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        known = entry[3]
        if version.process_stamp(self.database) is not known or time.monotonic() - known[1] >= self.seconds:
            with self._lock:
                self._entries.pop(key, None)
            return None
        return entry

    def _answer(self, entry: tuple, environ: dict, start_response: Callable, method: str,
                started: float) -> Iterable[bytes]:
        status, headers, body, _known = entry
        tag = next((value for name, value in headers if name == "ETag"), None)
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if tag and wanted and parse_etags(wanted).contains_weak(tag.removeprefix("W/").strip('"')):
            status, body = "304 NOT MODIFIED", b""
            headers = [(name, value) for name, value in headers if name != "Content-Length"]
        start_response(status, list(headers))
        if self.log_requests:
            path = environ.get("PATH_INFO", "") + ("?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
            log.info("%s %s %s %.1fms (kept)", method, path, status.split(" ", 1)[0],
                     (time.perf_counter() - started) * 1000)
        return [b""] if method == "HEAD" else [body]

    def _fill(self, key: tuple, environ: dict, start_response: Callable) -> Iterable[bytes]:
        from lms.content import version

        captured: dict = {}

        def capture(status: str, headers: list, exc_info=None):  # noqa: ANN001
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.wsgi_app(environ, capture)
        if not (environ.get(SHAREABLE) and captured.get("status", "").startswith("200")
                and not any(name.lower() == "set-cookie" for name, _v in captured["headers"])):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        # The stamp this answer was made under, as this process read it.
        known = version.process_stamp(self.database)
        if known is not None and known[0] is not None:
            with self._lock:
                self._entries[key] = (captured["status"], tuple(captured["headers"]), data, known)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return [data]


def _only_language(cookie: str) -> bool:
    return all(part.strip().startswith(_LANGUAGE_COOKIE_PREFIX) for part in cookie.split(";") if part.strip())


def init_app(app: Flask) -> None:
    seconds = app.config.get("CONTENT_STAMP_SECONDS", 0)
    if seconds and not app.debug:
        app.wsgi_app = VisitorPageCache(app, app.wsgi_app, seconds)  # type: ignore[method-assign]
