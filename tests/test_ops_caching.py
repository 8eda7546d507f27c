"""What keeps pages cheap without changing what they say: the translation memo,
fingerprinted static files, and ETags on visitors' public pages."""
from __future__ import annotations

import contextvars
import re

import flask_babel
import pytest
from babel.support import Translations
from flask import render_template_string
from markupsafe import Markup

from factories import PASSWORD, make_course, make_user
from lms.config import ROOT
from lms.ops import static as static_files
from lms.ops.translations import CachedDomain

STYLESHEET = re.compile(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"')


# Translations -------------------------------------------------------------------------

def catalog_messages(language: str) -> list[str]:
    translations = Translations.load(str(ROOT / "translations"), [language])
    return [key for key in translations._catalog if isinstance(key, str) and key]  # noqa: SLF001


@pytest.mark.parametrize("language", ["es", "en"])
def test_memo_gives_exactly_what_flask_babel_gives_for_every_message(app, language):
    plain = flask_babel.Domain()  # Flask-Babel's own, unmemoised lookups
    messages = catalog_messages(language)
    assert len(messages) > 100
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert isinstance(flask_babel.get_domain(), CachedDomain)
        for message in messages:
            assert flask_babel.gettext(message) == plain.gettext(message), message
        # A second round comes from the memo and still agrees.
        for message in messages:
            assert flask_babel.gettext(message) == plain.gettext(message), message


def test_spanish_and_english_requests_never_share_a_translation(app):
    def translate(language: str) -> str:
        # Each request in its own context, as in a server (the test's app context is not shared).
        def run():
            with app.test_request_context("/", headers={"Accept-Language": language}):
                return flask_babel.gettext("Courses")
        return contextvars.Context().run(run)

    assert [translate(language) for language in ("es", "en", "es", "en")] == ["Cursos", "Courses"] * 2


def test_force_locale_and_refresh_switch_the_memo(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert flask_babel.gettext("Courses") == "Cursos"
        with flask_babel.force_locale("en"):
            assert flask_babel.gettext("Courses") == "Courses"
            assert str(flask_babel.lazy_gettext("Courses")) == "Courses"
        assert flask_babel.gettext("Courses") == "Cursos"
        flask_babel.get_babel().locale_selector  # noqa: B018 - the selector stays in place
        flask_babel.refresh()
        assert flask_babel.gettext("Courses") == "Cursos"


def test_variables_and_plurals_are_filled_in(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert flask_babel.gettext("%(name)s and %(other)s", name="a", other="b") == "a and b"
        assert flask_babel.ngettext("%(num)d apple", "%(num)d apples", 3) == "3 apples"
        assert flask_babel.ngettext("%(num)d apple", "%(num)d apples", 1) == "1 apple"


def test_templates_translate_escape_and_format_as_jinja_does(app):
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert render_template_string("{{ _('Courses') }}") == "Cursos"
        assert render_template_string("{{ gettext('Courses') }}") == "Cursos"
        # Variables are escaped; the translation itself is trusted markup.
        out = render_template_string("{{ _('Hello %(name)s', name=who) }}", who="<b>x</b>")
        assert out == "Hello &lt;b&gt;x&lt;/b&gt;"
        # New-style gettext always %-formats: "%%" is a literal percent sign, cached or not.
        assert render_template_string("{{ _('100%% sure') }}{{ _('100%% sure') }}") == "100% sure100% sure"
        assert render_template_string("{{ ngettext('%(num)d lesson', '%(num)d lessons', 2) }}") == "2 lessons"
        assert isinstance(app.jinja_env.globals["_"], type(app.jinja_env.globals["gettext"]))


def test_pages_are_translated_for_each_visitor(client):
    spanish = client.get("/courses", headers={"Accept-Language": "es"}).get_data(as_text=True)
    english = client.get("/courses", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="es"' in spanish and ">Cursos<" in spanish
    assert 'lang="en"' in english and ">Courses<" in english


# Static files ---------------------------------------------------------------------------

def test_pages_link_stylesheets_under_fingerprinted_names(client):
    html = client.get("/").get_data(as_text=True)
    match = STYLESHEET.search(html)
    assert match, "the site stylesheet should be linked with its content hash"
    assert "/static/css/site.css" not in html
    digest = static_files.file_hash("css/site.css")
    assert match.group(1) == f"/static/css/site.{digest}.css"


def fetch(client, path: str) -> tuple[int, dict, bytes]:
    """A static file's status, headers and content (the file is closed)."""
    with client.get(path) as response:
        return response.status_code, dict(response.headers), response.get_data()


def test_fingerprinted_file_is_served_for_a_year_and_the_plain_name_is_revalidated(client):
    fingerprinted = STYLESHEET.search(client.get("/").get_data(as_text=True)).group(1)
    status, headers, content = fetch(client, fingerprinted)
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert content == (ROOT / "static" / "css" / "site.css").read_bytes()

    status, headers, plain = fetch(client, "/static/css/site.css")
    assert status == 200 and plain == content
    assert headers["Cache-Control"] == "no-cache"
    # An old fingerprint (a page cached before a deploy) still gets the file, but not for keeps.
    status, headers, stale = fetch(client, "/static/css/site.000000000000.css")
    assert status == 200 and stale == content
    assert headers["Cache-Control"] == "no-cache"
    assert fetch(client, "/static/css/missing.0123456789ab.css")[0] == 404
    assert fetch(client, "/static/css/missing.css")[0] == 404


def test_signed_in_pages_keep_static_files_cacheable(client, auth):
    make_user(email="ana@example.org")
    auth.login("ana@example.org", PASSWORD)
    page = client.get("/account/profile")
    assert page.headers["Cache-Control"] == "no-store"
    fingerprinted = STYLESHEET.search(page.get_data(as_text=True)).group(1)
    assert fetch(client, fingerprinted)[1]["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_changed_file_gets_a_new_fingerprint(app, tmp_path, monkeypatch):
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "extra.css"
    sheet.write_text("body { color: black }")
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    monkeypatch.setattr(app, "debug", True)  # in production a restart picks the change up
    monkeypatch.setattr(static_files, "_hashes", {})
    with app.test_request_context("/"):
        first = static_files.static_url("css/extra.css")
        sheet.write_text("body { color: navy }")
        import os
        os.utime(sheet, (1, 1))
        second = static_files.static_url("css/extra.css")
        assert first != second
        assert re.fullmatch(r"/static/css/extra\.[0-9a-f]{12}\.css", second)
        assert static_files.static_url("css/none.css") == "/static/css/none.css"


def test_fingerprinted_names_are_split_back_to_the_file():
    assert static_files._split("css/site.0123456789ab.css") == ("css/site.css", "0123456789ab")  # noqa: SLF001
    assert static_files._split("css/site.css") == ("css/site.css", None)  # noqa: SLF001
    assert static_files.fingerprinted("js/a.b.js", "0123456789ab") == "js/a.b.0123456789ab.js"


# ETags -----------------------------------------------------------------------------------

@pytest.fixture()
def course(tmp_path):
    make_course(tmp_path, "etag-course", modules=1, lessons=2)
    return tmp_path


def public_pages() -> list[str]:
    return ["/", "/courses", "/courses/etag-course", "/courses/etag-course/lessons/lesson-1-1", "/knowledge/"]


def test_a_visitor_revalidating_a_public_page_gets_304_without_a_body(client, course):
    for path in public_pages():
        first = client.get(path)
        assert first.status_code == 200, path
        etag = first.headers.get("ETag")
        assert etag and etag.startswith('W/"'), path
        assert first.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in first.headers["Vary"]
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.data == b""
        assert again.headers["ETag"] == etag


def test_the_etag_changes_when_the_page_does(client, course):
    first = client.get("/courses")
    make_course(course, "another-course", modules=1, lessons=1)
    second = client.get("/courses", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert "another-course" in second.get_data(as_text=True)
    assert second.headers["ETag"] != first.headers["ETag"]
    english = client.get("/courses", headers={"Accept-Language": "en", "If-None-Match": second.headers["ETag"]})
    assert english.status_code == 200, "another language is another page"


def test_visitors_pages_hold_no_token_and_set_no_session(app, course):
    """The language switch is a link for visitors: their pages have no form with a
    token, so they need no session cookie and one copy serves every visitor."""
    one, other = app.test_client(), app.test_client()
    for path in public_pages():
        response = one.get(path)
        assert response.status_code == 200, path
        assert "csrf_token" not in response.get_data(as_text=True), path
        assert not response.headers.getlist("Set-Cookie"), path
    etag = one.get("/courses").headers["ETag"]
    assert one.get("/courses", headers={"If-None-Match": etag}).status_code == 304
    # Another browser reading the same language gets the same copy...
    assert other.get("/courses", headers={"If-None-Match": etag}).status_code == 304
    # ...but not a reader of the other language.
    english = other.get("/courses", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert english.status_code == 200 and english.headers["ETag"] != etag


def test_a_page_with_a_token_is_only_unchanged_for_the_session_whose_token_it_carries(app, course):
    """A public page that does hold a form (here: once the session has a token,
    its tag includes it) is never "not modified" for another session."""
    one, other = app.test_client(), app.test_client()
    one.get("/account/login")  # the sign-in form gives this browser a session token
    etag = one.get("/courses").headers["ETag"]
    assert one.get("/courses", headers={"If-None-Match": etag}).status_code == 304
    assert other.get("/courses", headers={"If-None-Match": etag}).status_code == 200


def test_signed_in_pages_have_no_etag_and_are_never_stored(client, auth, course):
    make_user(email="ana@example.org")
    etag = client.get("/courses").headers["ETag"]
    auth.login("ana@example.org", PASSWORD)
    for path in public_pages():
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200, path
        assert "ETag" not in response.headers, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_private_and_missing_pages_get_no_etag(client, course):
    assert "ETag" not in client.get("/account/login").headers
    missing = client.get("/courses/no-such-course")
    assert missing.status_code == 404 and "ETag" not in missing.headers


def test_templates_link_static_files_through_static_url():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
                 if re.search(r"url_for\(\s*['\"]static['\"]", path.read_text(encoding="utf-8"))]
    assert not offenders, f"use static_url('...') (fingerprinted, cached for a year) in: {offenders}"
