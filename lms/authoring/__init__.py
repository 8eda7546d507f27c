"""Trainer authoring: courses edited in the browser, Spanish and English side
by side, with revisions, publishing, translation status, images and export."""
from flask import Blueprint

bp = Blueprint("authoring", __name__)


def _register_import_hook() -> None:
    # Texts written by the file importer become revisions too (and are
    # numbered past unpublished drafts).
    from lms.authoring.revisions import record_import
    from lms.content.importer import TEXT_HOOKS

    if record_import not in TEXT_HOOKS:
        TEXT_HOOKS.append(record_import)


_register_import_hook()

from lms.authoring import quiz_views, views  # noqa: E402,F401
