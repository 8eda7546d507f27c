"""Two app processes, one PostgreSQL: nothing lives in a process that another needs.

Starts two gunicorn processes (one worker each, the same SECRET_KEY, different
ports) on a PostgreSQL database this module creates and drops, and sends
concurrent requests through both: a session made in one works in the other,
a double-submitted enrolment records once, concurrent claims of one advice
request have one winner, quiz submissions are neither lost nor duplicated,
and `flask lms tick` started on two "machines" at once runs each job once.
With Redis at REDIS_URL (default redis://127.0.0.1:6379/15), a login limit
counted by one process applies in the other.

Runs only on PostgreSQL (LMS_TEST_DATABASE_URL); .ci/run's second pass does.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from factories import PASSWORD, make_user
from lms import create_app
from lms.config import ROOT, TestConfig
from lms.extensions import db

TEST_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not TEST_URL.startswith("postgresql"),
                       reason="needs PostgreSQL: two processes sharing one SQLite file prove nothing about "
                              "several machines (set LMS_TEST_DATABASE_URL; .ci/run does)"),
]
REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
FLASK = str(Path(sys.executable).parent / "flask")
CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
QUIZ = "/courses/mp-course/modules/module-1/quiz"


# The database and the two processes ------------------------------------------------------

@contextmanager
def own_database():
    """A fresh database on the test server, dropped afterwards."""
    base = make_url(TEST_URL)
    name = f"frontera_mp_{secrets.token_hex(4)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One app server: gunicorn with one sync worker on its own port."""

    def __init__(self, env: dict, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._log = open(log, "w")
        self.process = subprocess.Popen(
            [GUNICORN, "-w", "1", "-k", "sync", "-b", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "wsgi:app"],
            env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.process.poll() is None, f"the app process exited: {self.log.read_text()[-3000:]}"
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the app process did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def request(port: int, method: str, path: str, body: dict | None = None, cookie: str | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


class Browser:
    """One person's browser: a session cookie, sent to whichever process answers."""

    def __init__(self) -> None:
        self.cookie: str | None = None

    def _keep(self, headers) -> None:
        for value in headers.get_all("Set-Cookie") or []:
            if value.startswith("session="):
                self.cookie = value.split(";", 1)[0]

    def get(self, port: int, path: str):
        status, headers, body = request(port, "GET", path, cookie=self.cookie)
        self._keep(headers)
        return status, headers, body

    def token(self, port: int) -> str:
        _status, _headers, body = self.get(port, "/account/profile" if self.cookie else "/account/login")
        match = CSRF_RE.search(body)
        assert match, "a page with a form should carry a CSRF token"
        return match.group(1)

    def post(self, port: int, path: str, data: dict | None = None, token: str | None = None):
        form = {**(data or {}), "csrf_token": token or self.token(port)}
        status, headers, body = request(port, "POST", path, form, cookie=self.cookie)
        self._keep(headers)
        return status, headers, body

    def login(self, port: int, email: str, password: str = PASSWORD) -> Browser:
        status, headers, _body = self.post(port, "/account/login", {"email": email, "password": password})
        assert status == 302 and "/account/login" not in headers.get("Location", ""), (email, status)
        return self


def together(*calls):
    """Run the calls in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


class Cluster:
    def __init__(self, url: str, app, env: dict, a: Process, b: Process) -> None:
        self.url, self.app, self.env, self.a, self.b = url, app, env, a, b

    @property
    def ports(self) -> tuple[int, int]:
        return self.a.port, self.b.port

    @contextmanager
    def context(self):
        """The shared database, seen from the test (a fresh session each time)."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def _seed(app, root: Path) -> None:
    from quiz_support import make_quiz_course, single_questions

    with app.app_context():
        db.create_all()
        make_quiz_course(root, "mp-course", single_questions(4))
        db.session.remove()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multiprocess")
    with own_database() as url:
        config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
        config.update(SQLALCHEMY_DATABASE_URI=url, UPLOADS_PATH=str(tmp / "uploads"))
        app = create_app(config)
        _seed(app, tmp / "courses")
        # Memory storage for rate limits here (no REDIS_URL): this pair is about the database.
        env = {"DATABASE_URL": url, "LMS_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
               "LOGIN_LIMIT": "1000 per minute", "LOG_REQUESTS": "0", "UPLOADS_PATH": str(tmp / "uploads")}
        base_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        a = Process({**base_env, **env}, tmp / "a.log")
        b = Process({**base_env, **env}, tmp / "b.log")
        try:
            a.wait()
            b.wait()
            yield Cluster(url, app, env, a, b)
        finally:
            a.stop()
            b.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def people(cluster: Cluster, count: int, *roles: str) -> list[str]:
    with cluster.context():
        return [make_user(*(roles or ("learner",)), email=f"{roles[0] if roles else 'learner'}-"
                          f"{secrets.token_hex(3)}@example.org").email for _ in range(count)]


# The tests ---------------------------------------------------------------------------------

def test_a_session_made_by_one_process_is_good_in_the_other(cluster):
    [email] = people(cluster, 1)
    browser = Browser().login(cluster.a.port, email)
    status, _headers, body = browser.get(cluster.b.port, "/account/profile")
    assert status == 200 and email in body
    # Signing out through B ends the session everywhere (the token is in the database).
    assert browser.post(cluster.b.port, "/account/logout")[0] == 302
    stale = Browser()
    stale.cookie = browser.cookie
    status, headers, _ = stale.get(cluster.a.port, "/account/profile")
    assert status == 302 and "/account/login" in headers["Location"]


def test_a_double_submitted_enrolment_records_once_across_processes(cluster):
    from lms.catalog.models import Enrolment
    from lms.content.models import Course

    emails = people(cluster, 6)
    browsers = [Browser().login(cluster.a.port, email) for email in emails]
    tokens = [browser.token(cluster.a.port) for browser in browsers]
    calls = []
    for browser, token in zip(browsers, tokens, strict=True):
        for port in cluster.ports:  # the same form sent to both processes at once
            calls.append(lambda b=browser, t=token, p=port: b.post(p, "/courses/mp-course/enrol", token=t)[0])
    statuses = together(*calls)
    assert statuses == [302] * len(calls)
    with cluster.context() as session:
        course_id = session.scalar(select(Course.id).where(Course.slug == "mp-course"))
        for email in emails:
            rows = session.scalar(select(func.count(Enrolment.id)).where(
                Enrolment.course_id == course_id, Enrolment.user_id == _user_id(email)))
            assert rows == 1, email


def _user_id(email: str):
    from lms.auth.models import User
    return select(User.id).where(User.email == email).scalar_subquery()


def test_concurrent_claims_through_both_processes_have_exactly_one_winner(cluster):
    pytest.importorskip("lms.advice.service", reason="the advice package is not there yet")
    from advice_support import ask, make_queue
    from lms.advice.models import AdviceEvent, AdviceRequest
    from lms.auth.models import User

    expert_emails = people(cluster, 4, "expert")
    [learner_email] = people(cluster, 1)
    with cluster.context() as session:
        experts = list(session.scalars(select(User).where(User.email.in_(expert_emails))))
        learner = session.scalar(select(User).where(User.email == learner_email))
        queue = make_queue(experts=experts)
        request_ids = [ask(learner, queue, title=f"Question {n}").id for n in range(5)]
    browsers = [Browser().login(cluster.a.port, email) for email in expert_emails]
    tokens = [browser.token(cluster.b.port) for browser in browsers]
    for request_id in request_ids:
        calls = [lambda b=browser, t=token, p=cluster.ports[i % 2]:
                 b.post(p, f"/advice/requests/{request_id}/claim", token=t)[0]
                 for i, (browser, token) in enumerate(zip(browsers, tokens, strict=True))]
        assert together(*calls) == [302] * len(calls)
    with cluster.context() as session:
        expert_ids = set(session.scalars(select(User.id).where(User.email.in_(expert_emails))))
        for request_id in request_ids:
            request_row = session.get(AdviceRequest, request_id)
            assert request_row.state == "claimed"
            assert request_row.claimed_by_id in expert_ids
            claims = session.scalar(select(func.count(AdviceEvent.id)).where(
                AdviceEvent.request_id == request_id, AdviceEvent.kind == "claim"))
            assert claims == 1, f"request {request_id} was claimed {claims} times"


def test_quiz_submissions_through_both_processes_are_neither_lost_nor_duplicated(cluster):
    pytest.importorskip("lms.quizzes.attempts", reason="the quiz package is not there yet")
    from quiz_support import right_form
    from lms.quizzes.models import Attempt, Response

    emails = people(cluster, 8)
    browsers = [Browser().login(cluster.ports[i % 2], email) for i, email in enumerate(emails)]
    attempts = []
    for i, browser in enumerate(browsers):
        status, headers, _ = browser.post(cluster.ports[i % 2], QUIZ + "/start")
        assert status == 302, status
        attempts.append(int(re.search(r"/quiz-attempts/(\d+)$", headers["Location"]).group(1)))
    with cluster.context():
        forms = [right_form(attempt_id) for attempt_id in attempts]
    tokens = [browser.token(cluster.a.port) for browser in browsers]
    # Every learner submits at the same moment, twice (a double click reaching both processes).
    calls = []
    for browser, token, attempt_id, form in zip(browsers, tokens, attempts, forms, strict=True):
        for port in cluster.ports:
            calls.append(lambda b=browser, t=token, a=attempt_id, f=form, p=port:
                         b.post(p, f"/quiz-attempts/{a}", {**f, "action": "submit"}, token=t))
    results = together(*calls)
    assert all(status == 302 and "/result" in headers["Location"] for status, headers, _ in results)
    with cluster.context() as session:
        for email, attempt_id in zip(emails, attempts, strict=True):
            user_attempts = list(session.scalars(select(Attempt).where(Attempt.user_id == _user_id(email))))
            assert [a.id for a in user_attempts] == [attempt_id], "one attempt per learner, no more"
            attempt = user_attempts[0]
            assert attempt.state == "submitted" and attempt.score == pytest.approx(100.0), "nothing lost"
            responses = session.scalar(select(func.count(Response.id)).where(Response.attempt_id == attempt_id))
            assert responses == len(attempt.question_ids), "no response recorded twice"


def test_tick_started_on_two_machines_at_once_runs_each_job_once(cluster):
    pytest.importorskip("lms.jobs.runner", reason="no scheduled jobs yet")
    from lms.jobs.models import ScheduledJobRun
    from lms.jobs.runner import JOBS

    env = {**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, **cluster.env}
    commands = [subprocess.Popen([FLASK, "--app", "wsgi", "lms", "tick"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [command.communicate(timeout=180)[0] for command in commands]
    assert [command.returncode for command in commands] == [0, 0], outputs
    with cluster.context() as session:
        runs = {row.name: row.run_count for row in session.scalars(select(ScheduledJobRun))}
    assert runs, "the ticks should have registered their jobs"
    assert set(runs) == set(JOBS)
    assert all(count == 1 for count in runs.values()), runs


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except Exception as error:  # noqa: BLE001 - any failure means no Redis here
        pytest.skip(f"no Redis at {REDIS_URL} ({error.__class__.__name__}); start one to run this test")
    return client


def test_a_login_limit_counted_in_one_process_applies_in_the_other(cluster, tmp_path):
    client = _redis_or_skip()
    client.flushdb()  # database 15 is this test's own
    [email] = people(cluster, 1)
    env = {**{k: v for k, v in os.environ.items() if k != "REDIS_URL"}, **cluster.env,
           "REDIS_URL": REDIS_URL, "LOGIN_LIMIT": "3 per minute"}
    a, b = Process(env, tmp_path / "ra.log"), Process(env, tmp_path / "rb.log")
    try:
        a.wait()
        b.wait()
        browser = Browser()
        token = browser.token(a.port)
        statuses = [browser.post(port, "/account/login", {"email": email, "password": "wrong password"},
                                 token=token)[0] for port in (a.port, b.port, a.port, b.port)]
        # Three tries in all were allowed, whichever process took them; the fourth is refused.
        assert statuses[:3] == [200, 200, 200], statuses
        assert statuses[3] == 429, statuses
        # Even the right password waits now, on either process.
        assert browser.post(a.port, "/account/login", {"email": email, "password": PASSWORD}, token=token)[0] == 429
    finally:
        a.stop()
        b.stop()
        client.flushdb()
