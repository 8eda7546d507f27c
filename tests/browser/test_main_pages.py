"""Every main page (main_pages.py), in Spanish and English, as a visitor and as a
signed-in learner: it answers; it is accessible (axe-core: no serious or
critical violation); light (under 60 KB transferred, nothing asked of any
host but 127.0.0.1); and works under the Content-Security-Policy (no
violation, no error in the browser console).

New routes are found in app.url_map; nothing here needs editing when a
capability adds pages.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from browser.main_pages import LANGUAGES, PAGE_WEIGHT_LIMIT, main_pages
from browser.support import LOCAL_HOST

MAIN_PAGES = main_pages()


def pytest_generate_tests(metafunc) -> None:
    if "main_page" in metafunc.fixturenames:
        metafunc.parametrize("main_page", MAIN_PAGES, ids=str)
        metafunc.parametrize("lang", LANGUAGES)


@pytest.fixture()
def visit(site, visitor, main_page, lang):
    visit = visitor.visit(site, main_page, lang, along=MAIN_PAGES)
    if visit.skipped:
        pytest.skip(visit.skipped)
    return visit


def test_the_main_pages_are_found():
    endpoints = {page.endpoint for page in MAIN_PAGES}
    # The pages that exist from the foundation on; more are found as they are added.
    assert {"core.home", "catalog.index", "catalog.course", "catalog.lesson", "auth.login",
            "auth.register", "catalog.my_courses", "admin.people"} <= endpoints
    assert {page.role for page in MAIN_PAGES} >= {"visitor", "learner"}


def test_main_page(visit):
    """One page in one language for one role: it answers, and passes every check.

    All problems of the page are reported together (one test per page keeps the
    suite fast: on PostgreSQL each test pays for a wipe of every table).
    """
    assert not visit.error and not visit.server_errors, (
        f"{visit.where}: {visit.error or ''} {visit.server_errors or ''}".strip())
    problems = []
    if visit.violations:
        problems.append(f"axe-core finds serious or critical violations:\n{visit.violations_report()}")
    if not visit.transfers:
        problems.append("nothing was transferred")
    elif visit.total_bytes >= PAGE_WEIGHT_LIMIT:
        problems.append(f"it transfers {visit.total_bytes} bytes, {PAGE_WEIGHT_LIMIT} at most:\n"
                        f"{visit.weight_report()}")
    elsewhere = [url for url in visit.transfers
                 if not url.startswith("data:") and urlsplit(url).hostname != LOCAL_HOST]
    if visit.outside_requests or elsewhere:
        problems.append(f"it asks other hosts than {LOCAL_HOST} for: {visit.outside_requests + elsewhere}")
    if visit.csp_violations:
        problems.append(f"the Content-Security-Policy refuses what it needs: {visit.csp_violations}")
    if visit.console_errors:
        problems.append(f"errors in the browser console: {visit.console_errors}")
    assert not problems, f"{visit.where}:\n" + "\n".join(f"- {problem}" for problem in problems)
