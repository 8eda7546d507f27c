from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from lms.quizzes.grading import parse_number


class ActionForm(FlaskForm):
    """A form of buttons only (start, save, submit): the CSRF token."""


def language_choices():
    # Each language in its own name, so a trainer finds theirs.
    return [SelectChoice("es", "Español", {"lang": "es"}), SelectChoice("en", "English", {"lang": "en"})]


class GiftUploadForm(FlaskForm):
    file = FileField(_l("GIFT file"), validators=[
        FileRequired(message=_l("Choose a .gift file to upload.")),
        FileAllowed(["gift", "txt"], message=_l("The file must be a .gift (or .txt) file."))])
    language = SelectField(_l("Language of the file"), choices=language_choices(),
                           validators=[DataRequired()])


class EssayGradeForm(FlaskForm):
    percent = StringField(_l("Grade (0 to 100 %)"), validators=[
        DataRequired(message=_l("Enter a grade from 0 to 100."))])
    comment = TextAreaField(_l("Comment for the learner (optional)"), validators=[Length(max=5000)])

    def validate_percent(self, field) -> None:
        number = parse_number(field.data or "")
        if number is None or not 0 <= number <= 100:
            raise ValidationError(_l("Enter a grade from 0 to 100."))
        field.number = float(number)
