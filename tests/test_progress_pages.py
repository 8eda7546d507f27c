"""What a learner sees: visits recorded, "Mark as done" without JavaScript, done
lessons marked in the outline, and the "My learning" dashboard."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from factories import make_user, write_course
from lms.catalog.models import Enrolment
from lms.catalog.service import enrol
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.progress.models import LessonProgress
from lms.progress.seed import seed_learners
from lms.timeutil import utcnow
from pages import Page
from progress_support import add_learner, make_report_course

EN = {"Accept-Language": "en"}


def _setup(tmp_path, auth, modules=2, lessons=2, locale="en"):
    write_course(tmp_path, "alpha", modules=modules, lessons=lessons, title="Alfa")
    import_courses(tmp_path)
    course = db.session.scalar(select(Course))
    learner = make_user(locale=locale)
    enrol(learner.id, course)
    auth.login(learner.email)
    return course, learner


def test_opening_a_lesson_records_first_and_last_visit(tmp_path, client, auth):
    course, learner = _setup(tmp_path, auth)
    client.get("/courses/alpha/lessons/lesson-1-1")
    row = db.session.scalar(select(LessonProgress))
    assert row.first_visit_at == row.last_visit_at and row.completed_at is None
    db.session.execute(
        update(LessonProgress).values(
            first_visit_at=utcnow() - timedelta(days=3), last_visit_at=utcnow() - timedelta(days=3)
        )
    )
    db.session.commit()
    client.get("/courses/alpha/lessons/lesson-1-1")
    db.session.expire_all()
    row = db.session.scalar(select(LessonProgress))
    assert row.last_visit_at - row.first_visit_at > timedelta(days=2)
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 1
    assert db.session.scalar(select(Enrolment.last_activity_at)) is not None


def test_visits_are_not_recorded_for_visitors_or_learners_not_enrolled(tmp_path, client, auth):
    write_course(tmp_path, "alpha")
    import_courses(tmp_path)
    assert client.get("/courses/alpha/lessons/lesson-1-1").status_code == 200
    other = make_user(locale="en")
    auth.login(other.email)
    html = client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True)
    assert "Enrol in this course to keep track" in html and "Mark as done" not in html
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 0
    # Posting anyway records nothing.
    response = client.post("/courses/alpha/lessons/lesson-1-1/done", data={}, follow_redirects=True)
    assert "Enrol in this course to record your progress" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 0


def test_mark_as_done_is_a_plain_form_that_moves_on_and_records_once(tmp_path, client, auth):
    _setup(tmp_path, auth)
    page = Page(client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True))
    form = next(
        e
        for e in page.elements
        if e.tag == "form" and e.get("action") == "/courses/alpha/lessons/lesson-1-1/done"
    )
    assert form.get("method") == "post"
    assert any(
        e.tag == "input" and e.get("name") == "csrf_token" and e.within("form") is form for e in page.elements
    )
    response = client.post("/courses/alpha/lessons/lesson-1-1/done", data={"next_lesson": "lesson-1-2"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/lessons/lesson-1-2")
    client.post("/courses/alpha/lessons/lesson-1-1/done", data={})  # a double submit
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 1
    html = client.get("/courses/alpha/lessons/lesson-1-1").get_data(as_text=True)
    assert "You have marked this lesson as done." in html and "Mark as done" not in html


def test_mark_as_done_needs_a_csrf_token(tmp_path, client, auth):
    _setup(tmp_path, auth)
    response = client.post("/courses/alpha/lessons/lesson-1-1/done", data={}, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(LessonProgress.id))) == 0


def test_outline_marks_done_lessons_on_course_and_lesson_pages(tmp_path, client, auth):
    _setup(tmp_path, auth)
    client.post("/courses/alpha/lessons/lesson-1-2/done", data={})
    for url in ("/courses/alpha", "/courses/alpha/lessons/lesson-2-1"):
        html = client.get(url).get_data(as_text=True)
        marked = re.findall(
            r'lesson_key=|/lessons/(lesson-\d-\d)"[^>]*>[^<]*</a>\s*<span class="done-mark"', html
        )
        assert [m for m in marked if m] == ["lesson-1-2"], url
        assert "(done)" in html


def test_course_outline_marks_a_passed_quiz(tmp_path, client, auth):
    now = utcnow()
    course = make_report_course(tmp_path)
    learner = add_learner(
        course,
        name="Ana",
        region=None,
        locale="en",
        enrolled=now - timedelta(days=3),
        activity=now - timedelta(days=1),
        done=("lesson-1-1",),
        attempts=({"q1": "right", "q2": "right", "q3": "right"},),
    )
    auth.login(learner.email)
    html = client.get("/courses/report-course").get_data(as_text=True)
    assert html.count("Quiz passed") == 1
    html = client.get("/courses/report-course/lessons/lesson-2-1").get_data(as_text=True)
    assert html.count("Quiz passed") == 1


def test_dashboard_shows_percent_progress_bar_next_step_and_last_activity(tmp_path, client, auth):
    course, learner = _setup(tmp_path, auth, modules=2, lessons=2)
    for key in ("lesson-1-1", "lesson-1-2", "lesson-2-2"):
        client.post(f"/courses/alpha/lessons/{key}/done", data={})
    html = client.get("/my/courses").get_data(as_text=True)
    page = Page(html)
    bar = next(e for e in page.elements if e.tag == "progress")
    assert (bar.get("value"), bar.get("max")) == ("75", "100") and bar.get("aria-label")
    assert "75% complete" in html
    assert "Continue: Module 2 (en), Lesson 2.1 (en)" in html
    assert 'href="/courses/alpha/lessons/lesson-2-1"' in html
    assert "Last activity:" in html


def test_dashboard_is_in_the_learners_language(tmp_path, client, auth):
    _setup(tmp_path, auth, locale="es")
    html = client.get("/my/courses").get_data(as_text=True)
    assert "Lesson 1.1 (es)" in html and "Alfa (es)" in html


def test_dashboard_lists_completed_courses_with_their_certificate(tmp_path, client, auth):
    _setup(tmp_path, auth, modules=1, lessons=1)
    client.post("/courses/alpha/lessons/lesson-1-1/done", data={})
    html = client.get("/my/courses").get_data(as_text=True)
    assert "Completed courses" in html and "Completed on" in html
    assert re.search(r'href="/my/certificates/[A-Z0-9-]{14}\.pdf"', html)
    assert "In progress" not in html


def test_dashboard_offers_the_quiz_after_the_lessons_and_lists_recent_results(tmp_path, client, auth):
    now = utcnow()
    course = make_report_course(tmp_path)
    learner = add_learner(
        course,
        name="Eva",
        region=None,
        locale="en",
        enrolled=now - timedelta(days=3),
        activity=now - timedelta(days=1),
        done=("lesson-1-1", "lesson-1-2"),
        attempts=({"q1": "right", "q2": "wrong", "q3": "wrong"},),
    )
    auth.login(learner.email)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "Next: the quiz of Module 1 (en)" in html
    assert 'href="/courses/report-course/modules/module-1/quiz"' in html
    assert "Recent quiz results" in html and "Not passed" in html and "33.3" in html


def test_a_learner_sees_only_their_own_dashboard(tmp_path, client, auth):
    write_course(tmp_path, "alpha", title="Alfa")
    import_courses(tmp_path)
    other = make_user()
    enrol(other.id, db.session.scalar(select(Course)))
    me = make_user(locale="en")
    auth.login(me.email)
    html = client.get("/my/courses").get_data(as_text=True)
    assert "Alfa" not in html and "not enrolled in any course" in html


def test_dashboard_and_lesson_page_queries_do_not_grow_with_learners(tmp_path, client, auth, count_queries):
    course = make_report_course(tmp_path)
    write_course(tmp_path / "more", "beta", modules=2, lessons=2)
    import_courses(tmp_path / "more")
    beta = db.session.scalar(select(Course).where(Course.slug == "beta"))
    now = utcnow()
    me = add_learner(
        course,
        name="Me",
        region=None,
        locale="en",
        enrolled=now - timedelta(days=9),
        activity=now - timedelta(days=1),
        done=("lesson-1-1",),
        attempts=({"q1": "right", "q2": "right", "q3": "wrong"},),
    )
    enrol(me.id, beta)
    auth.login(me.email)
    counts = {}
    for size in (10, 1000):
        seed_learners(course, size if size == 10 else size - 10, seed=size)
        client.get("/courses/report-course/lessons/lesson-1-2")  # the visit that refreshes last activity
        client.get("/my/courses")  # completion rules are kept per content version once read
        with count_queries() as dashboard:
            assert client.get("/my/courses").status_code == 200
        with count_queries() as lesson:
            assert client.get("/courses/report-course/lessons/lesson-1-2").status_code == 200
        counts[size] = (len(dashboard), len(lesson))
    assert counts[10] == counts[1000], counts
    # The content stamp, the person with the unread count, then the dashboard's own reads
    # (enrolments with certificates, lessons done, closed attempts, recent results); the
    # lesson: stamp, person, the learner's progress (no write within minutes).
    assert counts[1000][0] <= 6 and counts[1000][1] <= 3, counts
