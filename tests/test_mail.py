"""Mail goes through the outbox: rendered in the recipient's language, sent by
SMTP when configured, and kept for a retry when sending fails."""
from __future__ import annotations

import smtplib

from sqlalchemy import select

from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.mail.service import deliver_pending, queue_mail
from factories import make_user


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        if FakeSMTP.fail:
            raise smtplib.SMTPConnectError(421, "try later")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def test_failed_send_is_kept_and_retried(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    user = make_user(locale="en")
    queue_mail(user.email, "en", "reset_password", user=user, url="http://x/reset/abc", minutes=60)
    db.session.commit()

    FakeSMTP.fail, FakeSMTP.sent = True, []
    assert deliver_pending() == 0
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 1 and "try later" in message.last_error

    FakeSMTP.fail = False
    assert deliver_pending() == 1
    db.session.refresh(message)
    assert message.sent_at is not None and message.last_error is None
    assert FakeSMTP.sent[0]["To"] == user.email
    assert FakeSMTP.sent[0]["Subject"] == "Choose a new password for Frontera"
    assert "http://x/reset/abc" in FakeSMTP.sent[0].get_content()
    # Nothing is sent twice.
    assert deliver_pending() == 0 and len(FakeSMTP.sent) == 1


def test_without_mail_server_the_log_is_the_mailbox(app, caplog):
    user = make_user(locale="en")
    queue_mail(user.email, "en", "reset_password", user=user, url="http://x/reset/abc", minutes=60)
    db.session.commit()
    with caplog.at_level("INFO", logger="lms.mail.service"):
        assert deliver_pending() == 1
    assert "http://x/reset/abc" in caplog.text


def test_cli_send_mail(runner):
    user = make_user(locale="en")
    queue_mail(user.email, "en", "reset_password", user=user, url="http://x", minutes=5)
    db.session.commit()
    result = runner.invoke(args=["lms", "send-mail"])
    assert result.exit_code == 0 and "Sent 1 message(s)." in result.output
