"""Seed many learners with realistic progress on one course and time the trainer report.

    .venv/bin/python bench/progress_bench.py                      # 10,000 learners, SQLite file
    .venv/bin/python bench/progress_bench.py --learners 2000 --runs 9 --slowest 3
    .venv/bin/python bench/progress_bench.py --database-url postgresql://postgres@127.0.0.1:5432/lms_bench

The course has 4 modules of 5 lessons, each module with a 10-question quiz.
Learners are inserted in bulk (lms.progress.seed): each opens the first
lesson and goes on with probability 0.9 per lesson, attempts the quizzes of
the modules they finished, and completions come from the real recompute.
The report is requested through the app (an admin signed in, full HTML page
with charts) and timed over several runs, computed afresh each time and with
the whole report from the per-worker cache (the warm-up run fills it) (median wall and CPU time of this
process); the query count is the number of SQL statements one request runs;
`--slowest N` lists each page's N slowest statements (best time over the runs).
The load average (1, 5, 15 minutes) is printed at the start, before the
requests and at the end: on a shared machine, wall time includes waiting for a
core. The database given is emptied first.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from lms import create_app  # noqa: E402
from lms.config import TestConfig  # noqa: E402
from lms.extensions import db  # noqa: E402

SLUG = "bench-course"
PASSWORD = "bench password 123"


def write_course(root: Path, modules: int = 4, lessons: int = 5, questions: int = 10) -> None:
    folder = root / SLUG
    folder.mkdir(parents=True)
    (folder / "course.toml").write_text(
        textwrap.dedent("""\
        source_language = "es"
        hours = 6
        [title]
        es = "Curso de referencia"
        en = "Benchmark course"
        [summary]
        es = "Para medir."
        en = "For measuring."
        [tags]
        topics = ["innovation"]
        regions = ["pe-cl", "mx-gt"]
        value_chains = ["cocoa"]
        sdgs = [8, 9]
        """),
        encoding="utf-8",
    )
    for m in range(1, modules + 1):
        module = folder / f"{m:02d}-module-{m}"
        module.mkdir()
        (module / "module.toml").write_text(
            f'[title]\nes = "Módulo {m}"\nen = "Module {m}"\n', encoding="utf-8"
        )
        for n in range(1, lessons + 1):
            for lang in ("es", "en"):
                (module / f"{n:02d}-lesson-{m}-{n}.{lang}.md").write_text(
                    f'+++\ntitle = "Lesson {m}.{n} ({lang})"\nminutes = 5\n+++\nText {m}.{n}.\n',
                    encoding="utf-8",
                )
        quiz = ["pass_mark = 70", 'grading = "best"', "[title]", 'es = "Evaluación"', 'en = "Quiz"']
        for q in range(1, questions + 1):
            quiz.append(
                textwrap.dedent(f"""
                [[questions]]
                id = "q{q}"
                type = "single"
                text = {{ es = "Pregunta {q}", en = "Question {q}" }}
                  [[questions.choices]]
                  id = "right"
                  text = {{ es = "Sí", en = "Yes" }}
                  fraction = 1.0
                  [[questions.choices]]
                  id = "wrong"
                  text = {{ es = "No", en = "No" }}
                  [[questions.choices]]
                  id = "other"
                  text = {{ es = "Otra", en = "Other" }}
                """)
            )
        (module / "quiz.toml").write_text("\n".join(quiz), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp folder")
    parser.add_argument(
        "--slowest", type=int, default=0, metavar="N", help="also print each page's N slowest statements"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and SQLite file)")
    args = parser.parse_args()
    print(f"load average at the start: {_load()}")

    tmp = Path(tempfile.mkdtemp(prefix="progress-bench-"))
    if not args.keep:
        atexit.register(shutil.rmtree, tmp, True)
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, UPLOADS_PATH=str(tmp / "uploads"))
    app = create_app(config)

    from lms.auth.models import User, UserRole
    from lms.catalog.models import Enrolment
    from lms.content.importer import import_courses
    from lms.content.models import Course
    from lms.progress.models import LessonProgress
    from lms.progress.seed import seed_learners

    with app.app_context():
        db.drop_all()
        db.create_all()
        write_course(tmp / "courses")
        import_courses(tmp / "courses")
        admin = User(email="admin@bench.example.org", name="Bench Admin", locale="en")
        admin.set_password(PASSWORD)
        admin.role_rows = [UserRole(role="admin")]
        db.session.add(admin)
        db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        started = time.perf_counter()
        seed_learners(course, args.learners)
        seeded = time.perf_counter() - started
        # Planner statistics after a bulk load, as PostgreSQL's autovacuum (or SQLite's
        # PRAGMA optimize) would gather them; without them PostgreSQL picks nested loops.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        enrolments = db.session.scalar(select(func.count(Enrolment.id)))
        progress_rows = db.session.scalar(select(func.count(LessonProgress.id)))
        completed = db.session.scalar(select(func.count(Enrolment.completed_at)))
        dialect = db.engine.dialect.name
        from lms.quizzes.models import Quiz

        first_quiz = db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id).order_by(Quiz.id))
    print(
        f"database: {dialect}; seeded {enrolments} learners, {progress_rows} lesson records, "
        f"{completed} completions in {seeded:.1f} s"
    )

    statements: list[str] = []
    timings: list[tuple[float, str]] = []
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)
            conn.info.setdefault("bench_started", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            timings.append((time.perf_counter() - conn.info["bench_started"].pop(), statement))

    client = app.test_client()
    response = client.post("/account/login", data={"email": "admin@bench.example.org", "password": PASSWORD})
    assert response.status_code == 302, response.status_code

    def measure(url: str) -> tuple[float, float, int, int]:
        times, cpu, counts = [], [], []
        slowest: dict[str, float] = {}
        for run in range(args.runs + 1):  # the first run warms the connection pool and caches
            statements.clear()
            timings.clear()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            counts.append(len(statements))
            assert response.status_code == 200, (url, response.status_code)
            if run:  # the best time of each statement over the measured runs
                for seconds, statement in timings:
                    slowest[statement] = min(seconds, slowest.get(statement, seconds))
        for statement, seconds in sorted(slowest.items(), key=lambda item: -item[1])[: args.slowest]:
            print(f"    {seconds * 1000:7.1f} ms  {' '.join(statement.split())[:150]}")
        return statistics.median(times[1:]), statistics.median(cpu[1:]), max(counts[1:]), len(response.data)

    print(
        f"load average before the requests: {_load()} on {os.cpu_count()} cores\n"
        "(wall time includes waiting for a core; CPU time is this process: the app and SQLite,\n"
        "not a PostgreSQL server)"
    )
    report = f"/trainer/courses/{SLUG}/report"
    for label, url, cache_seconds in (
        ("trainer report, computed afresh", report, 0),
        ("trainer report from the per-worker cache (120 s)", report, 120),
        ("trainer report, filtered (region pe-cl, Spanish), afresh", f"{report}?region=pe-cl&language=es", 0),
        ("item analysis of one quiz (10 questions)", f"{report}/quizzes/{first_quiz}", 0),
        ("inactive learners CSV (all rows)", f"{report}/inactive.csv", 0),
        ("programme view", "/admin/programme", 0),
    ):
        print(f"{label}:")
        app.config["PROGRESS_REPORT_CACHE_SECONDS"] = cache_seconds
        median, cpu, queries, size = measure(url)
        print(
            f"  median {median * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU over {args.runs} runs, "
            f"{queries} queries, {size / 1024:.0f} KiB"
        )
    print(f"load average at the end: {_load()}")


def _load() -> str:
    """The 1, 5 and 15 minute load averages, as `uptime` prints them."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
