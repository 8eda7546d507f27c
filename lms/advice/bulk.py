"""Bulk seeding of advice requests for benchmarks (bench/advice_bench.py, and
the platform benchmark): many rows fast, with Core inserts, no events fired.

Each request gets its question (one message) and its submission event, and
the columns the service keeps (states, claims, clocks) consistent with its
state, so the inbox and the dashboard see realistic data.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, text

from lms.advice.models import AdviceEvent, AdviceMessage, AdviceQueue, AdviceRequest, Expertise, QueueMember
from lms.advice.seed import seed_queues
from lms.auth.models import User, UserRole
from lms.extensions import db
from lms.timeutil import utcnow

# Share of each state among the requests (the rest are closed).
STATE_MIX = (("submitted", 0.08), ("claimed", 0.05), ("awaiting_learner", 0.03), ("answered", 0.08),
             ("rejected", 0.02), ("merged", 0.01))
REGIONS = ("mx-gt", "ec-co", "pe-co", "pe-cl", None)
VALUE_CHAINS = ("smart-agriculture", "tourism", "cocoa", "fish-farming", "energy", None)
PHASES = ("analysis", "priority_setting", "action_plan", "implementation", "monitoring")


@dataclass
class Seeded:
    queues: list[int]
    experts: list[int]
    coordinators: list[int]
    learners: list[int]
    requests: int


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _insert(model, rows: list[dict]) -> None:
    """A plain executemany on the table (Core): the fastest bulk insert."""
    if rows:
        db.session.execute(insert(model.__table__), rows)


def _fix_sequences(*models) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def _users(prefix: str, role: str, count: int, password_hash: str, chunk: int = 5000) -> list[int]:
    first = _next_id(User)
    ids: list[int] = []
    for start in range(0, count, chunk):
        rows = [{"id": first + n, "email": f"{prefix}{first + n}@bench.example.org",
                 "name": f"{prefix.title()} {n}", "password_hash": password_hash,
                 "locale": "es" if n % 3 else "en", "active": True,
                 "session_token": f"{first + n:032x}", "created_at": datetime(2026, 1, 1)}
                for n in range(start, min(count, start + chunk))]
        _insert(User, rows)
        _insert(UserRole, [{"user_id": row["id"], "role": role} for row in rows])
        ids += [row["id"] for row in rows]
    return ids


def seed(requests: int, learners: int = 5000, experts: int = 40, password_hash: str = "x",
         now: datetime | None = None, chunk: int = 10000, rng: random.Random | None = None) -> Seeded:
    """Queues, experts (each in two or three queues, one coordinator per
    queue), learners, and `requests` requests spread over the last year."""
    rng = rng or random.Random(5)
    now = now or utcnow().replace(microsecond=0)
    seed_queues()
    queues = list(db.session.scalars(select(AdviceQueue).order_by(AdviceQueue.id)))
    expert_ids = _users("expert", "expert", experts, password_hash)
    learner_ids = _users("learner", "learner", learners, password_hash)
    members, expertise = [], []
    coordinators = []
    for index, queue in enumerate(queues):
        coordinator = expert_ids[index % len(expert_ids)]
        coordinators.append(coordinator)
        members.append({"queue_id": queue.id, "user_id": coordinator, "role": "coordinator"})
    for n, expert_id in enumerate(expert_ids):
        for queue in rng.sample(queues, k=min(len(queues), 2 + n % 2)):
            members.append({"queue_id": queue.id, "user_id": expert_id, "role": "expert"})
        expertise += [{"user_id": expert_id, "kind": "region", "code": REGIONS[n % 4]},
                      {"user_id": expert_id, "kind": "value_chain", "code": VALUE_CHAINS[n % 5]},
                      {"user_id": expert_id, "kind": "language", "code": "es"}]
    _insert(QueueMember, members)
    _insert(Expertise, expertise)
    queue_experts: dict[int, list[int]] = {}
    for row in members:
        queue_experts.setdefault(row["queue_id"], []).append(row["user_id"])
    by_id = {queue.id: queue for queue in queues}

    cumulative = []
    total = 0.0
    for state, share in STATE_MIX:
        total += share
        cumulative.append((total, state))

    def state_for(roll: float) -> str:
        return next((state for limit, state in cumulative if roll < limit), "closed")

    first_id = _next_id(AdviceRequest)
    done = 0
    while done < requests:
        batch = min(chunk, requests - done)
        request_rows, message_rows, event_rows = [], [], []
        for n in range(batch):
            queue = by_id[queues[rng.randrange(len(queues))].id]
            state = state_for(rng.random())
            open_request = state in ("submitted", "claimed", "awaiting_learner")
            age = timedelta(hours=rng.randint(1, 24 * 20) if open_request else rng.randint(24, 24 * 365))
            created = now - age
            claimant = rng.choice(queue_experts[queue.id]) if state != "submitted" else None
            first = rng.randint(600, 72 * 3600) if state not in ("submitted", "claimed") else None
            resolution = rng.randint(3600, 300 * 3600) if state in ("answered", "closed") else None
            number = done + n + 1
            request_rows.append({
                "id": first_id + done + n, "learner_id": learner_ids[rng.randrange(len(learner_ids))],
                "queue_id": queue.id, "title": f"Request {number} about the border strategy",
                "region": REGIONS[rng.randrange(len(REGIONS))],
                "value_chain": VALUE_CHAINS[rng.randrange(len(VALUE_CHAINS))],
                "phase": PHASES[rng.randrange(len(PHASES))], "language": "es" if rng.random() < 0.7 else "en",
                "publish_consent": False, "state": state, "claimed_by_id": claimant,
                "claimed_at": created if claimant else None,
                "lease_expires_at": now + timedelta(hours=24) if state == "claimed" else None,
                "created_at": created, "updated_at": created,
                "first_response_due_at": created + timedelta(hours=queue.first_response_hours),
                "first_response_at": created + timedelta(seconds=first) if first else None,
                "first_response_seconds": first,
                "resolution_due_at": created + timedelta(hours=queue.resolution_hours),
                "active_seconds": resolution or 0,
                "active_since": created if state in ("submitted", "claimed") else None,
                "resolution_seconds": resolution,
                "awaiting_since": (now - timedelta(hours=rng.randint(1, 200))
                                   if state == "awaiting_learner" else None),
                "answered_at": created + timedelta(seconds=resolution) if resolution else None,
                "closed_at": (created + timedelta(days=15)
                              if state in ("closed", "rejected", "merged") else None),
                "rating": rng.randint(1, 5) if state == "closed" and rng.random() < 0.4 else None,
            })
        _insert(AdviceRequest, request_rows)
        for row in request_rows:
            request_id = row["id"]
            body = f"Question {request_id}: how should our region move from analysis to an action plan?"
            message_rows.append({"request_id": request_id, "author_id": row["learner_id"],
                                 "kind": "question", "body_markdown": body, "body_html": f"<p>{body}</p>",
                                 "version": 1, "created_at": row["created_at"]})
            event_rows.append({"request_id": request_id, "actor_id": row["learner_id"],
                               "kind": "submit", "to_state": "submitted", "created_at": row["created_at"]})
        _insert(AdviceMessage, message_rows)
        _insert(AdviceEvent, event_rows)
        done += batch
    _fix_sequences(User, AdviceRequest)
    db.session.commit()
    return Seeded([queue.id for queue in queues], expert_ids, coordinators, learner_ids, requests)
