from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.admin import bp
from lms.admin.forms import ROLE_LABELS, ActiveForm, RolesForm
from lms.auth import service as accounts
from lms.auth.access import role_required
from lms.auth.models import User
from lms.extensions import db


@bp.route("/people")
@role_required("admin")
def people():
    query = request.args.get("q", "").strip()[:100]
    role = request.args.get("role") if request.args.get("role") in ROLE_LABELS else None
    page = request.args.get("page", 1, type=int)
    return render_template("admin/people.html", pagination=accounts.search_people(query, role, page),
                           query=query, role=role, role_labels=ROLE_LABELS)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def person(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RolesForm(roles=sorted(user.roles))
    if form.validate_on_submit():
        try:
            accounts.set_roles(user, set(form.roles.data or []), current_user)
        except accounts.AccountError as error:
            form.roles.errors.append(error.message)
        else:
            flash(_("Roles of %(name)s saved.", name=user.name), "success")
            return redirect(url_for("admin.person", user_id=user.id))
    return render_template("admin/person.html", person=user, form=form, active_form=ActiveForm(),
                           role_labels=ROLE_LABELS)


@bp.route("/people/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def set_active(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ActiveForm()
    if form.validate_on_submit():
        make_active = request.form.get("active") == "1"
        try:
            accounts.set_active(user, make_active, current_user)
        except accounts.AccountError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Account reactivated.") if make_active else _("Account deactivated."), "success")
    return redirect(url_for("admin.person", user_id=user.id))
