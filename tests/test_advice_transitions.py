"""Every action, in every state, by every role: allowed exactly where the
transitions table says, refused with a clear message everywhere else.

The table itself is checked as plain Python; then the service is driven
through the whole matrix against a real database; then the pages through
the HTTP client for each action and role.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from advice_support import T0, ask, client_for, make_queue, person, put_in_state, state_of
from lms.advice import service, transitions
from lms.advice.models import AdviceEvent, AdviceRequest
from lms.advice.queue import Membership
from lms.advice.transitions import (ACTIONS, STATES, TABLE, TransitionError, allowed, available, check)
from lms.extensions import db
from lms.timeutil import utcnow

# The people a request meets. "outsider" is another learner; "stranger" an
# expert of another queue: for both the request does not exist (404).
PERSONAS = ("learner", "claimant", "expert", "coordinator", "admin", "outsider", "stranger")
USER_ACTIONS = tuple(action for action in ACTIONS if action not in ("expire", "remind", "auto_close"))
SYSTEM_ACTIONS = ("expire", "remind", "auto_close")


def expected_roles(persona: str, state: str) -> set[str] | None:
    """What the table should see for each persona (None: may not see the request)."""
    return {
        "learner": {"learner"},
        "claimant": {"expert"} | (set() if state == "submitted" else {"claimant"}),
        "expert": {"expert"},
        "coordinator": {"expert", "coordinator"},
        "admin": {"admin"},
        "outsider": None,
        "stranger": None,
    }[persona]


# The table as plain Python ---------------------------------------------------------

def test_the_lifecycle_reads_as_documented():
    """The table, spelled out: a change here is a change of the rules."""
    expected = {
        ("claim", "submitted"): ("claimed", {"expert", "coordinator", "admin"}),
        ("release", "claimed"): ("submitted", {"claimant", "coordinator", "admin"}),
        ("expire", "claimed"): ("submitted", {"system"}),
        ("ask_clarification", "claimed"): ("awaiting_learner", {"claimant"}),
        ("clarify", "awaiting_learner"): ("claimed", {"learner"}),
        ("answer", "claimed"): ("answered", {"claimant"}),
        ("accept", "answered"): ("closed", {"learner"}),
        ("follow_up", "answered"): ("claimed", {"learner"}),
        ("auto_close", "awaiting_learner"): ("closed", {"system"}),
        ("auto_close", "answered"): ("closed", {"system"}),
    }
    for (action, source), (target, roles) in expected.items():
        transition = transitions.find(action, source)
        assert transition is not None, (action, source)
        assert (transition.target, set(transition.roles)) == (target, roles)
    for action in ("reject", "merge"):
        assert {t.source for t in TABLE if t.action == action} == {"submitted", "claimed", "awaiting_learner"}
        assert {r for t in TABLE if t.action == action for r in t.roles} == {"coordinator", "admin"}


def test_final_states_have_no_way_out():
    assert not [t for t in TABLE if t.source in transitions.FINAL_STATES]


def test_every_state_is_reachable_and_every_role_known():
    targets = {t.target for t in TABLE} | {"submitted"}
    assert targets == set(STATES)
    assert {role for t in TABLE for role in t.roles} <= set(transitions.ROLES)


@pytest.mark.parametrize("action", ACTIONS)
def test_check_allows_exactly_what_the_table_lists(action):
    """For this action, every state and every role: allowed or refused, and why."""
    for state in STATES:
        for role in transitions.ROLES:
            listed = any(t.action == action and t.source == state and role in t.roles for t in TABLE)
            assert allowed(action, state, {role}) is listed, (state, role)
            if listed:
                assert check(action, state, {role}).target in STATES
                continue
            with pytest.raises(TransitionError) as refused:
                check(action, state, {role})
            # A state that does not allow the action at all says so; else it is the role.
            expected = "state" if transitions.find(action, state) is None else "role"
            assert refused.value.code == expected, (state, role)


def test_roles_of_a_person_for_a_request():
    request = AdviceRequest(learner_id=1, queue_id=10, claimed_by_id=2, state="claimed")
    assert Membership(user_id=1).roles_for(request) == {"learner"}
    assert Membership(user_id=2, is_expert=True, expert_of={10}).roles_for(request) == {"claimant", "expert"}
    assert Membership(user_id=3, is_expert=True, expert_of={10}).roles_for(request) == {"expert"}
    assert Membership(user_id=4, is_expert=True, coordinator_of={10}).roles_for(request) == \
        {"expert", "coordinator"}
    assert Membership(user_id=5, is_admin=True).roles_for(request) == {"admin"}
    assert Membership(user_id=6, is_expert=True, expert_of={11}).roles_for(request) == set()
    # A claimant who left the queue no longer acts as its claimant.
    assert Membership(user_id=2, is_expert=True, expert_of={11}).roles_for(request) == set()


def test_available_lists_the_buttons_in_table_order():
    assert available("claimed", {"claimant", "expert"}) == ["release", "reply", "ask_clarification", "answer"]
    assert available("answered", {"learner"}) == ["accept", "follow_up"]
    assert available("closed", {"learner", "coordinator", "admin"}) == []


# The service, through the whole matrix ----------------------------------------------

@pytest.fixture()
def cast():
    """A queue with its people, and a request asked by the learner."""
    people = {
        "learner": person("learner"),
        "claimant": person("expert"),
        "expert": person("expert"),
        "coordinator": person("expert"),
        "admin": person("admin"),
        "outsider": person("learner"),
        "stranger": person("expert"),
    }
    queue = make_queue(experts=[people["claimant"], people["expert"]], coordinators=[people["coordinator"]])
    make_queue(experts=[people["stranger"]])
    request = ask(people["learner"], queue, now=T0)
    other = ask(person("learner"), queue, now=T0, title="A duplicate")
    return people, queue, request, other


def perform(action: str, request_id: int, user, people, other_id: int):
    if action == "claim":
        return service.claim(request_id, user, now=T0)
    if action == "release":
        return service.release(request_id, user, now=T0)
    if action in ("reassign", "take_over"):
        return service.reassign(request_id, user, people["expert"].id, now=T0, action=action)
    if action in transitions.STAFF_MESSAGE_ACTIONS + transitions.LEARNER_MESSAGE_ACTIONS:
        return service.post_message(request_id, user, action, f"Text for {action}", now=T0)
    if action == "accept":
        return service.accept(request_id, user, now=T0)
    if action == "withdraw":
        return service.withdraw(request_id, user, now=T0)
    if action == "reject":
        return service.reject(request_id, user, "Out of scope", now=T0)
    if action == "merge":
        return service.merge(request_id, user, other_id, now=T0)
    raise AssertionError(action)


@pytest.mark.parametrize("action", USER_ACTIONS)
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_service_follows_the_table(app, cast, action, persona):
    """This person tries this action in each of the seven states."""
    people, _queue, request, other = cast
    user = people[persona]
    for state in STATES:
        put_in_state(request, state, people["claimant"])
        events_before = db.session.scalar(select(func.count()).select_from(AdviceEvent))
        roles = expected_roles(persona, state)
        where = f"{persona} tries {action} in {state}"
        if roles is None:
            with pytest.raises(service.NotFound):
                perform(action, request.id, user, people, other.id)
            assert state_of(request.id) == state, where
            continue
        transition = transitions.find(action, state)
        if transition is not None and transition.roles & roles:
            perform(action, request.id, user, people, other.id)
            assert state_of(request.id) == transition.target, where
            last = db.session.scalar(select(AdviceEvent).where(AdviceEvent.request_id == request.id)
                                     .order_by(AdviceEvent.id.desc()))
            assert (last.kind, last.actor_id) == (action, user.id), where
        else:
            with pytest.raises(TransitionError) as refused:
                perform(action, request.id, user, people, other.id)
            assert refused.value.code in ("state", "role", "taken"), where
            with app.test_request_context():
                assert str(refused.value.message), where  # a message to show
            assert state_of(request.id) == state, where
            db.session.expire_all()
            assert db.session.scalar(select(func.count()).select_from(AdviceEvent)) == events_before, where


@pytest.mark.parametrize("action", SYSTEM_ACTIONS)
def test_system_actions_happen_only_in_their_states(app, cast, action):
    """The tick's jobs move exactly the states the table gives the system."""
    people, _queue, request, _other = cast
    job = {"expire": service.expire_leases, "remind": service.send_reminders, "auto_close": service.auto_close}
    long_ago = T0 - timedelta(days=365)
    for state in STATES:
        put_in_state(request, state, people["claimant"])
        row = db.session.get(AdviceRequest, request.id)
        row.lease_expires_at = long_ago if state == "claimed" else None
        # A reminder goes to a wait of some days; closing takes a long one.
        waited = T0 - timedelta(days=app.config["ADVICE_REMINDER_DAYS"] + 1) if action == "remind" else long_ago
        row.awaiting_since = waited if state == "awaiting_learner" else None
        row.answered_at = long_ago if state in ("answered", "closed") else None
        row.reminder_sent_at = None
        db.session.commit()
        before = db.session.scalar(select(func.count()).select_from(AdviceEvent).where(
            AdviceEvent.request_id == request.id, AdviceEvent.kind == action))
        job[action](now=T0)
        after = db.session.scalar(select(func.count()).select_from(AdviceEvent).where(
            AdviceEvent.request_id == request.id, AdviceEvent.kind == action))
        transition = transitions.find(action, state)
        if transition is not None and "system" in transition.roles:
            assert state_of(request.id) == transition.target, state
            assert after == before + 1, state
        else:
            assert state_of(request.id) == state, state
            assert after == before, state


# The pages -------------------------------------------------------------------------

ROUTES = {
    "claim": ("claim", {}), "release": ("release", {}), "take_over": ("take-over", {}),
    "accept": ("accept", {}), "withdraw": ("withdraw", {}),
    "reject": ("reject", {"reason": "Out of scope"}),
    "reply": ("message", {"action": "reply", "body": "A reply"}),
    "ask_clarification": ("message", {"action": "ask_clarification", "body": "Which region?"}),
    "answer": ("message", {"action": "answer", "body": "The answer"}),
    "clarify": ("message", {"action": "clarify", "body": "Tacna"}),
    "comment": ("message", {"action": "comment", "body": "More details"}),
    "follow_up": ("message", {"action": "follow_up", "body": "And then?"}),
}


def _source_state(action: str) -> str:
    return next(t.source for t in TABLE if t.action == action)


@pytest.mark.parametrize("action", sorted(set(USER_ACTIONS) - {"merge", "reassign"}) + ["merge", "reassign"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_pages_follow_the_table(app, cast, action, persona):
    people, _queue, request, other = cast
    state = _source_state(action)
    put_in_state(request, state, people["claimant"], now=utcnow())
    if action == "merge":
        path, data = "merge", {"target_id": str(other.id)}
    elif action == "reassign":
        path, data = "reassign", {"expert_id": str(people["expert"].id)}
    else:
        path, data = ROUTES[action]
    client = client_for(app, people[persona])
    response = client.post(f"/advice/requests/{request.id}/{path}", data=data)
    roles = expected_roles(persona, state)
    if roles is None:
        assert response.status_code == 404
        assert state_of(request.id) == state
        return
    transition = transitions.find(action, state)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    if transition.roles & roles:
        assert state_of(request.id) == transition.target
        assert "flash-success" in shown
    else:
        assert state_of(request.id) == state
        assert "flash-error" in shown


@pytest.mark.parametrize("action", ["answer", "accept", "claim", "clarify"])
def test_an_action_in_the_wrong_state_is_refused_with_a_clear_message(app, cast, action):
    people, _queue, request, _other = cast
    put_in_state(request, "closed", people["claimant"])
    who = people["learner"] if action in ("accept", "clarify") else people["claimant"]
    path, data = ROUTES[action]
    client = client_for(app, who)
    client.post("/language", data={"language": "en", "next": "/"})
    response = client.post(f"/advice/requests/{request.id}/{path}", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "is not possible while the request is" in html
    assert state_of(request.id) == "closed"
