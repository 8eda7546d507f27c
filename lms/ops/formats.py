"""Flask-Babel's format_date and format_decimal, with what they made remembered.

Babel builds a date or a number from the locale's patterns on every call
(about 50 µs for a date, 30 µs for a score); pages show the same few days and
scores again and again. The text depends only on the locale, the reader's time
zone (for dates), the format and the value, so it is kept per process under
exactly those, in a small table emptied when full. Anything unusual (no value,
`rebase=False`) goes to Flask-Babel as before.
"""
from __future__ import annotations

import datetime as dt

import flask_babel

_LIMIT = 4096
_dates: dict[tuple, str] = {}
_decimals: dict[tuple, str] = {}


def _keep(table: dict, key: tuple, text: str) -> str:
    if len(table) >= _LIMIT:
        table.clear()
    table[key] = text
    return text


def format_date(date=None, format=None, rebase=True):  # Flask-Babel's signature
    """flask_babel.format_date: the date (in the reader's time zone) as text."""
    if date is None or not rebase or not isinstance(date, dt.date):
        return flask_babel.format_date(date, format, rebase)
    zone = flask_babel.get_timezone()
    day = flask_babel.to_user_timezone(date).date() if isinstance(date, dt.datetime) else date
    key = (str(flask_babel.get_locale()), str(zone), format, day)
    text = _dates.get(key)
    if text is None:
        text = _keep(_dates, key, flask_babel.format_date(date, format, rebase))
    return text


def format_decimal(number=None, format=None):  # Flask-Babel's signature
    """flask_babel.format_decimal: the number as text in the reader's locale."""
    if number is None or isinstance(number, bool):
        return flask_babel.format_decimal(number, format)
    key = (str(flask_babel.get_locale()), format, type(number), number)
    text = _decimals.get(key)
    if text is None:
        text = _keep(_decimals, key, flask_babel.format_decimal(number, format))
    return text
