"""Jinja helpers shared by every template, and request logging."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from flask_babel import format_datetime, format_percent

from lms.content.vocab import REGION_NAMES, tag_label
from lms.ops.formats import format_date, format_decimal  # Flask-Babel's, remembered

log = logging.getLogger("lms.requests")


def page_numbers(page: int, pages: int, window: int | None) -> list[int]:
    """The page numbers the pagination macro shows a link or a gap for, in order:
    every page without a window; else the first two, the last two and those within
    `window` of `page` (the macro decides which of them is a link, a gap or nothing)."""
    if window is None:
        return list(range(1, pages + 1))
    near = range(page - window, page + window + 1)
    return sorted({number for number in (1, 2, pages - 1, pages, *near) if 1 <= number <= pages})


def init_app(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_percent=format_percent,
        tag_label=tag_label,
        region_names=REGION_NAMES,
        page_numbers=page_numbers,
    )

    if app.config.get("LOG_REQUESTS"):
        @app.before_request
        def start_timer() -> None:
            g.request_started = time.perf_counter()

        @app.after_request
        def log_request(response):
            elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            log.info("%s %s %s %.1fms", request.method, request.full_path.rstrip("?"),
                     response.status_code, elapsed)
            return response
