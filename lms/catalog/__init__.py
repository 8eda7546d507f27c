"""The catalog of courses, course pages, lesson reading and enrolment."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

from lms.catalog import views  # noqa: E402,F401
