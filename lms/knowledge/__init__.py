"""The knowledge repository: published best-practice entries (public), and
the editing of entries drafted from answered advice requests."""
from flask import Blueprint

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")

from lms.knowledge import models, views  # noqa: E402,F401
