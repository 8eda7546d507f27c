"""Spanish and English through the HTTP layer: which language a page speaks,
the header switch, and dates and numbers in the reader's conventions."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update

from factories import PASSWORD, make_course, make_user
from lms.auth.models import User
from lms.content.models import Course
from lms.extensions import db
from pages import page, spanish


def lang_of(client, path="/", **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return page(response).lang


def sign_in(client, email):
    assert client.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 302


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# Locale order: profile -> cookie -> Accept-Language -> Spanish ------------------------------------


def test_spanish_is_the_default(client):
    assert lang_of(client) == "es"


@pytest.mark.parametrize("header, expected", [
    ("en", "en"),
    ("en-US,en;q=0.9", "en"),
    ("fr-FR, en;q=0.8, es;q=0.5", "en"),
    ("es-MX, en;q=0.5", "es"),   # a Mexican browser is a Spanish reader
    ("es-419,en-US;q=0.7", "es"),
    ("de, es-CO;q=0.8, en;q=0.7", "es"),
    ("en-GB, es;q=0.8", "en"),
    ("*", "es"),
    ("fr, de", "es"),            # nothing we speak: Spanish
])
def test_the_browsers_languages_are_used_when_nothing_was_chosen(client, header, expected):
    assert lang_of(client, headers={"Accept-Language": header}) == expected


@pytest.mark.parametrize("cookie, header, expected", [
    ("es", "en", "es"),
    ("en", "es", "en"),
    ("fr", "en", "en"),  # a cookie we do not speak is ignored
])
def test_the_visitors_choice_beats_the_browser(client, cookie, header, expected):
    client.set_cookie("lang", cookie)
    assert lang_of(client, headers={"Accept-Language": header}) == expected


@pytest.mark.parametrize("profile, other", [("en", "es"), ("es", "en")])
def test_the_profile_beats_cookie_and_browser(client, profile, other):
    make_user(email="eva@example.org", locale=profile)
    client.set_cookie("lang", other)
    sign_in(client, "eva@example.org")
    client.set_cookie("lang", other)
    assert lang_of(client, "/my/courses", headers={"Accept-Language": other}) == profile
    assert lang_of(client, "/courses", headers={"Accept-Language": other}) == profile


def test_the_page_language_matches_its_text(client):
    nav_courses = spanish("Courses")
    client.set_cookie("lang", "en")
    english = page(client.get("/"))
    assert english.lang == "en"
    assert english.find("a", href="/courses").text.strip() == "Courses"
    client.set_cookie("lang", "es")
    spanish_page = page(client.get("/"))
    assert spanish_page.lang == "es"
    assert spanish_page.find("a", href="/courses").text.strip() == nav_courses


# The switch in the header ---------------------------------------------------------------------------


def _switch(response):
    """The header's language form: its action, hidden fields and the buttons it offers."""
    shown = page(response)
    form = shown.find("form", action="/language")
    assert form is not None, "every page has the language switch"
    fields = {e.get("name"): e.get("value") for e in shown.elements
              if e.tag == "input" and e.within("form") is form}
    buttons = {e.get("value"): e for e in shown.elements if e.tag == "button" and e.within("form") is form}
    return fields, buttons, shown


def test_visitor_switches_language_and_returns_to_the_same_page(client):
    path = "/courses?topic=innovation&q=border"
    shown = page(client.get(path))
    assert shown.lang == "es"
    switch = shown.find("p", class_="language-switch")
    assert switch is not None, "a visitor's page has the language links"
    links = {e.get("lang"): e for e in shown.elements if e.tag == "a" and e.within("p") is switch}
    assert set(links) == {"en"}                     # the other language is offered...
    english = links["en"]
    assert english.text.strip() == "English" and english.get("hreflang") == "en"  # ...in its own name
    current = shown.find("span", class_="current-language")
    assert current.get("lang") == "es" and current.get("aria-current") == "true"
    assert shown.find("form", action="/language") is None  # no form, so no token and no session

    response = client.get(english.get("href"))

    assert response.status_code == 302
    assert response.headers["Location"] == path
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "en"
    assert lang_of(client, path) == "en"
    assert lang_of(client, "/account/login") == "en"  # and it stays


def test_the_visitors_link_ignores_unknown_languages_and_other_sites(client):
    response = client.get("/language/fr", query_string={"next": "/courses"})
    assert response.headers["Location"] == "/courses"
    assert client.get_cookie("lang") is None
    response = client.get("/language/en", query_string={"next": "//evil.org/phish"})
    assert response.headers["Location"] == "/"
    assert client.get_cookie("lang").value == "en"


def test_signed_in_people_get_the_form_that_keeps_the_choice(client):
    make_user(email="eva@example.org", locale="es")
    sign_in(client, "eva@example.org")
    fields, buttons, _shown = _switch(client.get("/courses"))
    assert fields["next"] == "/courses" and fields["csrf_token"]
    assert set(buttons) == {"en"}


def test_signed_in_switch_is_kept_in_the_profile(app, client):
    user = make_user(email="eva@example.org", locale="es")
    sign_in(client, "eva@example.org")

    response = client.post("/language", data={"language": "en", "next": "/account/profile"})

    assert response.headers["Location"] == "/account/profile"
    assert fresh(user.id).locale == "en"
    # On another device, with no cookie and a Spanish browser, the choice follows the person.
    laptop = app.test_client()
    sign_in(laptop, "eva@example.org")
    assert lang_of(laptop, "/my/courses", headers={"Accept-Language": "es"}) == "en"


def test_an_unknown_language_changes_nothing(client):
    user = make_user(email="eva@example.org", locale="es")
    sign_in(client, "eva@example.org")
    response = client.post("/language", data={"language": "fr", "next": "/courses"})
    assert response.headers["Location"] == "/courses"
    assert client.get_cookie("lang") is None
    assert fresh(user.id).locale == "es"
    assert lang_of(client, "/courses") == "es"


def test_the_switch_does_not_follow_a_next_to_another_site(client):
    response = client.post("/language", data={"language": "en", "next": "//evil.org/phish"})
    assert response.headers["Location"] == "/"
    assert client.get_cookie("lang").value == "en"


def test_the_switch_without_a_next_goes_home(client):
    assert client.post("/language", data={"language": "en"}).headers["Location"] == "/"


# Dates and numbers ---------------------------------------------------------------------------------


def _member_since(client) -> str:
    """The profile's facts list: Email, then Member since."""
    shown = page(client.get("/account/profile"))
    facts = [e for e in shown.elements if e.tag == "dd" and "facts" in (e.within("dl").get("class") or "")]
    assert len(facts) >= 2, facts
    return facts[1].text.strip()


@pytest.mark.parametrize("locale, expected", [("es", "15 ene 2024"), ("en", "Jan 15, 2024")])
def test_dates_are_written_the_readers_way(client, locale, expected):
    user = make_user(email="eva@example.org", locale=locale)
    db.session.execute(update(User).where(User.id == user.id).values(created_at=datetime(2024, 1, 15, 12, 0)))
    db.session.commit()
    sign_in(client, "eva@example.org")
    assert _member_since(client) == expected


def test_times_are_shown_in_the_readers_time_zone(app, client):
    admin = make_user("admin", email="alba@example.org", locale="en")
    person = make_user(email="eva@example.org")
    db.session.execute(update(User).where(User.id == admin.id).values(timezone="America/Lima"))
    db.session.execute(update(User).where(User.id == person.id)
                       .values(last_login_at=datetime(2024, 1, 15, 3, 30)))  # UTC
    db.session.commit()
    sign_in(client, "alba@example.org")
    text = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "Jan 14, 2024" in text and "10:30:00" in text  # 03:30 UTC is 22:30 the day before in Lima
    assert "Jan 15, 2024, 3:30" not in text


@pytest.mark.parametrize("locale, expected", [("es", "2,5"), ("en", "2.5")])
def test_numbers_are_written_the_readers_way(client, tmp_path, locale, expected):
    make_course(tmp_path / "courses", "numbers-course")
    db.session.execute(update(Course).where(Course.slug == "numbers-course").values(hours=2.5))
    db.session.commit()
    client.set_cookie("lang", locale)
    text = client.get("/courses/numbers-course").get_data(as_text=True)
    assert expected in text
    other = "2.5" if expected == "2,5" else "2,5"
    assert other not in text
