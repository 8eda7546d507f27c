from __future__ import annotations

import io

from flask import (Response, abort, current_app, flash, g, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from lms.advice import attachments as files
from lms.advice import bp, dashboard, display, notifications, queue, service
from lms.advice.forms import (ActionForm, CannedReplyForm, EditMessageForm, ExpertiseForm, MergeForm,
                              MessageForm, NoteForm, QueueForm, RateForm, ReassignForm, RejectForm,
                              RequestForm, preferences_form)
from lms.advice.transitions import ACTION_LABELS, STATE_LABELS, TransitionError
from lms.auth.access import role_required
from lms.i18n import current_language
from lms.ops import page_shell
from lms.person import signed_in_user
from lms.timeutil import utcnow
from lms.urls import page_number


# Set on the signed-in User by its loader (lms.auth.service.SESSION_USER_EXTRAS).
UNREAD_ATTRIBUTE = "loaded_unread_notifications"


def unread_notifications() -> int:
    """For the header, only for people signed in: counted in the query that
    loads the person (no query of its own), else one COUNT per page."""
    if "unread_notifications" not in g:
        user = signed_in_user()
        if user is None:
            return 0
        loaded = getattr(user, UNREAD_ATTRIBUTE, None)
        g.unread_notifications = loaded if loaded is not None else notifications.unread_count(user.id)
    return g.unread_notifications


def _uploads(field) -> list[files.Upload]:
    limit = current_app.config["ADVICE_ATTACHMENT_MAX_BYTES"]
    result = []
    for storage in field.data or []:
        if storage is not None and getattr(storage, "filename", None):
            result.append(files.Upload(storage.filename, storage.read(limit + 1)))
    return result


def _queue_choices():
    return [SelectChoice(item.id, item.name()) for item in queue.queue_choices()]


# Learners -------------------------------------------------------------------------

@bp.route("/")
@login_required
def my_requests():
    return render_template("advice/my_requests.html", requests=service.my_requests(current_user.id),
                           unread=service.unread_by_request(current_user.id), state_labels=STATE_LABELS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_request():
    form = RequestForm()
    form.queue_id.choices = _queue_choices()
    if request.method == "GET":
        form.language.data = current_language()
        form.region.data = current_user.region or ""
        form.lesson_id.data = request.args.get("lesson", "")
        if request.args.get("queue", type=int):
            form.queue_id.data = request.args.get("queue", type=int)
    if form.validate_on_submit():
        lesson_id = int(form.lesson_id.data) if (form.lesson_id.data or "").isdigit() else None
        try:
            created = service.submit(current_user, service.NewRequest(
                title=form.title.data, body=form.body.data, queue_id=form.queue_id.data,
                phase=form.phase.data, language=form.language.data, region=form.region.data,
                value_chain=form.value_chain.data,
                lesson_id=lesson_id, consent=form.consent.data, uploads=_uploads(form.attachments)))
        except TransitionError as error:
            _field_error(form, error, default="body")
        else:
            flash(_("Your request has been sent. You will be notified when an expert replies."), "success")
            return redirect(url_for("advice.request_detail", request_id=created.id))
    return render_template("advice/new.html", form=form)


def _field_error(form, error: TransitionError, default: str) -> None:
    name = error.code if error.code in form._fields else ("attachments" if error.code == "attachment"
                                                          and "attachments" in form._fields else default)
    form[name].errors = list(form[name].errors or []) + [error.message]


# One request ----------------------------------------------------------------------

def _page_or_404(request_id: int):
    unread = unread_notifications()  # the header's count, read once per page
    if unread:
        # Opening the request reads its notifications. Before loading the
        # page: the commit would expire what is loaded. Harmless for an id
        # the person may not see: they have no notification about it.
        g.unread_notifications = unread - notifications.mark_read(current_user.id, utcnow(), request_id)
    page = service.request_page(request_id, current_user)
    if page is None:
        abort(404)
    return page


def _render_detail(page, **forms):
    message_form = forms.get("message_form") or MessageForm(formdata=None)
    canned_id = request.args.get("canned", type=int)
    if canned_id and "message_form" not in forms:
        chosen = next((item for item in page.canned if item.id == canned_id), None)
        if chosen is not None:
            message_form.body.data = chosen.body_markdown
    reassign_form = forms.get("reassign_form") or ReassignForm(formdata=None)
    reassign_form.expert_id.choices = [SelectChoice(expert.id, expert.name) for expert in page.experts]
    rate_form = forms.get("rate_form") or RateForm(formdata=None, rating=page.request.rating,
                                                   comment=page.request.rating_comment,
                                                   consent=page.request.publish_consent)
    return render_template(
        "advice/detail.html", page=page, item=page.request, state_labels=STATE_LABELS,
        action_labels=ACTION_LABELS, event_labels=service.EVENT_LABELS, phase_labels=service.PHASE_LABELS,
        message_form=message_form, note_form=forms.get("note_form") or NoteForm(formdata=None),
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        merge_form=forms.get("merge_form") or MergeForm(formdata=None),
        reassign_form=reassign_form, rate_form=rate_form, action_form=ActionForm(formdata=None),
        now=utcnow())


@bp.route("/requests/<int:request_id>")
@login_required
def request_detail(request_id: int):
    return _render_detail(_page_or_404(request_id))


def _act(request_id: int, operation, success: str):
    """Run one button's operation; refusals come back as a flash message."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operation()
    except service.NotFound:
        abort(404)
    except TransitionError as error:
        flash(str(error.message), "error")
    else:
        flash(success, "success")
    return redirect(url_for("advice.request_detail", request_id=request_id))


@bp.route("/requests/<int:request_id>/claim", methods=["POST"])
@login_required
def claim(request_id: int):
    return _act(request_id, lambda: service.claim(request_id, current_user),
                _("You have claimed this request. It is yours until you answer or release it."))


@bp.route("/requests/<int:request_id>/release", methods=["POST"])
@login_required
def release(request_id: int):
    return _act(request_id, lambda: service.release(request_id, current_user),
                _("The request is back in the queue."))


@bp.route("/requests/<int:request_id>/accept", methods=["POST"])
@login_required
def accept(request_id: int):
    return _act(request_id, lambda: service.accept(request_id, current_user),
                _("Thank you. The request is closed."))


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id: int):
    return _act(request_id, lambda: service.withdraw(request_id, current_user),
                _("You have withdrawn the request."))


@bp.route("/requests/<int:request_id>/take-over", methods=["POST"])
@login_required
def take_over(request_id: int):
    return _act(request_id, lambda: service.reassign(request_id, current_user, current_user.id,
                                                     action="take_over"),
                _("You have taken over this request."))


def _form_post(request_id: int, form, operation, success: str, form_name: str, default_field: str):
    """A posted form: errors are shown next to the fields, with what was typed."""
    if form.validate_on_submit():
        try:
            operation(form)
        except service.NotFound:
            abort(404)
        except TransitionError as error:
            if error.code in ("state", "role", "changed", "taken", "window", "unknown"):
                flash(str(error.message), "error")
                return redirect(url_for("advice.request_detail", request_id=request_id))
            _field_error(form, error, default=default_field)
        else:
            flash(success, "success")
            return redirect(url_for("advice.request_detail", request_id=request_id))
    return _render_detail(_page_or_404(request_id), **{form_name: form})


@bp.route("/requests/<int:request_id>/message", methods=["POST"])
@login_required
def post_message(request_id: int):
    form = MessageForm()
    return _form_post(
        request_id, form,
        lambda f: service.post_message(request_id, current_user, request.form.get("action", ""), f.body.data,
                                       _uploads(f.attachments)),
        _("Your message has been sent."), "message_form", "body")


@bp.route("/requests/<int:request_id>/note", methods=["POST"])
@login_required
def add_note(request_id: int):
    form = NoteForm()
    return _form_post(request_id, form,
                      lambda f: service.add_note(request_id, current_user, f.note.data,
                                                 _uploads(f.attachments)),
                      _("Internal note saved."), "note_form", "note")


@bp.route("/requests/<int:request_id>/reassign", methods=["POST"])
@login_required
def reassign(request_id: int):
    form = ReassignForm()
    return _form_post(request_id, form,
                      lambda f: service.reassign(request_id, current_user, f.expert_id.data),
                      _("The request has been reassigned."), "reassign_form", "expert_id")


@bp.route("/requests/<int:request_id>/reject", methods=["POST"])
@login_required
def reject(request_id: int):
    form = RejectForm()
    return _form_post(request_id, form, lambda f: service.reject(request_id, current_user, f.reason.data),
                      _("The request has been rejected; the learner sees your reason."),
                      "reject_form", "reason")


@bp.route("/requests/<int:request_id>/merge", methods=["POST"])
@login_required
def merge(request_id: int):
    form = MergeForm()
    return _form_post(request_id, form, lambda f: service.merge(request_id, current_user, f.target_id.data),
                      _("The request has been merged."), "merge_form", "target_id")


@bp.route("/requests/<int:request_id>/rate", methods=["POST"])
@login_required
def rate(request_id: int):
    form = RateForm()
    return _form_post(request_id, form,
                      lambda f: service.rate(request_id, current_user, f.rating.data, f.comment.data,
                                             f.consent.data),
                      _("Thank you for your rating."), "rate_form", "rating")


@bp.route("/requests/<int:request_id>/publish", methods=["POST"])
@login_required
def publish(request_id: int):
    from lms.knowledge import service as knowledge

    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        entry = knowledge.draft_from_request(request_id, current_user)
    except service.NotFound:
        abort(404)
    except TransitionError as error:
        flash(str(error.message), "error")
        return redirect(url_for("advice.request_detail", request_id=request_id))
    flash(_("A draft knowledge entry has been prepared. Edit it before sending it for review."), "success")
    return redirect(url_for("knowledge.edit", entry_id=entry.id))


@bp.route("/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit_message(message_id: int):
    message = service.message_for_edit(message_id, current_user)
    if message is None:
        abort(404)
    if message.author_id != current_user.id:
        abort(403)
    form = EditMessageForm(body=message.body_markdown)
    if form.validate_on_submit():
        try:
            service.edit_message(message_id, current_user, form.body.data)
        except service.NotFound:
            abort(404)
        except TransitionError as error:
            form.body.errors = list(form.body.errors) + [error.message]
        else:
            flash(_("Your message has been changed; the earlier text is kept in its history."), "success")
            target = url_for("advice.request_detail", request_id=message.request_id)
            return redirect(f"{target}#m{message.id}")
    return render_template("advice/edit_message.html", form=form, message=message)


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    item = service.attachment_for(attachment_id, current_user)
    if item is None:
        abort(404)
    path = files.path_of(item.stored_name)
    if not path.is_file():
        abort(404)
    # Small files (ADVICE_ATTACHMENT_MAX_BYTES): read whole, no file handle outlives the request.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=item.content_type, as_attachment=True,
                         download_name=item.filename, conditional=False, etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Experts ----------------------------------------------------------------------------

@bp.route("/inbox")
@role_required("expert")
def inbox():
    member = queue.membership(current_user)
    box = queue.inbox(current_user, member, utcnow(), page=page_number(request.args.get("page")),
                      queue_id=request.args.get("queue", type=int))
    # The header comes from a shell shared by experts; the body is this expert's own.
    return page_shell.personal_body(("inbox",), "advice/inbox.html", "advice/_inbox_body.html",
                                    box=box, member=member, held=display.held_rows(box.mine, STATE_LABELS),
                                    waiting=display.waiting_rows(box.available, service.PHASE_LABELS),
                                    action_form=ActionForm(formdata=None))


@bp.route("/inbox/held")
@role_required("expert")
def held():
    member = queue.membership(current_user)
    box = queue.held(current_user, member, utcnow(), page=page_number(request.args.get("page")))
    return render_template("advice/held.html", box=box, held=display.held_rows(box.rows, STATE_LABELS))


@bp.route("/expertise", methods=["GET", "POST"])
@role_required("expert")
def expertise():
    current = service.expertise_choice(current_user.id)
    form = ExpertiseForm(data=None if request.method == "POST" else {
        "queue_ids": current.queue_ids, "regions": current.regions, "value_chains": current.value_chains,
        "languages": current.languages})
    form.queue_ids.choices = _queue_choices()
    if form.validate_on_submit():
        service.save_expertise(current_user, service.ExpertiseChoice(
            form.queue_ids.data or [], form.regions.data or [], form.value_chains.data or [],
            form.languages.data or []))
        flash(_("Your expertise has been saved."), "success")
        return redirect(url_for("advice.expertise"))
    return render_template("advice/expertise.html", form=form)


def _coordinator_member():
    member = queue.membership(current_user)
    if not (member.is_admin or member.coordinator_of):
        abort(403)
    return member


@bp.route("/dashboard")
@role_required("expert")
def coordinator_dashboard():
    member = _coordinator_member()
    from lms.knowledge import service as knowledge

    board = dashboard.build(member, utcnow(), request.args.get("days", 90, type=int))
    charts = dashboard.charts(board, current_language(), format_decimal,
                              lambda value: format_decimal(round(value, 1)))
    return render_template("advice/dashboard.html", board=board, charts=charts, periods=dashboard.PERIODS,
                           entries=knowledge.entries_to_review(member))


@bp.route("/dashboard.csv")
@role_required("expert")
def dashboard_csv():
    member = _coordinator_member()
    table = "experts" if request.args.get("table") == "experts" else "queues"
    board = dashboard.build(member, utcnow(), request.args.get("days", 90, type=int))
    body = dashboard.to_csv(board, table, current_language())
    filename = f"advice-{table}-{board.days}d.csv"
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Type": "text/csv; charset=utf-8"})


@bp.route("/queues/<int:queue_id>/canned", methods=["GET", "POST"])
@role_required("expert")
def canned(queue_id: int):
    target = service.coordinated_queue(queue_id, current_user)
    if target is None:
        abort(404)
    reply_id = request.args.get("edit", type=int)
    replies = service.canned_replies(queue_id)
    editing = next((item for item in replies if item.id == reply_id), None)
    form = CannedReplyForm(obj=editing) if request.method == "GET" else CannedReplyForm()
    if request.method == "GET" and editing is not None:
        form.body.data = editing.body_markdown
    if form.validate_on_submit():
        service.save_canned(target, current_user, form.title.data, form.language.data, form.body.data,
                            reply_id=editing.id if editing else None)
        flash(_("Canned reply saved."), "success")
        return redirect(url_for("advice.canned", queue_id=queue_id))
    return render_template("advice/canned.html", queue=target, replies=replies, form=form, editing=editing,
                           delete_form=ActionForm(formdata=None))


@bp.route("/queues/<int:queue_id>/canned/<int:reply_id>/delete", methods=["POST"])
@role_required("expert")
def delete_canned(queue_id: int, reply_id: int):
    target = service.coordinated_queue(queue_id, current_user)
    if target is None or not ActionForm().validate_on_submit():
        abort(404)
    try:
        service.delete_canned(target, reply_id)
    except service.NotFound:
        abort(404)
    flash(_("Canned reply deleted."), "success")
    return redirect(url_for("advice.canned", queue_id=queue_id))


# Administration ------------------------------------------------------------------------

@bp.route("/admin/queues")
@role_required("admin")
def admin_queues():
    return render_template("advice/queues.html", queues=service.all_queues())


@bp.route("/admin/queues/new", methods=["GET", "POST"])
@role_required("admin")
def admin_queue_new():
    return _queue_form(None)


@bp.route("/admin/queues/<int:queue_id>", methods=["GET", "POST"])
@role_required("admin")
def admin_queue(queue_id: int):
    return _queue_form(queue_id)


def _queue_form(queue_id: int | None):
    target = None
    if queue_id is not None:
        target = next((item for item in service.all_queues() if item.id == queue_id), None)
        if target is None:
            abort(404)
    if request.method == "GET" and target is not None:
        form = QueueForm(data={
            "slug": target.slug, "name_es": target.names.get("es", ""), "name_en": target.names.get("en", ""),
            "description_es": target.descriptions.get("es", ""),
            "description_en": target.descriptions.get("en", ""),
            "first_response_hours": target.first_response_hours, "resolution_hours": target.resolution_hours,
            "active": target.active,
            "coordinator_ids": [m.user_id for m in target.members if m.role == "coordinator"]})
    else:
        form = QueueForm()
    form.coordinator_ids.choices = [SelectChoice(user.id, f"{user.name} <{user.email}>")
                                  for user in service.experts()]
    if form.validate_on_submit():
        try:
            saved = service.save_queue(service.QueueData(
                slug=form.slug.data, names={"es": form.name_es.data, "en": form.name_en.data},
                descriptions={"es": form.description_es.data or "", "en": form.description_en.data or ""},
                first_response_hours=form.first_response_hours.data,
                resolution_hours=form.resolution_hours.data,
                active=form.active.data, coordinator_ids=form.coordinator_ids.data or []), queue_id)
        except service.NotFound:
            abort(404)
        except TransitionError as error:
            _field_error(form, error, default="slug")
        else:
            flash(_("Queue “%(name)s” saved.", name=saved.name()), "success")
            return redirect(url_for("advice.admin_queues"))
    return render_template("advice/queue_form.html", form=form, queue=target)


# Notifications ---------------------------------------------------------------------------

@bp.route("/notifications")
@login_required
def notifications_list():
    return render_template("advice/notifications.html", items=notifications.recent(current_user.id),
                           form=ActionForm(formdata=None),
                           notification_link=lambda item: notifications.link_for(item.request_id, item.data))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def notifications_read():
    if ActionForm().validate_on_submit():
        notifications.mark_read(current_user.id, utcnow())
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for("advice.notifications_list"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    current = notifications.preferences_table(current_user.id)
    kinds = _kinds_for(current_user)
    form = preferences_form(kinds, current)
    if form.validate_on_submit():
        notifications.save_preferences(current_user.id, {
            code: (form[f"{code}__in_app"].data, form[f"{code}__email"].data) for code in kinds})
        flash(_("Your notification choices have been saved."), "success")
        return redirect(url_for("advice.preferences"))
    return render_template("advice/preferences.html", form=form, kinds=kinds)


def _kinds_for(user) -> dict:
    audiences = {"learner"}
    if user.has_role("expert", "admin"):
        audiences |= {"expert", "coordinator"}
    return {code: kind for code, kind in notifications.KINDS.items() if kind.audience in audiences}

