"""Accounts: registration, sign-in, password reset, profile, roles."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/account")


@bp.record_once
def _share_password_rule(state) -> None:
    # The password forms' hint states the same minimum the validator checks.
    from lms.auth.forms import PASSWORD_MIN

    state.app.jinja_env.globals["password_min"] = PASSWORD_MIN


from lms.auth import views  # noqa: E402,F401  (routes attach to bp)
