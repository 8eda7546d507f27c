"""Builders for the advice tests: people (with a cheap password hash, so a
test can create many), queues, requests in any state, and signed-in clients."""
from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from functools import cache

from werkzeug.security import generate_password_hash

from factories import PASSWORD
from lms.advice import service
from lms.advice.models import AdviceQueue, AdviceRequest, Expertise, QueueMember
from lms.advice.transitions import ANSWERED, AWAITING_LEARNER, CLAIMED, CLOSED, MERGED, REJECTED, SUBMITTED
from lms.auth.models import User, UserRole
from lms.extensions import db

_numbers = itertools.count(1)
T0 = datetime(2026, 3, 2, 9, 0, 0)


@cache
def _cheap_hash() -> str:
    # The real scrypt hash takes ~0.5 s; tests that sign in check this one.
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def person(*roles: str, locale: str = "es", name: str | None = None, email: str | None = None) -> User:
    n = next(_numbers)
    user = User(email=email or f"advice{n}@example.org", name=name or f"Person {n}", locale=locale,
                password_hash=_cheap_hash())
    user.role_rows = [UserRole(role=role) for role in (roles or ("learner",))]
    db.session.add(user)
    db.session.commit()
    return user


def make_queue(slug: str | None = None, *, experts=(), coordinators=(), first_hours: int = 24,
               resolution_hours: int = 72) -> AdviceQueue:
    n = next(_numbers)
    queue = AdviceQueue(slug=slug or f"queue-{n}", names={"es": f"Cola {n}", "en": f"Queue {n}"},
                        first_response_hours=first_hours, resolution_hours=resolution_hours, position=n)
    db.session.add(queue)
    db.session.flush()
    for user in experts:
        db.session.add(QueueMember(queue_id=queue.id, user_id=user.id, role="expert"))
    for user in coordinators:
        db.session.add(QueueMember(queue_id=queue.id, user_id=user.id, role="coordinator"))
    db.session.commit()
    return queue


def declare(user: User, **codes) -> None:
    for kind, values in codes.items():
        for code in values:
            db.session.add(Expertise(user_id=user.id, kind=kind, code=code))
    db.session.commit()


def ask(learner: User, queue: AdviceQueue, now: datetime | None = None, title: str = "How do we start?",
        body: str = "We want to **start** a binational committee.", **kwargs) -> AdviceRequest:
    data = service.NewRequest(title=title, body=body, queue_id=queue.id, phase=kwargs.pop("phase", "analysis"),
                              language=kwargs.pop("language", "es"), **kwargs)
    return service.submit(learner, data, now=now or T0)


def put_in_state(request: AdviceRequest, state: str, claimant: User | None, now: datetime = T0,
                 merged_into: int | None = None) -> AdviceRequest:
    """Set a request's columns as if it had reached `state` (for the transition matrix)."""
    request.state = state
    request.claimed_by_id = claimant.id if claimant and state != SUBMITTED else None
    request.claimed_at = now if request.claimed_by_id else None
    request.lease_expires_at = now + timedelta(hours=48) if state == CLAIMED else None
    request.awaiting_since = now if state == AWAITING_LEARNER else None
    request.answered_at = now if state in (ANSWERED, CLOSED) else None
    request.closed_at = now if state in (CLOSED, REJECTED, MERGED) else None
    request.merged_into_id = merged_into if state == MERGED else None
    request.active_since = now if state in (SUBMITTED, CLAIMED) else None
    db.session.commit()
    return request


def state_of(request_id: int) -> str:
    db.session.expire_all()
    return db.session.get(AdviceRequest, request_id).state


def sign_in(client, user: User):
    """Sign a test client in as `user` without the password round trip."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def client_for(app, user: User):
    return sign_in(app.test_client(), user)


def many_requests(queue: AdviceQueue, learner: User, n: int, *, state: str = SUBMITTED,
                  claimant: User | None = None, now: datetime = T0, **columns) -> None:
    """`n` requests in one flush (no events or notifications): for sizes, not behaviour."""
    rows = []
    for i in range(n):
        created = now - timedelta(hours=i + 1)
        rows.append(AdviceRequest(
            learner_id=learner.id, queue_id=queue.id, title=f"Bulk {state} {i}", phase="analysis",
            language="es" if i % 2 else "en", region="pe-cl" if i % 3 else None, state=state,
            claimed_by_id=claimant.id if claimant and state != SUBMITTED else None,
            created_at=created, updated_at=created,
            first_response_due_at=created + timedelta(hours=queue.first_response_hours),
            resolution_due_at=created + timedelta(hours=queue.resolution_hours),
            first_response_seconds=(i % 7 + 1) * 3600 if state in (ANSWERED, CLOSED) else None,
            first_response_at=created + timedelta(hours=i % 7 + 1) if state in (ANSWERED, CLOSED) else None,
            resolution_seconds=(i % 11 + 2) * 3600 if state in (ANSWERED, CLOSED) else None,
            answered_at=created + timedelta(hours=12) if state in (ANSWERED, CLOSED) else None,
            active_since=created if state in (SUBMITTED, CLAIMED) else None, **columns))
    db.session.add_all(rows)
    db.session.commit()


def waiting(html: str) -> list[str]:
    """Titles in the table of requests waiting for an expert, in order."""
    section = html.split("Waiting for an expert", 1)[1]
    return re.findall(r'<td><a href="/advice/requests/\d+">([^<]+)</a>', section)


def held(html: str) -> list[str]:
    section = html.split("Requests I handle", 1)[1].split("Waiting for an expert", 1)[0]
    return re.findall(r'<td><a href="/advice/requests/\d+">([^<]+)</a>', section)
