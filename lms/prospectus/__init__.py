"""Project prospectuses: a structured template shipped with a course
(courses/<slug>/prospectus-template.toml), filled in by learners as private
drafts and sent to an expert for review through the advice queue."""
from flask import Blueprint

bp = Blueprint("prospectus", __name__, url_prefix="/prospectuses")

from lms.prospectus import models, views  # noqa: E402,F401
