"""This session's signed CSRF token, signed once and reused.

Flask-WTF signs the session's raw token again on every request that shows a
form (an HMAC, a timestamp and base64: about a tenth of a lesson page's time),
so two pages of the same session carry two different strings for the same
secret. Validation only checks that the signature is ours and that it stands
for the session's raw token, so the signed string of an earlier request is as
good as a fresh one: it is kept per process, by raw token, and put in `g`
where Flask-WTF looks for it first. With WTF_CSRF_TIME_LIMIT set (the signed
timestamp then matters), a kept string is reused for REUSE_SECONDS at most.

A post carrying the string this process signed for the session's raw token is
valid by construction: `SignedOnceCSRF` accepts it without checking the
signature again (the other checks stay); anything else goes through
Flask-WTF's whole validation, with its error messages.
"""
from __future__ import annotations

import hmac
import time

from flask import current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, generate_csrf, same_origin

# Raw tokens are per session: a busy process sees a few thousand in an hour.
SIZE = 4096
REUSE_SECONDS = 60.0
_signed: dict[tuple[str, str], tuple[str, float]] = {}


def _field() -> str:
    return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")


def signed_token() -> str:
    """What `csrf_token()` gives a template: this session's token, signed."""
    field = _field()
    if field in g:
        return g.get(field)
    raw = session.get(field)
    if not isinstance(raw, str) or current_app.debug:
        return generate_csrf()  # the first form of a session makes the raw token
    config = current_app.config
    key = (str(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key), raw)
    kept = _signed.get(key)
    now = time.monotonic()
    if kept is not None and (config.get("WTF_CSRF_TIME_LIMIT") is None or now - kept[1] < REUSE_SECONDS):
        setattr(g, field, kept[0])
        return kept[0]
    token = generate_csrf()
    if len(_signed) >= SIZE:
        _signed.clear()  # bounded; the next requests sign again
    _signed[key] = (token, now)
    return token


def _signed_here(posted: str | None) -> bool:
    """True if `posted` is the string signed in this process for this session's raw token."""
    raw = session.get(_field())
    if not posted or not isinstance(raw, str):
        return False
    config = current_app.config
    kept = _signed.get((str(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key), raw))
    if kept is None or not hmac.compare_digest(kept[0], posted):
        return False
    limit = config.get("WTF_CSRF_TIME_LIMIT")
    return limit is None or time.monotonic() - kept[1] < limit - REUSE_SECONDS


class SignedOnceCSRF(CSRFProtect):
    """Flask-WTF's CSRFProtect, spared the signature check of a token it signed itself."""

    def protect(self, apply_exemptions: bool = False) -> None:
        config = current_app.config
        if (request.method not in config["WTF_CSRF_METHODS"]
                or (apply_exemptions and (not request.endpoint or self._is_exempt()))
                or not _signed_here(self._get_csrf_token())):
            return super().protect(apply_exemptions)
        if request.is_secure and config["WTF_CSRF_SSL_STRICT"]:
            # As CSRFProtect.protect: over HTTPS the post must come from this site.
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True
        return None


def init_app(app) -> None:  # noqa: ANN001
    # After CSRFProtect.init_app, which registers generate_csrf under the same name.
    app.jinja_env.globals["csrf_token"] = signed_token
