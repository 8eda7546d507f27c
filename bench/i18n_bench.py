"""Micro-benchmark: the cost of one translation lookup, before and after the memo.

    .venv/bin/python bench/i18n_bench.py

"Before" is Flask-Babel's own path (a plain flask_babel.Domain and the
callables Flask-Babel installs in Jinja); "after" is what the app uses
(lms.ops.translations). Both run in the same process, inside one request
context, so the ratio holds even on a busy machine. Each figure is the best
of several repeats, in microseconds per call.
"""
from __future__ import annotations

import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_babel  # noqa: E402
from flask_babel.speaklater import LazyString  # noqa: E402
from jinja2 import Environment  # noqa: E402

from lms import create_app  # noqa: E402
from lms.config import TestConfig  # noqa: E402

CALLS_PER_PAGE = 46  # the example: 46 _() calls on a page
MSGIDS = ("Courses", "Sign in", "Skip to content", "Create an account", "My learning")


def best(fn, number: int, repeat: int = 15) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    app = create_app(config)

    # Flask-Babel's unmemoised path, as it was before lms.ops.translations.
    plain = flask_babel.Domain()
    plain_env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    plain_env.install_gettext_callables(
        gettext=lambda s: plain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: plain.get_translations().ungettext(s, p, n), newstyle=True)
    source = "{% for i in range(" + str(CALLS_PER_PAGE) + ") %}{{ _('Courses') }}{% endfor %}"
    empty = "{% for i in range(" + str(CALLS_PER_PAGE) + ") %}{{ 'Courses' }}{% endfor %}"
    plain_template = plain_env.from_string(source)
    plain_empty = plain_env.from_string(empty)
    app_template = app.jinja_env.from_string(source)
    app_empty = app.jinja_env.from_string(empty)

    rows = []
    for language in ("es", "en"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            flask_babel.get_locale()
            check = [(plain.gettext(m), flask_babel.gettext(m)) for m in MSGIDS]
            assert all(a == b for a, b in check), check
            assert plain_template.render() == app_template.render()
            before = best(lambda: plain.gettext("Courses"), 20_000)
            after = best(lambda: flask_babel.gettext("Courses"), 20_000)
            rows.append((f"{language}: gettext() in Python", before, after))
            lazy = flask_babel.lazy_gettext("Courses")
            plain_lazy = LazyString(plain.gettext, "Courses")
            rows.append((f"{language}: lazy_gettext() rendered", best(lambda: str(plain_lazy), 20_000),
                         best(lambda: str(lazy), 20_000)))
            base_before = best(plain_empty.render, 500)
            base_after = best(app_empty.render, 500)
            t_before = (best(plain_template.render, 500) - base_before) / CALLS_PER_PAGE
            t_after = (best(app_template.render, 500) - base_after) / CALLS_PER_PAGE
            rows.append((f"{language}: {{{{ _() }}}} in a template", t_before, t_after))

    print(f"{'per call (µs, best of 15)':<36} {'before':>8} {'after':>8} {'ratio':>7}")
    for label, before, after in rows:
        print(f"{label:<36} {before:8.2f} {after:8.2f} {before / max(after, 1e-9):6.1f}×")
    page_before = rows[2][1] * CALLS_PER_PAGE / 1000
    page_after = rows[2][2] * CALLS_PER_PAGE / 1000
    print(f"{CALLS_PER_PAGE} template calls on a page: {page_before:.2f} ms before, {page_after:.3f} ms after")


if __name__ == "__main__":
    main()
