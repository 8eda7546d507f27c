"""The signed-in person, as every page's hooks ask for them.

Its own module, not in lms.auth, so that lms.i18n, lms.security and lms.ops
can use it without importing the auth package (whose views import them).
"""
from __future__ import annotations

from flask_login import current_user


def signed_in_user():
    """The signed-in person, or None (a visitor, or outside a request). One
    resolution of Flask-Login's proxy, where `current_user and
    current_user.is_authenticated` takes two (a page runs a dozen such checks)."""
    user = current_user._get_current_object()
    return user if user is not None and user.is_authenticated else None
