"""Journeys through the site in a real browser, in Spanish and in English, with
JavaScript on and off (the `lang` and `js` parameters of the `page` fixture).

Each journey is what one person does, step by step, through page objects
(pageobjects.py), and checks what that person would notice.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="browser tests need the dev dependency `playwright`")

from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from browser.pageobjects import (CatalogPage, CoursePage, HomePage, KnowledgeIndexPage, LoginPage,  # noqa: E402
                                 MyCoursesPage, RegisterPage, sign_in)
from browser.support import new_context  # noqa: E402
from lms.auth.models import User  # noqa: E402
from lms.content.models import Course, CourseTag, CourseText  # noqa: E402

OTHER = {"es": "en", "en": "es"}


def course_titles(site, lang: str) -> dict[str, str]:
    """slug -> title in `lang` of the shipped courses."""
    session = site.refreshed()
    rows = session.execute(select(Course.slug, CourseText.title).join(CourseText)
                           .where(CourseText.language == lang, Course.published.is_(True),
                                  Course.archived_at.is_(None))).all()
    return {slug: title for slug, title in rows}


def a_narrowing_topic(site) -> tuple[str, set[str]]:
    """A topic some shipped courses have and others do not, with the slugs that have it."""
    session = site.refreshed()
    slugs = set(session.scalars(select(Course.slug)))
    by_topic: dict[str, set[str]] = {}
    for code, slug in session.execute(select(CourseTag.code, Course.slug).join(Course)
                                      .where(CourseTag.kind == "topics")):
        by_topic.setdefault(code, set()).add(slug)
    for code, having in sorted(by_topic.items()):
        if 0 < len(having) < len(slugs):
            return code, having
    pytest.skip("every shipped course has the same topics: no filter would narrow the catalog")


def test_visitor_switches_language_and_browses_the_catalog(site, page, lang):
    home = HomePage.open(page, site, lang)
    expect(home.header.link("Courses")).to_be_visible()  # the header speaks the reader's language

    # The switch in the header shows the same page in the other language, and back.
    other = home.header.switch_language(OTHER[lang])
    assert other.path_now == "/"
    home = other.header.switch_language(lang)

    catalog = home.header.courses()
    titles = course_titles(site, lang)
    assert sorted(catalog.titles) == sorted(titles.values())

    topic, having = a_narrowing_topic(site)
    filtered = catalog.choose(topic=topic)
    assert sorted(filtered.titles) == sorted(titles[slug] for slug in having)
    assert f"topic={topic}" in page.url
    expect(page.locator("select#topic")).to_have_value(topic)  # the choice stays shown

    everything = filtered.clear_filters()
    assert len(everything.titles) == len(titles)

    # Search for a distinctive word of one course's title.
    slug, title = sorted(titles.items())[0]
    word = max(title.replace("(", " ").replace(")", " ").split(), key=len)
    found = everything.search(word)
    assert title in found.titles
    expect(page.locator("input#q")).to_have_value(word)
    nothing = found.search("zzxxqq-nothing-like-this")
    assert nothing.titles == []
    no_match = site.tr(lang, "No course matches these filters. Try fewer filters or other words.")
    expect(page.get_by_text(no_match)).to_be_visible()


def test_visitor_registers_enrols_and_reads_two_lessons(site, page, lang):
    email = f"ana.{lang}@example.org"
    register = HomePage.open(page, site, lang).header.register()
    expect(page.locator("select#locale")).to_have_value(lang)  # the page's language by default

    # Mistakes first: what was typed stays, each mistake is said next to its field.
    register.fill(name="Ana Quispe", email="ana-at-example", password="short", confirm="other")
    again = register.send()
    assert isinstance(again, RegisterPage), "a form with mistakes must come back"
    assert again.value("name") == "Ana Quispe"
    assert again.value("email") == "ana-at-example"
    assert again.error("email") and again.error("password")
    assert {"email", "password"} <= again.invalid_fields()
    expect(page.locator(".error-summary")).to_contain_text(site.tr(lang, "Please correct the marked fields."))

    catalog = again.fill(email=email, password="a long enough password",
                         confirm="a long enough password").send()
    assert isinstance(catalog, CatalogPage)
    catalog.expect_flash("Welcome to Frontera, %(name)s.", name="Ana Quispe")
    assert catalog.header.is_signed_in()
    assert site.refreshed().scalar(select(User.locale).where(User.email == email)) == lang

    title = sorted(course_titles(site, lang).values())[0]
    course = catalog.open_course(title)
    assert course.title == title
    course = course.enrol()
    course.expect_flash("You are enrolled. Start with the first lesson whenever you like.")
    assert page.get_by_role("button", name=site.tr(lang, "Enrol in this course")).count() == 0

    outline = course.lesson_titles
    assert len(outline) >= 2
    lesson = course.open_lesson(0)
    assert lesson.title == outline[0]
    assert lesson.current_in_outline == outline[0]
    assert len(lesson.body) > 200, "the lesson should have its text"
    assert lesson.previous_link.count() == 0

    second = lesson.next()
    assert second.title == outline[1]
    assert second.current_in_outline == outline[1]
    assert second.previous_link.count() == 1

    my_courses = second.header.my_courses()
    assert title in my_courses.titles


def test_learner_signs_out(site, page, lang):
    learner = site.person("learner", locale=lang)
    my_courses = sign_in(page, site, lang, learner)
    assert isinstance(my_courses, MyCoursesPage)
    assert my_courses.header.is_signed_in()

    home = my_courses.header.sign_out()
    home.expect_flash("You have signed out.")
    assert not home.header.is_signed_in()
    expect(home.header.link("Sign in")).to_be_visible()

    # The private page now asks to sign in again.
    page.goto("/my/courses")
    LoginPage(page, site, lang).check()
    assert page.url.split("?")[0].endswith("/account/login")


def test_admin_finds_a_person_and_grants_a_role(site, page, lang):
    admin = site.person("admin", locale=lang, name="Admin Person")
    site.person("learner", name="Rosa Mamani", email="rosa@example.org")
    site.person("learner", name="Pedro Ruiz", email="pedro@example.org")

    people = sign_in(page, site, lang, admin, then=MyCoursesPage).header.people()
    found = people.search("Mamani")
    assert [row[:2] for row in found.rows] == [["Rosa Mamani", "rosa@example.org"]]

    person = found.open_person("Rosa Mamani")
    assert person.heading == "Rosa Mamani"
    assert person.checked_roles == {"learner"}
    person = person.grant("expert")
    person.expect_flash("Roles of %(name)s saved.", name="Rosa Mamani")
    assert person.checked_roles == {"learner", "expert"}

    experts = person.back_to_people().search("", role="expert")
    assert [row[0] for row in experts.rows] == ["Rosa Mamani"]
    rosa = site.refreshed().scalar(select(User).where(User.email == "rosa@example.org"))
    assert rosa.roles == {"learner", "expert"}


# The `quiz_course` fixture (conftest.py): two lessons and a quiz of two questions
# (data/quiz.toml), pass mark 100 %, right answers shown after each attempt.
RIGHT = {"es": ("Cuatro", "True"), "en": ("Four", "True")}
WRONG = {"es": ("Dos", "False"), "en": ("Two", "False")}
WRONG_FEEDBACK = {"es": "No: el programa trabaja en cuatro zonas.",
                  "en": "No: the programme works in four areas."}


def test_learner_marks_lessons_done_passes_the_quiz_and_gets_the_certificate(site, page, lang, quiz_course):
    pytest.importorskip("lms.progress.views", reason="progress (mark done, certificates) not built yet")
    pytest.importorskip("lms.quizzes.views", reason="quizzes not built yet")
    title = f"Quiz course ({lang})"
    sign_in(page, site, lang, site.person("learner", locale=lang))
    course = CoursePage.open(page, site, lang, site.url_for("catalog.course", slug=quiz_course)).enrol()
    outline = course.lesson_titles

    first = course.open_lesson(0)
    second = first.mark_done()
    second.expect_flash("Lesson marked as done.")
    assert second.title == outline[1], "marking a lesson done goes on to the next"
    last = second.mark_done()
    assert last.title == outline[1] and last.marked_done

    # A wrong attempt: not passed, and the feedback says why.
    attempt = last.take_the_quiz().start()
    result = attempt.choose(WRONG[lang][0], site.tr(lang, WRONG[lang][1])).submit_for_grading()
    result.expect_flash("Your attempt was submitted.")
    assert not result.passed
    assert WRONG_FEEDBACK[lang] in result.review

    # Then a pass, which completes the course.
    attempt = result.back_to_quiz().start()
    result = attempt.choose(RIGHT[lang][0], site.tr(lang, RIGHT[lang][1])).submit_for_grading()
    assert result.passed

    learning = result.header.my_courses()
    certificate = learning.download_certificate(title)
    assert certificate.suggested_filename.endswith(".pdf")
    assert Path(certificate.path()).read_bytes()[:5] == b"%PDF-"


def test_learner_asks_an_expert_who_claims_asks_for_details_answers_and_publishes(site, page, new_page, lang, js):
    pytest.importorskip("lms.advice.views", reason="expert advice not built yet")
    from lms.advice.seed import QUEUES, seed_queues

    from lms.advice.models import AdviceQueue, QueueMember
    from lms.extensions import db

    seed_queues()
    queue = QUEUES[0][1][lang]  # its name in the page's language
    learner = site.person("learner", locale=lang, name="Lucía Learner")
    expert = site.person("expert", locale=lang, name="Ernesto Expert")
    queue_id = site.refreshed().scalar(select(AdviceQueue.id).where(AdviceQueue.slug == QUEUES[0][0]))
    db.session.add(QueueMember(queue_id=queue_id, user_id=expert.id, role="coordinator"))
    db.session.commit()
    title = {"es": "¿Cómo formar un comité de frontera?", "en": "How do we set up a border committee?"}[lang]
    question = {"es": "Somos dos municipios vecinos. ¿Por dónde empezamos?",
                "en": "We are two neighbouring municipalities. Where do we start?"}[lang]
    clarification = {"es": "¿Qué municipios son y qué acuerdos tienen ya?",
                     "en": "Which municipalities are they, and what agreements do they have already?"}[lang]
    details = {"es": "Tacna y Arica; solo un convenio cultural.",
               "en": "Tacna and Arica; only a cultural agreement."}[lang]
    answer = {"es": "Empiecen con un acuerdo de trabajo sencillo entre ambos municipios.",
              "en": "Start with a simple working agreement between both municipalities."}[lang]

    # The learner asks.
    mine = sign_in(page, site, lang, learner).header.my_requests()
    request = mine.ask_an_expert().ask(title, question, queue)
    request.expect_flash("Your request has been sent. You will be notified when an expert replies.")
    assert request.heading == title and question in request.conversation

    # The expert (another browser) says which queue they answer in, claims the request, asks for details.
    expert_page = new_page(lang, js=js)
    inbox = sign_in(expert_page, site, lang, expert, then=MyCoursesPage).header.inbox()
    inbox = inbox.my_expertise().answer_in(queue).header.inbox()
    claimed = inbox.open_request(title).claim()
    assert claimed.has_action("answer")
    claimed = claimed.write(clarification, "ask_clarification")

    # The learner is asked for more and answers.
    request = request.reload()
    assert clarification in request.conversation
    request = request.write(details, "clarify")
    assert details in request.conversation

    # The expert answers.
    answered = claimed.reload().write(answer, "answer")
    assert answer in answered.conversation

    # The learner reads the answer and accepts it.
    seen = request.reload()
    assert answer in seen.conversation and "Ernesto Expert" in seen.conversation
    closed = seen.accept()
    assert not closed.has_action("accept")

    # The expert publishes the answer as a best-practice entry. Ernesto also
    # coordinates the queue (an admin named him), so he may publish it himself;
    # Lucía did not agree to be named, so he confirms the text identifies no one.
    draft = answered.reload().prepare_knowledge_entry()
    draft.expect_flash("A draft knowledge entry has been prepared. Edit it before sending it for review.")
    assert draft.status == site.tr(lang, "Draft")
    in_review = draft.send_for_review()
    assert in_review.status == site.tr(lang, "In review")
    published = in_review.publish(confirm_anonymous=True)
    published.expect_flash("The entry is now: %(status)s.", status=site.tr(lang, "Published"))
    slug = published.slug

    # A visitor (no account, another browser) finds it in the library and reads it in that language.
    library = KnowledgeIndexPage.open_in(new_page(lang, js=js), site, lang)
    assert title in library.titles
    entry = library.open_entry(title)
    assert entry.path_now == site.url_for("knowledge.entry", slug=slug)
    assert entry.title == title and entry.text_language == lang
    assert question in entry.body and answer in entry.body
    assert "Lucía" not in entry.body, "the learner did not agree to be named"


def test_trainer_edits_a_lesson_sees_the_translation_flagged_fixes_it_and_publishes(
        site, page, lang, quiz_course):
    pytest.importorskip("lms.authoring.views", reason="authoring not built yet")
    from lms.authoring.models import CourseAuthor
    from lms.extensions import db

    trainer = site.person("trainer", locale=lang, name="Teresa Trainer")
    course_id = site.refreshed().scalar(select(Course.id).where(Course.slug == quiz_course))
    db.session.add(CourseAuthor(course_id=course_id, user_id=trainer.id, role="owner"))
    db.session.commit()
    key = "lesson-1-1"
    new_source = "## Parte 1\n\nTexto nuevo de la lección, revisado por la formadora.\n"
    new_translation = "## Part 1\n\nNew lesson text, revised by the trainer.\n"

    authoring = sign_in(page, site, lang, trainer, then=MyCoursesPage).header.authoring()
    editor = authoring.open_course(quiz_course).open_lesson(quiz_course, key)
    assert not editor.flagged("en")

    # Change the Spanish source: the English translation is flagged as behind it.
    editor = editor.write("es", new_source).save()
    assert editor.flagged("en"), "the translation should be flagged when its source changes"
    assert not editor.flagged("es")

    # Fix the translation, confirming it follows the new source: the flag goes.
    editor = editor.write("en", new_translation, confirm=True).save()
    assert not editor.flagged("en")

    # Learners still read the old text until the trainer publishes.
    reader = LessonReader(site, page)
    assert "Texto nuevo" not in reader.text(quiz_course, key, "es")
    editor = editor.publish()
    editor.expect_flash("Published: learners now see the new texts.")
    assert "Texto nuevo de la lección" in reader.text(quiz_course, key, "es")
    assert "New lesson text" in reader.text(quiz_course, key, "en")


class LessonReader:
    """Reads a published lesson as a visitor would, in a given language (no cookies of the trainer)."""

    def __init__(self, site, page):
        self.site, self.page = site, page

    def text(self, slug: str, key: str, lang: str) -> str:
        context = new_context(self.page.context.browser, self.site.url, lang, js=False)
        try:
            reading = context.new_page()
            reading.goto(self.site.url_for("catalog.lesson", slug=slug, lesson_key=key))
            return reading.locator("article.lesson").inner_text()
        finally:
            context.close()
            assert not context.watch.outside_requests
