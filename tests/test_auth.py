"""Accounts through the HTTP layer: registration, sign-in and out, remember me,
password change and reset, profile, and the rate limits on sign-in and reset."""
from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from factories import PASSWORD, make_user
from lms.auth import service
from lms.auth.models import User
from lms.extensions import db
from lms.mail.models import OutboxMessage
from pages import page, spanish

NEW_PASSWORD = "a brand new passphrase"
REGISTRATION = {"name": "Ana Torres", "email": "ana@example.org", "password": "long enough password",
                "confirm": "long enough password", "locale": "en", "region": "mx-gt"}


@pytest.fixture()
def en(client):
    """A visitor whose browser asked for English (the header switch's cookie)."""
    client.set_cookie("lang", "en")
    return client


def fresh(user_id: int) -> User:
    """The user as the database has them now (requests commit in their own session)."""
    db.session.expire_all()
    return db.session.get(User, user_id)


def signed_in(client) -> bool:
    return client.get("/my/courses").status_code == 200


def login(client, email, password=PASSWORD, **extra):
    return client.post("/account/login", data={"email": email, "password": password, **extra})


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


# Registration -------------------------------------------------------------------------


def test_registration_creates_the_account_and_signs_in(en):
    response = en.post("/account/register", data=REGISTRATION)

    assert response.status_code == 302
    assert response.headers["Location"] == "/courses"
    welcome = page(en.get("/courses"))
    assert "Welcome to Frontera, Ana Torres." in welcome.flashes()
    assert signed_in(en)
    user = service.find_by_email("ana@example.org")
    assert (user.name, user.locale, user.region, user.roles) == ("Ana Torres", "en", "mx-gt", {"learner"})
    assert user.password_hash != REGISTRATION["password"] and user.check_password(REGISTRATION["password"])


def test_registration_form_starts_in_the_readers_language(client):
    client.set_cookie("lang", "en")
    assert page(client.get("/account/register")).selected("locale") == ["en"]


def test_registration_errors_keep_what_was_typed_and_say_what_to_fix(en):
    response = en.post("/account/register", data={**REGISTRATION, "email": "not-an-email",
                                                  "password": "short", "confirm": "different"})

    assert response.status_code == 200
    form = page(response)
    assert form.field_value("name") == "Ana Torres"
    assert form.field_value("email") == "not-an-email"
    assert form.field_value("password") in (None, "")  # a password is never echoed back
    assert form.invalid_fields() == {"email", "password", "confirm"}
    assert "valid email address" in form.field_error("email")
    assert "at least 10 characters" in form.field_error("password")
    assert "do not match" in form.field_error("confirm")
    assert form.find(class_="error-summary") is not None
    assert user_count() == 0
    assert not signed_in(en)


def test_registration_with_empty_fields_names_each_one(en):
    form = page(en.post("/account/register", data={"locale": "en"}))

    assert form.field_error("name") == "Enter your name."
    assert form.field_error("email") == "Enter your email address."
    assert form.field_error("password") == "Enter a password."
    assert user_count() == 0


def test_registration_errors_are_in_spanish_for_a_spanish_reader(client):
    expected = spanish("Enter a valid email address, like name@example.org.")
    client.set_cookie("lang", "es")
    response = client.post("/account/register", data={**REGISTRATION, "email": "not-an-email", "locale": "es"})
    form = page(response)
    assert form.lang == "es"
    assert expected in response.get_data(as_text=True)
    assert form.field_value("name") == "Ana Torres"


def test_registration_errors_are_in_english_for_an_english_reader(en):
    form = page(en.post("/account/register", data={**REGISTRATION, "email": "not-an-email"}))
    assert form.lang == "en"
    assert form.field_error("email") == "Enter a valid email address, like name@example.org."


def test_a_second_account_with_the_same_email_is_refused(en):
    make_user(email="ana@example.org", name="First Ana")

    response = en.post("/account/register", data={**REGISTRATION, "email": "ANA@Example.org"})

    assert response.status_code == 200
    form = page(response)
    assert "already exists" in form.field_error("email")
    assert form.field_value("name") == "Ana Torres"
    assert user_count() == 1
    assert service.find_by_email("ana@example.org").name == "First Ana"
    assert not signed_in(en)


# Sign in and out --------------------------------------------------------------------------


def test_login_and_logout(client):
    make_user(email="eva@example.org", locale="en")

    response = login(client, "EVA@example.org")  # addresses are not case-sensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/courses"
    assert signed_in(client)

    response = client.post("/account/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "You have signed out." in page(client.get("/")).flashes()
    assert client.get("/my/courses").status_code == 302


def test_signing_out_keeps_the_persons_language(client):
    make_user(email="eva@example.org", locale="en")  # chose English when registering; no cookie
    login(client, "eva@example.org")

    client.post("/account/logout")

    home = page(client.get("/"))
    assert home.lang == "en"
    assert home.flashes() == ["You have signed out."]


def test_login_returns_to_the_page_that_asked_for_it(client):
    make_user(email="eva@example.org")
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")

    response = client.post(response.headers["Location"], data={"email": "eva@example.org", "password": PASSWORD})
    assert response.headers["Location"] == "/account/profile"


def test_login_records_the_time_of_sign_in(client):
    user = make_user(email="eva@example.org")
    assert user.last_login_at is None
    login(client, "eva@example.org")
    assert fresh(user.id).last_login_at is not None


def test_wrong_password_and_unknown_email_get_the_same_answer(en):
    make_user(email="eva@example.org")

    wrong = en.post("/account/login", data={"email": "eva@example.org", "password": "not the password"})
    unknown = en.post("/account/login", data={"email": "nobody@example.org", "password": "not the password"})

    assert wrong.status_code == unknown.status_code == 200
    assert page(wrong).field_error("password") == page(unknown).field_error("password") \
        == "Incorrect email or password."
    assert page(wrong).field_value("email") == "eva@example.org"
    assert not signed_in(en)


def test_a_deactivated_account_cannot_sign_in(en):
    make_user(email="gone@example.org", active=False)

    response = en.post("/account/login", data={"email": "gone@example.org", "password": PASSWORD})

    assert response.status_code == 200
    assert page(response).field_error("password") == "Incorrect email or password."
    assert not signed_in(en)


def test_remember_me_sets_a_lasting_cookie_that_signs_in_again(app, client):
    make_user(email="eva@example.org")
    cookie_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")

    response = login(client, "eva@example.org", remember="y")

    set_cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in set_cookies if c.startswith(cookie_name + "=")]
    assert remember, set_cookies
    assert "Expires=" in remember[0] and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    # The browser closes (the session cookie is gone); the remember cookie alone signs in.
    later = app.test_client()
    later.set_cookie(cookie_name, client.get_cookie(cookie_name).value)
    assert signed_in(later)


def test_without_remember_me_there_is_no_lasting_cookie(app, client):
    make_user(email="eva@example.org")
    response = login(client, "eva@example.org")
    cookie_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith(cookie_name + "=")]
    assert client.get_cookie(cookie_name) is None


def test_logout_also_ends_remember_me(app, client):
    make_user(email="eva@example.org")
    cookie_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login(client, "eva@example.org", remember="y")
    remembered = client.get_cookie(cookie_name).value

    client.post("/account/logout")

    assert not signed_in(client), "signing out must not leave the person signed in by 'remember me'"
    # Even a copy of the old remember cookie no longer works.
    other = app.test_client()
    other.set_cookie(cookie_name, remembered)
    assert not signed_in(other)


# Password change ------------------------------------------------------------------------------


def test_password_change_with_a_wrong_current_password_keeps_the_form(client):
    user = make_user(email="eva@example.org", locale="en")
    login(client, "eva@example.org")

    response = client.post("/account/password", data={
        "current_password": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 200
    form = page(response)
    assert form.field_error("current_password") == "Your current password is not correct."
    assert "current_password" in form.invalid_fields()
    assert fresh(user.id).check_password(PASSWORD)
    assert signed_in(client)


def test_password_change_needs_matching_long_passwords(client):
    user = make_user(email="eva@example.org", locale="en")
    login(client, "eva@example.org")

    form = page(client.post("/account/password", data={
        "current_password": PASSWORD, "password": "short", "confirm": "other"}))

    assert form.invalid_fields() == {"password", "confirm"}
    assert fresh(user.id).check_password(PASSWORD)


def test_password_change_signs_out_other_sessions_but_not_this_one(app, client):
    user = make_user(email="eva@example.org", locale="en")
    phone = app.test_client()
    remembered_phone = app.test_client()
    login(phone, "eva@example.org")
    login(remembered_phone, "eva@example.org", remember="y")
    login(client, "eva@example.org")
    assert signed_in(phone) and signed_in(remembered_phone)

    response = client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/profile"
    assert "Your password has been changed. Other devices have been signed out." in \
        page(client.get("/account/profile")).flashes()
    assert signed_in(client)
    assert not signed_in(phone)
    assert not signed_in(remembered_phone)
    assert fresh(user.id).check_password(NEW_PASSWORD)
    assert login(phone, "eva@example.org").status_code == 200  # the old password is refused
    assert login(phone, "eva@example.org", NEW_PASSWORD).status_code == 302


def test_a_device_kept_signed_in_stays_so_after_changing_the_password(app, client):
    make_user(email="eva@example.org", locale="en")
    cookie_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login(client, "eva@example.org", remember="y")
    old_cookie = client.get_cookie(cookie_name).value

    client.post("/account/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    new_cookie = client.get_cookie(cookie_name)
    assert new_cookie is not None and new_cookie.value != old_cookie
    # The browser is closed and opened again: still signed in; the old cookie is not.
    reopened = app.test_client()
    reopened.set_cookie(cookie_name, new_cookie.value)
    assert signed_in(reopened)
    stolen = app.test_client()
    stolen.set_cookie(cookie_name, old_cookie)
    assert not signed_in(stolen)


# Password reset --------------------------------------------------------------------------------

RESET_LINK = re.compile(r"http://localhost/account/reset/(\S+)")


def ask_for_reset(client, email):
    return client.post("/account/reset", data={"email": email})


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def reset_link(message: OutboxMessage) -> str:
    match = RESET_LINK.search(message.body)
    assert match, message.body
    return "/account/reset/" + match.group(1)


def test_reset_mails_a_link_in_the_persons_language(client):
    make_user(email="eva@example.org", locale="en", name="Eva Ruiz")

    response = ask_for_reset(client, "eva@example.org")

    assert response.status_code == 302
    [message] = outbox()
    assert message.recipient == "eva@example.org"
    assert message.language == "en"
    assert message.subject == "Choose a new password for Frontera"
    assert "Hello Eva Ruiz," in message.body
    assert "expires in 60 minutes" in message.body
    assert message.sent_at is not None  # no mail server in tests: delivered to the log
    assert client.get(reset_link(message)).status_code == 200


def test_reset_mail_is_spanish_for_a_spanish_speaker(en):
    subject = spanish("Choose a new password for Frontera")
    make_user(email="eva@example.org", locale="es")

    ask_for_reset(en, "eva@example.org")  # asked from an English page: the mail follows the person

    [message] = outbox()
    assert message.language == "es"
    assert message.subject == subject


def test_reset_link_works_once(app, client):
    user = make_user(email="eva@example.org", locale="en")
    ask_for_reset(client, "eva@example.org")
    link = reset_link(outbox()[0])

    form = page(client.get(link))
    assert form.find("input", name="password") is not None
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/my/courses"
    assert signed_in(client)
    assert fresh(user.id).check_password(NEW_PASSWORD)

    stranger = app.test_client()
    stranger.set_cookie("lang", "en")
    again = stranger.get(link)
    assert again.status_code == 302 and again.headers["Location"] == "/account/reset"
    assert "This reset link has already been used. Ask for a new one." in \
        page(stranger.get("/account/reset")).flashes()
    refused = stranger.post(link, data={"password": "yet another passphrase", "confirm": "yet another passphrase"})
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/reset"
    assert fresh(user.id).check_password(NEW_PASSWORD)
    assert not signed_in(stranger)


def test_reset_signs_out_sessions_that_knew_the_old_password(app, client):
    make_user(email="eva@example.org", locale="en")
    thief = app.test_client()
    login(thief, "eva@example.org")
    ask_for_reset(client, "eva@example.org")
    link = reset_link(outbox()[0])

    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert not signed_in(thief)


def test_reset_form_errors_keep_the_link_usable(en):
    client = en
    user = make_user(email="eva@example.org", locale="en")
    ask_for_reset(client, "eva@example.org")
    link = reset_link(outbox()[0])

    form = page(client.post(link, data={"password": "short", "confirm": "short"}))
    assert "at least 10 characters" in form.field_error("password")
    assert fresh(user.id).check_password(PASSWORD)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert fresh(user.id).check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(app, en, monkeypatch):
    client = en
    user = make_user(email="eva@example.org", locale="en")
    ask_for_reset(client, "eva@example.org")
    link = reset_link(outbox()[0])
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)

    response = client.get(link)

    assert response.status_code == 302 and response.headers["Location"] == "/account/reset"
    assert "This reset link has expired. Ask for a new one." in page(client.get("/account/reset")).flashes()
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert fresh(user.id).check_password(PASSWORD)


def test_a_reset_link_signed_two_hours_ago_is_refused(app, en):
    user = make_user(email="eva@example.org", locale="en")
    two_hours_ago = int(time.time()) - 2 * 3600
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=two_hours_ago):
        token = service.make_reset_token(fresh(user.id))

    response = en.post(f"/account/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302
    assert "This reset link has expired. Ask for a new one." in page(en.get("/account/reset")).flashes()
    assert fresh(user.id).check_password(PASSWORD)
    assert not signed_in(en)


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:],  # signature changed
    lambda token: "x" + token,                                         # payload changed
    lambda token: "not-a-token",
])
def test_a_tampered_reset_link_is_refused(en, tamper):
    user = make_user(email="eva@example.org", locale="en")
    ask_for_reset(en, "eva@example.org")
    link = reset_link(outbox()[0])
    token = link.rsplit("/", 1)[1]
    bad = f"/account/reset/{tamper(token)}"

    assert en.get(bad).status_code == 302
    assert "This reset link is not valid. Ask for a new one." in page(en.get("/account/reset")).flashes()
    en.post(bad, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert fresh(user.id).check_password(PASSWORD)
    assert not signed_in(en)


def test_a_reset_link_signed_with_another_key_is_refused(en):
    user = make_user(email="eva@example.org", locale="en")
    forged = URLSafeTimedSerializer("guessed-secret", salt=service.RESET_SALT).dumps(
        {"u": user.id, "p": service._password_fingerprint(user)})
    en.post(f"/account/reset/{forged}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert fresh(user.id).check_password(PASSWORD)
    assert not signed_in(en)


def test_reset_gives_the_same_answer_whether_or_not_the_email_exists(app, en):
    make_user(email="eva@example.org", locale="en")
    make_user(email="gone@example.org", locale="en", active=False)
    answers = []
    for email in ("eva@example.org", "nobody@example.org", "gone@example.org"):
        visitor = app.test_client()
        visitor.set_cookie("lang", "en")
        response = ask_for_reset(visitor, email)
        answers.append((response.status_code, response.headers.get("Location"),
                        page(visitor.get(response.headers["Location"])).flashes()))

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][2] == ["If an account exists for that address, we have sent it a link to choose a new password."]
    assert [m.recipient for m in outbox()] == ["eva@example.org"]


def test_reset_request_with_a_malformed_address_says_so(en):
    form = page(en.post("/account/reset", data={"email": "nope"}))
    assert form.field_error("email") == "Enter a valid email address, like name@example.org."
    assert form.field_value("email") == "nope"
    assert outbox() == []


# Profile ------------------------------------------------------------------------------------


def test_profile_edit_saves_name_language_and_region(client):
    user = make_user(email="eva@example.org", locale="es", name="Eva")
    login(client, "eva@example.org")
    assert page(client.get("/account/profile")).field_value("name") == "Eva"

    response = client.post("/account/profile", data={"name": "Eva Ruiz", "locale": "en", "region": "pe-cl"})

    assert response.status_code == 302 and response.headers["Location"] == "/account/profile"
    after = page(client.get("/account/profile"))
    assert after.lang == "en"  # the page now speaks the chosen language
    assert "Your profile has been saved." in after.flashes()
    assert after.field_value("name") == "Eva Ruiz"
    assert after.selected("region") == ["pe-cl"]
    assert after.selected("locale") == ["en"]
    saved = fresh(user.id)
    assert (saved.name, saved.locale, saved.region) == ("Eva Ruiz", "en", "pe-cl")


def test_profile_edit_with_errors_changes_nothing(client):
    user = make_user(email="eva@example.org", locale="en", name="Eva")
    login(client, "eva@example.org")

    response = client.post("/account/profile", data={"name": "", "locale": "fr", "region": "mars"})

    assert response.status_code == 200
    form = page(response)
    assert form.field_error("name") == "Enter your name."
    assert {"name", "locale", "region"} <= form.invalid_fields()
    saved = fresh(user.id)
    assert (saved.name, saved.locale, saved.region) == ("Eva", "en", None)


def test_profile_and_password_pages_need_sign_in(client):
    for path in ("/account/profile", "/account/password"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/account/login?next=")


# Rate limits ------------------------------------------------------------------------------------


def client_from(app, address: str):
    """A browser on another network: every request comes from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.set_cookie("lang", "en")
    return client


def test_login_is_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "3 per minute")
    make_user(email="eva@example.org")
    client = app.test_client()
    client.set_cookie("lang", "en")
    for n in range(3):
        response = client.post("/account/login", data={"email": f"guess{n}@example.org", "password": "x"},
                               headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert response.status_code == 200
    # A fourth try, even with the right password and a made-up X-Forwarded-For: refused.
    response = client.post("/account/login", data={"email": "eva@example.org", "password": PASSWORD},
                           headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429
    assert page(response).title == "Too many attempts"
    assert not signed_in(client)
    # Another address is not affected.
    other = client_from(app, "192.0.2.77")
    assert login(other, "eva@example.org").status_code == 302


def test_login_is_limited_per_account_across_addresses(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "3 per minute")
    make_user(email="eva@example.org")
    for n in range(3):
        attacker = client_from(app, f"198.51.100.{n}")
        assert login(attacker, "eva@example.org", "wrong guess").status_code == 200
    attacker = client_from(app, "198.51.100.99")
    assert login(attacker, "EVA@example.org ", "wrong guess").status_code == 429
    # Other accounts can still sign in from anywhere.
    make_user(email="ana@example.org")
    assert login(client_from(app, "198.51.100.50"),
                 "ana@example.org").status_code == 302


def test_reset_requests_are_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_LIMIT", "2 per minute")
    make_user(email="eva@example.org")
    client = app.test_client()
    assert ask_for_reset(client, "a@example.org").status_code == 302
    assert ask_for_reset(client, "b@example.org").status_code == 302
    assert ask_for_reset(client, "eva@example.org").status_code == 429
    assert outbox() == []


def test_reset_requests_are_limited_per_account(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_LIMIT", "2 per minute")
    make_user(email="eva@example.org")
    for n in range(2):
        client = client_from(app, f"203.0.113.{n}")
        assert ask_for_reset(client, "eva@example.org").status_code == 302
    client = client_from(app, "203.0.113.200")
    assert ask_for_reset(client, "eva@example.org").status_code == 429
    assert len(outbox()) == 2  # the mailbox is not flooded


def test_the_limits_count_only_posts(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "2 per minute")
    client = app.test_client()
    for _ in range(5):
        assert client.get("/account/login").status_code == 200
