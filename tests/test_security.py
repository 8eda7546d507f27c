"""Security through the HTTP layer: CSRF on every changing route, headers,
cookies and sessions, open redirects, the secret key check, health and the
translated error pages."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from factories import PASSWORD, make_user
from lms import create_app
from lms.auth.models import User
from lms.config import DEV_SECRET, Config, TestConfig
from lms.extensions import db
from pages import page, spanish
from route_expectations import EXPECTATIONS, ROLES, World, is_static, url_args

CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EVERYTHING_A_FORM_MIGHT_CHANGE = {
    "name": "Changed Name", "email": "changed@example.org", "password": "changed password 123",
    "confirm": "changed password 123", "current_password": PASSWORD, "locale": "en", "language": "en",
    "region": "mx-gt", "roles": ["learner"], "active": "0", "remember": "y", "next": "/",
}


def app_config(**overrides):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update({"SQLALCHEMY_DATABASE_URI": "sqlite://", **overrides})
    return config


def sign_in(client, email, password=PASSWORD):
    response = client.post("/account/login", data={"email": email, "password": password})
    assert response.status_code == 302
    return response


def signed_in(client) -> bool:
    return client.get("/my/courses").status_code == 200


def database_snapshot() -> dict[str, list]:
    db.session.rollback()
    return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables}


def changing_rules(app):
    return [rule for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
            if rule.methods & CHANGING_METHODS and not is_static(rule.endpoint)]


# CSRF ---------------------------------------------------------------------------------------


def _url_for_rule(rule, world) -> str:
    """A URL the rule matches: real objects where route_expectations.py says how to
    build them, otherwise any value of the right type (CSRF is checked before the view)."""
    if rule.endpoint in EXPECTATIONS:
        try:
            built = rule.build(url_args(rule.endpoint, world, "admin"), append_unknown=False)
        except Exception:  # noqa: BLE001 - a broken builder fails test_routes_by_role, not this test
            db.session.rollback()
            built = None
        if built:
            return built[1]
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        kind = type(converter).__name__
        values[name] = {"IntegerConverter": 1, "FloatConverter": 1.0,
                        "UUIDConverter": "00000000-0000-4000-8000-000000000001"}.get(kind, "x")
        if kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
    return rule.build(values, append_unknown=False)[1]



def test_every_changing_route_refuses_a_request_without_csrf_token(app, tmp_path):
    world = World(tmp_path)
    admin = world.user("admin")
    client = app.test_client()
    client.set_cookie("lang", "en")
    sign_in(client, admin.email)
    rules = changing_rules(app)
    assert len(rules) >= 9
    urls = [(rule, _url_for_rule(rule, world)) for rule in rules]
    before = database_snapshot()

    failures = []
    for rule, url in urls:
        for method in sorted(rule.methods & CHANGING_METHODS):
            response = client.open(url, method=method, data=EVERYTHING_A_FORM_MIGHT_CHANGE)
            if response.status_code != 400:
                failures.append(f"{method} {url}: {response.status_code}")
            elif "The form has expired or was not sent from this site." not in response.get_data(as_text=True):
                failures.append(f"{method} {url}: 400 without the explanation")

    assert not failures, "Accepted without a CSRF token:\n  " + "\n  ".join(failures)
    assert database_snapshot() == before, "a request without a CSRF token changed the database"
    assert signed_in(client), "a request without a CSRF token signed the admin out"
    assert client.get_cookie("lang").value == "en"


def test_a_csrf_token_from_another_session_is_refused(app):
    user = make_user(email="eva@example.org", name="Eva", locale="en")
    attacker = app.test_client()
    stolen_token = attacker.csrf_token()
    victim = app.test_client()
    sign_in(victim, "eva@example.org")

    response = victim.post("/account/profile", data={"name": "Pwned", "locale": "en",
                                                      "csrf_token": stolen_token})

    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Eva"


def test_signing_in_needs_the_sites_own_form(client):
    make_user(email="eva@example.org")
    response = client.post("/account/login", data={"email": "eva@example.org", "password": PASSWORD},
                           csrf=False)
    assert response.status_code == 400
    assert not signed_in(client)


# Headers -------------------------------------------------------------------------------------


def _directives(csp: str) -> dict[str, list[str]]:
    parts = [part.split() for part in csp.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def _get_pages(app, client, world, role):
    """Every GET route that answers this role with a page, built from the route expectations."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or is_static(rule.endpoint) or rule.endpoint not in EXPECTATIONS:
            continue
        if EXPECTATIONS[rule.endpoint].outcome(role) != 200:
            continue
        url = rule.build(url_args(rule.endpoint, world, role), append_unknown=False)[1]
        yield url, client.get(url)


@pytest.mark.parametrize("role", ["visitor", "admin"])
def test_every_page_sends_the_security_headers(app, tmp_path, role):
    world = World(tmp_path)
    client = app.test_client()
    if role != "visitor":
        sign_in(client, world.user(role).email)
    responses = list(_get_pages(app, client, world, role)) + [("/no-such-page", client.get("/no-such-page"))]
    assert len(responses) >= 5
    for url, response in responses:
        headers = response.headers
        csp = _directives(headers.get("Content-Security-Policy", ""))
        assert csp, url
        for name, values in csp.items():
            assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, (url, name)
        assert csp["default-src"] in (["'self'"], ["'none'"]), url
        assert set(csp.get("script-src", csp["default-src"])) <= {"'self'", "'none'"}, url
        if response.mimetype == "text/html":
            assert csp["script-src"] == ["'self'"], url
            assert csp["frame-ancestors"] == ["'none'"], url
            assert csp["object-src"] == ["'none'"], url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("X-Frame-Options") == "DENY", url
        assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}, url


@pytest.mark.parametrize("role", ["visitor", "learner", "admin"])
def test_pages_need_no_inline_script_or_style_and_load_nothing_from_elsewhere(app, tmp_path, role):
    """The CSP forbids inline code: a page that relied on it would break in the browser."""
    world = World(tmp_path)
    client = app.test_client()
    if role != "visitor":
        sign_in(client, world.user(role).email)
    problems = []
    checked = 0
    for url, response in _get_pages(app, client, world, role):
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        checked += 1
        for element in page(response).elements:
            if element.tag == "script" and not element.get("src"):
                problems.append(f"{url}: inline <script>")
            if element.tag == "style":
                problems.append(f"{url}: inline <style>")
            for name, value in element.attrs.items():
                if name == "style":
                    problems.append(f"{url}: style attribute on <{element.tag}>")
                if name.startswith("on"):
                    problems.append(f"{url}: event handler {name} on <{element.tag}>")
                if name in ("href", "src", "action") and value:
                    parts = urlsplit(value.strip())
                    if parts.scheme == "javascript":
                        problems.append(f"{url}: javascript: URL")
                    if parts.netloc and element.tag in ("script", "link", "img", "iframe", "form"):
                        problems.append(f"{url}: <{element.tag}> loads from {parts.netloc}")
    assert checked >= 5
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
def test_authenticated_pages_are_never_cached(app, tmp_path, role):
    world = World(tmp_path)
    client = app.test_client()
    sign_in(client, world.user(role).email)
    checked = 0
    for url, response in _get_pages(app, client, world, role):
        if response.status_code == 200 and response.mimetype == "text/html":
            assert "no-store" in response.headers.get("Cache-Control", ""), url
            checked += 1
    assert checked >= 5


def test_public_pages_for_visitors_may_be_cached(client):
    # The header is for private pages; a visitor's catalog needs no such limit.
    assert "no-store" not in client.get("/courses").headers.get("Cache-Control", "")


# Cookies and sessions --------------------------------------------------------------------------


def _set_cookie(response, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert found, f"no {name} cookie in {response.headers.getlist('Set-Cookie')}"
    return found[-1]


def test_session_cookie_is_httponly_and_samesite_lax(app, client):
    make_user(email="eva@example.org")
    cookie = _set_cookie(sign_in(client, "eva@example.org"), app.config["SESSION_COOKIE_NAME"])
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    language = _set_cookie(client.post("/language", data={"language": "en"}), "lang")
    assert "HttpOnly" in language and "SameSite=Lax" in language


def test_session_cookie_is_secure_when_configured_for_https():
    app = create_app(app_config(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True))
    client = app.test_client()
    response = client.get("/account/login", base_url="https://localhost")
    assert "Secure" in _set_cookie(response, app.config["SESSION_COOKIE_NAME"])
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_signing_in_starts_a_new_session(app, client):
    make_user(email="eva@example.org")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    token_before = client.csrf_token()
    planted = client.get_cookie(cookie_name).value  # what an attacker could have planted or copied

    sign_in(client, "eva@example.org")

    assert client.get_cookie(cookie_name).value != planted
    assert client.csrf_token() != token_before
    attacker = app.test_client()
    attacker.set_cookie(cookie_name, planted)
    assert not signed_in(attacker), "the session from before sign-in must not become signed in"


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client):
    make_user(email="eva@example.org")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    sign_in(client, "eva@example.org")
    copied = client.get_cookie(cookie_name).value
    thief = app.test_client()
    thief.set_cookie(cookie_name, copied)
    assert signed_in(thief)

    client.post("/account/logout")

    assert not signed_in(client)
    assert not signed_in(thief), "a copy of the session cookie still works after signing out"
    replay = app.test_client()
    replay.set_cookie(cookie_name, copied)
    assert replay.get("/account/profile").status_code == 302


def test_passwords_are_stored_hashed(client):
    client.post("/account/register", data={"name": "Ana", "email": "ana@example.org", "locale": "es",
                                           "password": "long enough password", "confirm": "long enough password"})
    stored = db.session.scalar(select(User.password_hash).where(User.email == "ana@example.org"))
    assert stored and "long enough password" not in stored


def test_outside_tests_passwords_are_hashed_with_a_memory_hard_kdf():
    # Tests may choose a cheap hash (TestConfig); the real configuration must not.
    config = app_config(ENV_NAME="production", SECRET_KEY="x9!" * 12,
                        PASSWORD_HASH_METHOD=getattr(Config, "PASSWORD_HASH_METHOD", None))
    production = create_app(config)
    with production.app_context():
        user = User(email="ana@example.org", name="Ana")
        user.set_password("long enough password")
    assert user.password_hash.split(":")[0] in {"scrypt", "argon2"}, user.password_hash.split("$")[0]
    assert user.check_password("long enough password")


# Open redirects ---------------------------------------------------------------------------------

HOSTILE_NEXT = ["//evil.org", "https://evil.org", "/\\evil.org", "\\\\evil.org", "javascript:alert(1)",
                "http:evil.org", "///evil.org", " //evil.org", "/\t/evil.org", "evil.org",
                "JaVaScRiPt:alert(1)", "https:/evil.org"]


def _is_local(location: str) -> bool:
    parts = urlsplit(location)
    return not parts.scheme and not parts.netloc and location.startswith("/") \
        and not location.startswith("//") and "\\" not in location


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_sends_people_to_another_site(app, target):
    make_user(email="eva@example.org")
    client = app.test_client()
    response = client.post("/account/login", query_string={"next": target},
                           data={"email": "eva@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/my/courses"
    # And once signed in, the same link is not followed either.
    again = client.get("/account/login", query_string={"next": target})
    assert again.headers["Location"] == "/my/courses"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_never_sends_people_to_another_site(client, target):
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/courses?topic=innovation&language=es", "/account/profile"])
def test_local_next_targets_are_followed(app, client, target):
    make_user(email="eva@example.org")
    response = client.post("/account/login", query_string={"next": target},
                           data={"email": "eva@example.org", "password": PASSWORD})
    assert response.headers["Location"] == target
    assert _is_local(response.headers["Location"])


# Secret key and health -----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["production", "staging"])
@pytest.mark.parametrize("secret", [DEV_SECRET, "", None, "short"])
def test_the_app_refuses_to_start_with_a_weak_secret_outside_development(env, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(app_config(ENV_NAME=env, SECRET_KEY=secret))


def test_the_app_starts_with_a_real_secret_in_production():
    app = create_app(app_config(ENV_NAME="production", SECRET_KEY="x9!" * 12))
    assert app.config["ENV_NAME"] == "production"


def test_development_may_use_the_development_secret():
    assert create_app(app_config(ENV_NAME="development", SECRET_KEY=DEV_SECRET)).config["SECRET_KEY"] == DEV_SECRET


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    unreachable = f"sqlite:///{tmp_path}/no/such/folder/frontera.sqlite"
    broken = create_app(app_config(SQLALCHEMY_DATABASE_URI=unreachable))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unavailable"}


# Error pages ---------------------------------------------------------------------------------------

ERRORS = {
    400: "Bad request", 403: "Access denied", 404: "Page not found", 405: "Not allowed",
    429: "Too many attempts", 500: "Something went wrong",
}


@pytest.fixture()
def failing_app():
    """A separate app with a route that breaks: the shared app gets no test-only routes."""
    app = create_app(app_config())

    @app.route("/test-only/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    with app.app_context():
        db.create_all()
    return app


def _error_responses(app, failing_app, client, monkeypatch):
    learner = make_user(email="eva@example.org", locale=client.language)
    monkeypatch.setitem(app.config, "LOGIN_LIMIT", "1 per minute")
    sign_in(client, learner.email)
    failing = failing_app.test_client()
    failing.set_cookie("lang", client.language)
    return {
        400: client.post("/account/profile", data={"name": "x"}, csrf=False),
        403: client.get("/admin/people"),
        404: client.get("/no-such-page"),
        405: client.get("/account/logout"),
        429: client.post("/account/login", data={"email": learner.email, "password": "x"}),
        500: failing.get("/test-only/boom"),
    }


@pytest.fixture()
def en_client(client):
    client.language = "en"
    return client


@pytest.fixture()
def es_client(client):
    client.language = "es"
    return client


def test_error_pages_say_what_happened_in_english(app, failing_app, en_client, monkeypatch):
    responses = _error_responses(app, failing_app, en_client, monkeypatch)
    for code, response in responses.items():
        assert response.status_code == code
        shown = page(response)
        assert shown.lang == "en", code
        assert shown.title == ERRORS[code], code
        assert shown.find("a", href="/") is not None, code  # a way back
        assert "hunter2" not in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)


def test_error_pages_are_in_spanish_for_a_spanish_reader(app, failing_app, es_client, monkeypatch):
    expected = {code: spanish(title) for code, title in ERRORS.items()}
    responses = _error_responses(app, failing_app, es_client, monkeypatch)
    for code, response in responses.items():
        assert response.status_code == code
        shown = page(response)
        assert shown.lang == "es", code
        assert response.get_data(as_text=True).count(expected[code]) >= 1, (code, shown.title)
        assert expected[code] != ERRORS[code], code


def test_a_failure_in_one_request_does_not_break_the_next(failing_app):
    client = failing_app.test_client()
    assert client.get("/test-only/boom").status_code == 500
    assert client.get("/healthz").status_code == 200
