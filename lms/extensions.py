"""Every Flask extension, created unbound and initialised in the factory.

This module imports nothing from `lms` but lms.ops.csrf_tokens, which imports
nothing from `lms` either, so any package can import it without circular imports.
"""
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from lms.ops.csrf_tokens import SignedOnceCSRF

# Stable constraint names, so migrations can drop and alter them on every
# database (SQLite batch mode needs names to find constraints).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class LazyMigrate:
    """Flask-Migrate, imported only by an app that may run `flask db ...`: it brings
    Alembic, Mako and Pygments (about 11 MB per process) that a server never uses."""

    def init_app(self, app, db, **options) -> None:  # noqa: ANN001
        from flask_migrate import Migrate

        Migrate(app, db, **options)


migrate = LazyMigrate()
login_manager = LoginManager()
babel = Babel()
# Flask-WTF's CSRFProtect, spared re-checking the signature of tokens it signed
# itself (lms.ops.csrf_tokens; that module imports nothing from lms either).
csrf = SignedOnceCSRF()
# Storage comes from RATELIMIT_STORAGE_URI: memory for one process, Redis when
# several app processes must share the counts.
limiter = Limiter(key_func=get_remote_address)


def init_limiter(app) -> None:  # noqa: ANN001
    """Rate limits, as decorators on the views they guard (sign-in and password
    reset posts, lms.auth): each such view checks its own limits. Flask-Limiter's
    app-wide before_request hook only applies default limits, which this app
    does not set, yet it cost every request of every page ~40 us: removed."""
    limiter.init_app(app)
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in hooks and not app.config.get("RATELIMIT_DEFAULT"):
        hooks.remove(limiter._check_request_limit)


login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
