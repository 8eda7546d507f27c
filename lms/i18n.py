"""Locale selection and helpers for content that exists per language.

Locale order: the person's explicit choice (profile, or a cookie for
visitors) -> the browser's Accept-Language -> Spanish.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l

from lms.ops.translations import locale_code  # memoised per request: called dozens of times a page
from lms.person import signed_in_user

LANG_COOKIE = "lang"
LANGUAGE_NAMES = {"es": _l("Spanish"), "en": _l("English")}
# Each language's own name, for the switch: a reader who does not understand
# the current language must still find theirs.
NATIVE_NAMES = {"es": "Español", "en": "English"}

T = TypeVar("T")


def languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    supported = languages()
    user = signed_in_user()
    if user is not None and user.locale in supported:
        return user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in supported:
        return cookie
    return _browser_language(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _browser_language(supported: tuple[str, ...]) -> str | None:
    # By the language, not the exact tag, in the browser's order of preference:
    # "es-MX, en;q=0.5" is a Spanish reader (best_match would pick the exact "en").
    for tag, _quality in request.accept_languages:  # highest quality first
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in supported:
            return language
    return None


def remember_language(response, language: str) -> None:
    """Keep a language choice in the browser: for visitors, and after signing out."""
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def select_timezone() -> str | None:
    user = signed_in_user()
    if user is None:
        return None
    return user.timezone or None


def current_language() -> str:
    return (locale_code() or current_app.config["BABEL_DEFAULT_LOCALE"]).split("_")[0]


def pick(variants: Mapping[str, T], language: str | None = None,
         fallback_order: tuple[str, ...] | None = None) -> tuple[T | None, str | None]:
    """The variant in `language`, else the first that exists.

    Returns (variant, language it is in); the caller compares the language to
    the reader's to show the "only in the other language" notice.
    """
    language = language or current_language()
    if language in variants:
        return variants[language], language
    for other in fallback_order or languages():
        if other in variants:
            return variants[other], other
    return None, None


def init_app(app: Flask) -> None:
    # Globals, not a context processor, so that imported macros see them too.
    app.jinja_env.globals.update(
        current_language=current_language,
        language_names=LANGUAGE_NAMES,
        native_names=NATIVE_NAMES,
        supported_languages=tuple(app.config["LANGUAGES"]),
    )
