"""Seed many advice requests and time an expert's inbox and a coordinator's dashboard.

    .venv/bin/python bench/advice_bench.py                      # 100,000 requests, new SQLite file
    .venv/bin/python bench/advice_bench.py --requests 20000 --runs 10
    .venv/bin/python bench/advice_bench.py --database-url postgresql://postgres@127.0.0.1:5432/advice_bench

Requests (with their question and submission event) are inserted in bulk by
lms.advice.bulk: 8 queues, 40 experts, 5,000 learners, requests spread over a
year in every state. The pages are requested through the app (the person
signed in, full HTML) and timed over several runs; the query count is the
number of SQL statements one request runs, compared with the same pages on a
database 100 times smaller. The database given is emptied first.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from lms import create_app  # noqa: E402
from lms.config import TestConfig  # noqa: E402
from lms.extensions import db  # noqa: E402


def build_app(url: str, tmp: Path):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, UPLOADS_PATH=str(tmp / "uploads"))
    return create_app(config)


def seed(app, requests: int) -> dict:
    from lms.advice import bulk
    from lms.advice.models import AdviceRequest, QueueMember

    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        unusable = generate_password_hash("not used", method="pbkdf2:sha256:1")
        seeded = bulk.seed(requests, password_hash=unusable)
        elapsed = time.perf_counter() - started
        # Planner statistics after a bulk load, as PostgreSQL's autovacuum (or
        # SQLite's PRAGMA optimize) would gather them.
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        coordinator = seeded.coordinators[0]
        # The expert with the fullest inbox: a member of the most queues.
        expert = db.session.scalar(
            select(QueueMember.user_id).where(QueueMember.role == "expert")
            .group_by(QueueMember.user_id).order_by(func.count().desc(), QueueMember.user_id).limit(1))
        request_id = db.session.scalar(
            select(AdviceRequest.id).where(AdviceRequest.queue_id.in_(
                select(QueueMember.queue_id).where(QueueMember.user_id == expert)))
            .order_by((AdviceRequest.claimed_by_id == expert).desc(), AdviceRequest.id).limit(1))
        total = db.session.scalar(select(func.count(AdviceRequest.id)))
        dialect = db.engine.dialect.name
    return {"elapsed": elapsed, "expert": expert, "coordinator": coordinator, "request_id": request_id,
            "total": total, "dialect": dialect}


def signed_in(app, user_id: int):
    from lms.auth.models import User

    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(User, user_id).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def measure(app, client, url: str, runs: int) -> tuple[float, float, int]:
    """(median ms, slowest ms, queries of one request)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    response = client.get(url)  # warm: templates, sessions
    assert response.status_code == 200, (url, response.status_code)
    times = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), max(times), len(statements)


def pages(world: dict) -> list[tuple[str, str, str]]:
    return [
        ("expert's inbox", "expert", "/advice/inbox"),
        ("expert's inbox, page 20", "expert", "/advice/inbox?page=20"),
        ("coordinator's dashboard", "coordinator", "/advice/dashboard"),
        ("dashboard, 365 days", "coordinator", "/advice/dashboard?days=365"),
        ("dashboard CSV", "coordinator", "/advice/dashboard.csv"),
        ("one request (expert)", "expert", f"/advice/requests/{world['request_id']}"),
    ]


def run(url: str, requests: int, runs: int, tmp: Path) -> tuple[dict, dict]:
    app = build_app(url, tmp)
    world = seed(app, requests)
    results = {}
    clients = {who: signed_in(app, world[who]) for who in ("expert", "coordinator")}
    for name, who, path in pages(world):
        results[name] = measure(app, clients[who], path, runs)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return world, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="advice-bench-"))
    small_url = f"sqlite:///{tmp / 'small.sqlite'}" if not args.database_url else args.database_url
    _small_world, small = run(small_url, max(100, args.requests // 100), 2, tmp)
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}"
    world, results = run(url, args.requests, args.runs, tmp)

    print(f"database: {world['dialect']}; seeded {world['total']:,} requests (with questions and events) "
          f"in {world['elapsed']:.1f} s")
    print(f"{'page':<28} {'median ms':>10} {'max ms':>9} {'queries':>8} {'at 1/100':>9}")
    for name, (median, slowest, queries) in results.items():
        flag = "" if queries == small[name][2] else "  <- grows with the data"
        print(f"{name:<28} {median:>10.1f} {slowest:>9.1f} {queries:>8} {small[name][2]:>9}{flag}")


if __name__ == "__main__":
    main()
