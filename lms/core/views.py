from __future__ import annotations

from flask import current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.auth import service as accounts
from lms.core import bp
from lms.extensions import csrf, db, limiter
from lms.i18n import remember_language
from lms.urls import safe_next


@bp.route("/")
def home():
    from lms.catalog.service import featured_courses
    return render_template("core/home.html", courses=featured_courses())


@bp.route("/language", methods=["POST"])
def set_language():
    """The switch in the header: kept in the profile, or in a cookie for visitors."""
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next"), url_for("core.home"))
    response = make_response(redirect(target))
    if language in current_app.config["LANGUAGES"]:
        if current_user.is_authenticated:
            accounts.set_locale(current_user, language)
        remember_language(response, language)
    return response


@bp.route("/language/<language>")
def choose_language(language: str):
    """The visitors' switch: a link that keeps the choice in a cookie. It changes
    nothing but how the site speaks to this browser, so it needs no form and no
    CSRF token, and visitors' pages need no session. A signed-in person's
    choice is kept in their profile, by the form (POST) above."""
    target = safe_next(request.args.get("next"), url_for("core.home"))
    response = make_response(redirect(target))
    if language in current_app.config["LANGUAGES"]:
        remember_language(response, language)
    return response


@bp.route("/healthz")
@csrf.exempt
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.error("Health check failed: %s", error)
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
