"""Outgoing mail: every message goes to an outbox table first, so a failed
send is kept and retried instead of lost."""
