"""Flask's signed-cookie sessions, with the cookies already verified remembered.

A browser sends the same session cookie with every request until the session
changes (signing in, a flashed message, a new CSRF token). Flask checks its
signature and decodes it again each time: an HMAC, a base64 and zlib decode
and a JSON parse, more than a tenth of a millisecond. This interface keeps,
per process, what recent cookies decoded to, keyed by the whole cookie (value
and signature) and the signing keys, so a cookie is trusted only if it is
byte for byte one this process has verified. Expiry is checked on every
request as itsdangerous does, from the time the cookie was signed.

Sessions holding anything mutable (a list of flashed messages) are not kept:
each request gets its own copy of plain values only.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

_PLAIN = (str, int, float, bool, type(None))


class RememberingSessionInterface(SecureCookieSessionInterface):
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._serializer: tuple[tuple, URLSafeTimedSerializer | None] | None = None
        self._verified: OrderedDict[str, tuple[dict, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Built once per set of keys (Flask builds one per request).
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
            with self._lock:
                self._verified.clear()  # verified under other keys
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        with self._lock:
            known = self._verified.get(value)
            if known is not None:
                self._verified.move_to_end(value)
        if known is not None:
            data, signed_at = known
            age = int(time.time()) - signed_at
            if 0 <= age <= max_age:  # itsdangerous's rule: expired, or signed in the future
                return self.session_class(data)
            return self.session_class()
        try:
            data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(item, _PLAIN) for item in data.values()):
            with self._lock:
                self._verified[value] = (dict(data), int(signed.timestamp()))
                while len(self._verified) > self.size:
                    self._verified.popitem(last=False)
        return self.session_class(data)


def init_app(app: Flask) -> None:
    app.session_interface = RememberingSessionInterface()
