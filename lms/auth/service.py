"""Account operations, apart from request handling.

Functions here own the transaction (they commit); they raise AccountError with
a translated reason that views show next to the form.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from lms.auth.models import ROLES, User, UserRole
from lms.extensions import db
from lms.mail.service import deliver, queue_mail
from lms.timeutil import utcnow

log = logging.getLogger(__name__)
RESET_SALT = "password-reset"


class AccountError(Exception):
    """A reason, already translated lazily, to show to the person."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


# Figures every page of a signed-in person shows, loaded in the same query as
# the person: attribute name -> a function giving a scalar subquery correlated
# to User (e.g. lms.advice: the header's unread-notification count). The value
# is set on the User instance under that name (None when not loaded this way).
SESSION_USER_EXTRAS: dict[str, Callable] = {}
_session_user_statement: tuple[tuple[str, ...], object] | None = None


def _session_user_query() -> tuple[tuple[str, ...], object]:
    # Built once (every request runs it): building a select costs more than running this one.
    global _session_user_statement
    names = tuple(SESSION_USER_EXTRAS)
    if _session_user_statement is None or _session_user_statement[0] != names:
        statement = (select(User, *(SESSION_USER_EXTRAS[name]() for name in names))
                     .options(joinedload(User.role_rows)).where(User.id == bindparam("user_id")))
        _session_user_statement = (names, statement)
    return _session_user_statement


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: "<id>:<session token>" must match the current token.
    One query: the person, their roles and SESSION_USER_EXTRAS."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    names, statement = _session_user_query()
    row = db.session.execute(statement, {"user_id": int(user_id)}).unique().first()
    user = row[0] if row is not None else None
    if user is None or not token or user.session_token != token or not user.active:
        return None
    for name, value in zip(names, row[1:], strict=True):
        setattr(user, name, value)
    return user


def register(*, name: str, email: str, password: str, locale: str,
             region: str | None = None, roles: tuple[str, ...] = ("learner",)) -> User:
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise AccountError(_l("An account with this email already exists. Sign in or reset your password."),
                           field="email")
    user = User(name=name.strip(), email=email, locale=locale, region=region or None)
    user.set_password(password)
    user.role_rows = [UserRole(role=role) for role in roles]
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Two registrations with the same address at once: the second loses.
        db.session.rollback()
        raise AccountError(_l("An account with this email already exists. Sign in or reset your password."),
                           field="email") from None
    log.info("Registered user %s", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the credentials are right and the account active; else None.

    The same None for an unknown email, a wrong password or a deactivated
    account, so the answer does not reveal which emails have accounts.
    """
    user = find_by_email(email)
    if user is None:
        # Spend the same time as a real check, so timing reveals nothing either.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.commit()
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(_l("Your current password is not correct."), field="current_password")
    user.set_password(new)
    user.rotate_session_token()  # signs out every other session
    db.session.commit()


def end_sessions(user: User) -> None:
    """Sign the person out of every session and remember cookie they have."""
    user.rotate_session_token()
    db.session.commit()


def update_profile(user: User, *, name: str, locale: str, region: str | None) -> None:
    user.name = name.strip()
    user.locale = locale
    user.region = region or None
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


# Password reset ---------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, the token no longer
    # matches, so each token works once.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(email: str, reset_url_for) -> None:
    """Mail a reset link if the account exists; silent otherwise."""
    user = find_by_email(email)
    if user is None or not user.active:
        log.info("Password reset asked for an unknown or inactive address")
        return
    token = make_reset_token(user)
    message = queue_mail(user.email, user.locale, "reset_password", user=user,
                         url=reset_url_for(token),
                         minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
    db.session.commit()
    deliver(message)
    db.session.commit()


def user_for_reset_token(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise AccountError(_l("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_l("This reset link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("p") != _password_fingerprint(user):
        raise AccountError(_l("This reset link has already been used. Ask for a new one."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    user.set_password(new_password)
    user.rotate_session_token()
    db.session.commit()
    return user


# Administration -----------------------------------------------------------------

def search_people(query: str = "", role: str | None = None, page: int = 1, per_page: int = 50):
    statement = select(User).options(joinedload(User.role_rows)).order_by(User.name, User.id)
    if query:
        # autoescape: "_" and "%" typed in the search box are characters, not wildcards.
        value = query.strip().lower()
        statement = statement.where(or_(func.lower(User.name).contains(value, autoescape=True),
                                        User.email.contains(value, autoescape=True)))
    if role:
        statement = statement.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


def set_roles(user: User, roles: set[str], acting: User) -> None:
    unknown = roles - set(ROLES)
    if unknown:
        raise AccountError(_l("Unknown role."))
    if user.id == acting.id and "admin" not in roles:
        raise AccountError(_l("You cannot remove your own administrator role."))
    current = {row.role: row for row in user.role_rows}
    for role in set(current) - roles:
        user.role_rows.remove(current[role])
    for role in roles - set(current):
        user.role_rows.append(UserRole(role=role))
    db.session.commit()
    log.info("User %s set roles of user %s to %s", acting.id, user.id, sorted(roles))


def set_active(user: User, active: bool, acting: User) -> None:
    if user.id == acting.id and not active:
        raise AccountError(_l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        user.rotate_session_token()
    db.session.commit()
    log.info("User %s set active=%s on user %s", acting.id, active, user.id)


def create_user(email: str, name: str, password: str, roles: set[str], locale: str = "es") -> User:
    """For the command line: create, or update the roles and password of, one person."""
    user = find_by_email(email)
    if user is None:
        return register(name=name, email=email, password=password, locale=locale,
                        roles=tuple(sorted(roles)))
    user.set_password(password)
    current = {row.role for row in user.role_rows}
    for role in roles - current:
        user.role_rows.append(UserRole(role=role))
    db.session.commit()
    return user
