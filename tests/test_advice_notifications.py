"""Notifications: in the header and the list, by e-mail in each person's
language, as each person chose; new requests reach experts as one digest."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from advice_support import T0, ask, client_for, make_queue, person
from lms.advice import notifications, service
from lms.advice.models import Notification, NotificationPreference
from lms.extensions import db
from lms.jobs import run_tick
from lms.mail.models import OutboxMessage
from pages import page


def mails_to(user) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                                   .order_by(OutboxMessage.id)))


def notes_for(user, kind=None) -> list[Notification]:
    db.session.expire_all()
    statement = select(Notification).where(Notification.user_id == user.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(statement.order_by(Notification.id)))


def test_every_public_reply_reaches_the_learner_and_notes_do_not(app):
    learner, expert = person("learner", locale="en"), person("expert")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue)
    service.claim(request.id, expert)
    service.add_note(request.id, expert, "between us")
    service.post_message(request.id, expert, "reply", "First thoughts")
    service.post_message(request.id, expert, "answer", "The answer")
    kinds = [n.kind for n in notes_for(learner)]
    assert kinds == ["claimed", "reply", "answered"]
    assert len(mails_to(learner)) == 3
    assert all("between us" not in mail.body for mail in mails_to(learner))


def test_the_expert_hears_the_learners_reply_and_nobody_hears_their_own_action(app):
    learner, expert = person("learner"), person("expert")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue)
    service.claim(request.id, expert)
    service.post_message(request.id, expert, "ask_clarification", "Which one?")
    service.post_message(request.id, learner, "clarify", "This one")
    assert [n.kind for n in notes_for(expert)] == ["new_request", "learner_replied"]
    assert [n.kind for n in notes_for(learner)] == ["claimed", "clarification_asked"]


def test_email_goes_in_the_recipients_language(app):
    english, spanish = person("learner", locale="en", name="Ann"), person("learner", locale="es", name="Ana")
    expert = person("expert", locale="es")
    queue = make_queue(experts=[expert])
    for learner in (english, spanish):
        request = ask(learner, queue)
        service.claim(request.id, expert)
    (english_mail,), (spanish_mail,) = mails_to(english), mails_to(spanish)
    assert english_mail.language == "en" and "Hello Ann," in english_mail.body
    assert spanish_mail.language == "es" and "Hola, Ana:" in spanish_mail.body
    assert "/advice/requests/" in english_mail.body
    assert english_mail.subject.startswith("An expert is working on your request")


def test_preferences_choose_site_and_email_per_kind(app):
    learner, expert = person("learner", locale="en"), person("expert")
    queue = make_queue(experts=[expert])
    client = client_for(app, learner)
    form = page(client.get("/advice/notifications/preferences"))
    assert form.lang == "en"
    data = {f"{code}__in_app": "y" for code, kind in notifications.KINDS.items() if kind.audience == "learner"}
    data.update({f"{code}__email": "y" for code, kind in notifications.KINDS.items() if kind.audience == "learner"})
    del data["claimed__in_app"]   # no site notification when an expert takes the request
    del data["answered__email"]   # no e-mail for answers
    assert client.post("/advice/notifications/preferences", data=data).status_code == 302
    stored = {row.kind: (row.in_app, row.email) for row in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == learner.id))}
    assert stored["claimed"] == (False, True) and stored["answered"] == (True, False)

    request = ask(learner, queue)
    service.claim(request.id, expert)
    service.post_message(request.id, expert, "answer", "Done")
    assert [n.kind for n in notes_for(learner)] == ["answered"]
    subjects = [mail.subject for mail in mails_to(learner)]
    assert len(subjects) == 1 and subjects[0].startswith("An expert is working")
    html = client.get("/advice/notifications/preferences").get_data(as_text=True)
    assert 'id="claimed__in_app"' in html and 'id="claimed__in_app" name="claimed__in_app" type="checkbox" value="y">' in html


def test_the_header_counts_unread_and_reading_the_request_clears_them(app):
    learner, expert = person("learner", locale="en"), person("expert")
    queue = make_queue(experts=[expert])
    request = ask(learner, queue)
    service.claim(request.id, expert)
    service.post_message(request.id, expert, "reply", "Hi")
    client = client_for(app, learner)
    header = client.get("/").get_data(as_text=True)
    assert 'aria-label="Notifications, 2 unread"' in header
    listing = client.get("/advice/notifications").get_data(as_text=True)
    assert "An expert is working on your request" in listing and "The expert replied to" in listing
    client.get(f"/advice/requests/{request.id}")
    assert "unread" not in client.get("/").get_data(as_text=True).split("</nav>")[0]
    service.post_message(request.id, expert, "reply", "Again")
    client.post("/advice/notifications/read")
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == learner.id, Notification.read_at.is_(None))) == 0


def test_new_requests_reach_experts_as_one_digest(app):
    expert = person("expert", locale="en")
    quiet = person("expert", locale="en")
    coordinator_elsewhere = person("expert")
    learner = person("learner")
    queue = make_queue(experts=[expert, quiet])
    make_queue(experts=[coordinator_elsewhere])
    notifications.save_preferences(quiet.id, {"new_request": (True, False)})
    run_tick(now=T0, only=("advice-digest",))  # the digests start now: no history
    for n in range(3):
        ask(learner, queue, title=f"Question {n}", now=T0 + timedelta(hours=n))
    # One site notification per request, but no mail yet.
    assert len(notes_for(expert, "new_request")) == 3
    assert mails_to(expert) == []
    hours = app.config["ADVICE_DIGEST_HOURS"]
    run_tick(now=T0 + timedelta(hours=hours), only=("advice-digest",))
    (digest,) = mails_to(expert)
    assert digest.subject == "3 new requests in your queues"
    assert all(f"Question {n}" in digest.body for n in range(3))
    assert mails_to(quiet) == [] and mails_to(coordinator_elsewhere) == []
    run_tick(now=T0 + timedelta(hours=2 * hours), only=("advice-digest",))
    assert len(mails_to(expert)) == 1  # nothing new, nothing sent


def test_a_claimed_request_is_left_out_of_the_digest(app):
    expert = person("expert", locale="en")
    queue = make_queue(experts=[expert])
    run_tick(now=T0, only=("advice-digest",))
    taken = ask(person("learner"), queue, title="Taken already", now=T0)
    ask(person("learner"), queue, title="Still waiting", now=T0)
    service.claim(taken.id, expert, now=T0)
    notifications.send_digests(T0 + timedelta(days=1))
    (digest,) = mails_to(expert)
    assert "Still waiting" in digest.body and "Taken already" not in digest.body
    assert digest.subject == "1 new request in your queues"
