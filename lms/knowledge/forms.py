from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.content.vocab import REGION_NAMES, SDG_RANGE, TOPIC_NAMES, VALUE_CHAIN_NAMES, sdg_name


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EntryForm(FlaskForm):
    slug = StringField(_l("Address (letters, digits and hyphens)"), validators=[
        DataRequired(message=_l("Enter an address.")), Length(max=120)])
    title_es = StringField(_l("Title in Spanish"), validators=[Optional(), Length(max=300)])
    summary_es = TextAreaField(_l("Summary in Spanish"), validators=[Optional(), Length(max=1000)])
    body_es = TextAreaField(_l("Text in Spanish"), validators=[Optional(), Length(max=40000)])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=300)])
    summary_en = TextAreaField(_l("Summary in English"), validators=[Optional(), Length(max=1000)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=40000)])
    regions = Checkboxes(_l("Border regions"), choices=[SelectChoice(c, l) for c, l in REGION_NAMES.items()])
    value_chains = Checkboxes(_l("Value chains"),
                              choices=[SelectChoice(c, l) for c, l in VALUE_CHAIN_NAMES.items()])
    topics = Checkboxes(_l("Topics"), choices=[SelectChoice(c, l) for c, l in TOPIC_NAMES.items()])
    sdgs = Checkboxes(_l("Sustainable Development Goals"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sdgs.choices = [SelectChoice(str(n), sdg_name(n)) for n in SDG_RANGE]


class StatusForm(FlaskForm):
    action = HiddenField()
    confirm_anonymous = BooleanField(
        _l("I have read the text and removed everything that could identify the learner"))
