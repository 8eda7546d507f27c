"""A learner takes a shipped quiz in a real browser, with and without
JavaScript: starts it, saves, reloads, submits; the attempt and result pages
have no serious accessibility problem."""
from __future__ import annotations

import re
from pathlib import Path



def _sign_in(page, person) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", person.password)
    with page.expect_navigation(wait_until="load"):
        page.locator("form.stacked button[type=submit]").click()


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page."""
    from axe_playwright_python.base import AXE_FILE_PATH

    page.wait_for_load_state("load")
    page.evaluate(Path(AXE_FILE_PATH).read_text(encoding="utf-8") + "\n;window.axe = axe;")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']}" for v in results["violations"] if v.get("impact") in ("serious", "critical")]


def test_learner_takes_a_quiz_without_losing_answers(site, page, lang, js):
    site.content()
    learner = site.person(locale=lang)
    _sign_in(page, learner)
    page.goto("/courses/cross-border-innovation/modules/innovact-programme/quiz")
    with page.expect_navigation(wait_until="load"):
        page.locator("form[action$='/quiz/start'] button").click()
    assert re.search(r"/quiz-attempts/\d+$", page.url)

    first = page.locator("section.question").first
    first.locator("input[type=radio]").first.check()
    short = page.locator("section.question input[type=text]:not([inputmode])").first
    short.fill("prospecto" if lang == "es" else "prospectus")
    # Each press is a POST that redirects; acting before that navigation ends
    # races the browser ("not attached to an active page"), so wait for it.
    with page.expect_navigation(wait_until="load"):
        page.locator("button[name=action][value=save]").click()
    assert page.locator(".flash-success").count() == 1
    page.reload()
    assert page.locator("section.question").first.locator("input[type=radio]").first.is_checked()
    assert page.locator("section.question input[type=text]:not([inputmode])").first.input_value() in (
        "prospecto", "prospectus")
    if js:
        assert _serious(page) == [], "attempt page"

    with page.expect_navigation(wait_until="load"):
        page.locator("button[name=action][value=submit]").click()
    assert page.url.endswith("/result")
    assert page.locator(".quiz-score .score").is_visible()
    assert page.locator("section.question.review").count() == 8
    if js:
        assert _serious(page) == [], "result page"
