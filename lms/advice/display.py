"""How long, how a request stands against its targets and how well it matches
an expert, as the advice pages show it: Python helpers for the templates
(`duration`, `sla_status`, `match_count`).

The inbox shows them on every row; as macros (or `ngettext` called in a
template loop, which copies the template context each time) they were most
of the page's rendering time, as functions they cost a few microseconds each.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from lms.advice.sla import Status


def duration(seconds: int | float) -> str:
    """Days, else hours, else minutes (the sign is dropped: "overdue by" says it)."""
    s = int(abs(seconds))
    if s >= 86400:
        return ngettext("%(num)d day", "%(num)d days", s // 86400)
    if s >= 3600:
        return ngettext("%(num)d hour", "%(num)d hours", s // 3600)
    return ngettext("%(num)d minute", "%(num)d minutes", s // 60)


def match_count(points: int) -> str:
    """How many of the expert's region, value chain and language a request matches."""
    return ngettext("%(num)d match with your expertise", "%(num)d matches with your expertise", points)


def sla_status(status: Status) -> Markup:
    """Which clock runs and how it stands, in a <span> styled by its level.
    The translation is markup and the time is escaped, as `_()` does in a template."""
    overdue = status.level == "overdue"
    if status.clock == "first_response":
        message = _("First response overdue by %(time)s") if overdue else _("First response due in %(time)s")
    elif status.clock == "resolution":
        message = _("Resolution overdue by %(time)s") if overdue else _("Resolution due in %(time)s")
    elif status.clock == "paused":
        message = (_("Clock paused while waiting for the learner; already overdue by %(time)s") if overdue
                   else _("Clock paused while waiting for the learner; %(time)s left"))
    else:
        return Markup("")
    text = Markup(message) % {"time": duration(status.remaining_seconds)}
    return Markup('<span class="sla sla-%s">%s</span>') % (status.level, text)
