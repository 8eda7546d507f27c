"""Queue mail in the recipient's language and deliver it."""
from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from lms.extensions import db
from lms.mail.models import OutboxMessage
from lms.timeutil import utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 10


def queue_mail(recipient: str, language: str, template: str, **context) -> OutboxMessage:
    """Render `templates/mail/<template>.txt` in `language` and add it to the outbox.

    The first line of the template is the subject. The caller commits.
    """
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", **context)
    subject, _, body = text.partition("\n")
    message = OutboxMessage(recipient=recipient, subject=subject.strip(), body=body.strip() + "\n",
                            language=language)
    db.session.add(message)
    return message


def deliver(message: OutboxMessage) -> bool:
    """Send one message; on failure keep it with the error for a later retry."""
    message.attempts += 1
    if not current_app.config.get("MAIL_SERVER"):
        # No mail server (development): the log is the mailbox.
        log.info("Mail to %s: %s\n%s", message.recipient, message.subject, message.body)
    else:
        # Imported here: a web worker that never sends mail need not hold smtplib.
        import smtplib

        try:
            _send_smtp(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:1000]
            log.warning("Mail to %s failed (attempt %d): %s", message.recipient, message.attempts, error)
            return False
    message.sent_at = utcnow()
    message.last_error = None
    return True


def deliver_pending(limit: int = 100) -> int:
    """Send what is waiting; returns how many went out. Safe to run often."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = sum(1 for message in pending if deliver(message))
    db.session.commit()
    return sent


def _send_smtp(message: OutboxMessage) -> None:
    import smtplib

    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
