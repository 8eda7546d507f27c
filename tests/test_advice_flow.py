"""The whole life of a request through the pages, as a learner, an expert and
a coordinator use them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from advice_support import T0, ask, client_for, make_queue, person, state_of
from lms.advice import service
from lms.advice.models import AdviceEvent, AdviceMessage, AdviceQueue, AdviceRequest, CannedReply, QueueMember
from lms.advice.transitions import TransitionError
from lms.extensions import db
from pages import page


def test_a_learner_asks_and_sees_the_request_in_their_list(app):
    learner = person("learner", locale="en")
    queue = make_queue(experts=[person("expert")])
    client = client_for(app, learner)
    form = client.get("/advice/new")
    assert form.status_code == 200
    response = client.post("/advice/new", data={
        "title": "Committee for the Tacna–Arica border", "body": "How do we **start** a committee?",
        "queue_id": str(queue.id), "phase": "analysis", "language": "en", "region": "pe-cl", "value_chain": ""})
    assert response.status_code == 302
    request_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    detail = client.get(f"/advice/requests/{request_id}").get_data(as_text=True)
    assert "Committee for the Tacna–Arica border" in detail
    assert "<strong>start</strong>" in detail  # Markdown rendered (and sanitised)
    listing = client.get("/advice/").get_data(as_text=True)
    assert "Committee for the Tacna–Arica border" in listing
    assert state_of(request_id) == "submitted"


def test_a_form_with_errors_keeps_what_was_typed(app):
    learner = person("learner", locale="en")
    queue = make_queue()
    client = client_for(app, learner)
    response = client.post("/advice/new", data={
        "title": "Hi", "body": "My long question that I do not want to type again",
        "queue_id": str(queue.id), "phase": "analysis", "language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "My long question that I do not want to type again" in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(AdviceRequest)) == 0


def test_markdown_in_a_question_is_sanitised(app):
    learner = person("learner")
    queue = make_queue()
    request = ask(learner, queue, body="Hello <script>alert(1)</script> [x](javascript:alert(1))")
    html = client_for(app, learner).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html


def test_claim_clarify_answer_accept_through_the_pages(app):
    learner = person("learner", locale="en")
    expert = person("expert", locale="en")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue)
    learner_client, expert_client = client_for(app, learner), client_for(app, expert)

    inbox = expert_client.get("/advice/inbox").get_data(as_text=True)
    assert request.title in inbox
    assert expert_client.post(f"/advice/requests/{request.id}/claim").status_code == 302
    assert state_of(request.id) == "claimed"

    expert_client.post(f"/advice/requests/{request.id}/message",
                       data={"body": "Which municipalities?", "action": "ask_clarification"})
    assert state_of(request.id) == "awaiting_learner"
    learner_client.post(f"/advice/requests/{request.id}/message",
                        data={"body": "Tacna and Arica.", "action": "clarify"})
    assert state_of(request.id) == "claimed"
    expert_client.post(f"/advice/requests/{request.id}/message",
                       data={"body": "Start with the border committee.", "action": "answer"})
    assert state_of(request.id) == "answered"
    learner_page = learner_client.get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "Start with the border committee." in learner_page
    assert "Accept the answer" in learner_page
    learner_client.post(f"/advice/requests/{request.id}/accept")
    assert state_of(request.id) == "closed"

    kinds = db.session.scalars(select(AdviceEvent.kind).where(AdviceEvent.request_id == request.id)
                               .order_by(AdviceEvent.id)).all()
    assert kinds == ["submit", "claim", "ask_clarification", "clarify", "answer", "accept"]
    history = learner_client.get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "History" in history and "Accept the answer" in history


def test_a_follow_up_goes_back_to_the_same_expert_within_the_window(app):
    learner = person("learner", locale="en")
    expert = person("expert")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue)
    service.claim(request.id, expert, now=T0)
    service.post_message(request.id, expert, "answer", "Here it is.", now=T0 + timedelta(hours=1))
    service.post_message(request.id, learner, "follow_up", "And then?", now=T0 + timedelta(days=2))
    db.session.expire_all()
    again = db.session.get(AdviceRequest, request.id)
    assert again.state == "claimed" and again.claimed_by_id == expert.id

    service.post_message(request.id, expert, "answer", "Then this.", now=T0 + timedelta(days=3))
    late = T0 + timedelta(days=3 + app.config["ADVICE_FOLLOW_UP_DAYS"] + 1)
    with pytest.raises(TransitionError) as refused:
        service.post_message(request.id, learner, "follow_up", "One more?", now=late)
    assert refused.value.code == "window"
    assert state_of(request.id) == "answered"


def test_the_question_edit_keeps_the_earlier_version(app):
    learner = person("learner", locale="en")
    queue = make_queue()
    request = ask(learner, queue, body="First wording")
    question = db.session.scalar(select(AdviceMessage).where(AdviceMessage.request_id == request.id))
    client = client_for(app, learner)
    assert client.get(f"/advice/messages/{question.id}/edit").status_code == 200
    client.post(f"/advice/messages/{question.id}/edit", data={"body": "Second wording"})
    html = client.get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "Second wording" in html
    assert "First wording" in html  # in the earlier versions
    assert "1 earlier version" in html


def test_seed_queues_is_idempotent(runner):
    first = runner.invoke(args=["lms", "seed-queues"])
    assert first.exit_code == 0, first.output
    assert "8 created" in first.output
    second = runner.invoke(args=["lms", "seed-queues"])
    assert "0 created, 8 already there" in second.output
    queues = db.session.scalars(select(AdviceQueue)).all()
    assert len(queues) == 8
    cocoa = next(q for q in queues if q.slug == "value-chain-cocoa")
    assert cocoa.names["es"].startswith("Cadena de valor") and cocoa.names["en"].startswith("Value chain")


def test_an_admin_defines_a_queue_with_coordinators(app):
    admin = person("admin", locale="en")
    expert = person("expert", name="Eva Expert")
    learner = person("learner", name="Lea Learner")
    client = client_for(app, admin)
    assert client.get("/advice/admin/queues/new").status_code == 200
    data = {"slug": "ports", "name_es": "Puertos", "name_en": "Ports", "first_response_hours": "24",
            "resolution_hours": "100", "active": "y", "coordinator_ids": [str(learner.id)]}
    refused = client.post("/advice/admin/queues/new", data=data)
    assert refused.status_code == 200
    assert "Coordinators are chosen among the experts." in refused.get_data(as_text=True)
    data["coordinator_ids"] = [str(expert.id)]
    assert client.post("/advice/admin/queues/new", data=data).status_code == 302
    queue = db.session.scalar(select(AdviceQueue).where(AdviceQueue.slug == "ports"))
    assert queue.names == {"es": "Puertos", "en": "Ports"} and queue.resolution_hours == 100
    roles = db.session.execute(select(QueueMember.user_id, QueueMember.role)
                               .where(QueueMember.queue_id == queue.id)).all()
    assert roles == [(expert.id, "coordinator")]
    assert "Ports" in client.get("/advice/admin/queues").get_data(as_text=True)


def test_an_expert_declares_expertise_and_the_inbox_puts_matches_first(app):
    expert = person("expert", locale="en")
    learner = person("learner")
    queue = make_queue()
    client = client_for(app, expert)
    response = client.post("/advice/expertise", data={
        "queue_ids": [str(queue.id)], "regions": ["pe-cl"], "value_chains": ["cocoa"], "languages": ["es"]})
    assert response.status_code == 302
    old_plain = ask(learner, queue, title="Old and unrelated", language="en", now=T0)
    newer_match = ask(learner, queue, title="Newer cocoa in Tacna", region="pe-cl", value_chain="cocoa",
                      now=T0 + timedelta(days=1))
    html = client.get("/advice/inbox").get_data(as_text=True)
    assert html.index(newer_match.title) < html.index(old_plain.title)
    assert "3 matches with your expertise" in html


def test_canned_replies_are_kept_per_queue_by_its_coordinators(app):
    coordinator = person("expert", locale="en")
    expert = person("expert", locale="en")
    learner = person("learner")
    queue = make_queue(experts=[expert], coordinators=[coordinator])
    coordinator_client = client_for(app, coordinator)
    assert client_for(app, expert).get(f"/advice/queues/{queue.id}/canned").status_code == 404
    coordinator_client.post(f"/advice/queues/{queue.id}/canned",
                            data={"title": "Welcome", "language": "en", "body": "Thanks for asking **us**."})
    request = ask(learner, queue)
    service.claim(request.id, expert)
    page_html = client_for(app, expert).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "Start from a canned reply" in page_html
    reply_id = db.session.scalar(select(func.max(CannedReply.id)))
    prefilled = client_for(app, expert).get(f"/advice/requests/{request.id}?canned={reply_id}")
    assert "Thanks for asking **us**." in prefilled.get_data(as_text=True)
    assert page(prefilled).lang == "en"


def test_a_question_asked_from_a_lesson_links_back_to_it(app, tmp_path):
    from factories import make_course
    from lms.content.models import Lesson

    make_course(tmp_path / "courses", "border-course", modules=1, lessons=1)
    lesson = db.session.scalar(select(Lesson))
    learner = person("learner", locale="en")
    queue = make_queue()
    client = client_for(app, learner)
    form = client.get(f"/advice/new?lesson={lesson.id}").get_data(as_text=True)
    assert f'name="lesson_id" type="hidden" value="{lesson.id}"' in form
    response = client.post("/advice/new", data={
        "title": "About this lesson", "body": "What does it mean?", "queue_id": str(queue.id),
        "phase": "analysis", "language": "en", "lesson_id": str(lesson.id)})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/courses/border-course/lessons/lesson-1-1" in html and "Lesson 1.1 (en)" in html
