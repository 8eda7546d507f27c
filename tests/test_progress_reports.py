"""Trainers' reports and the programme view: every figure against a small fixture
computed by hand (tests/progress_support.report_fixture), the filters, the CSV
files, who may see them, and the query counts at 10 and 1,000 learners.

The six learners (days are "days ago"):

======  ======  ====  ========  ========  ========================  ==========================  =========
name    region  lang  enrolled  activity  lessons done              quiz attempts (q1 q2 q3)    completed
======  ======  ====  ========  ========  ========================  ==========================  =========
Ana     pe-cl   es    60        2         1-1 1-2 2-1               R W W (33.3), R R R (100)   no
Bruno   pe-cl   en    40        10        all four                  R R O (66.7), R R R (100)   10
Carla   mx-gt   es    20        20        1-1                       -                           no
Darío   -       es    35        never     -                         -                           no
Eva     mx-gt   en    5         1         1-1 1-2                   W W W (0)                   no
Flor    ec-co   es    100       50        all four                  R R R (100)                 50
======  ======  ====  ========  ========  ========================  ==========================  =========

(R right, W the choice "wrong", O the choice "other"; module 1 needs its two
lessons and the quiz passed at 70, module 2 its two lessons.)
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from factories import make_user, write_course
from lms.content.importer import import_courses
from lms.content.models import Course
from lms.extensions import db
from lms.progress import reports
from lms.progress.reports import ReportFilters
from lms.progress.seed import seed_learners
from lms.timeutil import utcnow
from progress_support import add_learner, make_report_course, report_fixture

EN = {"Accept-Language": "en"}


@pytest.fixture()
def fixture(tmp_path, app):
    now = utcnow()
    course, people = report_fixture(tmp_path / "courses", now)
    return course, people, now


def _report(course, now, **filters):
    with_request = reports.trainer_report(course, ReportFilters(**filters), now=now)
    return with_request


def _rows(table):
    return [tuple(round(v, 4) if isinstance(v, float) else v for v in row) for row in table.rows]


def test_summary_figures(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = _report(course, now)
    assert _rows(report.summary) == [
        ("Enrolled", 6, 1.0),
        ("Started", 5, round(5 / 6, 4)),
        ("Active in the last 7 days", 2, round(2 / 6, 4)),
        ("Active in the last 30 days", 4, round(4 / 6, 4)),
        ("Completed the course", 2, round(2 / 6, 4)),
    ]


def test_funnel_and_modules(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = _report(course, now)
    assert _rows(report.funnel) == [
        ("Enrolled", 6, 1.0),
        ("Started", 5, round(5 / 6, 4)),
        ("Completed module 1: Module 1 (en)", 3, 0.5),
        ("Completed module 2: Module 2 (en)", 2, round(2 / 6, 4)),
        ("Completed the course", 2, round(2 / 6, 4)),
    ]
    assert _rows(report.modules) == [
        ("1. Module 1 (en)", 5, 3, 0.6),
        ("2. Module 2 (en)", 3, 2, round(2 / 3, 4)),
    ]


def test_quiz_statistics(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = _report(course, now)
    # 4 learners, 6 attempts; scores 33.3, 100, 66.7, 100, 0, 100: mean 400/6, best 100;
    # kept (best) grades pass for Ana, Bruno and Flor, not Eva: 3 of 4.
    assert _rows(report.quizzes) == [("The quiz", 4, 6, round(400 / 6, 4), 100.0, 0.75)]


def _quiz_id(course):
    from progress_support import quiz_of

    return quiz_of(course).id


def test_item_analysis(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = reports.item_analysis(course, _quiz_id(course), ReportFilters(), now=now)
        filtered = reports.item_analysis(course, _quiz_id(course), ReportFilters(region="pe-cl"), now=now)
    assert report.quiz_title == "The quiz"
    # First attempts ranked by score: Flor 100, Bruno 66.7 | Ana 33.3, Eva 0. With n = 4 the
    # upper and lower groups are ceil(0.27 x 4) = 2 learners each.
    assert _rows(report.items) == [
        # q1: right for Ana, Bruno, Flor (3/4); upper 2/2, lower 1/2: D = 0.5; Eva chose "wrong".
        ("Question text 1", 4, 0.75, 0.5, "wrong: No 1", 1),
        # q2: right for Bruno, Flor; upper 2/2, lower 0/2: D = 1; "wrong" chosen by Ana and Eva.
        ("Question text 2", 4, 0.5, 1.0, "wrong: No 2", 2),
        # q3: right for Flor only; upper 1/2, lower 0/2: D = 0.5; "wrong" twice, "other" once.
        ("Question text 3", 4, 0.25, 0.5, "wrong: No 3", 2),
    ]
    # Ana and Bruno only: n = 2, groups of ceil(0.54) = 1: Bruno (66.7) above Ana (33.3).
    assert _rows(filtered.items) == [
        ("Question text 1", 2, 1.0, 0.0, None, None),
        ("Question text 2", 2, 0.5, 1.0, "wrong: No 2", 1),
        ("Question text 3", 2, 0.0, 0.0, "other: Other 3", 1),
    ]
    assert reports.item_analysis(course, 999_999, ReportFilters()) is None


def test_inactive_learners(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = _report(course, now)
    # Not completed and nothing for 14 days: Darío (never active, enrolled 35 days ago) and Carla (20 days).
    assert [(row[0], row[2], row[3], row[6]) for row in report.inactive.rows] == [
        ("Darío Ñañez", "Not stated", "es", 0),
        ("Carla Pérez", "Mexico–Guatemala", "es", 1),
    ]
    assert report.inactive.total == 2 and report.inactive.rows[0][5] is None


def test_filters(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        by_region = _report(course, now, region="pe-cl")
        by_language = _report(course, now, language="en")
        not_stated = _report(course, now, region="none")
        by_dates = _report(
            course,
            now,
            enrolled_from=(now - timedelta(days=45)).date(),
            enrolled_to=(now - timedelta(days=30)).date(),
        )
    assert by_region.summary.rows[0][1] == 2 and by_region.summary.rows[4][1] == 1  # Ana, Bruno
    # Ana and Bruno: 4 attempts, mean (33.3 + 100 + 66.7 + 100) / 4 = 75, both pass.
    assert _rows(by_region.quizzes) == [("The quiz", 2, 4, 75.0, 100.0, 1.0)]
    assert [row[:2] for row in _rows(by_region.funnel)][2:4] == [
        ("Completed module 1: Module 1 (en)", 2),
        ("Completed module 2: Module 2 (en)", 1),
    ]
    assert by_language.summary.rows[0][1] == 2  # Bruno, Eva
    assert [row[0] for row in by_language.inactive.rows] == []
    assert not_stated.summary.rows[0][1] == 1 and [r[0] for r in not_stated.inactive.rows] == ["Darío Ñañez"]
    assert by_dates.summary.rows[0][1] == 2  # Bruno (40 days) and Darío (35 days)


def test_report_page_has_charts_with_tables_and_csv_links(fixture, client, auth):
    course, _people, _now = fixture
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    html = client.get("/trainer/courses/report-course/report?region=pe-cl").get_data(as_text=True)
    assert html.count("<svg") == 3 and html.count('aria-hidden="true"') >= 3
    assert html.count("<table") == 5
    assert "/trainer/courses/report-course/report/summary.csv?region=pe-cl" in html
    assert '<option selected value="pe-cl">' in html or 'value="pe-cl" selected' in html
    items_url = f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}?region=pe-cl"
    assert f'<a href="{items_url}">The quiz</a>' in html
    items = client.get(items_url).get_data(as_text=True)
    assert items.count("<svg") == 1 and items.count("<table") == 1 and "Question text 2" in items
    assert f"/report/quizzes/{_quiz_id(course)}/items.csv?region=pe-cl" in items


def test_report_rejects_an_inverted_date_range_next_to_the_field(fixture, client, auth):
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    html = client.get(
        "/trainer/courses/report-course/report?enrolled_from=2025-05-01&enrolled_to=2025-04-01"
    ).get_data(as_text=True)
    assert "The end date is before the start date." in html
    assert 'aria-invalid="true"' in html


def test_csv_exports_are_utf8_with_bom_and_keep_accents(fixture, client, auth):
    admin = make_user("admin", locale="es")
    auth.login(admin.email)
    response = client.get("/trainer/courses/report-course/report/inactive.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="report-course-inactive.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Nombre", "Correo electrónico"] or rows[0][0] in ("Nombre", "Name")
    assert rows[1][0] == "Darío Ñañez" and rows[2][0] == "Carla Pérez"
    assert "Darío Ñañez".encode() in response.data
    course = fixture[0]
    for url in [
        f"/trainer/courses/report-course/report/{name}.csv"
        for name in ("summary", "funnel", "modules", "quizzes")
    ] + [f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}/items.csv"]:
        data = client.get(url).data
        assert data.startswith(b"\xef\xbb\xbf") and len(data.splitlines()) >= 2, url
    assert client.get("/trainer/courses/report-course/report/nope.csv").status_code == 404


def test_csv_cells_never_become_formulas(app):
    table = reports.Table(
        "t",
        "t",
        [reports.Column("Name"), reports.Column("n", "int")],
        [('=HYPERLINK("x")', 1), ("-1+2", 2), ("Ñandú", 3)],
    )
    text = reports.csv_bytes(table).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ['\'=HYPERLINK("x")', "1"],
        ["'-1+2", "2"],
        ["Ñandú", "3"],
    ]


def test_who_may_see_a_course_report(fixture, tmp_path, client, auth):
    from lms.authoring.models import CourseAuthor

    course, people, _now = fixture
    write_course(tmp_path / "other", "other-course")
    import_courses(tmp_path / "other")
    other = db.session.scalar(select(Course).where(Course.slug == "other-course"))
    author = make_user("trainer", locale="en")
    stranger = make_user("trainer", locale="en")
    db.session.add_all(
        [
            CourseAuthor(course_id=course.id, user_id=author.id, role="owner"),
            CourseAuthor(course_id=other.id, user_id=stranger.id, role="owner"),
        ]
    )
    db.session.commit()
    url = "/trainer/courses/report-course/report"
    auth.login(stranger.email)
    assert client.get(url).status_code == 403
    assert client.get(url + "/inactive.csv").status_code == 403
    assert client.get(f"{url}/quizzes/{_quiz_id(course)}").status_code == 403
    assert "report-course" not in client.get("/trainer/reports").get_data(as_text=True)
    auth.logout()
    auth.login(author.email)
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login(people["ana"].email)
    assert client.get(url).status_code == 403
    auth.logout()
    assert client.get(url).status_code == 302  # visitors sign in first


def test_a_course_without_authors_is_reported_to_every_trainer(tmp_path, client, auth):
    make_report_course(tmp_path)
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    assert client.get("/trainer/courses/report-course/report").status_code == 200
    assert "/trainer/courses/report-course/report" in client.get("/trainer/reports").get_data(as_text=True)


def test_report_queries_do_not_grow_with_learners(tmp_path, client, auth, count_queries):
    course = make_report_course(tmp_path)
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    counts = {}
    for size in (10, 1000):
        seed_learners(course, size if size == 10 else size - 10, seed=size)
        for url in (
            "/trainer/courses/report-course/report",
            "/trainer/courses/report-course/report?region=pe-cl",
            f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}",
            "/admin/programme",
        ):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.setdefault(size, []).append(len(queries))
    assert counts[10] == counts[1000], counts


# Programme view -----------------------------------------------------------------------


def test_programme_breakdowns(fixture, tmp_path, app):
    course, people, now = fixture
    folder = write_course(
        tmp_path / "other",
        "other-course",
        modules=1,
        lessons=1,
        tags='topics = ["innovation"]\nvalue_chains = ["cocoa"]\nsdgs = [9]',
    )
    assert folder.exists()
    import_courses(tmp_path / "other")
    other = db.session.scalar(select(Course).where(Course.slug == "other-course"))
    from lms.catalog.service import enrol

    enrol(people["ana"].id, other)
    add_learner(
        other,
        name="Gael",
        region="pe-co",
        locale="es",
        enrolled=now - timedelta(days=3),
        activity=now - timedelta(days=1),
        done=("lesson-1-1",),
        now=now,
    )
    with app.test_request_context(headers=EN):
        report = reports.programme_report(now=now)
    assert report.totals.rows == [
        ("Learners enrolled", 7),
        ("Enrolments", 8),
        ("Completions", 3),
        ("Valid certificates", 3),
    ]
    assert _rows(report.regions) == [
        ("Peru–Chile (Tacna–Arica)", 2, 3, 1, round(1 / 3, 4)),
        ("Mexico–Guatemala", 2, 2, 0, 0.0),
        ("Ecuador–Colombia", 1, 1, 1, 1.0),
        ("Not stated", 1, 1, 0, 0.0),
        ("Peru–Colombia (Putumayo and Amazon)", 1, 1, 1, 1.0),
    ]
    assert _rows(report.value_chains) == [
        ("Fine flavour cocoa", 7, 8, 3, 0.375),
        ("Tourism", 6, 6, 2, round(2 / 6, 4)),
    ]
    assert _rows(report.sdgs) == [("SDG 8", 6, 6, 2, round(2 / 6, 4)), ("SDG 9", 7, 8, 3, 0.375)]
    assert [row[:4] for row in report.courses.rows] == [
        ("report-course (en)", 6, 6, 2),
        ("other-course (en)", 2, 2, 1),
    ]


def test_programme_is_monthly_with_empty_months_filled(app, tmp_path):
    from datetime import datetime

    course = make_report_course(tmp_path, quiz=False)
    now = datetime(2025, 4, 10, 12)
    add_learner(
        course, name="A", region=None, locale="es", enrolled=datetime(2025, 1, 15), activity=None, now=now
    )
    add_learner(
        course, name="B", region=None, locale="es", enrolled=datetime(2025, 1, 31, 23), activity=None, now=now
    )
    add_learner(
        course,
        name="C",
        region=None,
        locale="es",
        enrolled=datetime(2025, 3, 2),
        activity=datetime(2025, 3, 20),
        completed=datetime(2025, 3, 20),
        now=now,
    )
    with app.test_request_context(headers=EN):
        table = reports.programme_report(now=now).monthly
    assert table.rows == [
        ("2025-01", 2, 2, 0),
        ("2025-02", 0, 0, 0),
        ("2025-03", 1, 1, 1),
        ("2025-04", 0, 0, 0),
    ]


def test_programme_page_and_csv_are_for_admins(fixture, client, auth):
    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    assert client.get("/admin/programme").status_code == 403
    assert client.get("/admin/programme/regions.csv").status_code == 403
    auth.logout()
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    html = client.get("/admin/programme").get_data(as_text=True)
    assert html.count("<svg") == 5 and "By border region" in html
    data = client.get("/admin/programme/regions.csv").data
    assert data.startswith(b"\xef\xbb\xbf") and "Peru–Chile".encode() in data
