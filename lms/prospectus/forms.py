from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.content.vocab import REGION_NAMES, VALUE_CHAIN_NAMES
from lms.i18n import pick
from lms.prospectus.models import ProspectusTemplate, SectionSpec
from lms.prospectus.service import normalise


def _none_choice():
    return [SelectChoice("", _l("None in particular"))]


class MaxChars:
    """Length after line breaks are normalised (a CRLF counts as one character)."""

    def __init__(self, maximum: int):
        self.maximum = maximum

    def __call__(self, form, field) -> None:
        length = len(normalise(field.data))
        if length > self.maximum:
            raise ValidationError(_l("At most %(max)d characters (now %(length)d).",
                                     max=self.maximum, length=length))


class ProspectusForm(FlaskForm):
    token = HiddenField()
    title = StringField(_l("Name of the project"), validators=[
        DataRequired(message=_l("Give the project a name.")), Length(min=5, max=200)])
    language = SelectField(_l("Language you write in"), choices=[
        SelectChoice("es", "Español", {"lang": "es"}), SelectChoice("en", "English", {"lang": "en"})])
    region = SelectField(_l("Border region"), validators=[Optional()], choices=(
        _none_choice() + [SelectChoice(code, label) for code, label in REGION_NAMES.items()]))
    value_chain = SelectField(_l("Value chain"), validators=[Optional()], choices=(
        _none_choice() + [SelectChoice(code, label) for code, label in VALUE_CHAIN_NAMES.items()]))
    consent = BooleanField(_l("If the expert's answer is published as a best practice, it may name me and "
                              "keep my words"))
    save = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Save and send to an expert for review"))

    sections: list[tuple[SectionSpec, object]]


def field_name(section_id: str) -> str:
    return "section_" + section_id.replace("-", "_")


def prospectus_form(template: ProspectusTemplate, language: str, **kwargs) -> ProspectusForm:
    """The form for `template`: one textarea per section, labelled in `language`."""

    class Form(ProspectusForm):
        pass

    specs = template.specs()
    for spec in specs:
        title, _title_language = pick(spec.titles, language)
        guidance, _guidance_language = pick(spec.guidance, language)
        setattr(Form, field_name(spec.id), TextAreaField(
            title or spec.id, description=guidance or "", validators=[MaxChars(spec.max_chars)],
            render_kw={"maxlength": spec.max_chars, "rows": 6}))
    form = Form(**kwargs)
    form.sections = [(spec, form[field_name(spec.id)]) for spec in specs]
    return form
