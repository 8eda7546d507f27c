"""Every route of app.url_map against every role, as stated in route_expectations.py.

Routes are read from the running app, so a route added later is covered
automatically, and fails here until its expectation is written down.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from route_expectations import (EXPECTATIONS, LOGIN, LOGIN_PATH, REDIRECT, ROLES, SIGN_IN_PASSWORD,
                                World, is_static, url_args)

METHODS_SKIPPED = {"HEAD", "OPTIONS"}


def _rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if not is_static(rule.endpoint)),
                  key=lambda rule: (rule.endpoint, rule.rule))


def test_every_route_has_a_stated_expectation(app):
    missing = [f"  {rule.endpoint:<30} {','.join(sorted(rule.methods - METHODS_SKIPPED)):<10} {rule.rule}"
               for rule in _rules(app) if rule.endpoint not in EXPECTATIONS]
    assert not missing, (
        "These routes have no expectation in tests/route_expectations.py; add an entry saying who may "
        "use each (PUBLIC, SIGNED_IN, roles(...) or per-role outcomes) and how to build its URL:\n"
        + "\n".join(missing))


def test_no_expectation_names_a_route_that_does_not_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted(set(EXPECTATIONS) - endpoints)
    assert not stale, ("tests/route_expectations.py states expectations for endpoints the app does not "
                       f"have (renamed or removed?): {stale}")


def test_every_expectation_says_what_each_role_gets():
    for endpoint, expect in EXPECTATIONS.items():
        for role in ROLES:
            outcome = expect.outcome(role)  # raises for an incomplete per-role dict
            assert outcome in (LOGIN, REDIRECT) or isinstance(outcome, int), (endpoint, role, outcome)


def _sign_in(client, world: World, role: str) -> None:
    user = world.user(role)
    response = client.post(LOGIN_PATH, data={"email": user.email, "password": SIGN_IN_PASSWORD})
    assert response.status_code == 302, f"could not sign in as {role}"


def _still_signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def _describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303) and \
        urlsplit(response.headers.get("Location", "")).path == LOGIN_PATH


def _check_get(response, outcome) -> bool:
    if outcome == LOGIN:
        return _is_login_redirect(response)
    if outcome == REDIRECT:
        return response.status_code in (302, 303) and not _is_login_redirect(response)
    return response.status_code == outcome


def _check_change(response, outcome) -> bool:
    """A POST (or other change) with a valid CSRF token and an empty form."""
    if response.status_code >= 500:
        return False
    if outcome == LOGIN:
        return _is_login_redirect(response)
    if outcome == REDIRECT:
        return response.status_code in (302, 303) and not _is_login_redirect(response)
    if outcome == 200:
        # Allowed: an empty form may be answered with errors, but never refused.
        return response.status_code not in (401, 403, 404, 405) and not _is_login_redirect(response)
    return response.status_code == outcome


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_stated(app, role, tmp_path):
    world = World(tmp_path)
    client = app.test_client()
    if role != "visitor":
        _sign_in(client, world, role)
    failures = []
    checked = 0
    for rule in _rules(app):
        if rule.endpoint not in EXPECTATIONS:
            continue  # reported by test_every_route_has_a_stated_expectation
        expect = EXPECTATIONS[rule.endpoint]
        outcome = expect.outcome(role)
        args = url_args(rule.endpoint, world, role)
        built = rule.build(args, append_unknown=False)
        if built is None:
            failures.append(f"{rule.endpoint} {rule.rule}: params in route_expectations.py give {args}, "
                            f"but the rule needs {sorted(rule.arguments)}")
            continue
        url = built[1]
        methods = sorted(rule.methods - METHODS_SKIPPED, key=lambda m: m != "GET")  # GET first
        for method in methods:
            if method == "GET":
                response = client.get(url)
                ok = _check_get(response, outcome)
            else:
                response = client.open(url, method=method, data={"csrf_token": client.csrf_token()})
                ok = _check_change(response, outcome)
                if role != "visitor" and not _still_signed_in(client):
                    _sign_in(client, world, role)  # e.g. after the sign-out route
            checked += 1
            if not ok:
                failures.append(f"{role} {method} {url} ({rule.endpoint}): expected {outcome}, "
                                f"got {_describe(response)}")
    assert checked >= len(EXPECTATIONS)
    assert not failures, "Routes that do not answer as route_expectations.py states:\n  " + \
        "\n  ".join(failures)
