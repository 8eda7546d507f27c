"""Jinja helpers shared by every template, and request logging."""
from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from flask_babel import format_date, format_datetime, format_decimal, format_percent

from lms.content.vocab import REGION_NAMES, tag_label

log = logging.getLogger("lms.requests")


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
