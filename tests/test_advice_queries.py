"""The inbox, the dashboard and the request pages run the same number of
queries whatever the number of requests."""
from __future__ import annotations

import pytest

from advice_support import ask, client_for, declare, make_queue, many_requests, person
from lms.advice import service
from lms.timeutil import utcnow


@pytest.fixture()
def cast():
    coordinator = person("expert", locale="en")
    expert = person("expert", locale="en")
    learner = person("learner", locale="en")
    queues = [make_queue(experts=[expert], coordinators=[coordinator]) for _ in range(3)]
    declare(expert, region=["pe-cl"], value_chain=["cocoa"], language=["es"])
    return coordinator, expert, learner, queues


def grow(cast, n: int) -> None:
    coordinator, expert, learner, queues = cast
    now = utcnow()
    for queue in queues:
        many_requests(queue, learner, n, now=now)
        many_requests(queue, learner, n, state="claimed", claimant=expert, now=now)
        many_requests(queue, learner, n, state="awaiting_learner", claimant=expert, now=now)
        many_requests(queue, learner, n, state="answered", claimant=expert, now=now, rating=4)
        many_requests(queue, learner, n, state="closed", claimant=expert, now=now)


def queries_for(app, count_queries, user, path: str) -> int:
    client = client_for(app, user)
    client.get(path)  # warm: sessions, templates
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path, who", [
    ("/advice/inbox", "expert"),
    ("/advice/inbox?page=2", "expert"),
    ("/advice/inbox?page=99999", "expert"),
    ("/advice/inbox?page=abc", "expert"),
    ("/advice/inbox/held", "expert"),
    ("/advice/inbox/held?page=2", "expert"),
    ("/advice/dashboard", "coordinator"),
    ("/advice/dashboard.csv?table=experts", "coordinator"),
    ("/advice/", "learner"),
    ("/advice/notifications", "learner"),
])
def test_page_queries_do_not_grow_with_the_data(app, count_queries, cast, path, who):
    user = {"coordinator": cast[0], "expert": cast[1], "learner": cast[2]}[who]
    grow(cast, 3)
    small = queries_for(app, count_queries, user, path)
    grow(cast, 60)
    large = queries_for(app, count_queries, user, path)
    assert small == large, (path, small, large)
    assert large <= 12


def test_the_inbox_fetches_one_page_in_the_same_queries_at_any_size(app, count_queries, cast):
    coordinator, expert, learner, queues = cast
    path = f"/advice/inbox?queue={queues[1].id}&page=2"
    grow(cast, 3)
    small = queries_for(app, count_queries, expert, path)
    grow(cast, 60)
    large = queries_for(app, count_queries, expert, path)
    assert small == large <= 12
    html = client_for(app, expert).get(path).get_data(as_text=True)
    assert "63 requests waiting · Page 2 of 3." in html
    assert html.split("Waiting for an expert", 1)[1].count(">Claim</button>") == 25
    assert f"/advice/inbox?page=3&amp;queue={queues[1].id}" in html


def test_the_request_page_queries_do_not_grow_with_the_conversation(app, count_queries, cast):
    coordinator, expert, learner, queues = cast
    request = ask(learner, queues[0], now=utcnow())
    service.claim(request.id, expert)

    def talk(times):
        for n in range(times):
            service.post_message(request.id, expert, "reply", f"Reply {n}")
            service.add_note(request.id, expert, f"Note {n}")
            service.post_message(request.id, learner, "comment", f"Comment {n}")

    talk(1)
    small = {who.id: queries_for(app, count_queries, who, f"/advice/requests/{request.id}")
             for who in (learner, expert, coordinator)}
    talk(15)
    large = {who.id: queries_for(app, count_queries, who, f"/advice/requests/{request.id}")
             for who in (learner, expert, coordinator)}
    assert small == large
