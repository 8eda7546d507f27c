"""Pages that belong to no single capability: home, language, health."""
from flask import Blueprint

bp = Blueprint("core", __name__)

from lms.core import views  # noqa: E402,F401
