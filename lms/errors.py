"""Translated error pages."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back, check what you entered and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Not allowed"), _l("This action is not allowed here.")),
    413: (_l("File too large"), _l("What you sent is larger than the allowed size.")),
    429: (_l("Too many attempts"), _l("You have tried too many times. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened on our side. Nothing you did caused it; please try again later.")),
}


def render_error(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        from flask_babel import gettext as _
        return render_error(400, _("The form has expired or was not sent from this site. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code not in MESSAGES:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return render_error(500)
