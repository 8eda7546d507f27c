"""A per-process memo of translated strings in front of Flask-Babel.

Flask-Babel looks up the request's locale and catalog on every `_()` call
(three trips through `g`, a `str(Locale)`, a dict lookup): tens of
microseconds, dozens of times per page. Catalogs only change on deploy (a
process restart), so each process keeps a dict per locale of msgid ->
translation and, per request, a pointer to the dict of the request's locale.

`install(app)` makes the memo Flask-Babel's default domain, so `_`,
`gettext`, `ngettext` and `lazy_gettext` imported from flask_babel use it
(the app has one domain and one translations folder), and puts memoised
callables in the Jinja environment for `_`, `gettext`, `ngettext` and
`pgettext`, keeping Jinja's new-style semantics (the result is always %
formatted, and escaped when autoescaping). `force_locale` and `refresh()` keep
working: the pointer is tied to the locale object Flask-Babel holds for the
context. Results are identical to Flask-Babel's (tests/test_ops_caching.py
compares every message of both catalogs); bench/i18n_bench.py measures it.
"""
from __future__ import annotations

from typing import Any

import flask_babel
from babel.support import NullTranslations
from flask import Flask, g
from jinja2 import pass_context
from markupsafe import Markup

try:  # Flask 3.x keeps the app context in a ContextVar: reading it skips the `g` proxy.
    from flask.globals import _cv_app
except ImportError:  # pragma: no cover - a later Flask: fall back to the proxy
    _cv_app = None

# Strings passed to _() come from the code and templates (a bounded set); the
# cap only guards against a call with arbitrary text.
MAX_STRINGS_PER_LOCALE = 20_000
_NULL = NullTranslations()


class _LocaleMemo:
    __slots__ = ("locale", "translations", "strings", "markup")

    def __init__(self, locale: str, translations) -> None:
        self.locale = locale
        self.translations = translations
        self.strings: dict[str, str] = {}
        self.markup: dict[str, Markup] = {}  # for templates: Markup(translation) % {}

    def gettext(self, string: str) -> str:
        try:
            return self.strings[string]
        except KeyError:
            value = self.translations.ugettext(string)
            if len(self.strings) < MAX_STRINGS_PER_LOCALE:
                self.strings[string] = value
            return value


class CachedDomain(flask_babel.Domain):
    """Flask-Babel's default domain with memoised lookups (same results)."""

    def __init__(self, domain: str = "messages") -> None:
        super().__init__(domain=domain)
        self._memos: dict[str, _LocaleMemo] = {}

    # -- finding the request's memo -------------------------------------------------
    def memo(self) -> _LocaleMemo | None:
        """The memo of the current context's locale; None outside an app context."""
        if _cv_app is not None:
            ctx = _cv_app.get(None)
            if ctx is None:
                return None
            namespace = ctx.g.__dict__.get("_flask_babel")
        else:  # pragma: no cover
            if not g:
                return None
            namespace = g.__dict__.get("_flask_babel")
        if namespace is not None:
            current = namespace.__dict__.get("lms_memo")
            # Valid while Flask-Babel holds the same locale object (force_locale
            # and refresh() replace it).
            if current is not None and current[0] is namespace.__dict__.get("babel_locale"):
                return current[1]
        return self._slow_memo()

    def _slow_memo(self) -> _LocaleMemo | None:
        locale = flask_babel.get_locale()  # runs the locale selector once per context
        namespace = flask_babel._get_current_context()  # noqa: SLF001 - Flask-Babel's per-context namespace
        if namespace is None or locale is None:
            return None
        key = str(locale)
        memo = self._memos.get(key)
        if memo is None:
            memo = self._memos[key] = _LocaleMemo(key, super().get_translations())
        namespace.lms_memo = (locale, memo)
        return memo

    # -- the Domain API ----------------------------------------------------------------
    def get_translations(self):
        memo = self.memo()
        return memo.translations if memo is not None else _NULL

    def gettext(self, string: str, **variables: Any) -> str:
        memo = self.memo()
        s = memo.gettext(string) if memo is not None else string
        return s % variables if variables else s

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        memo = self.memo()
        translations = memo.translations if memo is not None else _NULL
        return translations.ungettext(singular, plural, num) % variables

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        memo = self.memo()
        translations = memo.translations if memo is not None else _NULL
        s = translations.upgettext(context, string)
        return s % variables if variables else s

    def npgettext(self, context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        memo = self.memo()
        translations = memo.translations if memo is not None else _NULL
        return translations.unpgettext(context, singular, plural, num) % variables


def locale_code() -> str | None:
    """The current context's locale as a string ("es"), without Flask-Babel's
    lookups; None outside an app context."""
    domain = _installed
    memo = domain.memo() if domain is not None else None
    if memo is not None:
        return memo.locale
    locale = flask_babel.get_locale()
    return str(locale) if locale is not None else None


_installed: CachedDomain | None = None


def _jinja_callables(domain: CachedDomain):
    """Jinja's new-style gettext callables, memoised (same output as jinja2.ext's)."""

    @pass_context
    def gettext(__context, __string: str, **variables: Any) -> str:
        memo = domain.memo()
        if memo is None:
            rv = __string
        elif __context.eval_ctx.autoescape and not variables:
            try:
                return memo.markup[__string]
            except KeyError:
                value = Markup(memo.gettext(__string)) % {}
                if len(memo.markup) < MAX_STRINGS_PER_LOCALE:
                    memo.markup[__string] = value
                return value
        else:
            rv = memo.gettext(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def ngettext(__context, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        memo = domain.memo()
        translations = memo.translations if memo is not None else _NULL
        rv = translations.ungettext(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    @pass_context
    def pgettext(__context, __string_ctx: str, __string: str, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        memo = domain.memo()
        translations = memo.translations if memo is not None else _NULL
        rv = translations.upgettext(__string_ctx, __string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext, ngettext, pgettext


_plain_get_domain = flask_babel.get_domain


def _fast_get_domain() -> flask_babel.Domain:
    """flask_babel.get_domain without its three trips through the `g` proxy.

    Same answer: the domain Flask-Babel stored for this context, else its own
    lookup (which stores it). flask_babel.gettext, ngettext, lazy_gettext...
    look get_domain up at call time, so code that imported them already
    benefits.
    """
    if _cv_app is not None:
        ctx = _cv_app.get(None)
        if ctx is not None:
            namespace = ctx.g.__dict__.get("_flask_babel")
            if namespace is not None:
                domain = namespace.__dict__.get("babel_domain")
                if domain is not None:
                    return domain
    return _plain_get_domain()


def install(app: Flask) -> CachedDomain:
    """Make the memo Flask-Babel's default domain and the templates' gettext."""
    flask_babel.get_domain = _fast_get_domain
    babel_config = flask_babel.get_babel(app)
    domain = babel_config.instance.__dict__.get("domain_instance")
    if not isinstance(domain, CachedDomain):
        domain = CachedDomain(domain=app.config.get("BABEL_DOMAIN", "messages"))
        # Babel.domain_instance is a cached_property: this is the instance it would cache.
        babel_config.instance.__dict__["domain_instance"] = domain
    global _installed
    _installed = domain
    gettext, ngettext, pgettext = _jinja_callables(domain)
    # Set `_` directly: jinja2.ext's `_` alias resolves `gettext` again on every call.
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext)
    return domain
