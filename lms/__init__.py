"""Frontera: a bilingual learning platform for cross-border cooperation."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import DEV_SECRET, ROOT, Config, DevelopmentConfig
from lms.extensions import babel, csrf, db, init_limiter, login_manager, migrate


def create_app(config: type | dict[str, Any] | None = None) -> Flask:
    """Build the application; `config` is a config class or a mapping of overrides."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_relative_config=True)
    _load_config(app, config)
    _check_secret(app)
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from lms import database, i18n, security, errors, cli, templating
    from lms.content import version  # noqa: F401 - session events keep the content stamp

    database.init_app(app)
    db.init_app(app)
    if _wants_migrations(app):
        migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    csrf.init_app(app)
    init_limiter(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    from lms import ops

    ops.init_app(app)  # translation memo, fingerprinted static files, ETags (after the blueprints)
    return app


def _register_blueprints(app: Flask) -> None:
    # One package per capability; this is the single place they are wired in.
    from lms.admin import bp as admin_bp
    from lms.advice import bp as advice_bp
    from lms.auth import bp as auth_bp
    from lms.authoring import bp as authoring_bp
    from lms.catalog import bp as catalog_bp
    from lms.core import bp as core_bp
    from lms.glossary import bp as glossary_bp
    from lms.knowledge import bp as knowledge_bp
    from lms.progress import bp as progress_bp
    from lms.prospectus import bp as prospectus_bp
    from lms.quizzes import bp as quizzes_bp

    for blueprint in (core_bp, auth_bp, catalog_bp, admin_bp, advice_bp, knowledge_bp, authoring_bp,
                      quizzes_bp, progress_bp, glossary_bp, prospectus_bp):
        app.register_blueprint(blueprint)


def _wants_migrations(app: Flask) -> bool:
    """MIGRATE_COMMANDS: True or False; unset, only for an app built by the `flask`
    command (inside a click context), where `flask db ...` can run."""
    setting = app.config.get("MIGRATE_COMMANDS")
    if setting is not None:
        return bool(setting)
    import click

    return click.get_current_context(silent=True) is not None


def _load_config(app: Flask, config: type | dict[str, Any] | None) -> None:
    if config is None:
        config = DevelopmentConfig if Config.ENV_NAME == "development" else Config
    if isinstance(config, dict):
        app.config.from_object(Config)
        app.config.update(config)
    else:
        app.config.from_object(config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _check_secret(app: Flask) -> None:
    # A guessable key lets anyone forge sessions and reset tokens.
    if app.config["ENV_NAME"] in {"development", "test"}:
        return
    key = app.config.get("SECRET_KEY") or ""
    if key == DEV_SECRET or len(key) < 16:
        raise RuntimeError(
            "SECRET_KEY is not set to a real secret (16+ characters). "
            "Set it in the environment, or LMS_ENV=development for local work."
        )
