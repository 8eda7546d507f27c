"""Visitors' copies of public pages answered before Flask (lms.ops.visitor_cache):
only ever the same bytes any visitor of that language would get, and never
older than the content stamp every other cache trusts."""
from __future__ import annotations

import time

import pytest
from flask import request_started
from sqlalchemy import select

from factories import make_course, make_user
from lms import create_app
from lms.config import TestConfig
from lms.content import version
from lms.content.models import CourseText
from lms.extensions import db
from lms.ops.visitor_cache import VisitorPageCache


@pytest.fixture()
def server(app):
    """An app as production runs it (stamp trusted 0.5 s), on the test database."""
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                  UPLOADS_PATH=app.config["UPLOADS_PATH"], CONTENT_STAMP_SECONDS=0.5)
    served = create_app(config)
    served.test_client_class = app.test_client_class
    assert isinstance(served.wsgi_app, VisitorPageCache)
    handled: list[str] = []
    request_started.connect(lambda sender, **extra: handled.append("flask"), served, weak=False)
    served.handled = handled
    yield served
    version.forget()
    with served.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def catalog(tmp_path):
    make_course(tmp_path, "alpha", title="Alfa")


def test_a_visitors_repeat_request_is_answered_from_the_copy(server, catalog):
    client = server.test_client()
    first = client.get("/courses")
    assert first.status_code == 200 and not server.wsgi_app._entries == {}
    server.handled.clear()
    again = client.get("/courses")
    assert server.handled == [], "answered before Flask"
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Content-Security-Policy"] and not again.headers.getlist("Set-Cookie")
    assert client.get("/courses", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    head = client.head("/courses")
    assert head.status_code == 200 and head.get_data() == b""


def test_each_language_gets_its_own_copy(server, catalog):
    client = server.test_client()
    spanish = client.get("/courses", headers={"Accept-Language": "es"}).get_data(as_text=True)
    english = client.get("/courses", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in spanish and '<html lang="en">' in english
    client.set_cookie("lang", "en")
    chosen = client.get("/courses", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in chosen


def test_signed_in_people_never_get_a_visitors_copy(server, catalog):
    make_user(email="eva@example.org", locale="es")
    client = server.test_client()
    client.get("/courses")
    client.post("/account/login", data={"email": "eva@example.org", "password": "correct horse battery"})
    server.handled.clear()
    page = client.get("/courses").get_data(as_text=True)
    assert server.handled == ["flask"]
    assert 'action="/account/logout"' in page


def test_a_change_made_here_shows_at_once_and_one_made_elsewhere_within_the_stamp_time(server, catalog):
    client = server.test_client()
    assert "Alfa (es)" in client.get("/courses").get_data(as_text=True)
    with server.app_context():  # a change through this process: its commit forgets the stamp
        text = db.session.scalar(select(CourseText).where(CourseText.language == "es"))
        text.title = "Alfa renovada"
        db.session.commit()
    assert "Alfa renovada" in client.get("/courses").get_data(as_text=True)

    # Another process's change (raw SQL here: no session event, no forget) shows once
    # this process stops trusting the stamp it read.
    with server.app_context(), db.engine.begin() as connection:
        connection.execute(CourseText.__table__.update().where(CourseText.language == "es")
                           .values(title="Alfa de otro proceso"))
        connection.execute(version.ContentVersion.__table__.update().values(stamp="another-process"))
    assert "Alfa renovada" in client.get("/courses").get_data(as_text=True)  # still trusted here
    time.sleep(0.6)
    assert "Alfa de otro proceso" in client.get("/courses").get_data(as_text=True)


def test_requests_with_other_cookies_or_methods_go_to_the_app(server, catalog):
    client = server.test_client()
    client.get("/courses")
    server.handled.clear()
    client.set_cookie("remember_token", "whatever")
    client.get("/courses")
    assert server.handled == ["flask"]
