from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from lms.auth.models import REGIONS
from lms.content.vocab import REGION_NAMES

PASSWORD_MIN = 10


def language_choices():
    # Each language in its own name, so a reader can find theirs.
    return [SelectChoice("es", "Español", {"lang": "es"}), SelectChoice("en", "English", {"lang": "en"})]


def region_choices():
    return [SelectChoice("", _l("None in particular"))] + [
        SelectChoice(code, REGION_NAMES[code]) for code in REGIONS]


def _password(label):
    return PasswordField(label, validators=[
        DataRequired(message=_l("Enter a password.")),
        Length(min=PASSWORD_MIN, max=200,
               message=_l("Use at least %(min)d characters.", min=PASSWORD_MIN)),
    ])


class RegistrationForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter your name.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[
        DataRequired(message=_l("Enter your email address.")),
        Email(message=_l("Enter a valid email address, like name@example.org.")), Length(max=254)])
    password = _password(_l("Password"))
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", message=_l("The two passwords do not match."))])
    locale = SelectField(_l("Preferred language"), choices=language_choices())
    region = SelectField(_l("Border region of interest (optional)"), choices=region_choices(),
                         validators=[Optional()])


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(message=_l("Enter your email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Enter your password."))])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(message=_l("Enter your email address.")),
        Email(message=_l("Enter a valid email address, like name@example.org."))])


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The two passwords do not match."))])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Enter your current password."))])
    password = _password(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        EqualTo("password", message=_l("The two passwords do not match."))])


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[
        DataRequired(message=_l("Enter your name.")), Length(max=120)])
    locale = SelectField(_l("Preferred language"), choices=language_choices())
    region = SelectField(_l("Border region of interest (optional)"), choices=region_choices(),
                         validators=[Optional()])
