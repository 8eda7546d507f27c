"""From an answered request to a published knowledge entry: draft, review,
publish; anonymised unless the learner consented; the request stays private."""
from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from advice_support import ask, client_for, make_queue, person
from lms.advice import service
from lms.advice.models import Notification
from lms.advice.queue import membership
from lms.advice.transitions import TransitionError
from lms.extensions import db
from lms.knowledge import service as knowledge
from lms.knowledge.anonymise import anonymise
from lms.knowledge.models import KnowledgeEntry

QUESTION = ("I am Rosa Quispe from the Tacna cooperative. Write to rosa.quispe@example.org "
            "or call +51 952 123 456. How do we start a binational committee?")


@pytest.fixture()
def cast():
    learner = person("learner", locale="en", name="Rosa Quispe")
    expert = person("expert", locale="en")
    coordinator = person("expert", locale="en")
    queue = make_queue("cross-border-governance", experts=[expert], coordinators=[coordinator])
    return learner, expert, coordinator, queue


def status_of(entry_id: int) -> str:
    db.session.expire_all()
    return db.session.get(KnowledgeEntry, entry_id).status


def answered(learner, expert, queue, consent: bool):
    request = ask(learner, queue, title="Committee for Rosa's cooperative", body=QUESTION, language="en",
                  region="pe-cl", consent=consent)
    service.claim(request.id, expert)
    service.post_message(request.id, expert, "answer", "Start with the **border committee**, Rosa.")
    return request


def test_anonymise_removes_names_addresses_and_phone_numbers():
    text = anonymise(QUESTION + " Rosa agrees.", ["Rosa Quispe"])
    assert "Rosa" not in text and "Quispe" not in text
    assert "@" not in text and "952" not in text
    assert "binational committee" in text and "Tacna" in text
    assert anonymise("We have 2026 plans for 15 municipalities", ["Ana"]) == \
        "We have 2026 plans for 15 municipalities"


def test_without_consent_the_entry_is_anonymised_and_needs_a_check_to_publish(app, cast):
    learner, expert, coordinator, queue = cast
    request = answered(learner, expert, queue, consent=False)
    client = client_for(app, expert)
    response = client.post(f"/advice/requests/{request.id}/publish")
    entry = db.session.scalar(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == request.id))
    assert response.headers["Location"].endswith(f"/knowledge/drafts/{entry.id}/edit")
    text = entry.texts[0]
    assert (entry.status, entry.source, entry.anonymised, entry.credited_name) == ("draft", "advice", True, None)
    assert "Rosa" not in text.body_markdown + text.title and "rosa.quispe" not in text.body_markdown
    assert "border committee" in text.body_html
    assert {(tag.kind, tag.code) for tag in entry.tags} >= {("regions", "pe-cl"), ("topics", "governance")}
    edit_page = client.get(f"/knowledge/drafts/{entry.id}/edit").get_data(as_text=True)
    assert "did not agree to be named" in edit_page

    # Not public while a draft.
    assert app.test_client().get(f"/knowledge/{entry.slug}").status_code == 404
    client.post(f"/knowledge/drafts/{entry.id}/status", data={"action": "submit_review"})
    assert status_of(entry.id) == "review"
    assert [n.kind for n in db.session.scalars(select(Notification).where(
        Notification.user_id == coordinator.id, Notification.kind == "knowledge_review"))] == ["knowledge_review"]

    # An expert who is not a coordinator cannot publish.
    refused = client.post(f"/knowledge/drafts/{entry.id}/status", data={"action": "publish",
                                                                        "confirm_anonymous": "y"})
    assert refused.status_code == 302
    assert status_of(entry.id) == "review"

    boss = client_for(app, coordinator)
    unconfirmed = boss.post(f"/knowledge/drafts/{entry.id}/status", data={"action": "publish"},
                            follow_redirects=True)
    assert "confirm that you have removed" in unconfirmed.get_data(as_text=True)
    assert status_of(entry.id) == "review"
    boss.post(f"/knowledge/drafts/{entry.id}/status", data={"action": "publish", "confirm_anonymous": "y"})
    db.session.expire_all()
    published = db.session.get(KnowledgeEntry, entry.id)
    assert published.status == "published" and published.reviewed_by_id == coordinator.id

    visitor = app.test_client()
    listing = visitor.get("/knowledge/").get_data(as_text=True)
    assert str(escape(published.texts[0].title)) in listing
    public = visitor.get(f"/knowledge/{published.slug}").get_data(as_text=True)
    assert "border committee" in public and "Rosa" not in public and "asked by" not in public
    assert visitor.get(f"/advice/requests/{request.id}").status_code == 302  # sign in first
    # The learner is told, and finds the entry from the request.
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == learner.id, Notification.kind == "published")) == "published"
    own = client_for(app, learner).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert f"/knowledge/{published.slug}" in own


def test_with_consent_the_learner_is_credited_and_their_words_kept(app, cast):
    learner, expert, coordinator, queue = cast
    request = answered(learner, expert, queue, consent=True)
    entry = knowledge.draft_from_request(request.id, expert)
    assert (entry.anonymised, entry.credited_name) == (False, "Rosa Quispe")
    assert "Rosa Quispe" in entry.texts[0].body_markdown
    knowledge.change_status(entry, membership(expert), expert, "submit_review", False)
    knowledge.change_status(entry, membership(coordinator), coordinator, "publish", False)  # no check needed
    response = app.test_client().get(f"/knowledge/{entry.slug}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "asked by Rosa Quispe" in response.get_data(as_text=True)


def test_the_learner_gives_or_withdraws_consent_when_rating(app, cast):
    learner, expert, _coordinator, queue = cast
    request = answered(learner, expert, queue, consent=False)
    client = client_for(app, learner)
    client.post(f"/advice/requests/{request.id}/rate", data={"rating": "5", "comment": "Very useful",
                                                            "consent": "y"})
    db.session.expire_all()
    entry = knowledge.draft_from_request(request.id, expert)
    assert entry.credited_name == "Rosa Quispe"
    expert_page = client_for(app, expert).get(f"/advice/requests/{request.id}").get_data(as_text=True)
    assert "rated the answer 5 out of 5" in expert_page and "Very useful" in expert_page


def test_only_the_queues_experts_turn_answers_into_entries(app, cast):
    learner, expert, _coordinator, queue = cast
    request = answered(learner, expert, queue, consent=False)
    with pytest.raises(TransitionError):
        knowledge.draft_from_request(request.id, learner)
    assert client_for(app, person("expert")).post(f"/advice/requests/{request.id}/publish").status_code == 404
    open_request = ask(learner, queue)
    with pytest.raises(TransitionError) as refused:
        knowledge.draft_from_request(open_request.id, expert)
    assert refused.value.code == "state"


def test_drafting_twice_gives_the_same_entry(app, cast):
    learner, expert, coordinator, queue = cast
    request = answered(learner, expert, queue, consent=False)
    first = knowledge.draft_from_request(request.id, expert)
    second = knowledge.draft_from_request(request.id, coordinator)
    assert first.id == second.id
    assert len(db.session.scalars(select(KnowledgeEntry)).all()) == 1


def test_editing_an_entry_in_both_languages_with_tags(app, cast):
    learner, expert, _coordinator, queue = cast
    request = answered(learner, expert, queue, consent=False)
    entry = knowledge.draft_from_request(request.id, expert)
    client = client_for(app, expert)
    response = client.post(f"/knowledge/drafts/{entry.id}/edit", data={
        "slug": "binational-committee", "title_es": "Un comité binacional", "body_es": "Empiece por el **comité**.",
        "title_en": "A binational committee", "body_en": "Start with the **committee**.",
        "regions": ["pe-cl"], "topics": ["governance"], "sdgs": ["16", "17"], "value_chains": []})
    assert response.status_code == 302
    db.session.expire_all()
    entry = db.session.get(KnowledgeEntry, entry.id)
    assert entry.slug == "binational-committee"
    assert {text.language: text.title for text in entry.texts} == {
        "es": "Un comité binacional", "en": "A binational committee"}
    assert sorted((tag.kind, tag.code) for tag in entry.tags) == [
        ("regions", "pe-cl"), ("sdgs", "16"), ("sdgs", "17"), ("topics", "governance")]
    assert "comite binacional" in entry.text_by_language()["es"].search_text
    bad = client.post(f"/knowledge/drafts/{entry.id}/edit", data={"slug": "Not A Slug!", "title_en": "Kept"})
    assert bad.status_code == 200 and "Kept" in bad.get_data(as_text=True)


def test_public_filters_by_tag(app, cast):
    learner, expert, coordinator, queue = cast
    request = answered(learner, expert, queue, consent=True)
    entry = knowledge.draft_from_request(request.id, expert)
    knowledge.change_status(entry, membership(expert), expert, "submit_review", False)
    knowledge.change_status(entry, membership(coordinator), coordinator, "publish", False)
    client = app.test_client()
    title = str(escape(entry.texts[0].title))
    assert title in client.get("/knowledge/?region=pe-cl").get_data(as_text=True)
    assert title not in client.get("/knowledge/?region=mx-gt").get_data(as_text=True)
