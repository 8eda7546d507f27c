"""The lifecycle of an advice request: every allowed move, and who may make it.

Plain Python, no request or database: the service asks `check()` before it
changes anything, and the tests walk the whole table.

Roles are relative to one request and cumulative (a coordinator of the queue
is also one of its experts):

- learner      the person who asked
- claimant     the expert who holds the claim
- expert       an expert of the request's queue
- coordinator  a coordinator of the request's queue
- admin        an administrator (may do whatever a coordinator may)
- system       `flask lms tick` (lease expiry, reminders, auto-close)
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SUBMITTED = "submitted"
CLAIMED = "claimed"
AWAITING_LEARNER = "awaiting_learner"
ANSWERED = "answered"
CLOSED = "closed"
REJECTED = "rejected"
MERGED = "merged"

STATES = (SUBMITTED, CLAIMED, AWAITING_LEARNER, ANSWERED, CLOSED, REJECTED, MERGED)
OPEN_STATES = (SUBMITTED, CLAIMED, AWAITING_LEARNER)
FINAL_STATES = (CLOSED, REJECTED, MERGED)
# The resolution clock runs in these states only: it pauses while the
# request waits on the learner and stops once answered.
ACTIVE_STATES = (SUBMITTED, CLAIMED)

ROLES = ("learner", "claimant", "expert", "coordinator", "admin", "system")

STATE_LABELS = {
    SUBMITTED: _l("Waiting for an expert"),
    CLAIMED: _l("With an expert"),
    AWAITING_LEARNER: _l("Waiting for the learner"),
    ANSWERED: _l("Answered"),
    CLOSED: _l("Closed"),
    REJECTED: _l("Rejected"),
    MERGED: _l("Merged"),
}

ACTION_LABELS = {
    "claim": _l("Claim"),
    "release": _l("Release"),
    "expire": _l("Lease expired"),
    "reassign": _l("Reassign"),
    "take_over": _l("Take over"),
    "reply": _l("Reply"),
    "ask_clarification": _l("Ask for clarification"),
    "answer": _l("Answer"),
    "clarify": _l("Reply with the clarification"),
    "comment": _l("Add information"),
    "accept": _l("Accept the answer"),
    "follow_up": _l("Ask a follow-up question"),
    "withdraw": _l("Withdraw"),
    "reject": _l("Reject"),
    "merge": _l("Merge"),
    "remind": _l("Reminder"),
    "auto_close": _l("Closed automatically"),
}

STAFF = frozenset({"coordinator", "admin"})


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    roles: frozenset[str]


def _t(action: str, sources, target: str | None, roles) -> list[Transition]:
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    return [Transition(action, source, target or source, frozenset(roles)) for source in sources]


# (action, from state) -> to state, and who may. `None` as target: the state stays.
TABLE: tuple[Transition, ...] = tuple(
    _t("claim", SUBMITTED, CLAIMED, {"expert", "coordinator", "admin"})
    + _t("release", CLAIMED, SUBMITTED, {"claimant"} | STAFF)
    + _t("expire", CLAIMED, SUBMITTED, {"system"})
    + _t("reassign", SUBMITTED, CLAIMED, STAFF)
    + _t("reassign", (CLAIMED, AWAITING_LEARNER), None, STAFF)
    + _t("take_over", SUBMITTED, CLAIMED, STAFF)
    + _t("take_over", (CLAIMED, AWAITING_LEARNER), None, STAFF)
    + _t("reply", CLAIMED, None, {"claimant"})
    + _t("ask_clarification", CLAIMED, AWAITING_LEARNER, {"claimant"})
    + _t("answer", CLAIMED, ANSWERED, {"claimant"})
    + _t("clarify", AWAITING_LEARNER, CLAIMED, {"learner"})
    + _t("comment", (SUBMITTED, CLAIMED), None, {"learner"})
    + _t("accept", ANSWERED, CLOSED, {"learner"})
    + _t("follow_up", ANSWERED, CLAIMED, {"learner"})
    + _t("withdraw", OPEN_STATES, CLOSED, {"learner"})
    + _t("reject", OPEN_STATES, REJECTED, STAFF)
    + _t("merge", OPEN_STATES, MERGED, STAFF)
    + _t("remind", AWAITING_LEARNER, None, {"system"})
    + _t("auto_close", (AWAITING_LEARNER, ANSWERED), CLOSED, {"system"})
)

ACTIONS = tuple(dict.fromkeys(t.action for t in TABLE))
_BY_KEY = {(t.action, t.source): t for t in TABLE}
# Actions whose message goes to the learner (public) and count as a response.
STAFF_MESSAGE_ACTIONS = ("reply", "ask_clarification", "answer")
LEARNER_MESSAGE_ACTIONS = ("clarify", "comment", "follow_up")


class TransitionError(Exception):
    """A refused move, with a translated reason to show the person."""

    def __init__(self, message, code: str = "forbidden"):
        # The message stays lazy: it is translated where it is shown (a page,
        # in the reader's language), not where it is raised (maybe the tick).
        super().__init__(message)
        self.message = message
        self.code = code


def find(action: str, state: str) -> Transition | None:
    return _BY_KEY.get((action, state))


def allowed(action: str, state: str, roles: set[str] | frozenset[str]) -> bool:
    transition = find(action, state)
    return transition is not None and bool(transition.roles & set(roles))


def check(action: str, state: str, roles: set[str] | frozenset[str]) -> Transition:
    """The transition, or TransitionError saying why not (state, or role)."""
    if action not in ACTIONS:
        raise TransitionError(_l("Unknown action."), code="unknown")
    transition = find(action, state)
    if transition is None:
        raise TransitionError(
            _l("“%(action)s” is not possible while the request is “%(state)s”.",
               action=ACTION_LABELS[action], state=STATE_LABELS[state]), code="state")
    if not transition.roles & set(roles):
        raise TransitionError(
            _l("You may not “%(action)s” this request.", action=ACTION_LABELS[action]), code="role")
    return transition


def available(state: str, roles: set[str] | frozenset[str]) -> list[str]:
    """The actions these roles may take now, in table order (for the page's buttons)."""
    return [t.action for t in TABLE if t.source == state and t.roles & set(roles)]
