"""A learner never sees another learner's request, by any URL or id; experts
see only their queues; internal notes stay with the queue's experts."""
from __future__ import annotations

import pytest

from advice_support import client_for, make_queue, person
from lms.advice import attachments, service
from lms.advice.queue import membership
from lms.advice.models import AdviceAttachment, AdviceMessage
from lms.extensions import db
from lms.knowledge import service as knowledge
from lms.knowledge.models import KnowledgeEntry
from lms.timeutil import utcnow

PDF = b"%PDF-1.4\n% private report of learner B\n"


@pytest.fixture()
def world(app):
    owner = person("learner", locale="en", name="Bea Owner")
    other_learner = person("learner", locale="en")
    expert = person("expert", locale="en")
    coordinator = person("expert", locale="en")
    stranger = person("expert", locale="en")  # an expert of another queue
    queue = make_queue(experts=[expert], coordinators=[coordinator])
    make_queue(experts=[stranger])
    request = service.submit(owner, service.NewRequest(
        title="Bea's private question", body="Our budget is secret", queue_id=queue.id, phase="analysis",
        language="en", uploads=[attachments.Upload("budget.pdf", PDF)]), now=utcnow())
    service.claim(request.id, expert)
    note = service.add_note(request.id, expert, "Internal: the learner's municipality is small",
                            uploads=[attachments.Upload("note.txt", b"internal file")])
    reply = service.post_message(request.id, expert, "reply", "Public reply to Bea")
    question = db.session.scalar(db.select(AdviceMessage).where(AdviceMessage.request_id == request.id,
                                                               AdviceMessage.kind == "question"))
    files = {item.message_id: item.id for item in db.session.scalars(
        db.select(AdviceAttachment).where(AdviceAttachment.request_id == request.id))}
    return {"owner": owner, "other_learner": other_learner, "expert": expert, "coordinator": coordinator,
            "stranger": stranger, "request": request.id, "note": note.id, "reply": reply.id,
            "question": question.id, "question_file": files[question.id], "note_file": files[note.id]}


def urls(app, world) -> list[tuple[str, str]]:
    """Every advice and knowledge-editing route that takes one of the request's ids."""
    ids = {"request_id": world["request"], "message_id": world["note"], "attachment_id": world["question_file"]}
    result = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("advice.") or not rule.arguments & set(ids):
            continue
        values = {name: ids[name] for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            result.append((method, path))
    # The other ids too: the question, the reply and the note's file.
    result += [("GET", f"/advice/messages/{world['question']}/edit"),
               ("GET", f"/advice/messages/{world['reply']}/edit"),
               ("GET", f"/advice/attachments/{world['note_file']}")]
    return result


def test_the_route_list_covers_every_request_route(app, world):
    paths = {path for _method, path in urls(app, world)}
    for part in ("claim", "release", "message", "note", "reject", "merge", "rate", "accept", "withdraw",
                 "reassign", "take-over", "publish"):
        assert f"/advice/requests/{world['request']}/{part}" in paths
    assert f"/advice/attachments/{world['question_file']}" in paths


@pytest.mark.parametrize("who", ["other_learner", "stranger"])
def test_no_route_shows_or_changes_someone_elses_request(app, world, who):
    client = client_for(app, world[who])
    for method, path in urls(app, world):
        response = client.open(path, method=method, data={"csrf_token": client.csrf_token(), "body": "x",
                                                          "action": "comment", "reason": "x", "rating": "5"})
        assert response.status_code == 404, (who, method, path, response.status_code)
        assert b"Bea" not in response.data and b"budget" not in response.data
    db.session.expire_all()
    assert service.visible_request(world["request"], world["owner"]).state == "claimed"


def test_the_other_learners_lists_do_not_show_it(app, world):
    client = client_for(app, world["other_learner"])
    for path in ("/advice/", "/advice/notifications"):
        assert b"Bea's private question" not in client.get(path).data
    stranger = client_for(app, world["stranger"])
    assert b"Bea's private question" not in stranger.get("/advice/inbox").data


def test_the_learner_does_not_see_internal_notes_or_their_files(app, world):
    client = client_for(app, world["owner"])
    html = client.get(f"/advice/requests/{world['request']}").get_data(as_text=True)
    assert "Public reply to Bea" in html
    assert "municipality is small" not in html
    assert "note.txt" not in html
    assert f"/advice/attachments/{world['note_file']}" not in html
    assert client.get(f"/advice/attachments/{world['note_file']}").status_code == 404
    assert client.get(f"/advice/messages/{world['note']}/edit").status_code == 404
    assert client.get(f"/advice/attachments/{world['question_file']}").data == PDF


def test_experts_of_the_queue_see_notes_marked_as_internal(app, world):
    for who in ("expert", "coordinator"):
        html = client_for(app, world[who]).get(f"/advice/requests/{world['request']}").get_data(as_text=True)
        assert "municipality is small" in html
        assert "Internal note: the learner does not see it" in html
    assert client_for(app, world["coordinator"]).get(f"/advice/attachments/{world['note_file']}").data == \
        b"internal file"


def test_someone_elses_message_cannot_be_edited(app, world):
    client = client_for(app, world["coordinator"])
    assert client.get(f"/advice/messages/{world['reply']}/edit").status_code == 403
    response = client.post(f"/advice/messages/{world['reply']}/edit", data={"body": "Changed"})
    assert response.status_code == 403
    assert db.session.get(AdviceMessage, world["reply"]).body_markdown == "Public reply to Bea"


def test_an_expert_who_leaves_the_queue_loses_access(app, world):
    service.save_expertise(world["expert"], service.ExpertiseChoice([], [], [], []))
    client = client_for(app, world["expert"])
    assert client.get(f"/advice/requests/{world['request']}").status_code == 404
    assert client.get(f"/advice/attachments/{world['note_file']}").status_code == 404


def test_a_published_entry_is_public_but_the_request_stays_private(app, world):
    service.post_message(world["request"], world["expert"], "answer", "The answer for Bea")
    entry = knowledge.draft_from_request(world["request"], world["expert"])
    knowledge.change_status(entry, membership(world["coordinator"]), world["coordinator"], "submit_review", False)
    knowledge.change_status(entry, membership(world["coordinator"]), world["coordinator"], "publish", True)
    slug = db.session.get(KnowledgeEntry, entry.id).slug
    visitor = app.test_client()
    public = visitor.get(f"/knowledge/{slug}").get_data(as_text=True)
    assert "The answer for […]" in public  # anonymised: Bea did not consent to be named
    assert "Bea" not in public
    other = client_for(app, world["other_learner"])
    page = other.get(f"/knowledge/{slug}").get_data(as_text=True)
    assert f"/advice/requests/{world['request']}" not in page
    assert other.get(f"/advice/requests/{world['request']}").status_code == 404
    assert other.get(f"/knowledge/drafts/{entry.id}/edit").status_code == 404
    # The owner is shown the way back to their request.
    assert f"/advice/requests/{world['request']}" in client_for(app, world["owner"]).get(
        f"/knowledge/{slug}").get_data(as_text=True)


def test_attachments_are_served_as_downloads_only(app, world):
    response = client_for(app, world["owner"]).get(f"/advice/attachments/{world['question_file']}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "budget.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    stored = db.session.get(AdviceAttachment, world["question_file"])
    path = attachments.path_of(stored.stored_name)
    assert path.is_file() and str(path).startswith(app.config["UPLOADS_PATH"])
    assert "budget" not in path.name
