"""Response headers that make every page safer by default."""
from __future__ import annotations

from flask import Flask, Request, Response, request
from werkzeug.utils import cached_property

from lms.person import signed_in_user

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Sent with every response that does not set its own.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def _without_nul(values):
    """The same values without NUL characters, which no text column stores
    (PostgreSQL refuses them: a hostile form would otherwise answer 500)."""
    if not any("\x00" in value for _key, value in values.items(multi=True)):
        return values
    return type(values)([(key.replace("\x00", ""), value.replace("\x00", ""))
                         for key, value in values.items(multi=True)])


class CleanRequest(Request):
    """Form fields and query parameters arrive without NUL characters."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _without_nul(self.__dict__["form"])

    @cached_property
    def args(self):
        return _without_nul(super().args)


def init_app(app: Flask) -> None:
    app.request_class = CleanRequest

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        present = {key.lower() for key in headers.keys()}  # one pass, not one per header
        headers.extend([(key, value) for key, value in SECURITY_HEADERS if key.lower() not in present])
        if request.is_secure and "strict-transport-security" not in present:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        # A shared computer or proxy must never replay someone's private page.
        if "cache-control" not in present and signed_in_user() is not None:
            headers["Cache-Control"] = "no-store"
            headers["Vary"] = "Cookie"
        return response
