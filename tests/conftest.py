"""Shared fixtures: one app per test session, a fresh database per test, and a
test client that sends CSRF tokens the way a browser form does."""
from __future__ import annotations

import contextvars
import os
import re
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from lms import create_app
from lms.config import TestConfig
from lms.extensions import db, limiter

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def database_url(tmp_dir) -> str:
    """SQLite in a temp folder, or LMS_TEST_DATABASE_URL; with parallel
    workers (pytest-xdist) each worker gets a database of its own."""
    url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_dir}/test.sqlite"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker else url


def _worker_database(url: str, worker: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class Client(FlaskClient):
    """Posts carry a valid CSRF token unless `csrf=False`, as a real form would.

    Each request runs in an empty context, as in a server: it gets its own app
    context, `g` and database session instead of sharing the test's.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        # Signed in, every page's header has forms; a visitor's first form is the sign-in page.
        for path in ("/", "/account/login"):
            match = CSRF_RE.search(self.get(path).get_data(as_text=True))
            if match:
                return match.group(1)
        raise AssertionError("neither the home page nor the sign-in page carries a CSRF token")

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf and kwargs.get("data") is None and "json" not in kwargs:
            kwargs["data"] = {}  # a bare post (a button alone) still carries the form's token
        data = kwargs.get("data")
        if csrf and isinstance(data, dict) and "csrf_token" not in data:
            kwargs["data"] = {**data, "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lms")
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=database_url(tmp), UPLOADS_PATH=str(tmp / "uploads"))
    app = create_app(config)
    app.test_client_class = Client
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_database(app):
    """Each test starts with empty tables and runs inside an app context."""
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()
    limiter.reset()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # One round trip of DELETEs (children first), then every sequence back
            # to 1 as on SQLite. TRUNCATE of ~45 tables cost 0.3-0.8 s per test
            # (it replaces each table's files); this costs about a millisecond.
            deletes = ";".join(f'DELETE FROM "{table.name}"' for table in tables)
            connection.execute(text(deletes + ";SELECT setval(seqrelid::regclass, 1, false) FROM pg_sequence"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture()
def client(app) -> Client:
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client: Client):
        self.client = client

    def login(self, email: str, password: str = "correct horse battery", follow_redirects=False):
        return self.client.post("/account/login", data={"email": email, "password": password},
                                follow_redirects=follow_redirects)

    def logout(self):
        return self.client.post("/account/logout")


@pytest.fixture()
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture()
def count_queries(app):
    """`with count_queries() as queries:` collects the SQL statements run inside."""

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counter
