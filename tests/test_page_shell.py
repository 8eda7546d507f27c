"""Lesson pages for signed-in learners come from one shared shell (lms.ops.page_shell):
what each person sees of their own must still be theirs."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from factories import make_user, write_course
from lms.advice.models import Notification
from lms.catalog.service import enrol
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.timeutil import utcnow
from pages import rendered_templates

LESSON = "/courses/alpha/lessons/lesson-2-1"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _course(tmp_path) -> Course:
    write_course(tmp_path, "alpha", modules=2, lessons=2, title="Alfa")
    import_courses(tmp_path)
    return db.session.scalar(select(Course))


def _signed_in(app, email: str):
    client = app.test_client()
    client.post("/account/login", data={"email": email, "password": "correct horse battery"})
    return client


def _done_lessons(html: str) -> list[str]:
    return re.findall(r'/lessons/(lesson-\d-\d)"[^>]*>[^<]*</a>\s*<span class="done-mark"', html)


def test_each_learner_sees_their_own_marks_on_the_shared_page(app, tmp_path):
    course = _course(tmp_path)
    ana, ben, cai = (make_user(email=f"{n}@example.org", locale="en") for n in ("ana", "ben", "cai"))
    enrol(ana.id, course)
    enrol(ben.id, course)
    ana_client, ben_client, cai_client = (_signed_in(app, u.email) for u in (ana, ben, cai))
    ana_client.post("/courses/alpha/lessons/lesson-1-2/done", data={}, follow_redirects=True)  # reads the message

    with rendered_templates(app) as names:
        ana_page = ana_client.get(LESSON).get_data(as_text=True)
        ben_page = ben_client.get(LESSON).get_data(as_text=True)
        cai_page = cai_client.get(LESSON).get_data(as_text=True)

    assert names.count("catalog/lesson.html") == 1, "the page is rendered once and shared"
    assert _done_lessons(ana_page) == ["lesson-1-2"]
    assert _done_lessons(ben_page) == []
    for page in (ana_page, ben_page):
        assert "Mark as done" in page and "Enrol in this course" not in page
    assert "Enrol in this course to keep track" in cai_page and "Mark as done" not in cai_page


def test_the_mark_as_done_form_carries_each_learners_own_token(app, tmp_path):
    course = _course(tmp_path)
    ana, ben = make_user(email="ana@example.org", locale="en"), make_user(email="ben@example.org", locale="en")
    enrol(ana.id, course)
    enrol(ben.id, course)
    ana_client, ben_client = _signed_in(app, ana.email), _signed_in(app, ben.email)
    ana_token = TOKEN_RE.findall(ana_client.get(LESSON).get_data(as_text=True))[-1]
    ben_token = TOKEN_RE.findall(ben_client.get(LESSON).get_data(as_text=True))[-1]
    assert ana_token != ben_token

    refused = ben_client.post(f"{LESSON}/done", data={"csrf_token": ana_token}, csrf=False)
    taken = ben_client.post(f"{LESSON}/done", data={"csrf_token": ben_token}, csrf=False)

    assert refused.status_code == 400 and taken.status_code == 302
    assert db.session.scalar(select(func.count(LessonProgress.id)).where(
        LessonProgress.user_id == ben.id, LessonProgress.completed_at.is_not(None))) == 1


def test_the_header_count_and_menu_are_each_persons_own(app, tmp_path):
    course = _course(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    tom = make_user("trainer", email="tom@example.org", locale="en")
    enrol(ana.id, course)
    db.session.add_all([Notification(user_id=ana.id, kind="reply", created_at=utcnow()) for _ in range(2)])
    db.session.commit()
    ana_header = _signed_in(app, ana.email).get(LESSON).get_data(as_text=True).split("</nav>")[0]
    tom_header = _signed_in(app, tom.email).get(LESSON).get_data(as_text=True).split("</nav>")[0]
    assert 'aria-label="Notifications, 2 unread"' in ana_header and ">Authoring<" not in ana_header
    assert "unread" not in tom_header and ">Authoring<" in tom_header


def test_a_page_with_a_message_is_rendered_whole(app, tmp_path):
    course = _course(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, course)
    client = _signed_in(app, ana.email)
    client.get(LESSON)  # the shell is kept
    done = client.post("/courses/alpha/lessons/lesson-2-1/done", data={}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert 'class="flash' in page
    assert "You have marked this lesson as done." in client.get(LESSON).get_data(as_text=True)


def test_a_session_keeps_one_signed_token_and_it_is_taken(app, tmp_path):
    # lms.ops.csrf_tokens: a session's token is signed once per process, not per page.
    course = _course(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, course)
    client = _signed_in(app, ana.email)
    first = TOKEN_RE.findall(client.get(LESSON).get_data(as_text=True))
    second = TOKEN_RE.findall(client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True))
    assert first and set(first) == set(second) and len(set(first)) == 1

    taken = client.post(f"{LESSON}/done", data={"csrf_token": first[0]}, csrf=False)
    assert taken.status_code == 302


def test_with_a_time_limit_a_kept_token_is_signed_again_after_a_while(app, tmp_path, monkeypatch):
    from lms.ops import csrf_tokens

    course = _course(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, course)
    client = _signed_in(app, ana.email)
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    first = TOKEN_RE.findall(client.get(LESSON).get_data(as_text=True))[-1]
    assert TOKEN_RE.findall(client.get(LESSON).get_data(as_text=True))[-1] == first
    # The kept one is older than REUSE_SECONDS: signed again, with a new timestamp.
    for key, (token, kept_at) in list(csrf_tokens._signed.items()):
        csrf_tokens._signed[key] = (token, kept_at - csrf_tokens.REUSE_SECONDS - 1)
    import time
    time.sleep(1.1)  # itsdangerous timestamps have one-second resolution
    again = TOKEN_RE.findall(client.get(LESSON).get_data(as_text=True))[-1]
    assert again != first
    assert client.post(f"{LESSON}/done", data={"csrf_token": again}, csrf=False).status_code == 302


def test_a_kept_shell_is_split_at_its_pieces_and_token(app):
    from lms.ops import page_shell
    from lms.ops.http_cache import TOKEN_PLACEHOLDER

    marker = page_shell._SECRET
    html = (f"<p>a</p><!--{marker}:echo:x%7Cy|%3C%3E-->"
            f'<input value="{TOKEN_PLACEHOLDER}"><!--{marker}:echo:--><i>{TOKEN_PLACEHOLDER}</i>')
    parts = page_shell.split_shell(html)
    assert parts[0] == "<p>a</p>" and parts[1] == ("echo", ("x|y", "<>")) and parts[3] is page_shell._TOKEN and parts[5] == ("echo", ())

    page_shell.PARTS["echo"] = lambda fill, *args: "[" + ",".join(args) + "]"
    try:
        with app.test_request_context("/"):
            from flask import g
            g.csrf_token = "the-token"
            filled = page_shell.fill_shell(parts, page_shell._fill_context())
    finally:
        del page_shell.PARTS["echo"]
    assert filled == '<p>a</p>[x|y,<>]<input value="the-token">[]<i>the-token</i>'


def test_a_kept_token_over_https_still_needs_this_sites_referrer(app, tmp_path):
    # SignedOnceCSRF skips only the signature check: Flask-WTF's HTTPS referrer rule stays.
    course = _course(tmp_path)
    ana = make_user(email="ana@example.org", locale="en")
    enrol(ana.id, course)
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    client.post("/account/login", data={"email": ana.email, "password": "correct horse battery"},
                headers={"Referer": "https://localhost/account/login"}, **https)
    client.get(LESSON, **https)  # shows the welcome message: rendered whole
    token = TOKEN_RE.findall(client.get(LESSON, **https).get_data(as_text=True))[-1]

    foreign = client.post(f"{LESSON}/done", data={"csrf_token": token}, csrf=False,
                          headers={"Referer": "https://elsewhere.example/"}, **https)
    missing = client.post(f"{LESSON}/done", data={"csrf_token": token}, csrf=False, **https)
    own = client.post(f"{LESSON}/done", data={"csrf_token": token}, csrf=False,
                      headers={"Referer": f"https://localhost{LESSON}"}, **https)
    assert (foreign.status_code, missing.status_code, own.status_code) == (400, 400, 302)
