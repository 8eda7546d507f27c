"""How long, how a request stands against its targets and how well it matches
an expert, as the advice pages show it: Python helpers for the templates
(`duration`, `sla_status`, `match_count`), and the inbox's rows as text
(`waiting_rows`, `held_rows`).

The inbox shows them on every row; as macros (or `ngettext` called in a
template loop, which copies the template context each time) they were most
of the page's rendering time. As functions each text is made once per
language and value and then remembered per process (a few hundred at most:
days, hours and minutes, four match scores, a few labels), and the inbox's
rows are made here, so its template only writes them out. `locale`, where a
function takes it, is the request's own (str(get_locale())), passed by callers
that already have it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import flask_babel
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from lms.advice.sla import Status
from lms.content.vocab import REGION_NAMES, tag_label
from lms.i18n import NATIVE_NAMES

_LIMIT = 4096
_texts: dict[tuple, str] = {}


def _remember(key: tuple, make: Callable[[], str]) -> str:
    """The text kept for `key` (which starts with the locale), else made and kept."""
    text = _texts.get(key)
    if text is None:
        if len(_texts) >= _LIMIT:
            _texts.clear()
        text = _texts[key] = make()
    return text


def _locale() -> str:
    return str(flask_babel.get_locale())


def _span(seconds: float) -> tuple[str, int]:
    s = int(abs(seconds))
    if s >= 86400:
        return "day", s // 86400
    if s >= 3600:
        return "hour", s // 3600
    return "minute", s // 60


def _span_text(unit: str, num: int) -> str:
    if unit == "day":
        return ngettext("%(num)d day", "%(num)d days", num)
    if unit == "hour":
        return ngettext("%(num)d hour", "%(num)d hours", num)
    return ngettext("%(num)d minute", "%(num)d minutes", num)


def duration(seconds: int | float, locale: str | None = None) -> str:
    """Days, else hours, else minutes (the sign is dropped: "overdue by" says it)."""
    unit, num = _span(seconds)
    return _remember((locale or _locale(), "duration", unit, num), lambda: _span_text(unit, num))


def match_count(points: int, locale: str | None = None) -> str:
    """How many of the expert's region, value chain and language a request matches."""
    return _remember((locale or _locale(), "match", points), lambda: ngettext(
        "%(num)d match with your expertise", "%(num)d matches with your expertise", points))


def _sla_markup(status: Status, locale: str) -> Markup:
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
    text = Markup(message) % {"time": duration(status.remaining_seconds, locale)}
    return Markup('<span class="sla sla-%s">%s</span>') % (status.level, text)


def sla_status(status: Status, locale: str | None = None) -> Markup:
    """Which clock runs and how it stands, in a <span> styled by its level.
    The translation is markup and the time is escaped, as `_()` does in a template."""
    locale = locale or _locale()
    return _remember((locale, "sla", status.clock, status.level, *_span(status.remaining_seconds)),
                     lambda: _sla_markup(status, locale))


def _id_url(endpoint: str) -> Callable[[int], str]:
    """url_for(endpoint, request_id=...) for many ids: built once, then filled in."""
    marker = "9081726354"
    head, tail = url_for(endpoint, request_id=int(marker)).split(marker)
    return lambda request_id: f"{head}{int(request_id)}{tail}"


def _details(request, phase_labels: dict, locale: str) -> Markup:  # request: a SHOWN_COLUMNS row
    """Phase · region · value chain · language (what a missing label would show: nothing)."""
    def make() -> Markup:
        parts = [escape(phase_labels.get(request.phase, ""))]
        if request.region:
            parts.append(escape(REGION_NAMES.get(request.region, "")))
        if request.value_chain:
            parts.append(escape(tag_label("value_chains", request.value_chain)))
        parts.append(escape(NATIVE_NAMES.get(request.language, "")))
        return Markup(" · ").join(parts)
    return _remember((locale, "details", request.phase, request.region, request.value_chain, request.language),
                     make)


@dataclass(frozen=True)
class WaitingRow:
    """One request waiting, as the inbox shows it."""
    title: str
    url: str
    claim_url: str
    match: str
    queue_name: str
    details: Markup
    waited: str
    sla: Markup


@dataclass(frozen=True)
class HeldRow:
    """One request held, as the inbox and the held page show it."""
    title: str
    url: str
    queue_name: str
    state: Markup
    sla: Markup


def waiting_rows(rows: Iterable, phase_labels: dict) -> list[WaitingRow]:  # lms.advice.queue.InboxRow
    locale = _locale()
    detail, claim = _id_url("advice.request_detail"), _id_url("advice.claim")
    return [WaitingRow(row.request.title, detail(row.request.id), claim(row.request.id),
                       match_count(row.score, locale), row.queue_name,
                       _details(row.request, phase_labels, locale), duration(row.waited_seconds, locale),
                       sla_status(row.status, locale))
            for row in rows]


def held_rows(rows: Iterable, state_labels: dict) -> list[HeldRow]:  # lms.advice.queue.InboxRow
    locale = _locale()
    detail = _id_url("advice.request_detail")

    def badge(state: str) -> Markup:
        return _remember((locale, "state", state), lambda: Markup(
            '<span class="state state-%s">%s</span>') % (state, state_labels.get(state, "")))

    return [HeldRow(row.request.title, detail(row.request.id), row.queue_name, badge(row.request.state),
                    sla_status(row.status, locale))
            for row in rows]
