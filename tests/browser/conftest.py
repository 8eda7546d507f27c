"""Browser fixtures: the real app served on 127.0.0.1, driven by Debian's Chromium.

* ``live_server`` (session): the test session's ``app`` (tests/conftest.py)
  served by Werkzeug in a thread on a free port, so the server and the test
  share one database (the temp SQLite file, or LMS_TEST_DATABASE_URL on
  PostgreSQL) and the per-test table wipe of tests/conftest.py.
* ``site`` (function): the shipped courses (courses/, imported once per session
  with ``import_courses`` and put back after each wipe from a snapshot of the
  rows), people through ``site.person(...)`` (tests/factories.make_user).
* ``browser`` (session): Chromium launched by Playwright from /usr/bin/chromium
  (never a downloaded browser) with a fresh temporary profile; every browser
  test is skipped, saying why, when it is not installed.
* ``context`` / ``page`` (function): parametrised over ``lang`` (es, en: the
  browser's locale) and ``js`` (JavaScript on and off). Every request to a host
  other than 127.0.0.1 is aborted and fails the test, as does any 5xx answer
  or Content-Security-Policy violation. A failing test leaves screenshots of
  its open pages under test-output/browser/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from browser.support import (CHROMIUM, CHROMIUM_ARGS, LANGUAGES, ROOT, ContentSnapshot, LiveServer, Site,
                             new_context, screenshot_path)
from lms.extensions import db

_open_pages = pytest.StashKey[list]()


# The server and its data -------------------------------------------------------------

@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shipped_content(app) -> ContentSnapshot:
    from conftest import _empty_tables  # the same wipe every test gets
    from lms.content.importer import import_courses

    with app.app_context():
        _empty_tables()
        report = import_courses(app.config["COURSES_PATH"])
        assert report.changed, f"no course was imported from {app.config['COURSES_PATH']}"
        snapshot = ContentSnapshot.take()
        db.session.remove()
        _empty_tables()
    return snapshot


@pytest.fixture()
def site(app, live_server, shipped_content) -> Site:
    """The running site for one test; `site.content()` puts the shipped courses in."""
    running = Site(app, live_server, shipped_content)
    yield running
    live_server.wait_idle()
    errors = running.unclaimed_server_errors()
    assert not errors, f"the server answered with an error: {errors}"


QUIZ_SLUG = "browser-quiz-course"


@pytest.fixture()
def quiz_course(site, tmp_path) -> str:
    """A small course, imported beside the shipped ones: one module of two lessons
    ("Lesson 1.1 (es)"...) and its quiz (data/quiz.toml). Returns its slug."""
    from factories import write_course
    from lms.content.importer import import_courses

    site.content()
    folder = write_course(tmp_path / "courses", QUIZ_SLUG, modules=1, lessons=2, title="Quiz course")
    quiz = Path(__file__).parent / "data" / "quiz.toml"
    (folder / "01-module-1" / "quiz.toml").write_text(quiz.read_text(encoding="utf-8"), encoding="utf-8")
    import_courses(tmp_path / "courses")
    return QUIZ_SLUG


# The browser ------------------------------------------------------------------------

def _why_no_browser() -> str | None:
    if not CHROMIUM.exists():
        return (f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`; .ci/run installs "
                "it with apt when missing). No browser is ever downloaded.")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the dev dependencies `playwright` and `axe-playwright-python` (make dev)"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    reason = _why_no_browser()
    if reason is None:
        return
    for item in items:
        if here in item.path.parents and "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    reason = _why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright import sync_api

    # launch() starts Chromium with a fresh temporary profile (user data dir),
    # removed again when it closes.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=LANGUAGES)
def lang(request) -> str:
    """The browser's language (Accept-Language and navigator.language)."""
    return request.param


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request) -> bool:
    """JavaScript enabled in the browser, or not: every journey works both ways."""
    return request.param


@pytest.fixture()
def context(request, browser, site, lang, js):
    site.content()
    ctx = new_context(browser, site.url, lang, js)
    yield ctx
    try:
        ctx.close()
    finally:
        site.server.wait_idle()
    watch = ctx.watch
    assert not watch.outside_requests, f"requests left 127.0.0.1: {watch.outside_requests}"
    assert not watch.csp_violations, f"Content-Security-Policy violations: {watch.csp_violations}"
    assert not watch.page_errors, f"JavaScript errors: {watch.page_errors}"


@pytest.fixture()
def page(request, context):
    """A tab in `context`; photographed under test-output/browser/ if the test fails."""
    tab = context.new_page()
    request.node.stash.setdefault(_open_pages, []).append(tab)
    return tab


@pytest.fixture()
def new_page(request, browser, site):
    """Open more tabs as other people, each in its own context: `new_page(lang, js=True)`."""
    contexts = []

    def open_page(lang: str, js: bool = True):
        site.content()
        ctx = new_context(browser, site.url, lang, js)
        contexts.append(ctx)
        tab = ctx.new_page()
        request.node.stash.setdefault(_open_pages, []).append(tab)
        return tab

    yield open_page
    for ctx in contexts:
        ctx.close()
    site.server.wait_idle()
    for ctx in contexts:
        assert not ctx.watch.outside_requests, f"requests left 127.0.0.1: {ctx.watch.outside_requests}"
        assert not ctx.watch.csp_violations, f"Content-Security-Policy violations: {ctx.watch.csp_violations}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        for index, tab in enumerate(item.stash.get(_open_pages, [])):
            if tab.is_closed():
                continue
            path = screenshot_path(item.nodeid, f"-{index}" if index else "")
            try:
                tab.screenshot(path=str(path), full_page=True)
            except Exception as error:  # noqa: BLE001 - a failed photo must not hide the failure
                report.sections.append(("screenshot", f"could not save {path.name}: {error}"))
            else:
                report.sections.append(("screenshot", f"saved {path.relative_to(ROOT)} ({tab.url})"))
    return report


@pytest.fixture(scope="session")
def visitor(browser, tmp_path_factory):
    """Visits main pages (main_pages.py), once per page, language and role for the session."""
    from browser.main_pages import Visitor

    return Visitor(browser, tmp_path_factory)
