"""The glossary: the field's terms in every language, imported from
courses/glossary.toml, shown on one page and linked from the lessons that use them."""
from flask import Blueprint

bp = Blueprint("glossary", __name__, url_prefix="/glossary")

from lms.glossary import models, views  # noqa: E402,F401
