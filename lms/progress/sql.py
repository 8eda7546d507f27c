"""SQL that differs between SQLite and PostgreSQL, chosen per dialect in one place."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from lms.database import upsert_insert
from lms.extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def upsert(model):
    """INSERT ... ON CONFLICT for the session's database (SQLite and PostgreSQL share the syntax)."""
    return upsert_insert(dialect_name())(model)


class year_month(FunctionElement):  # noqa: N801 - reads as an SQL function
    """The month of a timestamp as an integer yyyymm (202503), grouped on in SQL."""

    type = Integer()
    inherit_cache = True
    name = "year_month"


@compiles(year_month)
def _year_month_ansi(element, compiler, **kw) -> str:  # PostgreSQL and other ANSI databases
    arg = compiler.process(element.clauses, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {arg}) AS INTEGER) * 100 + CAST(EXTRACT(MONTH FROM {arg}) AS INTEGER))"


@compiles(year_month, "sqlite")
def _year_month_sqlite(element, compiler, **kw) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(strftime('%Y%m', {arg}) AS INTEGER)"
