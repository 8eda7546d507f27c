from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.advice.service import PHASE_LABELS
from lms.content.vocab import REGION_NAMES, VALUE_CHAIN_NAMES

BODY_MAX = 20000


def _none_choice():
    return [SelectChoice("", _l("None in particular"))]


def region_choices():
    return _none_choice() + [SelectChoice(code, label) for code, label in REGION_NAMES.items()]


def value_chain_choices():
    return _none_choice() + [SelectChoice(code, label) for code, label in VALUE_CHAIN_NAMES.items()]


def language_choices():
    return [SelectChoice("es", "Español", {"lang": "es"}), SelectChoice("en", "English", {"lang": "en"})]


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _body(label, message):
    return TextAreaField(label, validators=[DataRequired(message=message), Length(max=BODY_MAX)])


CONSENT = _l("If the answer is published as a best practice, it may name me and keep my words")


class RequestForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Give your request a short title.")), Length(min=5, max=200)])
    body = _body(_l("Your question"), _l("Write your question."))
    queue_id = SelectField(_l("Topic (queue)"), coerce=int, validate_choice=False)
    region = SelectField(_l("Border region"), choices=region_choices(), validators=[Optional()])
    value_chain = SelectField(_l("Value chain"), choices=value_chain_choices(), validators=[Optional()])
    phase = SelectField(_l("Strategy phase"),
                        choices=[SelectChoice(code, label) for code, label in PHASE_LABELS.items()])
    language = SelectField(_l("Language of the answer"), choices=language_choices())
    lesson_id = HiddenField()
    attachments = MultipleFileField(_l("Attachments (optional)"))
    consent = BooleanField(CONSENT)


class MessageForm(FlaskForm):
    # The pressed button sends `action`; no hidden field of that name, or it would come first and win.
    body = _body(_l("Message"), _l("Write your message."))
    attachments = MultipleFileField(_l("Attachments (optional)"))


class NoteForm(FlaskForm):
    note = _body(_l("Internal note"), _l("Write your note."))
    attachments = MultipleFileField(_l("Attachments (optional)"))


class ActionForm(FlaskForm):
    """Buttons without fields (claim, release, accept, ...): CSRF only."""


class ReassignForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=int, validate_choice=False)


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the learner sees it)"), validators=[
        DataRequired(message=_l("Give the learner a reason.")), Length(max=4000)])


class MergeForm(FlaskForm):
    target_id = IntegerField(_l("Number of the request to merge into"), validators=[
        DataRequired(message=_l("Enter the number of the other request.")),
        NumberRange(min=1, max=2**31 - 1, message=_l("Enter the number of the other request."))])


class RateForm(FlaskForm):
    rating = RadioField(_l("How useful was the answer?"), coerce=int,
                        choices=[SelectChoice(n, str(n)) for n in range(1, 6)],
                        validators=[DataRequired(message=_l("Choose a rating from 1 to 5."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=4000)])
    consent = BooleanField(CONSENT)


class EditMessageForm(FlaskForm):
    body = _body(_l("Message"), _l("Write your message."))


class ExpertiseForm(FlaskForm):
    queue_ids = Checkboxes(_l("Queues"), coerce=int, validate_choice=False)
    regions = Checkboxes(_l("Border regions"), choices=[SelectChoice(c, l) for c, l in REGION_NAMES.items()])
    value_chains = Checkboxes(_l("Value chains"),
                              choices=[SelectChoice(c, l) for c, l in VALUE_CHAIN_NAMES.items()])
    languages = Checkboxes(_l("Languages I answer in"), choices=language_choices())


class QueueForm(FlaskForm):
    slug = StringField(_l("Short name (letters, digits and hyphens)"), validators=[
        DataRequired(message=_l("Enter a short name.")), Length(max=80),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lowercase letters, digits and hyphens."))])
    name_es = StringField(_l("Name in Spanish"), validators=[
        DataRequired(message=_l("Enter the name in Spanish.")), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[
        DataRequired(message=_l("Enter the name in English.")), Length(max=200)])
    description_es = TextAreaField(_l("Description in Spanish"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000)])
    first_response_hours = IntegerField(_l("First-response target (hours)"), default=48, validators=[
        DataRequired(message=_l("Enter a number of hours.")), NumberRange(min=1, max=2160)])
    resolution_hours = IntegerField(_l("Resolution target (hours, not counting time waiting on the learner)"),
                                    default=240, validators=[
        DataRequired(message=_l("Enter a number of hours.")), NumberRange(min=1, max=8760)])
    coordinator_ids = Checkboxes(_l("Coordinators"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Open for new requests"), default=True)


class CannedReplyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=_l("Enter a title.")), Length(max=200)])
    language = SelectField(_l("Language"), choices=language_choices())
    body = _body(_l("Text"), _l("Write the text."))


def preferences_form(kinds: dict, current: dict[str, tuple[bool, bool]], formdata=None):
    """A form with two boxes (in the site, by e-mail) for each kind."""

    class PreferencesForm(FlaskForm):
        pass

    for code in kinds:
        setattr(PreferencesForm, f"{code}__in_app", BooleanField(_l("On the site"), default=current[code][0]))
        setattr(PreferencesForm, f"{code}__email", BooleanField(_l("By e-mail"), default=current[code][1]))
    return PreferencesForm(formdata=formdata) if formdata is not None else PreferencesForm()
