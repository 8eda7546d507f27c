from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.i18n import current_language, pick
from lms.prospectus import bp, service
from lms.prospectus.forms import field_name, prospectus_form


@bp.route("/")
@login_required
def index():
    return render_template("prospectus/index.html", prospectuses=service.my_prospectuses(current_user.id),
                           templates=service.active_templates())


def _data(form) -> service.ProspectusData:
    return service.ProspectusData(
        title=form.title.data or "", language=form.language.data, region=form.region.data or None,
        value_chain=form.value_chain.data or None,
        answers={spec.id: field.data or "" for spec, field in form.sections})


def _show_error(form, error: service.ProspectusError) -> None:
    if isinstance(error, service.MissingSections):
        for spec, field in form.sections:
            if spec.id in error.section_ids:
                field.errors = list(field.errors or []) + [service.REQUIRED_TO_SEND]
        flash(_("Your draft is saved, but it cannot be sent yet: fill in the marked sections."), "error")
        return
    name = field_name(error.field) if error.field and field_name(error.field) in form._fields else error.field
    if name in form._fields and name not in ("save", "send", "token"):
        form[name].errors = list(form[name].errors or []) + [error.message]
    else:
        flash(str(error.message), "error")


def _after_save(prospectus, review) -> object:
    if review is not None:
        flash(_("Your prospectus has been sent to an expert for review. You will be notified of the answer."),
              "success")
        return redirect(url_for("advice.request_detail", request_id=review.id))
    flash(_("Your draft has been saved."), "success")
    return redirect(url_for("prospectus.edit", prospectus_id=prospectus.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    template = service.template_for_new(request.args.get("template"))
    if template is None:
        return render_template("prospectus/unavailable.html")
    form = prospectus_form(template, current_language())
    if request.method == "GET":
        form.token.data = secrets.token_urlsafe(24)
        form.language.data = current_language()
        form.region.data = current_user.region or ""
    if form.validate_on_submit():
        try:
            prospectus, review = service.create(current_user, template, form.token.data, _data(form),
                                                send=form.send.data, consent=form.consent.data)
        except service.ProspectusError as error:
            _show_error(form, error)
        else:
            return _after_save(prospectus, review)
    return _render(form, template, None)


@bp.route("/<int:prospectus_id>", methods=["GET", "POST"])
@login_required
def edit(prospectus_id: int):
    prospectus = service.owned_prospectus(prospectus_id, current_user)
    if prospectus is None:
        abort(404)
    if request.method == "GET":
        form = prospectus_form(prospectus.template, current_language(), formdata=None, data={
            "title": prospectus.title, "language": prospectus.language, "region": prospectus.region or "",
            "value_chain": prospectus.value_chain or "",
            **{field_name(key): value for key, value in (prospectus.answers or {}).items()}})
    else:
        form = prospectus_form(prospectus.template, current_language())
    if form.validate_on_submit():
        try:
            review = service.save(prospectus, current_user, _data(form), send=form.send.data,
                                  consent=form.consent.data)
        except service.ProspectusError as error:
            _show_error(form, error)
        else:
            return _after_save(prospectus, review)
    return _render(form, prospectus.template, prospectus)


def _render(form, template, prospectus):
    return render_template("prospectus/edit.html", form=form, template=template, prospectus=prospectus,
                           heading=pick(template.titles or {}), introduction=pick(template.intros or {}))
