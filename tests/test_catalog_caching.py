"""Issue 8: the catalog in pages, what is kept per content version (and that it
follows every change), visitors' ETags without rendering, the header's unread
count loaded with the person, and what a server process does not import."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from sqlalchemy import select, update

from lms.advice.models import Notification
from lms.config import ROOT
from lms.content import version
from lms.content.importer import import_courses
from lms.content.models import Course, LessonText
from lms.extensions import db
from lms.timeutil import utcnow
from factories import make_course, make_user, write_course

EN = {"Accept-Language": "en"}


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/courses/[^"]+"[^>]*>([^<]+)</a></h3>', html)


def page_links(html: str) -> dict[str, str]:
    """{link text: href} of the catalog's page navigation."""
    nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S)
    assert nav, "no page navigation"
    return {text.strip(): href.replace("&amp;", "&")
            for href, text in re.findall(r'<a (?:rel="\w+" )?href="([^"]+)">([^<]+)</a>', nav.group(0))}


def _many_courses(root, count: int, region: str = "pe-cl") -> None:
    for n in range(count):
        write_course(root, f"course-{n:03d}", title=f"Course {n:03d}", modules=1, lessons=1,
                     tags=f'regions = ["{region}"]\ntopics = ["innovation"]')
    import_courses(root)


def test_catalog_shows_24_courses_a_page_with_links_that_keep_the_filters(tmp_path, client):
    _many_courses(tmp_path / "a", 30)
    _many_courses(tmp_path / "b", 3, region="mx-gt")  # course-000..002 again: replaced, now mx-gt
    first = client.get("/courses?region=pe-cl&topic=innovation", headers=EN).get_data(as_text=True)
    shown = titles(first)
    assert len(shown) == 24 and shown[0] == "Course 003 (en)"
    assert "27 courses · Page 1 of 2" in first
    links = page_links(first)
    assert set(links) == {"2", "Next page →"}
    assert links["2"] == links["Next page →"]
    assert "region=pe-cl" in links["2"] and "topic=innovation" in links["2"] and "page=2" in links["2"]
    assert 'aria-current="page">1<' in first

    second = client.get(links["2"], headers=EN).get_data(as_text=True)
    assert titles(second) == ["Course 027 (en)", "Course 028 (en)", "Course 029 (en)"]
    back = page_links(second)
    assert set(back) == {"← Previous page", "1"}
    assert "region=pe-cl" in back["1"] and "topic=innovation" in back["1"] and "page=" not in back["1"]
    # A page past the end shows the last one; nonsense shows the first.
    assert titles(client.get("/courses?region=pe-cl&topic=innovation&page=99", headers=EN)
                  .get_data(as_text=True)) == titles(second)
    assert titles(client.get("/courses?page=abc", headers=EN).get_data(as_text=True))[0] == "Course 000 (en)"
    # Fewer courses than a page: no navigation at all.
    few = client.get("/courses?region=mx-gt", headers=EN).get_data(as_text=True)
    assert len(titles(few)) == 3 and 'class="pagination"' not in few and "Page 1 of" not in few


def test_the_kept_catalog_follows_imports_and_publishing(tmp_path, client, count_queries):
    make_course(tmp_path / "one", "alpha", title="Alfa")
    assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Alfa (en)"]
    with count_queries() as queries:
        assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Alfa (en)"]
    assert len(queries) <= 1, "a kept catalog costs the content stamp only"

    make_course(tmp_path / "two", "beta", title="Beta")  # the importer
    assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Alfa (en)", "Beta (en)"]

    course = db.session.scalar(select(Course).where(Course.slug == "beta"))
    course.published = False  # what unpublishing and publishing change
    db.session.commit()
    assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Alfa (en)"]
    course.published = True
    db.session.commit()
    assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Alfa (en)", "Beta (en)"]
    # A statement run through the session counts too.
    db.session.execute(update(Course).where(Course.slug == "alpha").values(archived_at=utcnow()))
    db.session.commit()
    assert titles(client.get("/courses", headers=EN).get_data(as_text=True)) == ["Beta (en)"]


def test_the_kept_lesson_follows_a_changed_text(tmp_path, client):
    make_course(tmp_path, "alpha", modules=1, lessons=2)
    url = "/courses/alpha/lessons/lesson-1-1"
    assert "Lesson 1.1 text in en." in client.get(url, headers=EN).get_data(as_text=True)
    text = db.session.scalar(select(LessonText).where(LessonText.language == "en",
                                                      LessonText.title == "Lesson 1.1 (en)"))
    text.body_html = "<p>Rewritten for the test.</p>"
    db.session.commit()
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert "Rewritten for the test." in html and "Lesson 1.1 text in en." not in html


def test_the_stamp_changes_with_content_only(tmp_path, client, auth):
    assert version.current() is None  # nothing written through the app yet: nothing is kept
    make_course(tmp_path, "alpha")
    stamp = version.current()
    assert stamp
    learner = make_user(locale="en")
    auth.login(learner.email)
    client.post("/courses/alpha/enrol")
    client.get("/courses/alpha/lessons/lesson-1-1")  # a visit: progress, not content
    assert version.current() == stamp
    course = db.session.scalar(select(Course))
    course.hours = 7
    db.session.commit()
    assert version.current() != stamp


def test_a_visitor_revalidates_the_catalog_and_a_lesson_without_rendering(tmp_path, client, count_queries):
    make_course(tmp_path, "alpha")
    for url in ("/courses", "/courses/alpha", "/courses/alpha/lessons/lesson-1-1"):
        first = client.get(url)
        etag = first.headers["ETag"]
        with count_queries() as queries:
            again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", url
        assert len(queries) <= 1, (url, queries)  # the content stamp, nothing else
        assert again.headers["Cache-Control"] == "private, no-cache"
    # A flashed message is part of the page: its copy is never "not modified" by the stamp.
    etag = client.get("/courses").headers["ETag"]
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Something happened.")]
    flashed = client.get("/courses", headers={"If-None-Match": etag})
    assert flashed.status_code == 200 and "Something happened." in flashed.get_data(as_text=True)


def test_the_header_count_is_loaded_with_the_person_and_follows_new_and_read_notifications(
        client, auth, count_queries):
    learner = make_user(locale="en")
    auth.login(learner.email)
    with count_queries() as queries:
        header = client.get("/account/profile").get_data(as_text=True)
    assert "unread" not in header.split("</nav>")[0]
    alone = [q for q in queries if "FROM notifications" in q and not q.lstrip().startswith("SELECT users")]
    assert not alone, "the unread count comes with the person, in the same query"
    now = utcnow()
    db.session.add_all([Notification(user_id=learner.id, kind="reply", created_at=now),
                        Notification(user_id=learner.id, kind="claimed", created_at=now)])
    db.session.commit()
    assert 'aria-label="Notifications, 2 unread"' in client.get("/account/profile").get_data(as_text=True)
    client.post("/advice/notifications/read")
    assert "unread" not in client.get("/account/profile").get_data(as_text=True).split("</nav>")[0]
    db.session.add(Notification(user_id=learner.id, kind="reply", created_at=utcnow()))
    db.session.commit()
    assert 'aria-label="Notifications, 1 unread"' in client.get("/account/profile").get_data(as_text=True)


def test_a_server_process_does_not_import_command_only_libraries():
    code = ("import sys, wsgi; heavy = [m for m in ('flask_migrate', 'alembic', 'mako', 'pygments', 'PIL', "
            "'markdown') if m in sys.modules]; print(','.join(heavy))")
    env = {**os.environ, "LMS_ENV": "production", "SECRET_KEY": "x" * 32,
           "DATABASE_URL": "sqlite://", "LOG_REQUESTS": "0"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at start: {done.stdout.strip()}"


@pytest.mark.parametrize("value", ["²", "١", "1.5", "abc", "-3", "0", "99999999999999999999999"])
def test_a_page_number_that_is_no_page_answers_a_page_of_the_catalog(client, value):
    response = client.get("/courses", query_string={"page": value})
    assert response.status_code == 200
