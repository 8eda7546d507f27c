"""Keyboard only: Tab from the top of the page reaches every link, button and
field in document order, and the focused one always shows an outline that
stands out from what is behind it (3:1, WCAG 1.4.11 non-text contrast).

KEYBOARD_PAGES lists the pages people work through with the keyboard; add the
pages of new capabilities (a quiz attempt, ...) as (endpoint, params builder).
"""
from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the dev dependency `playwright`")

from browser.main_pages import PAGE_PARAMS  # noqa: E402
from browser.pageobjects import CoursePage, sign_in  # noqa: E402
from route_expectations import World  # noqa: E402

KEYBOARD_PAGES = ("catalog.lesson",)

# Marks every element that should be a Tab stop, in document order, and says what each is.
MARK_TAB_STOPS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const seenRadioGroups = new Set();
  const stops = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.tabIndex < 0 || el.getClientRects().length === 0) continue;
    if (getComputedStyle(el).visibility === 'hidden' || el.closest('[inert]')) continue;
    if (el.type === 'radio') {  // a radio group is one Tab stop: the checked one, else the first
      const group = el.form ? el.form.elements[el.name] : null;
      const members = group && group.length ? Array.from(group) : [el];
      const stop = members.find(m => m.checked) || members[0];
      if (seenRadioGroups.has(el.name) || stop !== el) continue;
      seenRadioGroups.add(el.name);
    }
    el.setAttribute('data-tab-stop', String(stops.length));
    const words = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '').trim();
    stops.push(`${el.tagName.toLowerCase()} "${words.slice(0, 50)}"`);
  }
  return stops;
}"""

# What has the focus now, and how its outline looks against what is behind it.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  // What is painted where the outline is drawn: just left of the element, past the offset.
  const box = el.getBoundingClientRect();
  const offset = parseFloat(style.outlineOffset) || 0, width = parseFloat(style.outlineWidth) || 0;
  const x = Math.max(0, box.left - offset - width / 2);
  const y = Math.min(window.innerHeight - 1, Math.max(0, box.top + box.height / 2));
  let start = el.parentElement;
  for (const node of document.elementsFromPoint(x, y)) {
    if (node !== el && !el.contains(node)) { start = node; break; }
  }
  let behind = 'rgb(255, 255, 255)';
  for (let node = start; node; node = node.parentElement) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(bg)) { behind = bg; break; }
  }
  return {stop: el.getAttribute('data-tab-stop'), tag: el.tagName.toLowerCase(),
          words: (el.innerText || el.value || el.name || '').trim().slice(0, 50),
          focusVisible: el.matches(':focus-visible'), outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth) || 0, outlineColor: style.outlineColor, behind};
}"""


def _luminance(css_color: str) -> float:
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css_color)[:3])

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_is_measured_as_wcag_says():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert contrast("rgb(245, 179, 1)", "rgb(255, 255, 255)") < 3  # yellow on white: too faint
    assert contrast("rgb(27, 31, 36)", "rgb(255, 255, 255)") > 3


def tab_through(page, where: str) -> None:
    """Press Tab from the top of `page` through every stop, checking order and focus outline."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops = page.evaluate(MARK_TAB_STOPS)
    assert len(stops) > 5, f"{where} should have links and buttons to reach: {stops}"
    problems = []
    for expected_index, expected in enumerate(stops):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        if focus["stop"] != str(expected_index):
            problems.append(f"Tab {expected_index + 1} should reach {expected}, reached "
                            f"{focus['tag']} \"{focus['words']}\" (stop {focus['stop']})")
            break
        if focus["outlineStyle"] == "none" or focus["outlineWidth"] < 2:
            problems.append(f"{expected}: no visible outline when focused "
                            f"({focus['outlineStyle']} {focus['outlineWidth']}px)")
        elif contrast(focus["outlineColor"], focus["behind"]) < 3:
            problems.append(f"{expected}: outline {focus['outlineColor']} hardly stands out from "
                            f"{focus['behind']} ({contrast(focus['outlineColor'], focus['behind']):.1f}:1)")
    assert not problems, f"keyboard on {where}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("js", [True])  # reading styles and focus needs the page's JavaScript
@pytest.mark.parametrize("role", ["visitor", "learner"])
@pytest.mark.parametrize("endpoint", KEYBOARD_PAGES)
def test_tab_reaches_every_control_in_order_with_a_visible_focus(site, page, lang, role, endpoint, tmp_path):
    if role != "visitor":
        sign_in(page, site, lang, site.person(role, locale=lang))
    path = site.url_for(endpoint, **PAGE_PARAMS[endpoint](World(tmp_path), role, lang))
    page.goto(path)
    tab_through(page, f"{path} in {lang} as {role}")


@pytest.mark.parametrize("js", [True])
def test_tab_reaches_every_answer_of_a_quiz_attempt(site, page, lang, quiz_course):
    pytest.importorskip("lms.quizzes.views", reason="quizzes not built yet")
    sign_in(page, site, lang, site.person("learner", locale=lang))
    course = CoursePage.open(page, site, lang, site.url_for("catalog.course", slug=quiz_course)).enrol()
    attempt = course.open_lesson(1).take_the_quiz().start()
    tab_through(page, f"the quiz attempt {attempt.path_now} in {lang}")
    # Space ticks the focused choice: answering needs no mouse.
    page.locator("form.quiz-form input[type=radio]").first.focus()
    page.keyboard.press("Space")
    assert page.locator("form.quiz-form input[type=radio]").first.is_checked()
