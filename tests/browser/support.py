"""The pieces behind the browser fixtures: the live server, the content snapshot,
the site helper and browser contexts that watch what a page does."""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import force_locale, gettext
from sqlalchemy import text
from werkzeug.serving import WSGIRequestHandler, make_server

from factories import PASSWORD, make_user
from lms.extensions import db

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LANGUAGES = ("es", "en")
BROWSER_LOCALES = {"es": "es-ES", "en": "en-GB"}
LOCAL_HOST = "127.0.0.1"
TIMEOUT_MS = 10_000
CSP_MARK = "Content Security Policy"

# The server -------------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is noise here
        pass


class LiveServer:
    """The app on a real HTTP server; remembers 5xx answers and requests in flight."""

    def __init__(self, app):
        self.app = app
        self.server_errors: list[str] = []
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = make_server(LOCAL_HOST, 0, self._wsgi, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{LOCAL_HOST}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _wsgi(self, environ, start_response):
        with self._lock:
            self._in_flight += 1
        try:
            def recording_start_response(status, headers, exc_info=None):
                if int(status.split()[0]) >= 500:
                    request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}"
                    self.server_errors.append(f"{request} -> {status}")
                return start_response(status, headers, exc_info)

            result = self.app(environ, recording_start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self._lock:
                self._in_flight -= 1

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait for requests still being answered, so the table wipe never races them."""
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.01)


# The shipped courses ----------------------------------------------------------------

@dataclass
class ContentSnapshot:
    """The rows `import_courses(COURSES_PATH)` writes, to put back after each wipe.

    Importing the shipped courses renders all their Markdown (about half a
    second); copying the rows back is a few milliseconds. Whatever table a
    capability's import step fills (EXTRA_STEPS) is captured the same way.
    """

    rows: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def take(cls) -> ContentSnapshot:
        snapshot = cls()
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                rows = [dict(row) for row in connection.execute(table.select()).mappings()]
                if rows:
                    snapshot.rows[table.name] = rows
        return snapshot

    def restore(self) -> None:
        with db.engine.begin() as connection:
            for table in db.metadata.sorted_tables:
                rows = self.rows.get(table.name)
                if rows:
                    connection.execute(table.insert(), rows)
            if connection.dialect.name == "postgresql":
                _advance_sequences(connection, [t for t in db.metadata.sorted_tables if t.name in self.rows])


def _advance_sequences(connection, tables) -> None:
    # Rows went in with their ids: move each id sequence past them, or the next
    # insert by the app would collide.
    for table in tables:
        for column in table.primary_key.columns:
            if column.autoincrement is False or not _is_integer(column):
                continue
            sequence = connection.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                         {"t": f'"{table.name}"', "c": column.name})
            if sequence:
                highest = f'SELECT max("{column.name}") FROM "{table.name}"'
                connection.execute(text(f"SELECT setval(:s, ({highest}))"), {"s": sequence})


def _is_integer(column) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False


class Site:
    """The running site for one test: its address, its content, its people, its words."""

    def __init__(self, app, server: LiveServer, snapshot: ContentSnapshot):
        self.app = app
        self.server = server
        self.url = server.url
        self._snapshot = snapshot
        self._has_content = False
        self._errors_from = len(server.server_errors)
        self._claimed: set[int] = set()

    def content(self) -> Site:
        """Put the shipped courses in this test's database (once; the wipe after the test removes them)."""
        if not self._has_content:
            self._snapshot.restore()
            self._has_content = True
        return self

    def person(self, *roles: str, locale: str = "es", **kwargs) -> Person:
        """A person (tests/factories.make_user) who signs in with factories.PASSWORD."""
        user = make_user(*roles, locale=locale, **kwargs)
        return Person(user.id, user.email, user.name, PASSWORD)

    def tr(self, lang: str, message: str, **params) -> str:
        """`message` as the app says it in `lang` (its catalog, compiled by `make translations`)."""
        with self.app.test_request_context(), force_locale(lang):
            return gettext(message, **params)

    def url_for(self, endpoint: str, **values) -> str:
        """The path of `endpoint` (as links in pages show it)."""
        from flask import url_for

        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def refreshed(self):
        """The test's database session, emptied so that it reads what the server wrote."""
        db.session.rollback()
        db.session.expire_all()
        return db.session

    def claim_server_errors(self, since: int) -> list[str]:
        """The server's 5xx answers from index `since` on, reported by whoever claims them."""
        indexes = range(since, len(self.server.server_errors))
        self._claimed.update(indexes)
        return [self.server.server_errors[i] for i in indexes]

    def unclaimed_server_errors(self) -> list[str]:
        return [error for i, error in enumerate(self.server.server_errors)
                if i >= self._errors_from and i not in self._claimed]


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    password: str


class Watch:
    """What a browser context did that a test must know about."""

    def __init__(self):
        self.outside_requests: list[str] = []
        self.csp_violations: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []

    def guard(self, route) -> None:
        # Only 127.0.0.1 may be asked for anything; everything else is refused.
        if urlsplit(route.request.url).hostname == LOCAL_HOST:
            route.fallback()
        else:
            self.outside_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)
            if CSP_MARK in message.text:
                self.csp_violations.append(message.text)

    def watch_page(self, page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))


def new_context(browser, base_url: str, lang: str, js: bool = True, **options):
    """A browser context as a person in `lang` has it, with its Watch (context.watch)."""
    context = browser.new_context(base_url=base_url, locale=BROWSER_LOCALES[lang], java_script_enabled=js,
                                  viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(TIMEOUT_MS)
    watch = Watch()
    context.route("**/*", watch.guard)
    context.on("page", watch.watch_page)
    context.watch = watch
    return context


def screenshot_path(nodeid: str, suffix: str = "") -> Path:
    name = re.sub(r"[^\w.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:150]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT / f"{name}{suffix}.png"


