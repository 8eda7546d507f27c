"""Claims under contention, leases, and `flask lms tick` run twice at once.

Threads each get their own app context and database session, as two server
processes would; the test database is a file (SQLite) or PostgreSQL.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from advice_support import T0, ask, client_for, make_queue, person, state_of
from lms.advice import service
from lms.advice.models import AdviceEvent, AdviceRequest, Notification
from lms.advice.transitions import TransitionError
from lms.auth.models import User
from lms.extensions import db
from lms.jobs import run_tick
from lms.jobs.models import ScheduledJobRun
from lms.mail.models import OutboxMessage

THREADS = 8


def run_together(app, work, arguments):
    """Run work(argument) in one thread per argument, released at the same moment."""
    barrier = threading.Barrier(len(arguments))
    results: dict = {}
    errors: list = []

    def target(argument):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[argument] = work(argument)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def count(model, *conditions) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


# Claims ------------------------------------------------------------------------------

def test_concurrent_claims_have_exactly_one_winner(app):
    experts = [person("expert") for _ in range(THREADS)]
    queue = make_queue(experts=experts)
    request_id = ask(person("learner"), queue).id

    def claim(expert_id):
        user = db.session.get(User, expert_id)
        try:
            service.claim(request_id, user)
        except TransitionError as error:
            return error.code
        return "won"

    results = run_together(app, claim, [expert.id for expert in experts])
    assert sorted(results.values()) == ["taken"] * (THREADS - 1) + ["won"]
    winner = next(expert_id for expert_id, result in results.items() if result == "won")
    db.session.expire_all()
    assert db.session.get(AdviceRequest, request_id).claimed_by_id == winner
    assert count(AdviceEvent, AdviceEvent.request_id == request_id, AdviceEvent.kind == "claim") == 1
    # The learner hears of it once.
    assert count(Notification, Notification.request_id == request_id, Notification.kind == "claimed") == 1


def test_concurrent_claims_through_the_pages(app):
    experts = [person("expert", locale="en") for _ in range(THREADS)]
    queue = make_queue(experts=experts)
    request_id = ask(person("learner"), queue).id
    clients = {expert.id: client_for(app, expert) for expert in experts}
    tokens = {expert_id: client.csrf_token() for expert_id, client in clients.items()}

    def press_claim(expert_id):
        client = clients[expert_id]
        response = client.post(f"/advice/requests/{request_id}/claim", data={"csrf_token": tokens[expert_id]})
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    pages = run_together(app, press_claim, list(clients))
    won = [html for html in pages.values() if "You have claimed this request" in html]
    taken = [html for html in pages.values() if "already been taken by another expert" in html]
    assert (len(won), len(taken)) == (1, THREADS - 1)
    assert count(AdviceEvent, AdviceEvent.request_id == request_id, AdviceEvent.kind == "claim") == 1


def test_a_claimed_request_leaves_the_other_experts_inboxes(app):
    first, second = person("expert", locale="en"), person("expert", locale="en")
    queue = make_queue(experts=[first, second])
    request = ask(person("learner"), queue, title="Only one of us")
    service.claim(request.id, first)
    assert "Only one of us" not in client_for(app, second).get("/advice/inbox").get_data(as_text=True)
    mine = client_for(app, first).get("/advice/inbox").get_data(as_text=True)
    assert "Only one of us" in mine and "Requests I handle" in mine


# Leases and release -----------------------------------------------------------------

def test_an_idle_claim_expires_and_the_request_returns_to_the_queue(app):
    expert, other = person("expert"), person("expert")
    queue = make_queue(experts=[expert, other])
    request = ask(person("learner"), queue, now=T0)
    service.claim(request.id, expert, now=T0)
    lease = timedelta(hours=app.config["ADVICE_LEASE_HOURS"])

    assert service.expire_leases(now=T0 + lease - timedelta(minutes=1)) == 0
    assert state_of(request.id) == "claimed"
    assert service.expire_leases(now=T0 + lease + timedelta(minutes=1)) == 1
    db.session.expire_all()
    again = db.session.get(AdviceRequest, request.id)
    assert (again.state, again.claimed_by_id) == ("submitted", None)
    assert count(Notification, Notification.user_id == expert.id, Notification.kind == "lease_expired") == 1
    service.claim(request.id, other, now=T0 + lease + timedelta(minutes=2))
    assert state_of(request.id) == "claimed"


def test_working_on_a_request_renews_the_lease(app):
    expert = person("expert")
    queue = make_queue(experts=[expert])
    request = ask(person("learner"), queue, now=T0)
    service.claim(request.id, expert, now=T0)
    lease = timedelta(hours=app.config["ADVICE_LEASE_HOURS"])
    service.add_note(request.id, expert, "Looking into it", now=T0 + lease - timedelta(hours=1))
    assert service.expire_leases(now=T0 + lease + timedelta(hours=1)) == 0
    assert state_of(request.id) == "claimed"


def test_an_expert_releases_and_another_claims(app):
    expert, other = person("expert", locale="en"), person("expert")
    queue = make_queue(experts=[expert, other])
    request = ask(person("learner"), queue)
    service.claim(request.id, expert)
    with pytest.raises(TransitionError) as refused:
        service.release(request.id, other)
    assert refused.value.code == "role"
    response = client_for(app, expert).post(f"/advice/requests/{request.id}/release", follow_redirects=True)
    assert "The request is back in the queue." in response.get_data(as_text=True)
    assert state_of(request.id) == "submitted"
    service.claim(request.id, other)
    db.session.expire_all()
    assert db.session.get(AdviceRequest, request.id).claimed_by_id == other.id


def test_only_a_coordinator_reassigns_or_takes_over(app):
    expert, other, coordinator = person("expert"), person("expert"), person("expert")
    queue = make_queue(experts=[expert, other], coordinators=[coordinator])
    request = ask(person("learner"), queue)
    service.claim(request.id, expert)
    with pytest.raises(TransitionError):
        service.reassign(request.id, other, other.id)
    service.reassign(request.id, coordinator, other.id)
    db.session.expire_all()
    assert db.session.get(AdviceRequest, request.id).claimed_by_id == other.id
    assert count(Notification, Notification.user_id == other.id, Notification.kind == "assigned") == 1
    service.reassign(request.id, coordinator, 0, action="take_over")
    db.session.expire_all()
    assert db.session.get(AdviceRequest, request.id).claimed_by_id == coordinator.id
    kinds = db.session.scalars(select(AdviceEvent.kind).where(AdviceEvent.request_id == request.id)
                               .order_by(AdviceEvent.id)).all()
    assert kinds[-2:] == ["reassign", "take_over"]


def test_leaving_a_queue_releases_what_the_expert_held_there(app):
    expert = person("expert")
    queue = make_queue(experts=[expert])
    request = ask(person("learner"), queue)
    service.claim(request.id, expert)
    service.save_expertise(expert, service.ExpertiseChoice([], [], [], []))
    assert state_of(request.id) == "submitted"


# tick ------------------------------------------------------------------------------------

def _scenario(app):
    """One request for each job, and experts whose digests are due."""
    expert, other_expert = person("expert"), person("expert")
    learner = person("learner", locale="en")
    queue = make_queue(experts=[expert, other_expert])
    days = timedelta(days=1)
    # Digest cursors start at "now": later requests are new.
    run_tick(now=T0 - 2 * days, only=("advice-digest",))
    lease_request = ask(learner, queue, now=T0, title="Lease")
    service.claim(lease_request.id, expert, now=T0)
    remind_request = ask(learner, queue, now=T0, title="Remind")
    service.claim(remind_request.id, expert, now=T0)
    service.post_message(remind_request.id, expert, "ask_clarification", "Which one?", now=T0)
    stale_request = ask(learner, queue, now=T0 - 30 * days, title="Stale")
    service.claim(stale_request.id, other_expert, now=T0 - 30 * days)
    service.post_message(stale_request.id, other_expert, "ask_clarification", "?", now=T0 - 30 * days)
    answered_request = ask(learner, queue, now=T0 - 30 * days, title="Answered")
    service.claim(answered_request.id, other_expert, now=T0 - 30 * days)
    service.post_message(answered_request.id, other_expert, "answer", "Done", now=T0 - 30 * days)
    new_ones = [ask(learner, queue, now=T0, title=f"New {n}") for n in range(3)]
    return {"experts": (expert, other_expert), "learner": learner, "lease": lease_request.id,
            "remind": remind_request.id, "stale": stale_request.id, "answered": answered_request.id,
            "new": [item.id for item in new_ones]}


def _assert_each_job_done_once(world):
    expert, other_expert = world["experts"]
    assert state_of(world["lease"]) == "submitted"
    assert count(AdviceEvent, AdviceEvent.request_id == world["lease"], AdviceEvent.kind == "expire") == 1
    assert count(AdviceEvent, AdviceEvent.request_id == world["remind"], AdviceEvent.kind == "remind") == 1
    assert count(Notification, Notification.request_id == world["remind"], Notification.kind == "reminder") == 1
    for key in ("stale", "answered"):
        assert state_of(world[key]) == "closed"
        assert count(AdviceEvent, AdviceEvent.request_id == world[key], AdviceEvent.kind == "auto_close") == 1
    for user in (expert, other_expert):
        digests = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == user.email, OutboxMessage.body.contains("New 0"))).all()
        assert len(digests) == 1, user.email
        assert all(f"New {n}" in digests[0].body for n in range(3))
    # The learner's reminder mail went out once too.
    reminders = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == world["learner"].email, OutboxMessage.body.contains("still waiting"))).all()
    assert len(reminders) == 1


def test_tick_does_each_job(app):
    world = _scenario(app)
    results = run_tick(now=T0 + timedelta(days=5))
    assert results["advice-expire-leases"] == 1
    assert results["advice-reminders"] == 1
    assert results["advice-auto-close"] == 2
    assert results["advice-digest"] == 2
    _assert_each_job_done_once(world)
    # Mail queued by the jobs left in the same tick.
    assert count(OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0


def test_tick_twice_at_once_does_each_job_once(app):
    world = _scenario(app)
    now = T0 + timedelta(days=5)
    results = run_together(app, lambda _n: run_tick(now=now), [1, 2])
    ran = [name for result in results.values() for name in result]
    for job in ("advice-expire-leases", "advice-reminders", "advice-auto-close", "advice-digest"):
        assert ran.count(job) == 1, (job, results)
    _assert_each_job_done_once(world)
    # A later tick finds nothing left to do.
    later = run_tick(now=now + timedelta(days=2))
    assert later.get("advice-expire-leases", 0) == 0 and later.get("advice-reminders", 0) == 0
    _assert_each_job_done_once(world)


def test_jobs_run_twice_at_once_without_the_lock_still_act_once(app):
    """The lock row is the first guard; the conditional updates are the second."""
    world = _scenario(app)
    now = T0 + timedelta(days=5)
    for job in (service.expire_leases, service.send_reminders, service.auto_close):
        run_together(app, lambda _n, job=job: job(now=now), [1, 2])
    from lms.advice.notifications import send_digests

    run_together(app, lambda _n: send_digests(now), [1, 2])
    _assert_each_job_done_once(world)


def test_a_held_job_is_skipped_and_a_crashed_holder_times_out(app):
    run_tick(now=T0, only=("advice-expire-leases",))
    row = db.session.get(ScheduledJobRun, "advice-expire-leases")
    row.locked_until, row.locked_by = T0 + timedelta(minutes=10), "someone"
    db.session.commit()
    assert run_tick(now=T0 + timedelta(minutes=1), only=("advice-expire-leases",)) == {}
    assert "advice-expire-leases" in run_tick(now=T0 + timedelta(minutes=11), only=("advice-expire-leases",))


def test_the_digest_waits_for_its_interval(app):
    run_tick(now=T0, only=("advice-digest",))
    assert run_tick(now=T0 + timedelta(hours=1), only=("advice-digest",)) == {}
    hours = app.config["ADVICE_DIGEST_HOURS"]
    assert "advice-digest" in run_tick(now=T0 + timedelta(hours=hours), only=("advice-digest",))


def test_the_tick_command(runner):
    result = runner.invoke(args=["lms", "tick"])
    assert result.exit_code == 0, result.output
    assert "advice-expire-leases: 0" in result.output
    assert "send-mail" in result.output
