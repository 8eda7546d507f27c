from __future__ import annotations

from flask import Response as HttpResponse
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from lms.auth.access import role_required
from lms.content.errors import ContentError
from lms.quizzes import bp, service
from lms.quizzes.attempts import QuizError
from lms.quizzes.forms import ActionForm, EssayGradeForm, GiftUploadForm
from lms.quizzes.models import IN_PROGRESS

LANGUAGES = ("es", "en")
QUIZ = "/courses/<slug>/modules/<module_key>/quiz"

POLICY_LABELS = {"best": _l("Best attempt"), "last": _l("Last attempt"),
                 "average": _l("Average of the attempts")}
SHOW_LABELS = {"after_attempt": _l("after each attempt"), "after_pass": _l("once you pass"),
               "never": _l("never")}
STATE_LABELS = {"in_progress": _l("In progress"), "submitted": _l("Graded"),
                "needs_grading": _l("Waiting for a trainer")}
TYPE_LABELS = {"single": _l("Single choice"), "multiple": _l("Multiple response"),
               "truefalse": _l("True or false"), "short": _l("Short answer"), "numeric": _l("Numeric"),
               "matching": _l("Matching"), "ordering": _l("Ordering"), "essay": _l("Essay"),
               "description": _l("Description")}


@bp.context_processor
def labels():
    return {"policy_labels": POLICY_LABELS, "show_labels": SHOW_LABELS, "state_labels": STATE_LABELS,
            "type_labels": TYPE_LABELS}


def _quiz_or_404(slug: str, module_key: str) -> service.ModuleContext:
    return service.quiz_context(slug, module_key) or abort(404)


def _teaching_or_403(ctx: service.ModuleContext) -> None:
    if not service.can_teach(current_user, ctx.course.id):
        abort(403)


# Learners -------------------------------------------------------------------------------

@bp.route(QUIZ)
def quiz(slug: str, module_key: str):
    ctx = _quiz_or_404(slug, module_key)
    page = service.quiz_page(ctx, current_user)
    return render_template("quizzes/quiz.html", page=page, ctx=ctx, form=ActionForm())


@bp.route(QUIZ + "/start", methods=["POST"])
@login_required
def start(slug: str, module_key: str):
    ctx = _quiz_or_404(slug, module_key)
    try:
        attempt = service.start(ctx, current_user)
    except QuizError as error:
        flash(error.message, "error")
        return redirect(url_for("quizzes.quiz", slug=slug, module_key=module_key))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route(QUIZ + "/attempts")
@login_required
def history(slug: str, module_key: str):
    ctx = _quiz_or_404(slug, module_key)
    return render_template("quizzes/history.html", page=service.quiz_page(ctx, current_user), ctx=ctx)


def _time_ran_out(attempt) -> None:
    flash(_("Time ran out at %(time)s. Answers sent after the time limit were not counted: the "
            "attempt was submitted with the answers saved before it.",
            time=format_datetime(attempt.deadline, "short")), "error")


@bp.route("/quiz-attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    result_url = url_for("quizzes.result", attempt_id=attempt_id)
    if request.method == "POST":
        outcome = service.save(attempt_id, current_user, request.form,
                               submit=request.form.get("action") == "submit") or abort(404)
        if outcome.late:
            _time_ran_out(outcome.attempt)
            return redirect(result_url)
        if outcome.already_closed:
            flash(_("This attempt was already submitted; nothing was changed."), "info")
            return redirect(result_url)
        if outcome.submitted:
            flash(_("Your attempt was submitted."), "success")
            return redirect(result_url)
        flash(_("Your answers were saved at %(time)s.", time=format_datetime(format="short")), "success")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    attempt = service.owned_attempt(attempt_id, current_user) or abort(404)
    if attempt.state != IN_PROGRESS:
        return redirect(result_url)
    page = service.attempt_page(attempt) or abort(404)
    if page.attempt.state != IN_PROGRESS:
        _time_ran_out(page.attempt)
        return redirect(result_url)
    return render_template("quizzes/attempt.html", page=page, ctx=page.ctx, form=ActionForm())


@bp.route("/quiz-attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = service.owned_attempt(attempt_id, current_user, allow_trainers=True) or abort(404)
    service.close_if_expired(attempt)
    if attempt.state == IN_PROGRESS and attempt.user_id == current_user.id:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    page = service.result_page(attempt, current_user) or abort(404)
    return render_template("quizzes/result.html", page=page, ctx=page.ctx, form=ActionForm())


# Trainers --------------------------------------------------------------------------------

@bp.route(QUIZ + "/manage")
@role_required("trainer")
def manage(slug: str, module_key: str):
    ctx = service.module_context(slug, module_key) or abort(404)
    _teaching_or_403(ctx)
    return render_template("quizzes/manage.html", page=service.manage_page(ctx), ctx=ctx,
                           languages=LANGUAGES)


@bp.route(QUIZ + "/preview", methods=["GET", "POST"])
@role_required("trainer")
def preview(slug: str, module_key: str):
    ctx = _quiz_or_404(slug, module_key)
    _teaching_or_403(ctx)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        layout, questions, score = service.preview_result(ctx, request.form.get("layout", ""), request.form)
        if questions:
            return render_template("quizzes/preview_result.html", ctx=ctx, questions=questions,
                                   score=score, passed=score + 1e-9 >= ctx.quiz.pass_mark)
    layout, questions = service.preview_layout(ctx)
    return render_template("quizzes/preview.html", ctx=ctx, questions=questions,
                           layout=layout, form=form)


@bp.route(QUIZ + "/gift", methods=["GET", "POST"])
@role_required("trainer")
def upload_gift(slug: str, module_key: str):
    ctx = service.module_context(slug, module_key) or abort(404)
    _teaching_or_403(ctx)
    form = GiftUploadForm()
    problems = []
    if request.method == "GET":
        form.language.data = ctx.course.source_language
    if form.validate_on_submit():
        upload = form.file.data
        try:
            done = service.upload_gift(ctx, form.language.data, upload.read(), upload.filename or "upload.gift")
        except ContentError as error:
            problems = error.problems
        else:
            flash(ngettext("Imported %(num)d question: %(summary)s.", "Imported %(num)d questions: %(summary)s.",
                           done.questions, summary=done.report.summary()), "success")
            return redirect(url_for("quizzes.manage", slug=slug, module_key=module_key))
    return render_template("quizzes/gift_upload.html", ctx=ctx, form=form, problems=problems)


@bp.route(QUIZ + "/export/<lang>.gift")
@role_required("trainer")
def export_gift(slug: str, module_key: str, lang: str):
    if lang not in LANGUAGES:
        abort(404)
    ctx = _quiz_or_404(slug, module_key)
    _teaching_or_403(ctx)
    text = service.export_gift_text(ctx, lang)
    return HttpResponse(text, mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="{slug}-{module_key}-{lang}.gift"'})


@bp.route("/quiz-grading")
@role_required("trainer")
def grading_queue():
    return render_template("quizzes/grading_queue.html", essays=service.grading_queue(current_user))


@bp.route("/quiz-grading/<int:response_id>", methods=["GET", "POST"])
@role_required("trainer")
def grade_essay(response_id: int):
    page = service.essay_page(response_id, current_user) or abort(404)
    form = EssayGradeForm()
    if request.method == "GET" and page.response.fraction is not None:
        form.percent.data = f"{page.response.fraction * 100:g}"
        form.comment.data = page.response.comment or ""
    if form.validate_on_submit():
        try:
            service.grade_essay(page, current_user, form.percent.number, form.comment.data)
        except QuizError as error:
            form.percent.errors.append(error.message)
        else:
            flash(_("Grade saved for %(name)s.", name=page.learner.name), "success")
            return redirect(url_for("quizzes.grading_queue"))
    return render_template("quizzes/grade_essay.html", page=page, ctx=page.ctx, form=form)
