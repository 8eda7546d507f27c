"""Verified session cookies are remembered per process (lms.ops.sessions): a
remembered cookie must never let through what Flask's own check would refuse."""
from __future__ import annotations

import time
from datetime import timedelta

from factories import make_user
from lms.ops.sessions import RememberingSessionInterface


def _signed_in_cookie(app, client) -> str:
    make_user(email="eva@example.org")
    client.post("/account/login", data={"email": "eva@example.org", "password": "correct horse battery"})
    client.get("/account/profile")  # the page's form puts the CSRF token in the session
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def _open(app, interface, cookie: str):
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}):
        from flask import request

        return interface.open_session(app, request)


def test_the_app_uses_it_and_a_remembered_cookie_still_signs_in(app, client):
    assert isinstance(app.session_interface, RememberingSessionInterface)
    cookie = _signed_in_cookie(app, client)
    for _ in range(3):  # the first request verifies it, the next ones remember it
        assert client.get("/account/profile").status_code == 200
    assert "_user_id" in _open(app, app.session_interface, cookie)


def test_a_tampered_cookie_is_refused_even_when_its_original_is_remembered(app, client):
    cookie = _signed_in_cookie(app, client)
    interface = RememberingSessionInterface()
    assert "_user_id" in _open(app, interface, cookie)
    tampered = cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1]
    assert dict(_open(app, interface, tampered)) == {}


def test_an_expired_cookie_is_refused_even_when_remembered(app, client):
    cookie = _signed_in_cookie(app, client)
    interface = RememberingSessionInterface()
    assert "_user_id" in _open(app, interface, cookie)
    lifetime = app.permanent_session_lifetime
    try:
        app.permanent_session_lifetime = timedelta(seconds=0)
        time.sleep(1.1)
        assert dict(_open(app, interface, cookie)) == {}
    finally:
        app.permanent_session_lifetime = lifetime


def test_a_new_secret_key_forgets_what_the_old_one_verified(app, client):
    cookie = _signed_in_cookie(app, client)
    interface = RememberingSessionInterface()
    assert "_user_id" in _open(app, interface, cookie)
    secret = app.secret_key
    try:
        app.secret_key = "another secret key, long enough"
        assert dict(_open(app, interface, cookie)) == {}
    finally:
        app.secret_key = secret


def test_each_request_changes_only_its_own_copy(app, client):
    cookie = _signed_in_cookie(app, client)
    interface = RememberingSessionInterface()
    first = _open(app, interface, cookie)
    first["extra"] = "changed"
    assert "extra" not in _open(app, interface, cookie)


def test_a_session_with_flashed_messages_is_never_shared_between_requests(app):
    interface = RememberingSessionInterface()
    cookie = interface.get_signing_serializer(app).dumps({"_flashes": [("info", "Saved.")]})
    first = _open(app, interface, cookie)
    first["_flashes"].append(("info", "Another."))  # what flash() does to the list
    assert _open(app, interface, cookie)["_flashes"] == [("info", "Saved.")]
