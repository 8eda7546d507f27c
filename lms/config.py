"""Settings, read from the environment so that nothing secret lives in code."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production-safe defaults; development and tests relax them explicitly."""

    ENV_NAME = os.environ.get("LMS_ENV", "production")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'frontera.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}  # off for SQLite (lms.database)
    COURSES_PATH = os.environ.get("COURSES_PATH", str(ROOT / "courses"))
    UPLOADS_PATH = os.environ.get("UPLOADS_PATH", str(ROOT / "instance" / "uploads"))

    LANGUAGES = ("es", "en")
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("LMS_TIMEZONE", "UTC")
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
    # Behind a reverse proxy, trust its X-Forwarded-* headers (count of proxies).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT = os.environ.get("LOGIN_LIMIT", "10 per minute;50 per hour")
    RESET_LIMIT = os.environ.get("RESET_LIMIT", "5 per minute;20 per hour")

    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", 3600))
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Frontera <no-reply@localhost>")

    LOG_REQUESTS = _bool("LOG_REQUESTS", True)
    # Trainer reports keep their figures this long per worker (0: never); a new enrolment
    # renews them at once, other activity within this time (lms/progress/reports.py).
    PROGRESS_REPORT_CACHE_SECONDS = int(os.environ.get("PROGRESS_REPORT_CACHE_SECONDS", "120"))
    # How long a process trusts the content version stamp it read (lms/content/version.py):
    # the catalog and lesson caches, and visitors' ETags, follow another process's
    # change after at most this long (0: read the stamp on every request).
    CONTENT_STAMP_SECONDS = float(os.environ.get("CONTENT_STAMP_SECONDS", "2"))


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    # High enough for any test; the rate-limit tests lower them.
    LOGIN_LIMIT = "1000 per minute"
    RESET_LIMIT = "1000 per minute"
    LOG_REQUESTS = False
    PROGRESS_REPORT_CACHE_SECONDS = 0  # every report computed afresh; the cache test turns it on
    CONTENT_STAMP_SECONDS = 0  # the content stamp read on every request (tests change content)
    MIGRATE_COMMANDS = True  # tests run the migrations (servers load Flask-Migrate only under `flask`)
    MAIL_SERVER = None
    # scrypt costs ~100 ms a hash by design; tests hash hundreds of passwords.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
