from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth import bp, service
from lms.auth.forms import (ChangePasswordForm, LoginForm, ProfileForm, RegistrationForm,
                            ResetPasswordForm, ResetRequestForm)
from lms.extensions import limiter, login_manager
from lms.i18n import current_language, remember_language
from lms.urls import safe_next


@login_manager.user_loader
def load_user(session_id: str):
    return service.load_session_user(session_id)


def _account_key() -> str:
    # Limits per account as well as per address, so one account cannot be
    # attacked from many addresses at once.
    return "account:" + service.normalise_email(request.form.get("email", ""))


def _login_limit() -> str:
    return current_app.config["LOGIN_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_LIMIT"]


def _start_session(user, remember: bool = False) -> None:
    # A new session on sign-in: nothing from before (fixation) carries over.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.my_courses"))
    form = RegistrationForm()
    if request.method == "GET":
        form.locale.data = current_language()
    if form.validate_on_submit():
        try:
            user = service.register(name=form.name.data, email=form.email.data,
                                    password=form.password.data, locale=form.locale.data,
                                    region=form.region.data)
        except service.AccountError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            _start_session(user)
            flash(_("Welcome to Frontera, %(name)s.", name=user.name), "success")
            return redirect(url_for("catalog.index"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def login():
    next_url = safe_next(request.args.get("next"), url_for("catalog.my_courses"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Incorrect email or password."))
        else:
            _start_session(user, remember=form.remember.data)
            return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    language = current_user.locale if current_user.is_authenticated else None
    goodbye = _("You have signed out.")  # in their language, before they become a visitor
    if current_user.is_authenticated:
        # Sessions live in signed cookies: only a new token makes a copied
        # session or remember cookie stop working once the person signs out.
        service.end_sessions(current_user._get_current_object())
    # Clear first: logout_user() leaves in the session the instruction to
    # delete the remember cookie, which a later clear() would drop.
    session.clear()
    logout_user()
    flash(goodbye, "info")
    response = redirect(url_for("core.home"))
    if language:
        remember_language(response, language)  # still their language once signed out
    return response


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_account_key)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(
            form.email.data,
            lambda token: url_for("auth.reset_password", token=token, _external=True))
        # The same answer whether or not the address has an account.
        flash(_("If an account exists for that address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        service.user_for_reset_token(token)
    except service.AccountError as error:
        flash(str(error.message), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = service.reset_password(token, form.password.data)
        except service.AccountError as error:
            flash(str(error.message), "error")
            return redirect(url_for("auth.reset_request"))
        _start_session(user)
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("catalog.my_courses"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        service.update_profile(current_user, name=form.name.data, locale=form.locale.data,
                               region=form.region.data)
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(current_user, form.current_password.data, form.password.data)
        except service.AccountError as error:
            form.current_password.errors.append(error.message)
        else:
            # The session token changed: sign this session in again, others are out.
            # A device kept signed in ("remember me") stays so, with a new cookie.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            _start_session(current_user._get_current_object(), remember=remembered)
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)
