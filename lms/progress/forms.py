from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from lms.content.vocab import REGION_NAMES
from lms.i18n import NATIVE_NAMES
from lms.progress.reports import ReportFilters


class MarkDoneForm(FlaskForm):
    submit = SubmitField(_l("Mark as done"))


class RevokeForm(FlaskForm):
    reason = StringField(
        _l("Reason (kept with the certificate, shown on the verification page)"),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField(_l("Revoke this certificate"))


class ReportFilterForm(FlaskForm):
    """The filters of a trainer's report: a GET form (nothing changes), so no CSRF token."""

    class Meta:
        csrf = False

    FIELDS = ("region", "language", "enrolled_from", "enrolled_to")

    region = SelectField(
        _l("Border region"),
        validators=[Optional()],
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(code, label) for code, label in REGION_NAMES.items()),
            SelectChoice("none", _l("Not stated")),
        ],
    )
    language = SelectField(
        _l("Language"),
        validators=[Optional()],
        choices=[
            SelectChoice("", _l("All")),
            *(SelectChoice(code, name, {"lang": code}) for code, name in NATIVE_NAMES.items()),
        ],
    )
    enrolled_from = DateField(_l("Enrolled from"), validators=[Optional()])
    enrolled_to = DateField(_l("Enrolled until"), validators=[Optional()])

    def validate_enrolled_to(self, field) -> None:
        if field.data and self.enrolled_from.data and field.data < self.enrolled_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> ReportFilters:
        """The filters that validated; a field with an error is left out."""
        valid = not self.errors
        return ReportFilters(
            region=self.region.data or "" if not self.region.errors else "",
            language=self.language.data or "" if not self.language.errors else "",
            enrolled_from=self.enrolled_from.data if valid else None,
            enrolled_to=self.enrolled_to.data if valid else None,
        )
