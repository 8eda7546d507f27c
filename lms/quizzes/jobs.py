"""Time-based quiz work for `flask lms tick`."""
from __future__ import annotations

from datetime import datetime

from lms.jobs import register_job
from lms.quizzes.attempts import close_expired


@register_job("quiz-close-expired-attempts", order=15)
def close_expired_attempts(now: datetime) -> int:
    """Submit the attempts whose time limit has passed, with the answers saved in time."""
    return close_expired(now=now)
