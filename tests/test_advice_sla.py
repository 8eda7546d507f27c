"""Service levels: the first-response and resolution clocks, the pause while
the request waits on the learner, and the dashboard built on them."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy import select

from advice_support import T0, ask, client_for, make_queue, person
from lms.advice import dashboard, service, sla
from lms.advice.models import AdviceEvent, AdviceRequest
from lms.advice.queue import membership
from lms.extensions import db
from lms.timeutil import utcnow

H = timedelta(hours=1)


def event(kind, at, old=None, new=None):
    return SimpleNamespace(kind=kind, created_at=T0 + at, from_state=old, to_state=new)


# The clocks from the log, as plain functions -----------------------------------------

def test_the_resolution_clock_pauses_while_waiting_on_the_learner():
    log = [
        event("submit", 0 * H, None, "submitted"),
        event("claim", 1 * H, "submitted", "claimed"),
        event("ask_clarification", 3 * H, "claimed", "awaiting_learner"),
        event("clarify", 27 * H, "awaiting_learner", "claimed"),
        event("answer", 30 * H, "claimed", "answered"),
    ]
    clocks = sla.clocks(log, now=T0 + 100 * H)
    assert clocks.first_response_seconds == 3 * 3600
    assert clocks.paused_seconds == 24 * 3600
    assert clocks.resolution_seconds == 6 * 3600  # 3 h before the question + 3 h after
    assert clocks.active_seconds == 6 * 3600 and not clocks.running


def test_a_running_clock_counts_up_to_now_and_a_waiting_one_does_not():
    log = [event("submit", 0 * H, None, "submitted"), event("claim", 2 * H, "submitted", "claimed")]
    assert sla.clocks(log, now=T0 + 5 * H).active_seconds == 5 * 3600
    log.append(event("ask_clarification", 6 * H, "claimed", "awaiting_learner"))
    waiting = sla.clocks(log, now=T0 + 50 * H)
    assert waiting.active_seconds == 6 * 3600 and waiting.paused_seconds == 44 * 3600
    assert not waiting.running and waiting.first_response_seconds == 6 * 3600


def test_a_follow_up_restarts_the_resolution_clock():
    log = [
        event("submit", 0 * H, None, "submitted"),
        event("claim", 1 * H, "submitted", "claimed"),
        event("answer", 4 * H, "claimed", "answered"),
        event("follow_up", 20 * H, "answered", "claimed"),
        event("answer", 22 * H, "claimed", "answered"),
    ]
    clocks = sla.clocks(log, now=T0 + 40 * H)
    assert clocks.resolution_seconds == 6 * 3600  # 4 h, then 2 h; the 16 h answered do not count
    assert clocks.first_response_seconds == 4 * 3600


def test_a_note_is_no_response():
    log = [event("submit", 0 * H, None, "submitted"), event("claim", 1 * H, "submitted", "claimed"),
           event("note", 2 * H), event("reply", 5 * H)]
    assert sla.clocks(log, now=T0 + 6 * H).first_response_seconds == 5 * 3600


def test_status_near_and_past_the_targets():
    queue = SimpleNamespace(first_response_hours=10, resolution_hours=100)
    request = SimpleNamespace(state="submitted", first_response_at=None, first_response_due_at=T0 + 10 * H,
                              active_seconds=0, active_since=T0)
    assert sla.status(request, queue, T0 + 1 * H).level == "ok"
    assert sla.status(request, queue, T0 + 8 * H).level == "near"
    late = sla.status(request, queue, T0 + 12 * H)
    assert (late.clock, late.level, late.remaining_seconds) == ("first_response", "overdue", -2 * 3600)
    request.first_response_at, request.state = T0 + 2 * H, "awaiting_learner"
    request.active_seconds, request.active_since = 2 * 3600, None
    paused = sla.status(request, queue, T0 + 500 * H)
    assert (paused.clock, paused.level, paused.remaining_seconds) == ("paused", "ok", 98 * 3600)


# The kept columns agree with the log -------------------------------------------------

def test_the_service_keeps_the_same_figures_as_the_log(app):
    expert = person("expert")
    learner = person("learner")
    queue = make_queue(experts=[expert], first_hours=24, resolution_hours=48)
    request = ask(learner, queue, now=T0)
    service.claim(request.id, expert, now=T0 + 1 * H)
    service.post_message(request.id, expert, "ask_clarification", "Which?", now=T0 + 3 * H)
    service.post_message(request.id, learner, "clarify", "This one", now=T0 + 27 * H)
    service.post_message(request.id, expert, "answer", "Here", now=T0 + 30 * H)
    db.session.expire_all()
    row = db.session.get(AdviceRequest, request.id)
    events = db.session.scalars(select(AdviceEvent).where(AdviceEvent.request_id == request.id)
                                .order_by(AdviceEvent.id)).all()
    from_log = sla.clocks(events, now=T0 + 40 * H)
    assert row.first_response_seconds == from_log.first_response_seconds == 3 * 3600
    assert row.resolution_seconds == from_log.resolution_seconds == 6 * 3600
    assert row.active_seconds == from_log.active_seconds


def test_the_resolution_target_moves_with_the_pause(app):
    expert, learner = person("expert"), person("learner")
    queue = make_queue(experts=[expert], first_hours=24, resolution_hours=10)
    request = ask(learner, queue, now=T0)
    service.claim(request.id, expert, now=T0)
    service.post_message(request.id, expert, "ask_clarification", "Which?", now=T0 + 4 * H)
    # A week waiting on the learner is not the expert's delay.
    service.post_message(request.id, learner, "clarify", "This one", now=T0 + 168 * H)
    db.session.expire_all()
    row = db.session.get(AdviceRequest, request.id)
    assert row.resolution_due_at == T0 + 174 * H  # 6 h left when the clock restarted
    assert sla.status(row, queue, T0 + 170 * H).level == "ok"    # 4 h of 10 left
    assert sla.status(row, queue, T0 + 172 * H).level == "near"  # 2 h left
    assert sla.status(row, queue, T0 + 175 * H).level == "overdue"


def test_the_request_page_shows_the_clocks_to_experts_only(app):
    expert, learner = person("expert", locale="en"), person("learner", locale="en")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue, now=utcnow())
    service.claim(request.id, expert)
    expert_page = client_for(app, expert).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "Service levels" in expert_page and "First response due in" in expert_page
    learner_page = client_for(app, learner).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "Service levels" not in learner_page


# The dashboard --------------------------------------------------------------------

def _answered(queue, expert, learner, first_after, answered_after, start=T0):
    request = ask(learner, queue, now=start)
    service.claim(request.id, expert, now=start)
    if first_after < answered_after:
        service.post_message(request.id, expert, "reply", "On it", now=start + first_after)
    service.post_message(request.id, expert, "answer", "Done", now=start + answered_after)
    return request


def test_medians_backlog_and_overdue_per_queue_and_expert(app):
    coordinator, expert = person("expert"), person("expert", name="Eva")
    learner = person("learner")
    queue = make_queue(experts=[expert], coordinators=[coordinator], first_hours=24, resolution_hours=48)
    _answered(queue, expert, learner, 1 * H, 2 * H)
    _answered(queue, expert, learner, 3 * H, 4 * H)
    _answered(queue, expert, learner, 10 * H, 20 * H)
    ask(learner, queue, now=T0)                       # waiting, and overdue by T0 + 30 h
    late = ask(learner, queue, now=T0)
    service.claim(late.id, expert, now=T0)             # held by Eva, no response: overdue
    waiting = ask(learner, queue, now=T0 + 29 * H)    # waiting, on time

    board = dashboard.build(membership(coordinator), T0 + 30 * H, days=90)
    stats = board.queues[0]
    assert stats.median_first_response == 3.0
    assert stats.median_resolution == 4.0
    assert (stats.submitted, stats.claimed, stats.awaiting) == (2, 1, 0)
    assert stats.overdue == 2
    assert [(e.name, e.held, e.overdue) for e in board.experts] == [("Eva", 1, 1)]
    assert waiting.id  # on time: not in the overdue count

    _answered(queue, expert, learner, 5 * H, 6 * H)
    even = dashboard.build(membership(coordinator), T0 + 30 * H, days=90).queues[0]
    assert even.median_first_response == 4.0  # (3 + 5) / 2


def test_the_dashboard_page_draws_charts_with_tables_and_exports_csv(app):
    coordinator, expert = person("expert", locale="en"), person("expert")
    learner = person("learner")
    queue = make_queue(experts=[expert], coordinators=[coordinator])
    queue.names = {"es": "Cacao =fino", "en": "=Cocoa, fine"}
    db.session.commit()
    start = utcnow() - 10 * H
    _answered(queue, expert, learner, 1 * H, 2 * H, start=start)
    held = ask(learner, queue, now=start)
    service.claim(held.id, expert, now=start)
    client = client_for(app, coordinator)
    html = client.get("/advice/dashboard").get_data(as_text=True)
    assert html.count("<svg") == 5
    assert "Median time to first response (hours)" in html
    assert '<th scope="row">=Cocoa, fine</th><td>1</td>' in html  # the chart's table: 1 h
    assert html.count('<table class="data">') >= 6  # one behind each chart, and the queues
    csv = client.get("/advice/dashboard.csv?table=queues")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in csv.headers["Content-Disposition"]
    body = csv.get_data()
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Queue,")
    assert "\"'=Cocoa, fine\"" in text  # a formula-looking name is defused
    experts_csv = client.get("/advice/dashboard.csv?table=experts").get_data().decode("utf-8-sig")
    assert experts_csv.splitlines()[0] == "Expert,Requests held,Overdue"


def test_only_coordinators_and_admins_see_the_dashboard(app):
    expert = person("expert")
    make_queue(experts=[expert])
    assert client_for(app, expert).get("/advice/dashboard").status_code == 403
    assert client_for(app, person("learner")).get("/advice/dashboard").status_code == 403
    assert client_for(app, person("admin")).get("/advice/dashboard").status_code == 200
    assert client_for(app, expert).get("/advice/dashboard.csv").status_code == 403
