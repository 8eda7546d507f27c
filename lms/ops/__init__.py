"""Operations: what keeps pages fast and the platform easy to run.

translations   a per-process memo in front of Flask-Babel (`_()` in templates and code)
static         fingerprinted static URLs (`static_url`) with long cache lifetimes
http_cache     ETag / If-None-Match on public pages for visitors
page_shell     signed-in content pages from a shared shell with personal holes
csrf_tokens    a session's signed CSRF token, signed once per process
sessions       signed-cookie sessions, verified cookies remembered per process
visitor_cache  visitors' copies of public pages answered before Flask runs
backup         `flask lms backup` / `flask lms restore` for SQLite (cli.py)
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Called by create_app after Flask-Babel, templating and the blueprints are set up."""
    from lms.ops import csrf_tokens, http_cache, page_shell, sessions, static, translations, visitor_cache

    translations.install(app)
    static.init_app(app)
    http_cache.init_app(app)
    page_shell.init_app(app)
    csrf_tokens.init_app(app)
    sessions.init_app(app)
    visitor_cache.init_app(app)
