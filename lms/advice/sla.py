"""Service levels: first response and resolution, per queue targets.

- First response: from submission to the first public message of an expert
  (reply, clarification question or answer) or a rejection.
- Resolution: the time a request spends in `submitted` or `claimed`, i.e. the
  clock runs until the answer and pauses while the request waits on the
  learner (`awaiting_learner`); a follow-up question starts it again.

`clocks()` computes both from the event log alone (the source of truth, and
what the request page shows). The service keeps the same figures in columns
at each transition (`enter_state`, `record_first_response`), so that the
inbox and the dashboard can filter and aggregate them in SQL; a test checks
that both agree.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from lms.advice.transitions import ACTIVE_STATES, ANSWERED, AWAITING_LEARNER, OPEN_STATES, REJECTED

RESPONSE_EVENTS = frozenset({"reply", "ask_clarification", "answer", "reject"})
# "Near its target": less than this share of the target left.
NEAR_SHARE = 0.25


class EventLike(Protocol):
    kind: str
    from_state: str | None
    to_state: str | None
    created_at: datetime


@dataclass
class Clocks:
    first_response_at: datetime | None
    first_response_seconds: int | None
    active_seconds: int          # resolution clock so far (pauses excluded)
    paused_seconds: int          # time spent waiting on the learner
    resolution_seconds: int | None  # active time until the (last) answer
    running: bool                # is the resolution clock running now?


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def clocks(events: Iterable[EventLike], now: datetime) -> Clocks:
    """Both clocks from the event log, in order; the first event is the submission."""
    events = list(events)
    if not events:
        return Clocks(None, None, 0, 0, None, False)
    created = events[0].created_at
    state = events[0].to_state or "submitted"
    since = created
    active = paused = 0
    resolution = None
    first_at = None
    for item in events[1:]:
        if first_at is None and item.kind in RESPONSE_EVENTS:
            first_at = item.created_at
        if item.to_state and item.to_state != state:
            spent = _seconds(item.created_at - since)
            if state in ACTIVE_STATES:
                active += spent
            elif state == AWAITING_LEARNER:
                paused += spent
            state, since = item.to_state, item.created_at
            if state == ANSWERED:
                resolution = active
    running = state in ACTIVE_STATES
    if running:
        active += _seconds(now - since)
    elif state == AWAITING_LEARNER:
        paused += _seconds(now - since)
    first_seconds = _seconds(first_at - created) if first_at else None
    return Clocks(first_at, first_seconds, active, paused, resolution, running)


# Kept columns ---------------------------------------------------------------

def start(request, queue, now: datetime) -> None:
    """A new request: both clocks start now."""
    request.first_response_due_at = now + timedelta(hours=queue.first_response_hours)
    request.resolution_due_at = now + timedelta(hours=queue.resolution_hours)
    request.active_seconds = 0
    request.active_since = now


def enter_state(request, queue, old: str, new: str, now: datetime) -> None:
    """Move the resolution clock as the request goes from `old` to `new`."""
    if old == new:
        return
    if old in ACTIVE_STATES and request.active_since is not None:
        request.active_seconds = (request.active_seconds or 0) + _seconds(now - request.active_since)
        request.active_since = None
    if new in ACTIVE_STATES:
        request.active_since = now
        remaining = queue.resolution_hours * 3600 - (request.active_seconds or 0)
        request.resolution_due_at = now + timedelta(seconds=remaining)
    if new == ANSWERED:
        request.resolution_seconds = request.active_seconds


def record_first_response(request, now: datetime) -> None:
    if request.first_response_at is None:
        request.first_response_at = now
        request.first_response_seconds = _seconds(now - request.created_at)


def active_seconds_now(request, now: datetime) -> int:
    running = request.active_since is not None and request.state in ACTIVE_STATES
    return (request.active_seconds or 0) + (_seconds(now - request.active_since) if running else 0)


@dataclass
class Status:
    """What the inbox shows next to a request: which clock, how it stands."""

    clock: str          # "first_response" | "resolution" | "paused" | "stopped"
    level: str          # "ok" | "near" | "overdue"
    remaining_seconds: int  # negative when overdue


def status(request, queue, now: datetime) -> Status:
    if request.state not in OPEN_STATES:
        return Status("stopped", "ok", 0)
    if request.first_response_at is None and request.state != REJECTED:
        target = queue.first_response_hours * 3600
        remaining = int((request.first_response_due_at - now).total_seconds()) \
            if request.first_response_due_at else target
        return Status("first_response", _level(remaining, target), remaining)
    target = queue.resolution_hours * 3600
    remaining = target - active_seconds_now(request, now)
    clock = "paused" if request.state == AWAITING_LEARNER else "resolution"
    return Status(clock, _level(remaining, target), remaining)


def _level(remaining: int, target: int) -> str:
    if remaining < 0:
        return "overdue"
    if remaining < target * NEAR_SHARE:
        return "near"
    return "ok"
