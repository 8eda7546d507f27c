""""My learning" and the expert inbox come from a shell shared by everyone with
the same roles and language (lms.ops.page_shell.personal_body), with a body
made for each request: what each person sees must still be theirs, and a
change shows on the next page."""
from __future__ import annotations

import re
from datetime import datetime

import flask_babel
from advice_support import T0, ask, client_for, held, make_queue, person, waiting
from factories import make_user, write_course
from flask_login import login_user
from sqlalchemy import select

from lms.advice import display, service
from lms.advice.sla import Status
from lms.catalog.service import enrol
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.ops import formats
from lms.templating import page_numbers
from pages import rendered_templates

TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _courses(tmp_path) -> dict[str, Course]:
    """Two courses (their import writes the content stamp, so shells are kept)."""
    write_course(tmp_path, "alpha", modules=1, lessons=2, title="Alfa")
    write_course(tmp_path, "beta", modules=1, lessons=2, title="Beta")
    import_courses(tmp_path)
    return {course.slug: course for course in db.session.scalars(select(Course))}


def _signed_in(app, email: str):
    client = app.test_client()
    client.post("/account/login", data={"email": email, "password": "correct horse battery"})
    client.get("/my/courses")  # reads the welcome message, if any
    return client


# My learning ----------------------------------------------------------------------------


def test_each_learner_sees_only_their_own_courses_in_the_shared_page(app, tmp_path):
    courses = _courses(tmp_path)
    ana, ben = make_user(email="ana@example.org", locale="en"), make_user(email="ben@example.org", locale="en")
    enrol(ana.id, courses["alpha"])
    enrol(ben.id, courses["beta"])
    ana_client, ben_client = _signed_in(app, ana.email), _signed_in(app, ben.email)

    with rendered_templates(app) as names:
        ana_page = ana_client.get("/my/courses").get_data(as_text=True)
        ben_page = ben_client.get("/my/courses").get_data(as_text=True)

    assert "progress/dashboard.html" not in names, "the header comes from the kept shell"
    assert names.count("progress/_dashboard_body.html") == 2
    assert "Alfa (en)" in ana_page and "Beta (en)" not in ana_page
    assert "Beta (en)" in ben_page and "Alfa (en)" not in ben_page
    ana_token, ben_token = TOKEN_RE.findall(ana_page)[0], TOKEN_RE.findall(ben_page)[0]
    assert ana_token != ben_token and "csrf-token-" not in ana_page + ben_page


def test_a_lesson_marked_done_shows_on_the_next_dashboard(app, tmp_path):
    courses = _courses(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, courses["alpha"])
    client = _signed_in(app, ana.email)
    assert "0% complete" in client.get("/my/courses").get_data(as_text=True)

    client.post("/courses/alpha/lessons/lesson-1-1/done", data={}, follow_redirects=True)
    page = client.get("/my/courses").get_data(as_text=True)

    assert "50% complete" in page and "Continue: Module 1 (en), Lesson 1.2 (en)" in page


def test_the_dashboard_with_a_message_shows_it_and_the_body(app, tmp_path):
    courses = _courses(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, courses["alpha"])
    client = _signed_in(app, ana.email)
    client.get("/my/courses")  # the shell is kept
    client.post("/courses/alpha/lessons/lesson-1-1/done", data={})
    client.post("/courses/alpha/lessons/lesson-1-2/done", data={})  # completes the course: to My learning
    page = client.get("/my/courses").get_data(as_text=True)
    assert 'class="flash' in page and "Completed courses" in page and "Alfa (en)" in page


# The inbox ------------------------------------------------------------------------------


def test_each_expert_sees_only_their_own_queues_and_claims(app, tmp_path):
    _courses(tmp_path)
    eva, leo = person("expert", locale="en"), person("expert", locale="en")
    learner = person("learner")
    eva_queue, leo_queue = make_queue(experts=[eva]), make_queue(experts=[leo])
    ask(learner, eva_queue, title="For Eva", now=T0)
    mine = ask(learner, leo_queue, title="Leo holds this", now=T0)
    ask(learner, leo_queue, title="For Leo", now=T0)
    service.claim(mine.id, leo)
    eva_client, leo_client = client_for(app, eva), client_for(app, leo)
    eva_client.get("/advice/inbox")
    leo_client.get("/advice/inbox")  # the shell is kept

    with rendered_templates(app) as names:
        eva_page = eva_client.get("/advice/inbox").get_data(as_text=True)
        leo_page = leo_client.get("/advice/inbox").get_data(as_text=True)

    assert "advice/inbox.html" not in names and names.count("advice/_inbox_body.html") == 2
    assert waiting(eva_page) == ["For Eva"] and held(eva_page) == []
    assert waiting(leo_page) == ["For Leo"] and held(leo_page) == ["Leo holds this"]
    eva_tokens, leo_tokens = set(TOKEN_RE.findall(eva_page)), set(TOKEN_RE.findall(leo_page))
    assert len(eva_tokens) == len(leo_tokens) == 1 and eva_tokens != leo_tokens


def test_a_new_request_and_a_claim_show_on_the_next_inbox(app, tmp_path):
    _courses(tmp_path)
    eva, learner = person("expert", locale="en"), person("learner")
    queue = make_queue(experts=[eva])
    ask(learner, queue, title="First", now=T0)
    client = client_for(app, eva)
    assert waiting(client.get("/advice/inbox").get_data(as_text=True)) == ["First"]

    second = ask(learner, queue, title="Second", now=T0)
    page = client.get("/advice/inbox").get_data(as_text=True)
    assert waiting(page) == ["First", "Second"]

    token = TOKEN_RE.findall(page)[0]
    claimed = client.post(f"/advice/requests/{second.id}/claim", data={"csrf_token": token}, csrf=False)
    assert claimed.status_code == 302
    client.get(claimed.headers["Location"])  # reads the message
    page = client.get("/advice/inbox").get_data(as_text=True)
    assert waiting(page) == ["First"] and held(page) == ["Second"]


# Texts remembered per process -------------------------------------------------------------


def test_remembered_dates_and_numbers_follow_the_readers_language_and_time_zone(app):
    late = datetime(2026, 3, 2, 23, 30)  # UTC: already 3 March in Madrid, still 2 March in Lima
    readers = [("es", "Europe/Madrid"), ("en", "Europe/Madrid"), ("es", "America/Lima"), ("en", "UTC")]
    for locale, zone in readers * 2:  # the second round reads what the first kept
        user = make_user(locale=locale)
        user.timezone = zone
        db.session.commit()
        with app.test_request_context("/"):
            login_user(user)
            flask_babel.refresh()  # the locale and time zone of this person
            assert (str(flask_babel.get_locale()), str(flask_babel.get_timezone())) == (locale, zone)
            assert formats.format_date(late) == flask_babel.format_date(late)
            assert formats.format_date(late.date()) == flask_babel.format_date(late.date())
            for number in (70, 33.3, 12345.5):
                assert formats.format_decimal(number, format="#,##0.#") == \
                    flask_babel.format_decimal(number, format="#,##0.#")


def test_remembered_inbox_texts_are_per_language(app):
    status = Status("first_response", "overdue", -3 * 86400)
    texts = {}
    for locale in ("en", "es", "en"):
        with app.test_request_context("/"), flask_babel.force_locale(locale):
            texts.setdefault(locale, set()).add(
                (display.duration(7200), display.match_count(2), str(display.sla_status(status))))
    assert texts["en"] == {("2 hours", "2 matches with your expertise",
                            '<span class="sla sla-overdue">First response overdue by 3 days</span>')}
    assert len(texts["es"]) == 1 and texts["es"] != texts["en"]


def test_page_numbers_give_the_same_links_as_every_number_would():
    def shown(numbers, page, pages, window):
        return [(number, window is None or number in (1, pages) or abs(number - page) <= window)
                for number in numbers
                if window is None or number in (1, 2, pages - 1, pages) or abs(number - page) <= window]

    for pages in range(25):
        for page in range(pages + 2):
            for window in (None, 0, 1, 2):
                assert shown(page_numbers(page, pages, window), page, pages, window) == \
                    shown(range(1, pages + 1), page, pages, window), (page, pages, window)
