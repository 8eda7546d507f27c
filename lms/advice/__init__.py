"""Expert advice: learners ask in queues, the right expert answers once, and
good answers become knowledge entries. See docs/architecture.md."""
from __future__ import annotations

import os

from flask import Blueprint

bp = Blueprint("advice", __name__, url_prefix="/advice")

# Settings with their defaults; each can be set in the environment or the
# app's config.
DEFAULTS = {
    "ADVICE_LEASE_HOURS": 48,            # an idle claim returns to the queue after this
    "ADVICE_REMINDER_DAYS": 3,           # remind a learner who has not answered a clarification question
    "ADVICE_AWAITING_CLOSE_DAYS": 14,    # ... and close the request after this
    "ADVICE_ANSWERED_CLOSE_DAYS": 14,    # an answer neither accepted nor followed up closes after this
    "ADVICE_FOLLOW_UP_DAYS": 14,         # window for a follow-up question after an answer
    "ADVICE_DIGEST_HOURS": 24,           # new-request digest frequency
    "ADVICE_ATTACHMENT_MAX_BYTES": 5 * 1024 * 1024,
    "ADVICE_MAX_ATTACHMENTS": 3,
}


@bp.record_once
def _configure(state) -> None:
    app = state.app
    for key, default in DEFAULTS.items():
        app.config.setdefault(key, int(os.environ.get(key, default)))
    app.config.setdefault("PUBLIC_BASE_URL", os.environ.get("PUBLIC_BASE_URL", ""))

    from lms.advice import display
    from lms.advice.notifications import unread_count_of_user
    from lms.advice.views import UNREAD_ATTRIBUTE, unread_notifications
    from lms.auth.service import SESSION_USER_EXTRAS

    app.jinja_env.globals["unread_notifications"] = unread_notifications
    app.jinja_env.globals.update(duration=display.duration, sla_status=display.sla_status,
                                  match_count=display.match_count)
    SESSION_USER_EXTRAS[UNREAD_ATTRIBUTE] = unread_count_of_user


from lms.advice import jobs, models, pieces, views  # noqa: E402,F401
