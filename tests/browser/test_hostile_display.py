"""Script and event-handler payloads typed into the real forms never run where
they are shown (issue #9, point 6: the browser half of tests/test_hostile_input.py).

People store the payloads through the site's own forms: a profile name, an
advice request's title and Markdown question, a lesson's title and text in the
authoring editor (then published), a knowledge entry's title and text. Then
every page that shows them is opened, in Spanish and English, and the browser
must show no dialog, leave ``window.__xss`` undefined, carry no ``on*``
attribute and no ``javascript:`` link, and log no CSP violation (the
``context`` fixture fails the test on any).
"""
from __future__ import annotations

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the dev dependency `playwright`")

from browser.pageobjects import sign_in  # noqa: E402
from lms.extensions import db  # noqa: E402

MARK = "window.__xss=1;alert(1)"
NAME = f'<img src=x onerror="{MARK}">'
TITLE = f'"><svg onload={MARK}> <script>{MARK}</script>'
MARKDOWN = (f"<script>{MARK}</script>\n\n[click me](javascript:{MARK})\n\n"
            f'<img src=x onerror="{MARK}">\n\n<a href="javascript:{MARK}">link</a>\n\n'
            f'![pic](x" onerror="{MARK})\n\n"><svg onload={MARK}>')

# What the page's own DOM says about injection (run in the page).
INJECTED_JS = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(`${attr.name} on <${el.tagName.toLowerCase()}>`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name)
          && (value.startsWith('javascript:') || value.startsWith('data:text/html')))
        found.push(`${attr.name}=${attr.value.slice(0, 40)} on <${el.tagName.toLowerCase()}>`);
    }
    if (el.tagName === 'SCRIPT' && !el.src) found.push('an inline <script>');
  }
  return found;
}"""


class Watcher:
    """Dialogs a page opens; every dialog is dismissed and remembered."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        page.on("dialog", self._on_dialog)

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def check_page(page, watcher: Watcher, path: str, must_show: str | None = None) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status < 500, f"{path} answered {response and response.status}"
    page.wait_for_load_state("load")
    problems = [f"{path}: {item}" for item in page.evaluate(INJECTED_JS)]
    if page.evaluate("() => typeof window.__xss") != "undefined":
        problems.append(f"{path}: a payload ran (window.__xss is set)")
    problems += [f"{path}: a dialog opened ({item})" for item in watcher.dialogs]
    watcher.dialogs.clear()
    if must_show is not None and must_show not in page.locator("body").inner_text():
        problems.append(f"{path}: the stored text {must_show[:30]!r} is not shown as text")
    return problems


def submit(page, button) -> None:
    with page.expect_navigation(wait_until="load"):
        button.click()


def _queue_and_course(site, tmp_path, trainer_id: int) -> dict:
    from factories import make_course
    from lms.advice.models import AdviceQueue
    from lms.authoring.models import CourseAuthor
    from lms.content.models import Course
    from lms.knowledge.models import KnowledgeEntry, KnowledgeEntryText
    from lms.timeutil import utcnow

    queue = AdviceQueue(slug="hostile-queue", names={"es": "Cola", "en": "Queue"})
    db.session.add(queue)
    make_course(tmp_path / "courses", "hostile-course", modules=1, lessons=1)
    course_id = db.session.scalar(db.select(Course.id).where(Course.slug == "hostile-course"))
    db.session.add(CourseAuthor(course_id=course_id, user_id=trainer_id, role="owner"))
    entry = KnowledgeEntry(slug="hostile-entry", source="advice", status="draft", published_at=utcnow(),
                           texts=[KnowledgeEntryText(language=lang, title="An entry", body_markdown="Text",
                                                     body_html="<p>Text</p>") for lang in ("es", "en")])
    db.session.add(entry)
    db.session.commit()
    return {"queue_id": queue.id, "entry_id": entry.id}


@pytest.mark.parametrize("js", [True], ids=["js"])  # a payload can only run with JavaScript on
def test_payloads_typed_into_forms_never_run_on_the_pages_that_show_them(site, page, new_page, lang, tmp_path):
    learner = site.person("learner", locale=lang, name="Ana")
    admin = site.person("admin", locale=lang, name="Admin")
    made = _queue_and_course(site, tmp_path, admin.id)
    watcher = Watcher(page)
    sign_in(page, site, lang, learner)

    # A learner: her name, then an advice request (title and Markdown question).
    page.goto("/account/profile")
    page.fill("#name", NAME)
    submit(page, page.locator("main form button[type=submit]").first)
    page.goto("/advice/new")
    page.fill("#title", TITLE)
    page.fill("#body", MARKDOWN)
    page.select_option("#queue_id", str(made["queue_id"]))
    submit(page, page.locator("main form button[type=submit]").first)
    request_path = page.url.split("127.0.0.1", 1)[1].split(":", 1)[1].lstrip("0123456789")
    assert request_path.startswith("/advice/requests/"), f"the request was not sent: still on {page.url}"

    problems = []
    for path in ["/account/profile", "/advice/", request_path, "/my/courses"]:
        problems += check_page(page, watcher, path)

    # An admin (a trainer who owns a course): the lesson's title and text, published; a knowledge entry.
    other = new_page(lang)
    other_watch = Watcher(other)
    sign_in(other, site, lang, admin)
    lesson_editor = "/author/courses/hostile-course/lessons/lesson-1-1"
    other.goto(lesson_editor)
    other.fill(f"#title_{lang}", TITLE)
    other.fill(f"#text_{lang}", MARKDOWN)
    submit(other, other.locator("button[name=action][value=save]"))
    other.goto(lesson_editor)
    submit(other, other.locator("form[action$='/lessons/lesson-1-1/publish'] button"))
    entry_editor = f"/knowledge/drafts/{made['entry_id']}/edit"
    other.goto(entry_editor)
    other.fill(f"#title_{lang}", TITLE)
    other.fill(f"#body_{lang}", MARKDOWN)
    submit(other, other.locator("main form.stacked button[type=submit]").first)
    from lms.knowledge.models import KnowledgeEntry

    session = site.refreshed()
    entry = session.get(KnowledgeEntry, made["entry_id"])
    stored = {text.language: text.title for text in entry.texts}
    assert stored.get(lang) == TITLE, f"the knowledge entry's title was not saved through its form: {stored}"
    entry.status = "published"  # publishing needs an advice request behind it; the texts came from the form
    session.commit()

    for path in [lesson_editor, "/courses/hostile-course", "/courses/hostile-course/lessons/lesson-1-1",
                 "/author/courses/hostile-course", entry_editor, "/knowledge/hostile-entry", "/knowledge/",
                 request_path, "/admin/people", f"/admin/people/{learner.id}", "/advice/inbox"]:
        problems += check_page(other, other_watch, path)
    # The learner reads the published lesson too.
    problems += check_page(page, watcher, "/courses/hostile-course/lessons/lesson-1-1")

    session = site.refreshed()
    from lms.auth.models import User

    assert session.get(User, learner.id).name == NAME, "the hostile name was not stored: nothing was tested"
    assert not problems, "Stored payloads that act in the browser:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("js", [True], ids=["js"])
@pytest.mark.parametrize("lang", ["en"])
def test_the_checks_catch_a_payload_that_runs(site, page, lang):
    """check_page above must be able to fail: a page where the payload does run."""
    html = f"<!doctype html><html lang='en'><body><h1>x</h1><p>{NAME}</p></body></html>"
    page.route("**/hostile-probe", lambda route: route.fulfill(status=200, content_type="text/html", body=html))
    watcher = Watcher(page)
    problems = check_page(page, watcher, "/hostile-probe")
    page.wait_for_timeout(50)
    assert any("onerror" in item for item in problems), problems
    assert any("window.__xss" in item or "dialog" in item for item in problems + watcher.dialogs), problems
