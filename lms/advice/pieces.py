"""The header's notifications link (a lms.ops.page_shell piece): the one part
of the header that is a person's own, so shared pages can keep the rest."""
from __future__ import annotations

from flask import render_template

from lms.advice.views import unread_notifications
from lms.ops.page_shell import Fill, cached_piece, part


@part("notifications")
def notifications_link(fill: Fill) -> str:
    count = unread_notifications()
    return cached_piece(("notifications", fill.language, count),
                        lambda: render_template("advice/_notifications_link.html", count=count))
