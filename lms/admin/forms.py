from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_LABELS = {
    "learner": _l("Learner"),
    "expert": _l("Expert"),
    "trainer": _l("Trainer"),
    "admin": _l("Administrator"),
}


class RolesForm(FlaskForm):
    roles = SelectMultipleField(_l("Roles"), choices=[SelectChoice(code, label) for code, label in ROLE_LABELS.items()],
                                widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class ActiveForm(FlaskForm):
    submit = SubmitField()
