from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.advice.transitions import TransitionError
from lms.i18n import pick
from lms.knowledge import bp, service
from lms.knowledge.forms import EntryForm, StatusForm
from lms.knowledge.links import lessons_for_entry
from lms.knowledge.models import TAG_KINDS


@bp.route("/")
def index():
    filters = service.Filters.from_args(request.args)
    entries = service.published_entries(filters)
    return render_template("knowledge/index.html", entries=[(entry, *pick(entry.text_by_language()))
                                                            for entry in entries], filters=filters,
                           kind_labels=service.KIND_LABELS)


@bp.route("/<slug>")
def entry(slug: str):
    item = service.published_entry(slug)
    if item is None:
        abort(404)
    text, language = pick(item.text_by_language())
    source_visible = False
    if current_user.is_authenticated and item.source_request_id:
        from lms.advice.service import visible_request

        source_visible = visible_request(item.source_request_id, current_user) is not None
    lesson = None
    if item.source_lesson_id:
        from lms.content.models import Course, Lesson
        from lms.extensions import db

        lesson = db.session.execute(
            db.select(Course.slug, Lesson.key).join(Lesson, Lesson.course_id == Course.id)
            .where(Lesson.id == item.source_lesson_id, Course.published.is_(True),
                   Lesson.archived_at.is_(None))).first()
    return render_template("knowledge/entry.html", entry=item, text=text, text_language=language,
                           source_visible=source_visible, lesson=lesson, lessons=lessons_for_entry(item),
                           kind_labels=service.KIND_LABELS)


def _form_data(entry) -> dict:
    texts = entry.text_by_language()
    data = {"slug": entry.slug}
    for language in ("es", "en"):
        text = texts.get(language)
        data[f"title_{language}"] = text.title if text else ""
        data[f"summary_{language}"] = text.summary if text else ""
        data[f"body_{language}"] = text.body_markdown if text else ""
    for kind in TAG_KINDS:
        data[kind] = entry.tag_codes(kind)
    return data


@bp.route("/drafts/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit(entry_id: int):
    found = service.editable_entry(entry_id, current_user)
    if found is None:
        abort(404)
    item, member = found
    form = EntryForm(data=_form_data(item)) if request.method == "GET" else EntryForm()
    if form.validate_on_submit():
        try:
            service.update_entry(item, member, service.EntryEdit(
                slug=form.slug.data.strip(),
                texts={language: (form[f"title_{language}"].data or "",
                                  form[f"summary_{language}"].data or "",
                                  form[f"body_{language}"].data or "") for language in ("es", "en")},
                tags={kind: form[kind].data or [] for kind in TAG_KINDS}))
        except TransitionError as error:
            target = error.code if error.code in form._fields else "slug"
            form[target].errors = list(form[target].errors) + [error.message]
        else:
            flash(_("The entry has been saved."), "success")
            return redirect(url_for("knowledge.edit", entry_id=item.id))
    return render_template("knowledge/edit.html", form=form, entry=item,
                           status_form=StatusForm(formdata=None),
                           can_publish=service.can_publish(item, member), status_labels=service.STATUS_LABELS)


@bp.route("/drafts/<int:entry_id>/status", methods=["POST"])
@login_required
def change_status(entry_id: int):
    found = service.editable_entry(entry_id, current_user)
    if found is None:
        abort(404)
    item, member = found
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.change_status(item, member, current_user, form.action.data, form.confirm_anonymous.data)
    except TransitionError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The entry is now: %(status)s.", status=service.STATUS_LABELS[item.status]), "success")
    return redirect(url_for("knowledge.edit", entry_id=item.id))
