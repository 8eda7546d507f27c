"""Accounts: registration, sign-in, password reset, profile, roles."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/account")

from lms.auth import views  # noqa: E402,F401  (routes attach to bp)
