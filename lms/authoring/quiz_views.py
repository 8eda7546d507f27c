"""The quiz editor's pages: settings, questions of every type, GIFT upload,
preview as a learner, history and publishing of a module's quiz draft."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import role_required
from lms.authoring import bp, quiz_editor
from lms.authoring.diff import compared
from lms.authoring.forms import (QUESTION_TYPE_LABELS, ActionForm, QuestionForm, QuestionNewForm,
                                 QuizSettingsForm, revision_number)
from lms.authoring.quiz_forms import form_data, question_from_form
from lms.authoring.revisions import AuthoringError
from lms.authoring.views import _course, _module, _restored_message
from lms.content.errors import ContentError
from lms.quizzes.forms import GiftUploadForm
from lms.quizzes.service import GIFT_MAX_BYTES

LANGUAGES = ("es", "en")
QUIZ = "/author/courses/<slug>/modules/<key>/quiz"


def _base(form_or_value) -> int | None:
    return revision_number(form_or_value if isinstance(form_or_value, str) else form_or_value.data)


def _context(slug: str, key: str):
    course = _course(slug)
    module = _module(course, key)
    return course, module, quiz_editor.quiz_state(module)


def _save(course, module, spec, base, note: str):
    """Save and say so; True when kept, the QuizConflict when refused, False on an error."""
    try:
        number = quiz_editor.save(course, module, current_user, spec, base, note)
    except quiz_editor.QuizConflict as conflict:
        flash(str(conflict.message), "error")
        return conflict
    except AuthoringError as error:
        flash(str(error.message), "error")
        return False
    if number is None:
        flash(_("Nothing changed."), "info")
    else:
        flash(_("Quiz saved as draft revision %(number)d. Learners see it once it is published.",
                number=number), "success")
    return True


def _quiz_url(course, module) -> str:
    return url_for("authoring.quiz", slug=course.slug, key=module.key)


@bp.route(QUIZ, methods=["GET", "POST"])
@role_required("trainer")
def quiz(slug: str, key: str):
    course, module, state = _context(slug, key)
    spec = quiz_editor.current_spec(module, state)
    form = QuizSettingsForm()
    conflict = None
    if request.method == "GET":
        form.base.data = str(state.head.number) if state.head else ""
        for name in ("pass_mark", "max_attempts", "grading", "shuffle_questions", "shuffle_choices", "draw",
                     "time_limit_minutes", "show_answers"):
            getattr(form, name).data = getattr(spec, name)
        for language in LANGUAGES:
            getattr(form, f"title_{language}").data = spec.title.get(language, "")
    elif form.validate_on_submit():
        try:
            new_spec = quiz_editor.with_settings(
                spec, {lang: (getattr(form, f"title_{lang}").data or "").strip() for lang in LANGUAGES},
                pass_mark=float(form.pass_mark.data), max_attempts=form.max_attempts.data or 0,
                grading=form.grading.data, shuffle_questions=bool(form.shuffle_questions.data),
                shuffle_choices=bool(form.shuffle_choices.data), draw=form.draw.data or 0,
                time_limit_minutes=form.time_limit_minutes.data or 0, show_answers=form.show_answers.data)
            if new_spec.questions:
                quiz_editor.check(new_spec)
        except AuthoringError as error:
            flash(str(error.message), "error")
        else:
            if not new_spec.questions:
                flash(_("Add a question first: a quiz is saved with its questions."), "info")
            else:
                result = _save(course, module, new_spec, _base(form.base), "settings")
                if result is True:
                    return redirect(_quiz_url(course, module))
                conflict = result or None
    return render_template("authoring/quiz.html", course=course, module=module, state=state, spec=spec,
                           form=form, new_form=QuestionNewForm(formdata=None), action_form=ActionForm(),
                           gift_form=GiftUploadForm(formdata=None, language=course.source_language),
                           type_labels=QUESTION_TYPE_LABELS, conflict=conflict), 409 if conflict else 200


def _question_page(course, module, state, form, key: str, qtype: str, is_new: bool, conflict=None):
    preview = None
    try:
        preview = _preview([question_from_form(form, key or "preview", qtype)])
    except (ValueError, TypeError):
        preview = None
    statuses, source_change = {}, None
    draft = quiz_editor.question(state.head.spec, key) if state.head and not is_new else None
    if draft is not None:
        statuses, source_change = quiz_editor.question_translation(course, state, draft, LANGUAGES)
    html = render_template("authoring/question.html", course=course, module=module, state=state, form=form,
                           key=key, qtype=qtype, is_new=is_new, type_label=QUESTION_TYPE_LABELS[qtype],
                           preview=preview, conflict=conflict, languages=LANGUAGES, statuses=statuses,
                           source_change=source_change)
    return html, 409 if conflict else 200


def _question_editor(course, module, state, form, key: str, qtype: str, is_new: bool, note: str,
                     with_question):
    """Both question editors: a valid post (not a preview) saves the quiz
    `with_question()` returns and goes back to the quiz; anything else, and a
    refusal or a conflict, shows the editor again with what was typed."""
    conflict = None
    if request.method == "POST" and form.validate_on_submit() and request.form.get("action") != "preview":
        try:
            new_spec = with_question()
        except AuthoringError as error:
            flash(str(error.message), "error")
        else:
            result = _save(course, module, new_spec, _base(form.base), note)
            if result is True:
                return redirect(_quiz_url(course, module) + f"#question-{key}")
            conflict = result or None
    return _question_page(course, module, state, form, key, qtype, is_new, conflict)


def _preview(specs):
    from lms.authoring.quiz_preview import learner_views

    return learner_views(specs)


@bp.route(QUIZ + "/questions/new", methods=["GET", "POST"])
@role_required("trainer")
def new_question(slug: str, key: str):
    course, module, state = _context(slug, key)
    qkey = (request.values.get("key") or "").strip()
    qtype = request.values.get("type", "")
    if qtype not in QUESTION_TYPE_LABELS:
        # First step: the short name and the type, which decides the editor's fields.
        return render_template("authoring/question_new.html", course=course, module=module,
                               new_form=QuestionNewForm(formdata=None, key=qkey))
    form = QuestionForm() if request.method == "POST" else QuestionForm(
        data={"base": str(state.head.number) if state.head else "", "points": 0.0 if qtype == "description" else 1.0,
              "rows": [{} for _ in range(6)], "distractors": [{}, {}]})
    return _question_editor(
        course, module, state, form, qkey, qtype, True, f"added question {qkey}",
        lambda: quiz_editor.with_question(quiz_editor.current_spec(module, state),
                                          question_from_form(form, qkey, qtype)))


@bp.route(QUIZ + "/questions/<question_key>", methods=["GET", "POST"])
@role_required("trainer")
def question(slug: str, key: str, question_key: str):
    course, module, state = _context(slug, key)
    spec = quiz_editor.current_spec(module, state)
    current = quiz_editor.question(spec, question_key)
    if current is None:
        abort(404)
    if request.method == "GET":
        form = QuestionForm(data={**form_data(current), "base": str(state.head.number) if state.head else ""})
    else:
        form = QuestionForm()
    return _question_editor(
        course, module, state, form, question_key, current.type, False, f"edited question {question_key}",
        lambda: quiz_editor.with_question(spec, question_from_form(form, question_key, current.type),
                                          replacing=question_key))


@bp.route(QUIZ + "/questions/<question_key>/move", methods=["POST"])
@role_required("trainer")
def move_question(slug: str, key: str, question_key: str):
    course, module, state = _context(slug, key)
    direction = request.form.get("direction")
    if ActionForm().validate_on_submit() and direction in ("up", "down") and state.head is not None:
        spec = quiz_editor.moved(state.head.spec, question_key, direction)
        _save(course, module, spec, _base(request.form.get("base", "")), f"moved question {question_key}")
    return redirect(_quiz_url(course, module) + f"#question-{question_key}")


@bp.route(QUIZ + "/questions/<question_key>/remove", methods=["POST"])
@role_required("trainer")
def remove_question(slug: str, key: str, question_key: str):
    course, module, state = _context(slug, key)
    if ActionForm().validate_on_submit() and request.form.get("confirm") == "1" and state.head is not None:
        spec = quiz_editor.without_question(state.head.spec, question_key)
        if not spec.questions:
            flash(_("A quiz keeps at least one question; archive the module's quiz by removing it from "
                    "the course files instead."), "error")
        else:
            _save(course, module, spec, _base(request.form.get("base", "")), f"removed question {question_key}")
    return redirect(_quiz_url(course, module))


@bp.route(QUIZ + "/gift", methods=["POST"])
@role_required("trainer")
def quiz_gift(slug: str, key: str):
    course, module, state = _context(slug, key)
    form = GiftUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        if len(data) > GIFT_MAX_BYTES:
            flash(_("The file is larger than 2 MB."), "error")
            return redirect(_quiz_url(course, module))
        try:
            text = data.decode("utf-8-sig")
            spec, added, updated = quiz_editor.merge_gift(quiz_editor.current_spec(module, state), form.language.data,
                                                          text, upload.filename or "upload.gift")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text."), "error")
        except ContentError as error:
            flash(_("Nothing was imported: %(problems)s",
                    problems="; ".join(str(problem) for problem in error.problems[:10])), "error")
        else:
            result = _save(course, module, spec, state.head.number if state.head else None,
                           f"GIFT upload: {added} added, {updated} updated")
            if result is True:
                flash(_("GIFT file read: %(added)d questions added, %(updated)d updated.",
                        added=added, updated=updated), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return redirect(_quiz_url(course, module))


@bp.route(QUIZ + "/preview")
@role_required("trainer")
def quiz_preview(slug: str, key: str):
    course, module, state = _context(slug, key)
    specs = list(state.head.spec.questions) if state.head else []
    return render_template("authoring/quiz_preview.html", course=course, module=module, state=state,
                           questions=_preview(specs))


@bp.route(QUIZ + "/publish", methods=["POST"])
@role_required("trainer")
def publish_quiz(slug: str, key: str):
    course, module, _state = _context(slug, key)
    if ActionForm().validate_on_submit():
        if quiz_editor.publish(course, module, current_user):
            flash(_("Published: learners now take the new quiz."), "success")
        else:
            flash(_("There was nothing new to publish."), "info")
    return redirect(_quiz_url(course, module))


@bp.route(QUIZ + "/history")
@role_required("trainer")
def quiz_history(slug: str, key: str):
    course, module, state = _context(slug, key)
    versions = quiz_editor.history(module)
    if state.head is not None and not state.head.stored:
        versions.insert(0, state.head)
    old, new = compared([v.number for v in versions], request.args.get("a", type=int),
                        request.args.get("b", type=int))
    by_number = {v.number: v for v in versions}
    return render_template("authoring/quiz_history.html", course=course, module=module, versions=versions,
                           old=by_number.get(old), new=by_number.get(new), state=state)


@bp.route(QUIZ + "/history/<int:number>/restore", methods=["POST"])
@role_required("trainer")
def restore_quiz(slug: str, key: str, number: int):
    course, module, _state = _context(slug, key)
    if ActionForm().validate_on_submit():
        try:
            new_number = quiz_editor.restore(course, module, number, current_user)
        except AuthoringError as error:
            flash(str(error.message), "error")
        else:
            _restored_message(number, new_number)
    return redirect(url_for("authoring.quiz_history", slug=slug, key=key))
