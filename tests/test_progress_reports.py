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
from lms.catalog.models import Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.progress import reports
from lms.progress.reports import ReportFilters
from lms.progress.seed import seed_learners
from lms.timeutil import utcnow
from pages import Page
from progress_support import add_learner, make_report_course, report_fixture, write_quiz_module

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


def test_questions_answered_wrong_most_often(fixture, app):
    course, _people, now = fixture
    with app.test_request_context(headers=EN):
        report = _report(course, now)
        top_two = reports.trainer_report(course, ReportFilters(), now=now, questions_limit=2)
        english = _report(course, now, language="en")
    # First attempts (Ana R W W, Bruno R R O, Eva W W W, Flor R R R): lowest share correct first.
    assert _rows(report.questions) == [
        ("Question text 3", "The quiz", 4, 0.25, "wrong: No 3", 2),
        ("Question text 2", "The quiz", 4, 0.5, "wrong: No 2", 2),
        ("Question text 1", "The quiz", 4, 0.75, "wrong: No 1", 1),
    ]
    assert report.question_quiz_ids == [_quiz_id(course)] * 3
    assert [row[0] for row in top_two.questions.rows] == ["Question text 3", "Question text 2"]
    # Bruno (R R O) and Eva (W W W): q3 0/2 with "other" and "wrong" once each (ties go by the
    # answer), then q1 and q2 at 1/2 in quiz order.
    assert _rows(english.questions) == [
        ("Question text 3", "The quiz", 2, 0.0, "other: Other 3", 1),
        ("Question text 1", "The quiz", 2, 0.5, "wrong: No 1", 1),
        ("Question text 2", "The quiz", 2, 0.5, "wrong: No 2", 1),
    ]


def test_questions_to_look_at_span_every_quiz_and_skip_questions_all_got_right(tmp_path, app):
    folder = write_course(tmp_path, "two-quizzes", modules=2, lessons=1)
    write_quiz_module(folder, 1, 3, pass_mark=50)
    write_quiz_module(folder, 2, 3, pass_mark=50)
    quiz_two = folder / "02-module-2" / "quiz.toml"
    quiz_two.write_text(quiz_two.read_text(encoding="utf-8").replace("The quiz", "Second quiz"), "utf-8")
    import_courses(tmp_path)
    course = db.session.scalar(select(Course).where(Course.slug == "two-quizzes"))
    now = utcnow()
    right = {"q1": "right", "q2": "right", "q3": "right"}
    common = dict(region=None, locale="en", enrolled=now - timedelta(days=9), activity=now - timedelta(days=1))
    add_learner(course, name="A", attempts=(right,), **common)
    add_learner(course, name="B", attempts=({"q1": "right", "q2": "wrong", "q3": "right"},), **common)
    add_learner(course, name="A", attempts=({**right, "q1": "wrong"},), quiz_module=2, **common)
    # B's second attempt at the second quiz (all right) is not a first attempt: it does not count.
    add_learner(
        course,
        name="B",
        attempts=({"q1": "other", "q2": "wrong", "q3": "right"}, right),
        quiz_module=2,
        **common,
    )
    with app.test_request_context(headers=EN):
        report = reports.trainer_report(course, ReportFilters(), now=now)
    assert _rows(report.questions) == [
        ("Question text 1", "Second quiz", 2, 0.0, "other: Other 1", 1),
        ("Question text 2", "The quiz", 2, 0.5, "wrong: No 2", 1),
        ("Question text 2", "Second quiz", 2, 0.5, "wrong: No 2", 1),
    ]
    first, second = reports.trainer_report(course, ReportFilters(), now=now).quiz_ids
    assert report.question_quiz_ids == [second, first, second]


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
    # Bruno and Eva: attempts 66.7, 100 and 0 (mean 166.7 / 3), best 100; Bruno passes, Eva not.
    assert _rows(by_language.quizzes) == [("The quiz", 2, 3, round(500 / 9, 4), 100.0, 0.5)]
    # Both started module 1, Bruno completed it; only Bruno started (and completed) module 2.
    assert _rows(by_language.modules) == [("1. Module 1 (en)", 2, 1, 0.5), ("2. Module 2 (en)", 1, 1, 1.0)]
    assert _rows(by_language.summary)[1:] == [
        ("Started", 2, 1.0),
        ("Active in the last 7 days", 1, 0.5),
        ("Active in the last 30 days", 2, 1.0),
        ("Completed the course", 1, 0.5),
    ]
    assert not_stated.summary.rows[0][1] == 1 and [r[0] for r in not_stated.inactive.rows] == ["Darío Ñañez"]
    assert _rows(not_stated.quizzes) == [("The quiz", 0, 0, None, None, None)]
    assert by_dates.summary.rows[0][1] == 2  # Bruno (40 days) and Darío (35 days)
    assert by_dates.summary.rows[4][1] == 1  # Bruno completed
    assert [row[0] for row in by_dates.inactive.rows] == ["Darío Ñañez"]
    # The range includes both of its days: from 40 days ago to 40 days ago is Bruno alone.
    one_day = _report(
        course,
        now,
        enrolled_from=(now - timedelta(days=40)).date(),
        enrolled_to=(now - timedelta(days=40)).date(),
    )
    assert one_day.summary.rows[0][1] == 1 and _rows(one_day.quizzes)[0][1:3] == (1, 2)
    # Filters combine: Peru–Chile and English is Bruno.
    both = _report(course, now, region="pe-cl", language="en")
    assert both.summary.rows[0][1] == 1 and both.summary.rows[4][1] == 1


def test_report_page_has_charts_with_tables_and_csv_links(fixture, client, auth):
    course, _people, _now = fixture
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    html = client.get("/trainer/courses/report-course/report?region=pe-cl").get_data(as_text=True)
    assert html.count("<svg") == 3 and html.count('aria-hidden="true"') >= 3
    assert html.count("<table") == 6
    assert "/trainer/courses/report-course/report/summary.csv?region=pe-cl" in html
    assert '<option selected value="pe-cl">' in html or 'value="pe-cl" selected' in html
    items_url = f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}?region=pe-cl"
    assert f'<a href="{items_url}">The quiz</a>' in html
    assert f'<a href="{items_url}">Item analysis: The quiz</a>' in html
    # The questions learners got wrong most often, each linking to its quiz's item analysis.
    page = Page(html)
    watch = next(e for e in page.elements if e.tag == "table" and e.get("id") == "table-questions")
    assert "Questions to look at" in html
    row_links = [e.get("href") for e in page.elements if e.tag == "a" and e.within("table") is watch]
    assert row_links == [items_url, items_url]
    # Ana (R W W) and Bruno (R R O): q3 0/2, q2 1/2; q1 right for both is not listed.
    assert f'<a href="{items_url}">Question text 3</a>' in html and "Question text 1</a>" not in html
    assert "/trainer/courses/report-course/report/questions.csv?region=pe-cl" in html
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
        f"/trainer/courses/report-course/report/{name}.csv" for name in reports.TRAINER_TABLES
    ] + [f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}/items.csv"]:
        data = client.get(url).data
        assert data.startswith(b"\xef\xbb\xbf") and len(data.splitlines()) >= 2, url
        assert data.count(b"\xef\xbb\xbf") == 1 and b"\r\n" in data, url
    assert client.get("/trainer/courses/report-course/report/nope.csv").status_code == 404


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_figures_match_the_tables_and_keep_the_filters(fixture, client, auth):
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    url = "/trainer/courses/report-course/report"
    assert _csv_rows(client.get(url + "/summary.csv", headers=EN)) == [
        ["Figure", "Learners", "Share of enrolled (%)"],
        ["Enrolled", "6", "100.0"],
        ["Started", "5", "83.3"],
        ["Active in the last 7 days", "2", "33.3"],
        ["Active in the last 30 days", "4", "66.7"],
        ["Completed the course", "2", "33.3"],
    ]
    assert _csv_rows(client.get(url + "/summary.csv?language=en", headers=EN))[1] == ["Enrolled", "2", "100.0"]
    assert _csv_rows(client.get(url + "/quizzes.csv", headers=EN))[1] == [
        "The quiz", "4", "6", "66.7", "100.0", "75.0"
    ]
    assert _csv_rows(client.get(url + "/questions.csv", headers=EN))[1:] == [
        ["Question text 3", "The quiz", "4", "25.0", "wrong: No 3", "2"],
        ["Question text 2", "The quiz", "4", "50.0", "wrong: No 2", "2"],
        ["Question text 1", "The quiz", "4", "75.0", "wrong: No 1", "1"],
    ]
    rows = _csv_rows(client.get(url + "/inactive.csv?region=none", headers=EN))
    assert [row[0] for row in rows[1:]] == ["Darío Ñañez"] and rows[1][5] == ""


def test_csv_of_inactive_learners_has_every_row_the_page_shows_the_first(tmp_path, client, auth, app):
    course = make_report_course(tmp_path)
    long_ago = utcnow() - timedelta(days=200)
    seed_learners(course, reports.INACTIVE_PAGE + 5, now=long_ago, keep_going=0.0)
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    html = client.get("/trainer/courses/report-course/report", headers=EN).get_data(as_text=True)
    shown = f"(the first {reports.INACTIVE_PAGE} of {reports.INACTIVE_PAGE + 5})"
    assert shown in html
    rows = _csv_rows(client.get("/trainer/courses/report-course/report/inactive.csv"))
    assert len(rows) == 1 + reports.INACTIVE_PAGE + 5


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
            "/trainer/courses/report-course/report?page=99999",  # past the last page at both sizes
            f"/trainer/courses/report-course/report/quizzes/{_quiz_id(course)}",
            "/trainer/courses/report-course/report/inactive.csv",
            "/trainer/courses/report-course/report/questions.csv",
            "/admin/programme",
        ):
            with count_queries() as queries:
                assert client.get(url).status_code == 200
            counts.setdefault(size, []).append(len(queries))
    assert counts[10] == counts[1000], counts


def _report_statements(statements: list[str]) -> list[str]:
    """Without the content version stamp, which any page may read (lms/content/version.py)."""
    return [statement for statement in statements if "content_versions" not in statement]


def test_reports_are_cached_per_worker_until_an_enrolment_or_the_time_is_up(
    fixture, app, client, auth, count_queries, monkeypatch
):
    course, people, now = fixture
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    url = "/trainer/courses/report-course/report"
    app.config["PROGRESS_REPORT_CACHE_SECONDS"] = 60
    reports.clear_cache()
    clock = [1000.0]
    monkeypatch.setattr(reports, "monotonic", lambda: clock[0])
    try:
        with count_queries() as first:
            client.get(url, headers=EN)
        with count_queries() as second:
            html = client.get(url, headers=EN).get_data(as_text=True)
        # From the cache: the signed-in user, the course, and the stamp (the newest enrolment);
        # no record of the course is read again.
        assert len(_report_statements(second)) <= 4 and len(second) < len(first) - 8, second
        assert not any(
            table in statement
            for statement in second
            for table in ("lesson_progress", "quiz_attempts", "quiz_responses", "module_completions")
        )
        assert f'<a href="{url}/quizzes/{_quiz_id(course)}">Question text 3</a>' in html  # links still set
        assert "Figures as of" in html
        with app.test_request_context(headers=EN):
            assert _rows(_report(course, now).quizzes) == [("The quiz", 4, 6, round(400 / 6, 4), 100.0, 0.75)]
            # Another filter and another language are figures of their own.
            assert _rows(_report(course, now, region="pe-cl").quizzes)[0][1] == 2
        with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
            # (its own app context: the locale is kept per app context)
            assert _report(db.session.get(Course, course.id), now).quizzes.rows[0][0] == "Evaluación"

        # A change that is no new enrolment (Carla completes the course) shows once the time is up.
        carla = db.session.scalar(
            select(Enrolment).where(Enrolment.user_id == people["carla"].id, Enrolment.course_id == course.id)
        )
        carla.completed_at = now
        db.session.commit()
        with app.test_request_context(headers=EN):
            assert _report(course, now).summary.rows[4][1] == 2
        clock[0] += 61
        with app.test_request_context(headers=EN):
            assert _report(course, now).summary.rows[4][1] == 3

        # A new enrolment shows at once, with its attempt: Gael, all wrong.
        add_learner(
            course,
            name="Gael",
            region=None,
            locale="es",
            enrolled=now - timedelta(days=3),
            activity=now - timedelta(days=1),
            attempts=({"q1": "wrong", "q2": "wrong", "q3": "wrong"},),
            now=now,
        )
        with app.test_request_context(headers=EN):
            report = _report(course, now)
        assert report.summary.rows[0][1] == 7
        assert _rows(report.quizzes) == [("The quiz", 5, 7, round(400 / 7, 4), 100.0, 0.6)]
        assert _rows(report.questions)[0] == ("Question text 3", "The quiz", 5, 0.2, "wrong: No 3", 3)
        # CSV downloads are computed afresh: every row as it is now.
        rows = _csv_rows(client.get(url + "/summary.csv", headers=EN))
        assert rows[1] == ["Enrolled", "7", "100.0"]
    finally:
        app.config["PROGRESS_REPORT_CACHE_SECONDS"] = 0
        reports.clear_cache()


def test_inactive_learners_are_paged(tmp_path, client, auth, app, count_queries):
    course = make_report_course(tmp_path)
    long_ago = utcnow() - timedelta(days=200)
    seed_learners(course, reports.INACTIVE_PAGE + 5, now=long_ago, keep_going=0.0)
    admin = make_user("admin", locale="en")
    auth.login(admin.email)
    url = "/trainer/courses/report-course/report"
    first = client.get(url, headers=EN).get_data(as_text=True)
    assert f"(the first {reports.INACTIVE_PAGE} of {reports.INACTIVE_PAGE + 5})" in first
    assert f'href="{url}?page=2"' in first and 'aria-current="page">1<' in first
    with app.test_request_context(headers=EN):
        whole = reports.trainer_report(course, ReportFilters(), inactive_limit=None, only="inactive").inactive
        second = reports.trainer_report(course, ReportFilters(), page=2).inactive
    assert len(whole.rows) == reports.INACTIVE_PAGE + 5
    assert second.rows == whole.rows[reports.INACTIVE_PAGE :] and second.offset == reports.INACTIVE_PAGE
    html = client.get(url + "?page=2", headers=EN).get_data(as_text=True)
    shown = f"({reports.INACTIVE_PAGE + 1} to {reports.INACTIVE_PAGE + 5} of {reports.INACTIVE_PAGE + 5})"
    assert shown in html and f'href="{url}"' in html  # back to page 1 (no page argument)
    # A page past the last shows the last; nonsense is page 1.
    assert shown in client.get(url + "?page=99", headers=EN).get_data(as_text=True)
    assert "(the first" in client.get(url + "?page=abc", headers=EN).get_data(as_text=True)
    # Filters are kept in the page links (everyone enrolled until today: still two pages).
    today = utcnow().date().isoformat()
    filtered = Page(client.get(f"{url}?enrolled_to={today}", headers=EN).get_data(as_text=True))
    pages = [e.get("href") for e in filtered.elements if e.tag == "a" and e.within("nav")]
    assert any("page=2" in href and f"enrolled_to={today}" in href for href in pages if href), pages
    with count_queries() as page_one:
        client.get(url, headers=EN)
    with count_queries() as page_two:
        client.get(url + "?page=2", headers=EN)
    assert len(page_one) == len(page_two)

    # With the per-worker cache, turning the pages reads the page, not every figure again.
    app.config["PROGRESS_REPORT_CACHE_SECONDS"] = 60
    reports.clear_cache()
    try:
        client.get(url, headers=EN)
        with count_queries() as second_page:
            html = client.get(url + "?page=2", headers=EN).get_data(as_text=True)
        assert shown in html
        # The user, the course, the stamp and the page, nothing else.
        assert len(_report_statements(second_page)) == 4, [s[:120] for s in second_page]
        assert not any(
            table in statement for statement in second_page for table in ("quiz_attempts", "module_completions")
        )
        with count_queries() as again:
            assert shown in client.get(url + "?page=2", headers=EN).get_data(as_text=True)
        assert len(_report_statements(again)) == 3, again
    finally:
        app.config["PROGRESS_REPORT_CACHE_SECONDS"] = 0
        reports.clear_cache()


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
    for name in ("totals", "regions", "value_chains", "sdgs", "courses", "monthly"):
        rows = _csv_rows(client.get(f"/admin/programme/{name}.csv"))
        assert len(rows) >= 2, name
    assert _csv_rows(client.get("/admin/programme/totals.csv", headers=EN))[1:] == [
        ["Learners enrolled", "6"],
        ["Enrolments", "6"],
        ["Completions", "2"],
        ["Valid certificates", "2"],
    ]
    assert client.get("/admin/programme/nope.csv").status_code == 404


def test_two_admins_get_the_report_in_the_shared_shell_each_with_their_own_header(fixture, app):
    """The report's header and footer come from a shell kept per language, URL and roles
    (lms.ops.page_shell.personal_body): each reader's forms still carry their own token."""
    import re

    from pages import rendered_templates

    ada, bea = make_user("admin", locale="en"), make_user("admin", locale="en")
    pages = {}
    for person in (ada, bea):
        client = app.test_client()
        client.post("/account/login", data={"email": person.email, "password": "correct horse battery"})
        client.get("/trainer/courses/report-course/report")  # a first visit may keep the shell
        with rendered_templates(app) as names:
            pages[person.email] = client.get("/trainer/courses/report-course/report").get_data(as_text=True)
        assert "progress/course_report.html" not in names and "progress/_course_report_body.html" in names
    tokens = [set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html))
              for html in pages.values()]
    assert all(len(found) == 1 for found in tokens) and tokens[0] != tokens[1]
    for html in pages.values():
        assert "<title>Report: " in html and "How these figures are counted" in html
