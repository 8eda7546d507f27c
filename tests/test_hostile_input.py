"""Hostile input to every form, JSON and upload endpoint (issue #9, point 6).

Every route that changes something is found in ``app.url_map`` and attacked as
a role allowed to use it, with the fields of the form the site shows for it
(see tests/hostile_support.py for how routes, fields and uploads are
discovered, and the tables below for the few things stated by hand). Each
hostile request must get a clear answer: never a 500; a redirect only to this
site; no payload that would run in the page that answers or in the page it
redirects to; refused input (4xx, or the form shown again) leaves every row
already stored exactly as it was; accepted input loses no row.

A new route needs nothing here when a page shows its form; otherwise the test
for that route fails and says to describe its fields in STATED_FIELDS.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.test import encode_multipart

import hostile_support as hs
from factories import PASSWORD
from lms import create_app
from lms.config import TestConfig
from lms.extensions import db, limiter
from route_expectations import EXPECTATIONS, _advice_world, LOGIN_PATH, ROLES, World, is_static, url_args

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# Routes no role reaches as stated in EXPECTATIONS (their params name someone
# else's object): attacked as that owner, world.someone_else(role).
OWNERS = {
    "advice.edit_message": "learner",
    "prospectus.edit": "learner",
    "quizzes.attempt": "learner",
}

# Routes whose form no page shows in the worlds of route_expectations.py (buttons
# shown only in some states of a request or a course, the editor's script):
# their fields as "kind" or "kind=value a browser sends".
STATED_FIELDS: dict[str, dict[str, str]] = {
    "authoring.preview": {"text": "textarea"},
    "advice.accept": {},
    "advice.release": {},
    "advice.publish": {},
    "advice.rate": {"rating": "radio=4", "comment": "textarea", "consent": "checkbox=y"},
    "advice.notifications_read": {},
    "authoring.publish_course": {},
    "authoring.publish_lesson": {"back": "hidden=lesson"},
    "authoring.publish_quiz": {},
    "authoring.new_question": {"key": "hidden=q9", "type": "hidden=single", "base": "hidden", "points": "number=1",
                               "text_es": "textarea", "text_en": "textarea", "feedback_es": "textarea",
                               "feedback_en": "textarea"},
    "progress.mark_done": {},
    "authoring.restore": {},
    "authoring.restore_quiz": {},
    "quizzes.attempt": {"answer": "textarea", "action": "button=save"},
}


def _prepare_advice(world: World) -> None:
    _advice_world(world)  # a queue to choose, a request, a knowledge entry


def _draft_entry(world: World) -> None:
    from lms.knowledge.models import KnowledgeEntry

    entry = db.session.get(KnowledgeEntry, _advice_world(world)["entry_id"])
    entry.status = "draft"
    db.session.commit()


# Routes whose form needs something in the world first (run before the route is built).
PREPARE = {
    "advice.new_request": _prepare_advice,
    "knowledge.edit": _draft_entry,
}

# What a valid upload is for each upload endpoint (found by its <input type=file>).
UPLOAD_KINDS = {
    "advice.new_request": "document",
    "advice.post_message": "document",
    "advice.add_note": "document",
    "authoring.lesson": "image",
    "authoring.quiz_gift": "gift",
    "quizzes.upload_gift": "gift",
}

# Upload routes where the first allowed role may not upload in the world's state:
# (role for params, who signs in), as in attacker().
UPLOADERS = {
    "advice.post_message": ("learner", "owner:learner"),  # its learner comments on a request waiting in the queue
}

# Tables an accepted request to the route may legitimately delete rows from.
MAY_DELETE: dict[str, set[str]] = {
    "advice.delete_canned": {"advice_canned_replies"},
}

# Routes that store what they accept and answer 200 (no redirect): the
# prospectus saves the draft, then says why it could not be sent for review.
ACCEPTS_WITH_200: set[str] = {"prospectus.new", "prospectus.edit"}

# Fields whose value is normalised when shown again (so the typed payload is not kept as typed).
NORMALISED_FIELDS: set[tuple[str, str]] = set()


def _config() -> dict:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    return config


def _changing_endpoints() -> list[str]:
    app = create_app(_config())  # routes only: the tests run against the session's app
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if rule.methods & CHANGING and not is_static(rule.endpoint)})


ENDPOINTS = _changing_endpoints()


# Who attacks each route ---------------------------------------------------------------------------

def attacker(endpoint: str) -> tuple[str, str]:
    """(role for route_expectations' params, who signs in: a role or 'owner:<role>')."""
    if endpoint in OWNERS:
        return OWNERS[endpoint], f"owner:{OWNERS[endpoint]}"
    expect = EXPECTATIONS[endpoint]
    for role in ("admin", "trainer", "expert", "learner", "visitor"):
        if expect.outcome(role) == 200:
            return role, role
    for role in ("visitor", "admin", "trainer", "expert", "learner"):
        if expect.outcome(role) == "redirect":
            return role, role
    raise AssertionError(f"{endpoint}: no role may use it in route_expectations.py; name its owner in OWNERS")


def person(world: World, who: str):
    if who == "visitor":
        return None
    if who.startswith("owner:"):
        return world.someone_else(who.split(":", 1)[1])
    return world.user(who)


def sign_in(client, someone) -> None:
    if someone is None:
        return
    response = client.post(LOGIN_PATH, data={"email": someone.email, "password": PASSWORD})
    assert response.status_code == 302, f"could not sign in as {someone.email}"


def _endpoint_of(app, action: str, page_url: str) -> str | None:
    path = urlsplit(action or page_url).path
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path, method="POST")
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


def _url(app, endpoint: str, args: dict) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    built = rule.build(args, append_unknown=False)
    assert built is not None, f"{endpoint}: route_expectations.py params {args} do not build {rule.rule}"
    return built[1]


def _get_rules(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not is_static(rule.endpoint) and rule.endpoint in EXPECTATIONS),
                  key=lambda rule: rule.endpoint)


# The forms every page shows ------------------------------------------------------------------------

_CATALOGUE: dict[str, list[tuple[str, str, hs.Form]]] | None = None


def form_catalogue(app, tmp_path: Path) -> dict[str, list[tuple[str, str, hs.Form]]]:
    """endpoint -> [(page endpoint, who, form)] for every POST form of every page,
    read once per session as every role and every owner (in a world of its own,
    emptied afterwards)."""
    global _CATALOGUE
    if _CATALOGUE is not None:
        return _CATALOGUE
    from conftest import _empty_tables

    found: dict[str, list[tuple[str, str, hs.Form]]] = {}
    world = World(tmp_path / "crawl")
    for who in [*ROLES, *sorted({f"owner:{role}" for role in OWNERS.values()})]:
        role = who.split(":", 1)[1] if who.startswith("owner:") else who
        client = app.test_client()
        client.set_cookie("lang", "en")
        sign_in(client, person(world, who))
        for rule in _get_rules(app):
            if not who.startswith("owner:") and EXPECTATIONS[rule.endpoint].outcome(role) != 200:
                continue
            url = _url(app, rule.endpoint, url_args(rule.endpoint, world, role))
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in hs.forms_in(response.get_data(as_text=True)):
                endpoint = _endpoint_of(app, form.action, url) if form.method == "POST" else None
                if endpoint:
                    found.setdefault(endpoint, []).append((rule.endpoint, who, form))
    db.session.remove()
    _empty_tables()
    limiter.reset()
    _CATALOGUE = found
    return found


def the_form(app, client, world, endpoint: str, url: str, role: str, tmp_path, files: bool = False) -> hs.Form:
    """The form for `endpoint` as this world's pages show it (fresh ids and defaults),
    else as any page showed it, else as stated in STATED_FIELDS."""
    seen = form_catalogue(app, tmp_path).get(endpoint, [])
    pages = [endpoint] if EXPECTATIONS[endpoint].outcome(role) == 200 or endpoint in OWNERS else []
    pages += [page for page, _who, _form in seen if page != endpoint]
    for page_endpoint in dict.fromkeys(pages):
        rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == page_endpoint)
        if "GET" not in rule.methods or (page_endpoint != endpoint and
                                         EXPECTATIONS[page_endpoint].outcome(role) != 200):
            continue
        page_url = url if page_endpoint == endpoint else \
            _url(app, page_endpoint, url_args(page_endpoint, world, role))
        response = client.get(page_url)
        if response.status_code == 200 and response.mimetype == "text/html":
            for form in hs.forms_in(response.get_data(as_text=True)):
                if form.method == "POST" and urlsplit(form.action or page_url).path == url and \
                        (form.file_fields or not files):
                    return form
    if seen:
        return max((form for _p, _w, form in seen), key=lambda form: len(form.fields))
    if endpoint in STATED_FIELDS:
        fields = {}
        for name, kind in STATED_FIELDS[endpoint].items():
            kind, _sep, value = kind.partition("=")
            fields[name] = hs.Field(name, kind, value)
        return hs.Form(url, "POST", fields)
    raise AssertionError(
        f"{endpoint}: no page of route_expectations.py shows a form that posts to it; describe its fields "
        "in STATED_FIELDS of tests/test_hostile_input.py")


# Hostile variants ------------------------------------------------------------------------------------

def _replace(pairs, names: set[str], value):
    sent = [(name, value if name in names else old) for name, old in pairs]
    sent += [(name, value) for name in names if name not in {n for n, _ in pairs}]
    return sent


PER_FIELD_LIMIT = 12


def variants(form: hs.Form) -> list[tuple[str, dict]]:
    """(name, how to send it) for every attack that fits the form."""
    base = form.defaults()
    texts = {f.name for f in form.text_fields}
    typed = {f.name for f in form.typed_fields}
    found = []
    if texts:
        for name, payload in {**hs.XSS, **hs.SQL, "100000-characters": hs.LONG,
                              "control-characters-and-nul": hs.CONTROL}.items():
            how = {"pairs": _replace(base, texts, payload)}
            if name in hs.XSS or name in hs.SQL:  # shown again as typed (NUL and long values may be cut)
                how["payload"] = payload
            found.append((name, how))
    if typed:
        # All at once (the first wrong field may hide the others) ...
        for name, value in {"letters-in-number-and-choice-fields": "abc",
                            "ids-that-do-not-exist": "999999",
                            "negative-numbers": "-1",
                            "infinity": "inf"}.items():
            found.append((name, {"pairs": _replace(base, typed, value)}))
        # ... and one field at a time, for the values that break a database or int().
        for item in sorted(typed)[:PER_FIELD_LIMIT]:
            for name, value in {"number-too-big-for-the-database": "9" * 30, "not-a-number": "nan",
                                "digits-of-other-scripts": "\u0662\u00b2"}.items():
                found.append((f"{name}-in-{item}", {"pairs": _replace(base, {item}, value)}))
    names = texts | typed | {"body"}
    found.append(("invalid-utf8", {"raw": [(n, hs.INVALID_UTF8 if n in names else v) for n, v in base]
                                   + [(n, hs.INVALID_UTF8) for n in names if n not in dict(base)]}))
    found.append(("every-field-twice", {"pairs": base + [(n, hs.XSS["script"]) for n in names]}))
    found.append(("json-instead-of-a-form", {"json": {**dict(base), **{n: [hs.XSS["img-onerror"]] for n in names}}}))
    return found


# Fields that say where to go afterwards: every request sends them a hostile target.
REDIRECT_FIELDS = {"next", "back", "return_to", "redirect_to", "came_from"}


def send(client, url: str, method: str, how: dict, token: str | None, target: str):
    query = f"?next={quote(target, safe='')}"
    if "json" in how:
        headers = {"X-CSRFToken": token} if token else {}
        return client.open(url + query, method=method, json={**how["json"], "next": target}, headers=headers)
    pairs = [(n, target if n in REDIRECT_FIELDS else v) for n, v in (how.get("pairs") or how.get("raw"))
             if n != "next"] + [("next", target)]
    if token:
        pairs.append(("csrf_token", token))
    if "raw" in how:
        return client.open(url + query, method=method, data=hs.urlencoded(pairs),
                           content_type="application/x-www-form-urlencoded")
    from werkzeug.datastructures import MultiDict

    return client.open(url + query, method=method, data=MultiDict(pairs))


# Checking an answer -------------------------------------------------------------------------------

class Run:
    """One route under attack: sends, checks, and keeps what went wrong."""

    def __init__(self, app, client, endpoint, url, someone, form):
        self.app, self.client, self.endpoint, self.url = app, client, endpoint, url
        self.someone, self.form = someone, form
        self.method = "POST"
        self.failures: list[str] = []
        self.before = hs.snapshot()
        self.sent = 0

    def fail(self, name: str, what: str) -> None:
        self.failures.append(f"{name}: {what}")

    def check_body(self, name: str, response, where: str) -> None:
        if response.mimetype == "text/html":
            for problem in hs.injected(response.get_data(as_text=True)):
                self.fail(name, f"{where}: {problem}")
        elif response.mimetype == "application/json":
            for problem in hs.json_injected(response.get_data()):
                self.fail(name, f"{where} (JSON): {problem}")

    def attempt(self, name: str, how: dict, token: str | None, target: str, must_refuse: bool = False):
        response = send(self.client, self.url, self.method, how, token, target)
        self.sent += 1
        status = response.status_code
        if status >= 500:
            self.fail(name, f"answered {status}")
        location = response.headers.get("Location")
        if location and not hs.is_local(location):
            self.fail(name, f"redirected off the site to {location!r}")
        self.check_body(name, response, "the answer")
        after = hs.snapshot()
        accepted = status in (301, 302, 303) or hs.says_done(response) or \
            (status == 200 and self.endpoint in ACCEPTS_WITH_200)
        if must_refuse and status != 400:
            self.fail(name, f"answered {status}, not 400")
        if must_refuse or not accepted:
            for change in hs.changes(self.before, after)[:5]:
                self.fail(name, f"refused ({status}) but the database changed: {change}")
        else:
            for change in hs.lost(self.before, after, MAY_DELETE.get(self.endpoint, set()))[:5]:
                self.fail(name, f"accepted ({status}) and a stored row went: {change}")
            self.check_paths(name, self.before, after)
            if location and hs.is_local(location):
                shown = self.client.get(location)
                self.check_body(name, shown, f"the page it leads to ({location})")
                if shown.status_code >= 500:
                    self.fail(name, f"the page it leads to answered {shown.status_code}")
            self.still_signed_in()
        if status == 200 and response.mimetype == "text/html" and "payload" in how and not accepted:
            self.check_kept(name, response, how["payload"])
        self.before = after
        return response

    def check_paths(self, name, before, after) -> None:
        for table, rows in after.items():
            for key, row in rows.items():
                if key in before.get(table, {}) and before[table][key] == row:
                    continue
                text = " ".join(row)
                if "../" in text or "..\\\\" in text or "/etc/" in text or "C:\\\\" in text:
                    self.fail(name, f"{table} {key} stores a path from the request: {text[:120]}")

    def check_kept(self, name, response, payload) -> None:
        """A form shown again keeps what was typed (escaped: the injection check passed)."""
        for form in hs.forms_in(response.get_data(as_text=True)):
            if urlsplit(form.action or self.url).path != self.url:
                continue
            for item in form.text_fields:
                if item.kind == "password" or (self.endpoint, item.name) in NORMALISED_FIELDS:
                    continue
                if item.name in self.form.fields and item.value is not None and \
                        item.value.strip() != payload.strip():
                    self.fail(name, f"shown again, {item.name!r} holds {item.value[:60]!r}, not what was typed")

    def still_signed_in(self) -> None:
        if self.someone is not None and self.client.get("/account/profile").status_code != 200:
            sign_in(self.client, self.someone)


# The tests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_form_input_is_refused_or_stored_harmlessly_never_a_server_error(app, tmp_path, endpoint):
    form_catalogue(app, tmp_path)  # read once, before this test's world is built
    role, who = attacker(endpoint)
    world = World(tmp_path)
    if endpoint in PREPARE:
        PREPARE[endpoint](world)
    url = _url(app, endpoint, url_args(endpoint, world, role))
    someone = person(world, who)
    client = app.test_client()
    client.set_cookie("lang", "en")
    sign_in(client, someone)
    if someone is not None:  # a token of this person's previous session, replayed after signing in again
        old_token = client.csrf_token()
        client.post("/account/logout")
        sign_in(client, someone)
    form = the_form(app, client, world, endpoint, url, role, tmp_path)
    run = Run(app, client, endpoint, url, someone, form)
    attacks = variants(form)
    xss = next((how for name, how in attacks if name == "script"), attacks[0][1])

    # Tokens first, while everything is as built: refused and nothing changed.
    foreign = app.test_client().csrf_token()
    run.attempt("a-csrf-token-of-another-session", xss, foreign, hs.HOSTILE_NEXT[0], must_refuse=True)
    if someone is not None:
        run.attempt("a-replayed-csrf-token-of-a-previous-session", xss, old_token, hs.HOSTILE_NEXT[1],
                    must_refuse=True)
    run.attempt("no-csrf-token", xss, None, hs.HOSTILE_NEXT[2], must_refuse=True)

    token = client.csrf_token()
    for index, (name, how) in enumerate(attacks):
        run.attempt(name, how, token, hs.HOSTILE_NEXT[index % len(hs.HOSTILE_NEXT)])
        if someone is not None and name in ("every-field-twice",):
            token = client.csrf_token()
    assert run.sent >= 5
    assert not run.failures, f"{endpoint} ({url}) as {who}:\n  " + "\n  ".join(run.failures)


# Uploads ---------------------------------------------------------------------------------------------

def _upload_endpoints() -> list[str]:
    return sorted(UPLOAD_KINDS)


def test_every_upload_form_says_what_a_valid_file_is(app, tmp_path):
    uploads = sorted(endpoint for endpoint, seen in form_catalogue(app, tmp_path).items()
                     if any(form.file_fields for _p, _w, form in seen))
    assert uploads, "no page shows an upload form: the discovery is broken"
    missing = [endpoint for endpoint in uploads if endpoint not in UPLOAD_KINDS]
    assert not missing, f"upload forms with no valid file stated in UPLOAD_KINDS: {missing}"
    stale = sorted(set(UPLOAD_KINDS) - set(uploads))
    assert not stale, f"UPLOAD_KINDS names routes whose pages show no upload form: {stale}"


PLAIN = "Plain words for this field"


@pytest.mark.parametrize("endpoint", _upload_endpoints())
def test_hostile_uploads_are_refused_or_stored_under_a_safe_name(app, tmp_path, endpoint):
    form_catalogue(app, tmp_path)  # read once, before this test's world is built
    role, who = UPLOADERS.get(endpoint) or attacker(endpoint)
    world = World(tmp_path)
    if endpoint in PREPARE:
        PREPARE[endpoint](world)
    url = _url(app, endpoint, url_args(endpoint, world, role))
    someone = person(world, who)
    client = app.test_client()
    client.set_cookie("lang", "en")
    sign_in(client, someone)
    form = the_form(app, client, world, endpoint, url, role, tmp_path, files=True)
    assert form.file_fields, f"{endpoint}: its form has no file field"
    file_field = form.file_fields[0].name
    good, good_name = hs.file_of(UPLOAD_KINDS[endpoint])
    limit = app.config["MAX_CONTENT_LENGTH"]
    uploads = Path(app.config["UPLOADS_PATH"])
    texts = {f.name for f in form.text_fields}
    base = _replace(form.defaults(), texts, PLAIN) if texts else form.defaults()
    for button in [f for f in form.fields.values() if f.kind == "button"]:
        # The button that sends the file (the editor's "upload" next to its image field), else the first.
        pressed = next((value for value in button.options if "upload" in value), button.value)
        base = [(n, v) for n, v in base if n != button.name] + [(button.name, pressed)]
    escape_names = ["../../../../hostile-upload.png", "/tmp/hostile-upload.png", "..\\..\\hostile-upload.png",
                    "....//....//hostile-upload.png"]
    attacks = {
        "an-exe-renamed-png": (hs.EXE, "photo.png"),
        "an-exe-named-exe": (hs.EXE, "setup.exe"),
        "a-png-named-pdf": (hs.tiny_png(), "report.pdf"),
        "a-pdf-named-png": (hs.PDF, "photo.png"),
        "an-empty-file": (b"", good_name),
        "over-the-request-size-limit": (good + b"\0" * (limit + 1), good_name),
        "just-under-the-request-limit": (good + b"\0" * (limit - 64 * 1024), good_name),
        **{f"file-name-{index}-leaving-the-folder": (hs.file_of(UPLOAD_KINDS[endpoint], index + 1)[0],
                                                     name.replace(".png", Path(good_name).suffix))
           for index, name in enumerate(escape_names)},
        "a-nul-in-the-file-name": (hs.file_of(UPLOAD_KINDS[endpoint], 8)[0], f"a\x00b{Path(good_name).suffix}"),
        "a-script-in-the-file-name": (hs.file_of(UPLOAD_KINDS[endpoint], 9)[0],
                                      f'<img src=x onerror="{hs.MARK}">{Path(good_name).suffix}'),
    }
    # Files that are not what their name says, or nothing: never stored. (An image
    # endpoint decodes and re-encodes what it gets, so a real PNG named .pdf is
    # just a PNG; a GIFT file is text whatever its name.)
    mistyped = {"an-exe-renamed-png", "an-exe-named-exe", "a-pdf-named-png", "an-empty-file", "a-png-named-pdf"}
    if UPLOAD_KINDS[endpoint] == "image":
        mistyped.discard("a-png-named-pdf")
    run = Run(app, client, endpoint, url, someone, form)
    stored_names = 0
    for name, (data, filename) in attacks.items():
        from werkzeug.datastructures import MultiDict

        pairs = MultiDict(base + [("csrf_token", client.csrf_token())])
        pairs.add(file_field, hs.upload(data, filename))
        boundary, body = encode_multipart(pairs)
        assert len(body) > len(data), "the file was not sent"  # in memory: no temporary file left open by the client
        response = client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")
        run.sent += 1
        if response.status_code >= 500:
            run.fail(name, f"answered {response.status_code}")
        if name == "over-the-request-size-limit" and response.status_code != 413:
            run.fail(name, f"answered {response.status_code}, not 413")
        run.check_body(name, response, "the answer")
        after = hs.snapshot()
        accepted = response.status_code in (301, 302, 303) or hs.says_done(response)
        if not accepted:
            for change in hs.changes(run.before, after)[:5]:
                run.fail(name, f"refused ({response.status_code}) but the database changed: {change}")
        elif name in mistyped and hs.changes(run.before, after):
            # A mistyped file may only be accepted as nothing stored for it.
            stored = [c for c in hs.changes(run.before, after) if "attach" in c or "media" in c]
            if stored:
                run.fail(name, f"a mistyped file was stored: {stored[:3]}")
        run.check_paths(name, run.before, after)
        if name.startswith("file-name-") and accepted and hs.changes(run.before, after):
            stored_names += 1
        if accepted and response.headers.get("Location"):
            run.check_body(name, client.get(response.headers["Location"]), "the page it leads to")
        run.before = after
    outside = [str(path) for base_dir in [uploads, *uploads.glob("*/")] for name in escape_names
               for path in [(base_dir / name.replace("\\", "/")).resolve()] if path.exists()]
    outside += [str(p) for p in uploads.parent.rglob("hostile-upload*")]
    assert not outside, f"{endpoint}: an upload was written outside the uploads folder: {outside}"
    assert stored_names, f"{endpoint}: no valid file with a hostile name was stored: the attack never reached the upload"
    assert not run.failures, f"{endpoint} ({url}) as {who}:\n  " + "\n  ".join(run.failures)


# next= on every page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["visitor", "admin"])
def test_no_page_sends_people_to_another_site_or_fails_on_its_query_parameters(app, tmp_path, role):
    world = World(tmp_path)
    client = app.test_client()
    sign_in(client, world.user(role))
    failures, checked = [], 0
    for index, rule in enumerate(_get_rules(app)):
        url = _url(app, rule.endpoint, url_args(rule.endpoint, world, role))
        for target in hs.HOSTILE_NEXT:
            # With NUL and letters in the usual query parameters too (search, page, filters).
            response = client.get(f"{url}?next={quote(target, safe='')}&q=a%00b&page=x&code=%00")
            checked += 1
            location = response.headers.get("Location")
            if response.status_code >= 500:
                failures.append(f"{url}?next={target}: {response.status_code}")
            elif location and not hs.is_local(location):
                failures.append(f"{url}?next={target}: sent to {location}")
    assert checked > 100
    assert not failures, "\n".join(failures)


# The bugs this suite found, each named ----------------------------------------------------------------

def test_a_nul_character_typed_into_a_form_is_dropped_instead_of_a_server_error(app, client):
    """PostgreSQL refuses NUL in text: the profile form answered 500 there."""
    from factories import make_user
    from lms.auth.models import User

    user = make_user(email="eva@example.org", name="Eva", locale="en")
    sign_in(client, user)
    response = client.post("/account/profile", data={"name": "Eva\x00 Ruiz", "locale": "en", "region": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Eva Ruiz"
    assert client.get("/account/login?next=/a%00b").status_code == 302  # signed in: sent on, no 500


def test_a_revision_number_in_digits_of_another_script_is_treated_as_no_number():
    from lms.authoring.forms import revision_number

    assert revision_number(" 12 ") == 12
    assert [revision_number(value) for value in ("²", "\u0662", "9" * 30, "-1", "", None, "1e3")] == [None] * 7
