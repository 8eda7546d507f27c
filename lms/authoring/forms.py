from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, EmailField, FieldList, FloatField, Form, FormField, HiddenField, IntegerField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.content.vocab import REGION_NAMES, SDG_RANGE, TOPIC_NAMES, VALUE_CHAIN_NAMES

LANGUAGES = ("es", "en")
TITLE_MAX = 300
SUMMARY_MAX = 5_000
BODY_MAX = 200_000


def language_choices():
    return [SelectChoice("es", "Español", {"lang": "es"}), SelectChoice("en", "English", {"lang": "en"})]


def _checkboxes(label, names):
    return SelectMultipleField(label, choices=[SelectChoice(code, name) for code, name in names.items()],
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               validate_choice=True)


def _key_field(label):
    return StringField(label, validators=[DataRequired(message=_l("Enter a short name.")), Length(max=100)],
                       description=_l("Lowercase letters and digits in words joined by '-'. It appears in "
                                      "addresses and never changes."))


def revision_number(value: str | None) -> int | None:
    """A revision number sent back by the editor, or None for anything else
    (letters, digits of other scripts, numbers no database column holds)."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


class _Texts:
    """Title and text per language, and the revision each was based on."""

    title_es = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX)])
    base_es = HiddenField()
    base_en = HiddenField()
    confirm_es = BooleanField(_l("I checked this translation: it says what the new source says"))
    confirm_en = BooleanField(_l("I checked this translation: it says what the new source says"))

    def base(self, language: str) -> int | None:
        return revision_number(getattr(self, f"base_{language}").data)


class _Summaries(_Texts):
    text_es = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=SUMMARY_MAX)])
    text_en = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=SUMMARY_MAX)])


class _Bodies(_Texts):
    text_es = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=BODY_MAX)])
    text_en = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=BODY_MAX)])


class _CourseMeta:
    source_language = SelectField(_l("Language the course is written in"), choices=language_choices())
    hours = FloatField(_l("Study time in hours (optional)"),
                       validators=[Optional(), NumberRange(min=0.1, max=1000,
                                                           message=_l("Enter a number of hours above 0."))])
    topics = _checkboxes(_l("Topics"), TOPIC_NAMES)
    regions = _checkboxes(_l("Border regions"), REGION_NAMES)
    value_chains = _checkboxes(_l("Value chains"), VALUE_CHAIN_NAMES)
    sdgs = SelectMultipleField(_l("Sustainable Development Goals"),
                               choices=[SelectChoice(str(n), _l("SDG %(number)d", number=n)) for n in SDG_RANGE],
                               widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def tags(self) -> dict[str, list[str]]:
        return {kind: list(getattr(self, kind).data or []) for kind in ("topics", "regions", "value_chains", "sdgs")}


class CourseNewForm(_CourseMeta, _Summaries, FlaskForm):
    slug = _key_field(_l("Short name of the course"))


class CourseSettingsForm(_CourseMeta, _Summaries, FlaskForm):
    pass


class ModuleNewForm(_Summaries, FlaskForm):
    key = _key_field(_l("Short name of the module"))


class ModuleForm(_Summaries, FlaskForm):
    quiz_required = BooleanField(_l("Learners must pass the module's quiz to complete it"))
    required_lessons = SelectMultipleField(_l("Lessons to mark as done (none chosen: every lesson)"),
                                           choices=[], widget=ListWidget(prefix_label=False),
                                           option_widget=CheckboxInput(), validate_choice=False)


class LessonNewForm(_Bodies, FlaskForm):
    key = _key_field(_l("Short name of the lesson"))
    minutes = IntegerField(_l("Reading time in minutes (optional)"),
                           validators=[Optional(), NumberRange(min=1, max=600)])


class LessonForm(_Bodies, FlaskForm):
    minutes = IntegerField(_l("Reading time in minutes (optional)"),
                           validators=[Optional(), NumberRange(min=1, max=600)])
    image = FileField(_l("Image (PNG, JPEG, WebP or GIF)"))
    alt = StringField(_l("Alternative text: what the image shows, for people who cannot see it"),
                      validators=[Optional(), Length(max=300)])
    image_language = SelectField(_l("Insert into the text in"), choices=language_choices(), default="es")


class AuthorForm(FlaskForm):
    email = EmailField(_l("Email of the trainer"), validators=[
        DataRequired(message=_l("Enter an email address.")),
        Email(message=_l("Enter a valid email address, like name@example.org.")), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("coauthor", _l("Co-author")),
                                                SelectChoice("owner", _l("Owner"))])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


# Quizzes --------------------------------------------------------------------------------

QUESTION_TYPE_LABELS = {
    "single": _l("Single choice"), "multiple": _l("Multiple response"), "truefalse": _l("True or false"),
    "short": _l("Short answer"), "numeric": _l("Numeric"), "matching": _l("Matching"),
    "ordering": _l("Ordering"), "essay": _l("Essay (graded by a trainer)"),
    "description": _l("Description (text only, not graded)"),
}
GRADING_LABELS = {"best": _l("Best attempt"), "last": _l("Last attempt"), "average": _l("Average of the attempts")}
SHOW_ANSWER_LABELS = {"after_attempt": _l("After each attempt"), "after_pass": _l("Once the learner passes"),
                      "never": _l("Never")}


class QuizSettingsForm(FlaskForm):
    base = HiddenField()
    title_es = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX)])
    title_en = StringField(_l("Title"), validators=[Optional(), Length(max=TITLE_MAX)])
    pass_mark = FloatField(_l("Pass mark (percent)"), default=70.0,
                           validators=[DataRequired(message=_l("Enter a percentage from 0 to 100.")),
                                       NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))])
    max_attempts = IntegerField(_l("Attempts allowed (0: unlimited)"), default=0,
                                validators=[Optional(), NumberRange(min=0, max=100)])
    grading = SelectField(_l("Grade kept"), choices=[SelectChoice(k, v) for k, v in GRADING_LABELS.items()],
                          default="best")
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_choices = BooleanField(_l("Shuffle the choices"), default=True)
    draw = IntegerField(_l("Questions drawn per attempt (0: all)"), default=0,
                        validators=[Optional(), NumberRange(min=0, max=500)])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (0: none)"), default=0,
                                      validators=[Optional(), NumberRange(min=0, max=600)])
    show_answers = SelectField(_l("Show the right answers"),
                               choices=[SelectChoice(k, v) for k, v in SHOW_ANSWER_LABELS.items()],
                               default="after_attempt")


class QuestionNewForm(FlaskForm):
    base = HiddenField()
    key = _key_field(_l("Short name of the question"))
    type = SelectField(_l("Type"), choices=[SelectChoice(k, v) for k, v in QUESTION_TYPE_LABELS.items()])


class _Row(Form):
    """One row of a question's parts; which fields matter depends on the type."""

    id = HiddenField()
    text_es = StringField(_l("Text"), validators=[Optional(), Length(max=2000)])
    text_en = StringField(_l("Text"), validators=[Optional(), Length(max=2000)])
    right_es = StringField(_l("Matches"), validators=[Optional(), Length(max=2000)])
    right_en = StringField(_l("Matches"), validators=[Optional(), Length(max=2000)])
    fraction = FloatField(_l("Credit (1 = full, 0 = none, negative = penalty)"),
                          validators=[Optional(), NumberRange(min=-1, max=1)])
    feedback_es = StringField(_l("Feedback"), validators=[Optional(), Length(max=2000)])
    feedback_en = StringField(_l("Feedback"), validators=[Optional(), Length(max=2000)])
    exact = BooleanField(_l("Exact (case, accents and spaces count)"))
    value = FloatField(_l("Value"), validators=[Optional()])
    tolerance = FloatField(_l("Tolerance (±)"), validators=[Optional(), NumberRange(min=0)])
    low = FloatField(_l("From"), validators=[Optional()])
    high = FloatField(_l("To"), validators=[Optional()])


class QuestionForm(FlaskForm):
    base = HiddenField()
    points = FloatField(_l("Points"), default=1.0, validators=[Optional(), NumberRange(min=0, max=1000)])
    text_es = TextAreaField(_l("Question (Markdown)"), validators=[Optional(), Length(max=BODY_MAX)])
    text_en = TextAreaField(_l("Question (Markdown)"), validators=[Optional(), Length(max=BODY_MAX)])
    feedback_es = TextAreaField(_l("General feedback, shown after answering (optional)"),
                                validators=[Optional(), Length(max=SUMMARY_MAX)])
    feedback_en = TextAreaField(_l("General feedback, shown after answering (optional)"),
                                validators=[Optional(), Length(max=SUMMARY_MAX)])
    answer = SelectField(_l("The right answer"), choices=[SelectChoice("true", _l("True")),
                                                          SelectChoice("false", _l("False"))], default="true")
    true_feedback_es = StringField(_l("Feedback for “true”"), validators=[Optional(), Length(max=2000)])
    true_feedback_en = StringField(_l("Feedback for “true”"), validators=[Optional(), Length(max=2000)])
    false_feedback_es = StringField(_l("Feedback for “false”"), validators=[Optional(), Length(max=2000)])
    false_feedback_en = StringField(_l("Feedback for “false”"), validators=[Optional(), Length(max=2000)])
    rows = FieldList(FormField(_Row), min_entries=6, max_entries=40)
    distractors = FieldList(FormField(_Row), min_entries=2, max_entries=20)

