"""Page objects: what a person sees and does on each page, in either language.

A journey reads like the person's steps::

    home = Home.open(page, site, "es")
    catalog = home.header.switch_language("en").header.courses()
    course = catalog.search("value chains").open_course(title)

Each action that leads to another page returns that page's object. Texts are
found the way a person finds them: by role and by the words the app says in
the page's language (``site.tr(lang, msgid)``), so a journey in Spanish also
checks that the Spanish words are there. Every action works with JavaScript
on or off: the site is plain HTML forms and links.

New capabilities add their pages here (a quiz, an advice request, a lesson
editor...) as subclasses of ``SitePage``, with ``path`` or ``open(...)`` and the
actions people take on them.
"""
from __future__ import annotations

import re
from typing import TypeVar

from playwright.sync_api import Locator, Page, expect

P = TypeVar("P", bound="SitePage")


class SitePage:
    """Any page of the site: its header, heading, flash messages and language."""

    path: str = "/"

    def __init__(self, page: Page, site, lang: str):
        self.page = page
        self.site = site
        self.lang = lang

    # Arriving -------------------------------------------------------------------

    @classmethod
    def open(cls: type[P], page: Page, site, lang: str, path: str | None = None) -> P:
        response = page.goto(path or cls.path)
        status = response.status if response else None
        assert response is not None and response.ok, f"{path or cls.path} answered {status}"
        return cls(page, site, lang).check()

    def check(self: P) -> P:
        """What every page shows: the page's language on <html>, a title, one main heading."""
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        expect(self.page.locator("h1")).to_have_count(1)
        return self

    def to(self, cls: type[P], lang: str | None = None) -> P:
        return cls(self.page, self.site, lang or self.lang).check()

    def t(self, message: str, **params) -> str:
        return self.site.tr(self.lang, message, **params)

    def submit(self, control: Locator) -> None:
        """Press a button (or follow a link) that loads another page, and wait for it."""
        with self.page.expect_navigation(wait_until="load"):
            control.click()

    # What is on every page ----------------------------------------------------------

    @property
    def header(self) -> Header:
        return Header(self)

    @property
    def heading(self) -> str:
        return self.page.locator("h1").inner_text().strip()

    @property
    def flashes(self) -> list[str]:
        return [text.strip() for text in self.page.locator(".flashes .flash").all_inner_texts()]

    def expect_flash(self, message: str, **params) -> None:
        expect(self.page.locator(".flashes")).to_contain_text(self.t(message, **params))

    @property
    def path_now(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)


class Header:
    """The site header: main navigation, sign in/out and the language switch."""

    def __init__(self, owner: SitePage):
        self.owner = owner
        self.page = owner.page

    @property
    def nav(self) -> Locator:
        return self.page.get_by_role("navigation", name=self.owner.t("Main"))

    def link(self, message: str) -> Locator:
        """A link of the main navigation, by its words in the page's language."""
        return self.nav.get_by_role("link", name=self.owner.t(message), exact=True)

    def link_to(self, endpoint: str, **values) -> Locator:
        """A link of the main navigation, by where it goes (its words may change)."""
        return self.nav.locator(f'a[href="{self.owner.site.url_for(endpoint, **values)}"]')

    def follow(self, endpoint: str, cls: type[P]) -> P:
        link = self.link_to(endpoint)
        expect(link).to_have_count(1)
        assert link.inner_text().strip(), f"the link to {endpoint} has no words"
        self.owner.submit(link)
        return self.owner.to(cls)

    def courses(self) -> CatalogPage:
        return self.follow("catalog.index", CatalogPage)

    def my_courses(self) -> MyCoursesPage:
        return self.follow("catalog.my_courses", MyCoursesPage)

    def people(self) -> PeoplePage:
        return self.follow("admin.people", PeoplePage)

    def my_requests(self) -> MyRequestsPage:
        return self.follow("advice.my_requests", MyRequestsPage)

    def inbox(self) -> InboxPage:
        return self.follow("advice.inbox", InboxPage)

    def authoring(self) -> AuthoringPage:
        return self.follow("authoring.index", AuthoringPage)

    def sign_in(self) -> LoginPage:
        return self.follow("auth.login", LoginPage)

    def register(self) -> RegisterPage:
        return self.follow("auth.register", RegisterPage)

    @property
    def sign_out_button(self) -> Locator:
        return self.nav.get_by_role("button", name=self.owner.t("Sign out"))

    def is_signed_in(self) -> bool:
        return self.sign_out_button.count() == 1

    def sign_out(self) -> HomePage:
        self.owner.submit(self.sign_out_button)
        return self.owner.to(HomePage)

    def switch_language(self, code: str, cls: type[P] | None = None) -> P:
        """Press the other language's name in the header (a button of a form when
        signed in, a link for visitors); the same page comes back in it."""
        switch = self.page.locator(".language-switch")
        expect(switch.locator("[aria-current=true]")).to_have_attribute("lang", self.owner.lang)
        self.owner.submit(switch.locator(f"button[name=language][value={code}], a[hreflang={code}]"))
        return self.owner.to(cls or type(self.owner), lang=code)


class HomePage(SitePage):
    path = "/"

    def browse_courses(self) -> CatalogPage:
        self.submit(self.page.get_by_role("main").get_by_role("link", name=self.t("Browse the courses")))
        return self.to(CatalogPage)


class CatalogPage(SitePage):
    path = "/courses"

    @property
    def titles(self) -> list[str]:
        return [t.strip() for t in self.page.locator("ul.cards li.card h3 a").all_inner_texts()]

    def search(self, words: str) -> CatalogPage:
        self.page.get_by_label(self.t("Search")).fill(words)
        return self.apply()

    def choose(self, **filters: str) -> CatalogPage:
        """Pick filter values by their code: topic=..., region=..., value_chain=..., language=..."""
        for name, value in filters.items():
            self.page.locator(f"form.filters select[name={name}]").select_option(value)
        return self.apply()

    def apply(self) -> CatalogPage:
        self.submit(self.page.locator("form.filters").get_by_role("button", name=self.t("Filter")))
        return self.to(CatalogPage)

    def clear_filters(self) -> CatalogPage:
        self.submit(self.page.get_by_role("link", name=self.t("Clear filters")))
        return self.to(CatalogPage)

    def open_course(self, title: str) -> CoursePage:
        self.submit(self.page.locator("ul.cards").get_by_role("link", name=title, exact=True))
        return self.to(CoursePage)


class RegisterPage(SitePage):
    path = "/account/register"

    FIELDS = ("name", "email", "password", "confirm")

    def fill(self, **values: str) -> RegisterPage:
        """Type into fields by name (name, email, password, confirm); pick locale/region by code."""
        for name, value in values.items():
            if name in ("locale", "region"):
                self.page.locator(f"select#{name}").select_option(value)
            else:
                self.page.locator(f"input#{name}").fill(value)
        return self

    def send(self) -> SitePage:
        self.submit(self.page.get_by_role("button", name=self.t("Create the account")))
        if self.page.url.endswith(self.path):
            return self.to(RegisterPage)
        return self.to(CatalogPage)

    def value(self, name: str) -> str:
        return self.page.locator(f"#{name}").input_value()

    def error(self, name: str) -> str | None:
        error = self.page.locator(f"#{name}-error")
        return error.inner_text().strip() if error.count() else None

    def invalid_fields(self) -> set[str]:
        return set(self.page.locator("[aria-invalid=true]").evaluate_all("els => els.map(e => e.name)"))


class LoginPage(SitePage):
    path = "/account/login"

    def sign_in(self, email: str, password: str, then: type[P] | None = None) -> P:
        self.page.get_by_label(self.t("Email")).fill(email)
        self.page.get_by_label(self.t("Password"), exact=True).fill(password)
        self.submit(self.page.get_by_role("main").get_by_role("button", name=self.t("Sign in")))
        return self.to(then or MyCoursesPage)


class CoursePage(SitePage):
    @property
    def title(self) -> str:
        return self.heading

    def enrol(self) -> CoursePage:
        self.submit(self.page.get_by_role("button", name=self.t("Enrol in this course")))
        return self.to(CoursePage)

    @property
    def enrolment_status(self) -> str:
        return self.page.locator(".enrol").inner_text().strip()

    @property
    def lesson_links(self) -> Locator:
        return self.page.locator("ol.outline ol a")

    @property
    def lesson_titles(self) -> list[str]:
        return [t.strip() for t in self.lesson_links.all_inner_texts()]

    def open_lesson(self, index: int = 0) -> LessonPage:
        self.submit(self.lesson_links.nth(index))
        return self.to(LessonPage)


class LessonPage(SitePage):
    @property
    def title(self) -> str:
        return self.heading

    @property
    def body(self) -> str:
        return self.page.locator("article.lesson .prose").inner_text().strip()

    @property
    def current_in_outline(self) -> str:
        return self.page.locator(".outline-nav [aria-current=page]").inner_text().strip()

    @property
    def next_link(self) -> Locator:
        return self.page.locator("nav.pager a[rel=next]")

    @property
    def previous_link(self) -> Locator:
        return self.page.locator("nav.pager a[rel=prev]")

    def next(self) -> LessonPage:
        self.submit(self.next_link)
        return self.to(LessonPage)

    def previous(self) -> LessonPage:
        self.submit(self.previous_link)
        return self.to(LessonPage)

    @property
    def done_button(self) -> Locator:
        return self.page.locator(".lesson-progress form button[type=submit]")

    def mark_done(self) -> LessonPage:
        """Mark the lesson done; the next lesson (or this one, if it is the last) comes."""
        self.submit(self.done_button)
        return self.to(LessonPage)

    @property
    def marked_done(self) -> bool:
        return self.page.locator(".lesson-progress .status-done").count() == 1

    def take_the_quiz(self) -> QuizPage:
        self.submit(self.page.locator("main .module-quiz a"))
        return self.to(QuizPage)

    def back_to_course(self) -> CoursePage:
        self.submit(self.page.get_by_role("navigation", name=self.t("Breadcrumbs")).get_by_role("link"))
        return self.to(CoursePage)


class QuizPage(SitePage):
    """A module's quiz: its settings, one's attempts and the button to start."""

    def start(self) -> AttemptPage:
        self.submit(self.page.locator("main form button[type=submit]"))
        return self.to(AttemptPage)


class AttemptPage(SitePage):
    def choose(self, *answers: str) -> AttemptPage:
        """Tick the choices whose words are `answers` (single, multiple, true/false questions)."""
        for answer in answers:
            self.page.locator("form.quiz-form").get_by_label(answer, exact=True).check()
        return self

    def submit_for_grading(self) -> ResultPage:
        self.submit(self.page.locator("form.quiz-form button[name=action][value=submit]"))
        return self.to(ResultPage)


class ResultPage(SitePage):
    @property
    def passed(self) -> bool:
        verdict = self.page.locator(".quiz-score .verdict")
        expect(verdict).to_have_count(1)
        return "verdict-pass" in (verdict.get_attribute("class") or "")

    @property
    def review(self) -> str:
        return " ".join(self.page.locator("main section.question").all_inner_texts())

    def back_to_quiz(self) -> QuizPage:
        self.submit(self.page.locator("main .quiz-links a").first)
        return self.to(QuizPage)


class MyCoursesPage(SitePage):
    path = "/my/courses"

    def download_certificate(self, title: str):
        """Download the certificate of the course `title`; returns Playwright's Download."""
        link = self.page.get_by_role("link", name=title, exact=True)
        card = self.page.locator("main .card").filter(has=link)
        with self.page.expect_download() as download:
            card.locator("a[href$='.pdf']").click()
        return download.value

    @property
    def titles(self) -> list[str]:
        """Titles of the courses listed (in progress or completed)."""
        return [t.strip() for t in self.page.locator("main .card :is(h2, h3) a").all_inner_texts()]


class PeoplePage(SitePage):
    path = "/admin/people"

    def search(self, words: str, role: str | None = None) -> PeoplePage:
        self.page.get_by_label(self.t("Name or email")).fill(words)
        if role is not None:
            self.page.get_by_label(self.t("Role")).select_option(role)
        self.submit(self.page.locator("form.filters").get_by_role("button", name=self.t("Search")))
        return self.to(PeoplePage)

    @property
    def rows(self) -> list[list[str]]:
        return [[cell.strip() for cell in row.locator("td").all_inner_texts()]
                for row in self.page.locator("table.data tbody tr").all()]

    def open_person(self, name: str) -> PersonPage:
        self.submit(self.page.locator("table.data").get_by_role("link", name=name, exact=True))
        return self.to(PersonPage)


class PersonPage(SitePage):
    def role_box(self, code: str) -> Locator:
        return self.page.locator(f"input[type=checkbox][name=roles][value={code}]")

    def grant(self, *codes: str) -> PersonPage:
        for code in codes:
            self.role_box(code).check()
        self.submit(self.page.get_by_role("button", name=self.t("Save roles")))
        return self.to(PersonPage)

    def revoke(self, *codes: str) -> PersonPage:
        for code in codes:
            self.role_box(code).uncheck()
        self.submit(self.page.get_by_role("button", name=self.t("Save roles")))
        return self.to(PersonPage)

    @property
    def checked_roles(self) -> set[str]:
        boxes = self.page.locator("input[name=roles]:checked")
        return set(boxes.evaluate_all("els => els.map(e => e.value)"))

    def back_to_people(self) -> PeoplePage:
        self.submit(self.page.get_by_role("main").get_by_role("link", name=self.t("People")))
        return self.to(PeoplePage)


# Expert advice (lms/advice) ------------------------------------------------------------

class MyRequestsPage(SitePage):
    def ask_an_expert(self) -> NewRequestPage:
        self.submit(self.page.locator(f'main a[href="{self.site.url_for("advice.new_request")}"]'))
        return self.to(NewRequestPage)

    def open_request(self, title: str) -> RequestPage:
        self.submit(self.page.get_by_role("main").get_by_role("link", name=title, exact=True))
        return self.to(RequestPage)


class NewRequestPage(SitePage):
    def ask(self, title: str, question: str, queue: str) -> RequestPage:
        """Send a request to the queue named `queue` (its name in the page's language)."""
        self.page.locator("input#title").fill(title)
        self.page.locator("textarea#body").fill(question)
        self.page.locator("select#queue_id").select_option(label=queue)
        self.submit(self.page.locator("main form.stacked button[type=submit]").last)
        return self.to(RequestPage)


class ExpertisePage(SitePage):
    def answer_in(self, *queues: str) -> ExpertisePage:
        for queue in queues:
            self.page.locator("main form").get_by_label(queue, exact=True).check()
        self.submit(self.page.locator("main form button[type=submit]"))
        return self.to(ExpertisePage)


class InboxPage(SitePage):
    def my_expertise(self) -> ExpertisePage:
        self.submit(self.page.locator(f'main a[href="{self.site.url_for("advice.expertise")}"]'))
        return self.to(ExpertisePage)

    def open_request(self, title: str) -> RequestPage:
        self.submit(self.page.get_by_role("main").get_by_role("link", name=title, exact=True).first)
        return self.to(RequestPage)


class RequestPage(SitePage):
    """One advice request: its conversation and what this person may do now."""

    @property
    def conversation(self) -> str:
        return " ".join(self.page.locator("ol.conversation > li").all_inner_texts())

    def has_action(self, action: str) -> bool:
        return self.page.locator(f"main button[name=action][value={action}], "
                                 f"main form[action$='/{action.replace('_', '-')}'] button").count() > 0

    def claim(self) -> RequestPage:
        return self.press("claim")

    def accept(self) -> RequestPage:
        return self.press("accept")

    def press(self, action: str) -> RequestPage:
        """A button that is a form of its own (claim, release, accept, withdraw, take-over)."""
        self.submit(self.page.locator(f"main form[action$='/{action.replace('_', '-')}'] button"))
        return self.to(RequestPage)

    def reload(self) -> RequestPage:
        """Load the page again, once the last form's navigation has finished (never mid-redirect)."""
        self.page.wait_for_load_state("load")
        self.page.reload(wait_until="load")
        return self.to(RequestPage)

    def prepare_knowledge_entry(self) -> KnowledgeEditPage:
        """Experts, once the request is answered: draft a knowledge entry from it."""
        action = self.site.url_for("advice.publish", request_id=self.request_id)
        self.submit(self.page.locator(f'main form[action="{action}"] button'))
        return self.to(KnowledgeEditPage)

    @property
    def request_id(self) -> int:
        return int(self.path_now.split("/advice/requests/")[1].split("?")[0].split("#")[0].split("/")[0])

    def write(self, text: str, action: str) -> RequestPage:
        """Write in the message box and press the button of `action` (answer, ask_clarification, reply...)."""
        self.page.locator("main textarea#body").fill(text)
        self.submit(self.page.locator(f"main button[name=action][value={action}]"))
        return self.to(RequestPage)


# Knowledge repository (lms/knowledge) ------------------------------------------------------

class KnowledgeEditPage(SitePage):
    """A knowledge entry being prepared: its texts, and the review buttons (draft, review, published)."""

    @property
    def status(self) -> str:
        return self.page.locator("main .state").first.inner_text().strip()

    def _move(self, action: str) -> Locator:
        return self.page.locator(f"main form[action$='/status']:has(input[name=action][value={action}])")

    def send_for_review(self) -> KnowledgeEditPage:
        self.submit(self._move("submit_review").locator("button"))
        return self.to(KnowledgeEditPage)

    def publish(self, confirm_anonymous: bool = False) -> KnowledgeEditPage:
        """Coordinators: publish; for an anonymised entry, confirm the text identifies no one."""
        form = self._move("publish")
        if confirm_anonymous:
            form.locator("input[name=confirm_anonymous]").check()
        self.submit(form.locator("button"))
        return self.to(KnowledgeEditPage)

    @property
    def slug(self) -> str:
        """The entry's address, from the "See it published" link (published entries only)."""
        link = self.page.get_by_role("main").get_by_role("link", name=self.t("See it published"))
        return (link.get_attribute("href") or "").rsplit("/", 1)[1]


class KnowledgeIndexPage(SitePage):
    """The public knowledge repository: best practices and expert answers."""

    @classmethod
    def open_in(cls, page: Page, site, lang: str) -> KnowledgeIndexPage:
        return cls.open(page, site, lang, site.url_for("knowledge.index"))

    @property
    def titles(self) -> list[str]:
        return [t.strip() for t in self.page.locator("main ul.cards li.card h2 a").all_inner_texts()]

    def open_entry(self, title: str) -> KnowledgeEntryPage:
        self.submit(self.page.locator("main ul.cards").get_by_role("link", name=title, exact=True))
        return self.to(KnowledgeEntryPage)


class KnowledgeEntryPage(SitePage):
    @property
    def title(self) -> str:
        return self.heading

    @property
    def body(self) -> str:
        return self.page.locator("main article .prose").inner_text().strip()

    @property
    def text_language(self) -> str:
        """The language of the entry's text: the page's, unless the article says otherwise."""
        return self.page.locator("main article").get_attribute("lang") or self.lang


# Authoring (lms/authoring) ---------------------------------------------------------------

class AuthoringPage(SitePage):
    """The trainer's list of the courses they edit."""

    def open_course(self, slug: str) -> AuthoredCoursePage:
        self.submit(self.page.locator(f'main a[href="{self.site.url_for("authoring.course", slug=slug)}"]'))
        return self.to(AuthoredCoursePage)


class AuthoredCoursePage(SitePage):
    def open_lesson(self, slug: str, key: str) -> LessonEditorPage:
        href = self.site.url_for("authoring.lesson", slug=slug, key=key)
        self.submit(self.page.locator(f'main a[href="{href}"]'))
        return self.to(LessonEditorPage)


class LessonEditorPage(SitePage):
    """The lesson editor: one column per language, drafts, the source-changed flag, publishing."""

    def text(self, lang: str) -> Locator:
        return self.page.locator(f"textarea#text_{lang}")

    def write(self, lang: str, text: str, confirm: bool = False) -> LessonEditorPage:
        self.text(lang).fill(text)
        if confirm:
            self.page.locator(f"input#confirm_{lang}").check()
        return self

    def save(self) -> LessonEditorPage:
        self.submit(self.page.locator("form.lesson-editor button[name=action][value=save]"))
        return self.to(LessonEditorPage)

    def flagged(self, lang: str) -> bool:
        """Whether the `lang` translation is flagged: its source changed since it was made."""
        return self.page.locator(f"#lang-{lang} .source-changes").count() == 1

    def publish(self) -> LessonEditorPage:
        action = self.site.url_for("authoring.publish_lesson", slug=self.slug, key=self.key)
        self.submit(self.page.locator(f'main form[action="{action}"] button'))
        return self.to(LessonEditorPage)

    @property
    def slug(self) -> str:
        return self.path_now.split("/author/courses/")[1].split("/")[0]

    @property
    def key(self) -> str:
        return self.path_now.split("/lessons/")[1].split("?")[0]


def sign_in(page: Page, site, lang: str, person, then: type[P] | None = None) -> P:
    """Sign in through the sign-in page, as a person does."""
    return LoginPage.open(page, site, lang).sign_in(person.email, person.password, then=then)
