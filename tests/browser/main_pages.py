"""The main pages, found in app.url_map, and one browser visit per page, language and role.

Which pages: every GET route without URL parameters, plus the parametrised
routes that can be built: those in PAGE_PARAMS below (built from the shipped
courses), then any other route whose entry in tests/route_expectations.py
says how to build its URL (``params``). A route added later is visited
without editing this suite. Not pages: NOT_PAGES (JSON endpoints and the like).

As whom: a visitor and a signed-in learner, where route_expectations.py says
they get the page (200); a page neither may see is visited as the first of
expert, trainer, admin who may. Routes without a stated expectation are
visited by both and skipped when they do not answer with a page.

One visit (a fresh browser context with JavaScript, in the page's language)
records everything the checks need: the bytes of every response, requests
that tried to leave 127.0.0.1, console errors (CSP violations among them) and
axe-core's serious and critical violations. The checks in test_main_pages.py
share the visit, so each page is loaded once per language and role.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable

from sqlalchemy import func, select

from browser.support import CSP_MARK, LANGUAGES, ROOT, new_context, screenshot_path
from route_expectations import EXPECTATIONS, World, is_static

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')

VIEWERS = ("visitor", "learner")          # every page is checked as these, where they may see it
STAFF = ("expert", "trainer", "admin")    # otherwise as the first of these who may
NOT_PAGES = {
    "core.healthz": "answers JSON for load balancers, not a page people read",
    "quizzes.export_gift": "a GIFT file download (text/plain attachment), not a page",
}
# Pages that are not routes of their own.
EXTRA_PAGES = {
    "errors.not_found": "/this-page-does-not-exist",
}
PAGE_WEIGHT_LIMIT = 60 * 1024
SERIOUS = ("serious", "critical")


# Parametrised pages built from the shipped courses ----------------------------------

def _heaviest_lesson(lang: str) -> tuple[str, str]:
    """(course slug, lesson key) of the lesson with the longest rendered text in `lang`."""
    from lms.content.models import Course, Lesson, LessonText
    from lms.extensions import db

    row = db.session.execute(
        select(Course.slug, Lesson.key)
        .join(Lesson, Lesson.course_id == Course.id)
        .join(LessonText, LessonText.lesson_id == Lesson.id)
        .where(LessonText.language == lang, Lesson.archived_at.is_(None), Course.archived_at.is_(None),
               Course.published.is_(True))
        .order_by(func.length(LessonText.body_html).desc(), Lesson.id)
        .limit(1)).one()
    return row.slug, row.key


def _course(world: World, role: str, lang: str) -> dict[str, Any]:
    return {"slug": _heaviest_lesson(lang)[0]}


def _lesson(world: World, role: str, lang: str) -> dict[str, Any]:
    slug, key = _heaviest_lesson(lang)
    return {"slug": slug, "lesson_key": key}


# endpoint -> params(world, role, lang). Add the main pages of new capabilities
# here when the shipped content makes a better example than route_expectations' World.
PAGE_PARAMS: dict[str, Callable[[World, str, str], dict[str, Any]]] = {
    "catalog.course": _course,
    "catalog.lesson": _lesson,
}


# Which pages, as whom ---------------------------------------------------------------

@dataclass(frozen=True)
class MainPage:
    endpoint: str
    role: str
    path: str | None = None  # for pages that are not routes (EXTRA_PAGES)
    buildable: bool = True   # False: nothing says how to build its URL yet

    def __str__(self) -> str:
        return f"{self.endpoint}-{self.role}"


def _outcome(endpoint: str, role: str):
    expect = EXPECTATIONS.get(endpoint)
    return None if expect is None else expect.outcome(role)


def _viewers(endpoint: str) -> list[str]:
    if endpoint not in EXPECTATIONS:
        return list(VIEWERS)
    viewers = [role for role in VIEWERS if _outcome(endpoint, role) == 200]
    if not viewers:
        viewers = [role for role in STAFF if _outcome(endpoint, role) == 200][:1]
    return viewers


def _buildable(rule) -> bool:
    if not rule.arguments:
        return True
    if rule.endpoint in PAGE_PARAMS:
        return True
    expect = EXPECTATIONS.get(rule.endpoint)
    return expect is not None and expect.params is not None


@cache
def url_map_app():
    """An app built only to read its routes at collection time (no database is touched)."""
    from lms import create_app
    from lms.config import TestConfig

    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI="sqlite://")
    return create_app(config)


def main_pages(app=None) -> list[MainPage]:
    app = app or url_map_app()
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if is_static(rule.endpoint) or "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        pages.extend(MainPage(rule.endpoint, role, buildable=_buildable(rule))
                     for role in _viewers(rule.endpoint))
    for name, path in EXTRA_PAGES.items():
        pages.extend(MainPage(name, role, path) for role in VIEWERS)
    return pages


# One visit --------------------------------------------------------------------------

@dataclass
class Visit:
    page: MainPage
    lang: str
    url: str
    status: int = 0
    final_path: str = ""
    content_type: str = ""
    skipped: str | None = None
    transfers: dict[str, int] = field(default_factory=dict)   # url -> body bytes
    outside_requests: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)     # axe, serious and critical
    server_errors: list[str] = field(default_factory=list)
    error: str | None = None
    screenshot: str | None = None

    @property
    def total_bytes(self) -> int:
        return sum(self.transfers.values())

    def weight_report(self) -> str:
        lines = [f"  {size:>7} B  {url}" for url, size in sorted(self.transfers.items(), key=lambda i: -i[1])]
        return "\n".join(lines)

    def violations_report(self) -> str:
        lines = []
        for violation in self.violations:
            lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
                         f"({violation['helpUrl']})")
            for node in violation["nodes"][:5]:
                summary = node.get("failureSummary", "").strip()[:300]
                lines.append(f"      {', '.join(map(str, node['target']))}: {summary}")
        return "\n".join(lines)

    @property
    def where(self) -> str:
        shot = f"; screenshot {self.screenshot}" if self.screenshot else ""
        return f"{self.url} in {self.lang} as {self.page.role}{shot}"


class Visitor:
    """Visits main pages in a browser, once per page, language and role in a session.

    The first check of a page visits every page of the same role and language in
    one browser context (one sign-in), each in a new tab; the checks that follow
    read the recorded visits.
    """

    def __init__(self, browser, tmp_path_factory):
        self.browser = browser
        self.tmp_path_factory = tmp_path_factory
        self._cache: dict[tuple[str, str], Visit] = {}

    def visit(self, site, main_page: MainPage, lang: str, along: list[MainPage] = ()) -> Visit:
        """The visit of `main_page` in `lang`, made now in this test's `site` (with the pages
        of `along` that have the same role and are not visited yet) or earlier."""
        key = (str(main_page), lang)
        if key not in self._cache:
            batch = [main_page] + [p for p in along if p.role == main_page.role and p != main_page
                                   and (str(p), lang) not in self._cache]
            for visit in self._visit_all(site, batch, lang):
                self._cache[(str(visit.page), lang)] = visit
        return self._cache[key]

    def _visit_all(self, site, pages: list[MainPage], lang: str) -> list[Visit]:
        from lms.auth.models import User
        from lms.extensions import db

        site.content()
        role = pages[0].role
        if getattr(site, "world", None) is None:  # one World per test: its people exist once
            site.world = World(self.tmp_path_factory.mktemp("world"))
        world = site.world
        person = world.user(role)
        if person is not None:
            # The person reads the site in the language of this visit.
            db.session.expunge_all()
            db.session.get(User, person.id).locale = lang
            db.session.commit()
        visits = []
        context = new_context(self.browser, site.url, lang, js=True)
        context.add_init_script(path=str(_axe_script()))  # axe-core in every page, parsed in the browser
        try:
            if person is not None:
                self._sign_in(context, person.email)
            tab = _Tab(context)
            for main_page in pages:
                visit = Visit(main_page, lang, "")
                errors_before = len(site.server.server_errors)
                if not main_page.buildable:
                    visit.skipped = (f"{main_page.endpoint} needs URL parameters and nothing says how to "
                                     "build them: give it `params` in tests/route_expectations.py")
                    visits.append(visit)
                    continue
                try:
                    visit.url = self._url(site, main_page, world, lang)
                    tab.load(visit)
                except Exception as error:  # noqa: BLE001 - reported by this page's checks
                    if "Download is starting" in str(error):
                        visit.skipped = f"{visit.url} answers a download, not a page"
                    else:
                        visit.error = f"{type(error).__name__}: {error}"
                    tab = _Tab(context)  # a fresh tab after a failure
                site.server.wait_idle()
                visit.server_errors = site.claim_server_errors(errors_before)
                visits.append(visit)
        finally:
            context.close()
            site.server.wait_idle()
        return visits

    def _url(self, site, main_page: MainPage, world: World, lang: str) -> str:
        from flask import url_for

        if main_page.path:
            return main_page.path
        params: dict[str, Any] = {}
        if main_page.endpoint in PAGE_PARAMS:
            params = PAGE_PARAMS[main_page.endpoint](world, main_page.role, lang)
        elif EXPECTATIONS.get(main_page.endpoint) and EXPECTATIONS[main_page.endpoint].params:
            params = EXPECTATIONS[main_page.endpoint].params(world, main_page.role)
        with site.app.test_request_context():
            return url_for(main_page.endpoint, **params)

    def _sign_in(self, context, email: str) -> None:
        # Through the real server, sharing the context's cookies; no page needed.
        from factories import PASSWORD

        form = context.request.get("/account/login")
        token = CSRF_RE.search(form.text())
        assert token, "the sign-in page should carry a CSRF token"
        answer = context.request.post("/account/login", max_redirects=0, form={
            "email": email, "password": PASSWORD, "csrf_token": token.group(1)})
        assert answer.status == 302, f"could not sign in as {email}: {answer.status}"


class _Tab:
    """One browser tab that loads the pages of a batch in turn and records each load."""

    def __init__(self, context):
        self.context = context
        self.page = context.new_page()
        self.responses: list = []
        self.pending: set = set()
        self.console: list[str] = []
        page = self.page
        page.on("request", lambda request: self.pending.add(request))
        page.on("requestfinished", lambda request: self.pending.discard(request))
        page.on("requestfailed", lambda request: self.pending.discard(request))
        page.on("response", lambda response: self.responses.append(response))
        page.on("console", lambda message: message.type == "error" and self.console.append(message.text))

    def load(self, visit: Visit) -> None:
        page, watch = self.page, self.context.watch
        self.responses, self.pending, self.console = [], set(), []
        outside_before = len(watch.outside_requests)
        response = page.goto(visit.url, wait_until="load")
        deadline = time.monotonic() + 3
        while self.pending and time.monotonic() < deadline:  # late fonts, images
            page.wait_for_timeout(20)
        visit.status = response.status if response else 0
        visit.final_path = re.sub(r"^https?://[^/]+", "", page.url)
        visit.content_type = (response.headers.get("content-type", "") if response else "")
        if visit.status >= 500:
            visit.error = f"{visit.url} answered {visit.status} to {visit.page.role}"
        elif visit.final_path != visit.url and visit.page.path is None:
            visit.skipped = f"{visit.page.role} is sent from {visit.url} to {visit.final_path}"
        elif visit.status != _expected_status(visit.page):
            visit.skipped = f"{visit.url} answered {visit.status} to {visit.page.role}, not a page to check"
        elif "text/html" not in visit.content_type:
            visit.skipped = f"{visit.url} answers {visit.content_type}, not a page"
        for item in self.responses:
            visit.transfers[item.url] = _body_size(item)
        visit.outside_requests = watch.outside_requests[outside_before:]
        visit.csp_violations = [m for m in self.console if CSP_MARK in m]
        # The browser reports that a page answered with an error status: expected on the 404 page.
        own_status = f"the server responded with a status of {visit.status}"
        visit.console_errors = [m for m in self.console
                                if CSP_MARK not in m and not (visit.status != 200 and own_status in m)]
        if not visit.skipped and not visit.error:
            visit.violations = _axe(page)
        if visit.violations or visit.outside_requests or visit.csp_violations or visit.error \
                or visit.total_bytes >= PAGE_WEIGHT_LIMIT:
            path = screenshot_path(f"{visit.page}-{visit.lang}")
            page.screenshot(path=str(path), full_page=True)
            visit.screenshot = str(path.relative_to(ROOT))
            if visit.violations:
                path.with_suffix(".axe.json").write_text(json.dumps(visit.violations, indent=2))


def _expected_status(main_page: MainPage) -> int | None:
    if main_page.path:
        return 404 if main_page.endpoint == "errors.not_found" else 200
    return 200


def _body_size(response) -> int:
    if 300 <= response.status < 400:
        return 0  # a redirect has no body to speak of
    try:
        return len(response.body())
    except Exception:  # noqa: BLE001 - an aborted or evicted body was not transferred
        return 0


def _axe_script():
    """axe-core as shipped by axe-playwright-python."""
    from axe_playwright_python.base import AXE_FILE_PATH

    return AXE_FILE_PATH


def _axe(page) -> list[dict]:
    """axe-core's serious and critical violations on the page (axe is in it: an init script)."""
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in SERIOUS]


__all__ = ["LANGUAGES", "MainPage", "PAGE_WEIGHT_LIMIT", "Visit", "Visitor", "main_pages"]
