"""Who may do what: role checks applied on the server for every route."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from lms.extensions import login_manager


def role_required(*roles: str):
    """Visitors are sent to sign in; signed-in people without the role get 403.

    Admins pass every role check: they manage the whole platform.
    """
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles, "admin"):
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_roles = roles  # read by the route-by-role test
        return wrapped
    return decorator
