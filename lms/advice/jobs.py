"""The advice capability's jobs for `flask lms tick`."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from lms.advice import notifications, service
from lms.jobs import register_job


@register_job("advice-expire-leases", order=10)
def expire_leases(now: datetime) -> int:
    return service.expire_leases(now)


@register_job("advice-reminders", order=20)
def reminders(now: datetime) -> int:
    return service.send_reminders(now)


@register_job("advice-auto-close", order=30)
def auto_close(now: datetime) -> int:
    return service.auto_close(now)


def _digest_every() -> timedelta:
    return timedelta(hours=current_app.config["ADVICE_DIGEST_HOURS"])


@register_job("advice-digest", every=_digest_every, order=40)
def digest(now: datetime) -> int:
    return notifications.send_digests(now)
