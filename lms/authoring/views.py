from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.auth.access import role_required
from lms.authoring import bp, export, media, publishing, quiz_editor, service, translation_status
from lms.authoring.diff import compared, diff_table
from lms.authoring.forms import (LANGUAGES, ActionForm, AuthorForm, CourseNewForm, CourseSettingsForm,
                                 LessonForm, LessonNewForm, ModuleForm, ModuleNewForm)
from lms.authoring.models import KINDS
from lms.authoring.revisions import AuthoringError, EditConflict, Submitted, course_heads, load_versions, normalise
from lms.authoring.revisions import history as revision_history
from lms.authoring.revisions import restore as restore_revision
from lms.content.markdown import render_markdown
from lms.i18n import current_language, pick


@bp.app_template_global("diff_table")
def _diff_table(old, new, old_label="", new_label=""):
    return diff_table(old, new, old_label, new_label)


# Helpers -----------------------------------------------------------------------------

def _course(slug: str, structure: bool = False):
    try:
        course = service.course_for_editing(slug, current_user, load_structure=structure)
    except service.NotAllowed:
        abort(403)
    if course is None:
        abort(404)
    return course


def _field_error(form, error: AuthoringError, fallback: str | None = None) -> None:
    name = error.field or fallback
    field = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(str(error.message), "error")


def _submitted(form, kind: str) -> dict[str, Submitted]:
    return {language: normalise(kind, getattr(form, f"title_{language}").data,
                                getattr(form, f"text_{language}").data) for language in LANGUAGES}


def _confirmed(form) -> set[str]:
    return {language for language in LANGUAGES if getattr(form, f"confirm_{language}").data}


def _fill_texts(form, state) -> None:
    for language in LANGUAGES:
        head = state.heads.get(language)
        getattr(form, f"title_{language}").data = head.title if head else ""
        getattr(form, f"text_{language}").data = head.text if head else ""
        getattr(form, f"base_{language}").data = str(head.number) if head else ""


def _on_conflict(form, conflict: EditConflict) -> None:
    flash(str(conflict.message), "error")
    for item in conflict.conflicts:
        getattr(form, f"base_{item.language}").data = str(item.head.number)


def _bases(form) -> dict[str, int | None]:
    return {language: form.base(language) for language in LANGUAGES}


def _saved_message(written) -> None:
    if written:
        flash(_("Saved. Learners see the new texts once they are published."), "success")
    else:
        flash(_("Saved."), "success")


@dataclass
class _Edit:
    """What the editor flow did: saved (redirect), or the page again with a conflict or errors."""
    saved: bool = False
    valid: bool = False  # a post that passed the form's checks
    conflict: EditConflict | None = None
    state: service.EditorState | None = None


def _edit(course, kind: str, item, form, fill: Callable[[], None],
          save: Callable[[dict, dict, set], list] | None) -> _Edit:
    """The course, module and lesson editors' shared flow.

    A GET fills the form: `fill()` its settings, then each language's draft.
    A valid post calls `save(texts, bases, confirmed)` (None: a post that is no
    save, such as a preview) and says what was saved; a refusal goes next to
    its field, a conflict keeps what was typed and names the newer revisions.
    """
    if request.method == "GET":
        fill()
        state = service.editor_state(course, kind, item, LANGUAGES)
        _fill_texts(form, state)
        return _Edit(state=state)
    if not form.validate_on_submit():
        return _Edit()
    if save is None:
        return _Edit(valid=True)
    try:
        written = save(_submitted(form, kind), _bases(form), _confirmed(form))
    except AuthoringError as error:
        _field_error(form, error)
    except EditConflict as error:
        _on_conflict(form, error)
        return _Edit(valid=True, conflict=error)
    else:
        _saved_message(written)
        return _Edit(saved=True, valid=True)
    return _Edit(valid=True)


def _editor_page(template: str, course, kind: str, item, form, edit: _Edit, **context):
    state = edit.state or service.editor_state(course, kind, item, LANGUAGES)
    html = render_template(template, course=course, item=item, kind=kind, form=form, state=state,
                           conflict=edit.conflict, languages=LANGUAGES, action_form=ActionForm(), **context)
    return html, 409 if edit.conflict is not None else 200


def _move(course, kind: str, item, move: Callable):
    """Move a module or lesson up or down, then back to it on the course page."""
    if ActionForm().validate_on_submit() and request.form.get("direction") in ("up", "down"):
        try:
            move(course, item, request.form["direction"])
        except AuthoringError as error:
            flash(str(error.message), "error")
    return redirect(url_for("authoring.course", slug=course.slug) + f"#{kind}-{item.key}")


def _archive(course, item, restored: str, archived: str):
    """Archive a module or lesson, or bring it back, and say which with `restored` or `archived`."""
    state = request.form.get("state")
    if ActionForm().validate_on_submit() and state in ("archived", "active"):
        restore = state == "active"
        service.set_archived(course, item, not restore)
        flash(str(restored if restore else archived), "success")
    return redirect(url_for("authoring.course", slug=course.slug))


def _restored_message(old: int, new: int | None) -> None:
    """What restoring revision `old` of a text or a quiz did (`new`: the revision it made, if any)."""
    if new is None:
        flash(_("This is already the current text."), "info")
    else:
        flash(_("Revision %(old)d restored as revision %(new)d (a draft until published).",
                old=old, new=new), "success")


# Courses -----------------------------------------------------------------------------

@bp.route("/author")
@role_required("trainer")
def index():
    courses = [(course, *pick(course.text_by_language())) for course in service.editable_courses(current_user)]
    return render_template("authoring/index.html", courses=courses)


@bp.route("/author/courses/new", methods=["GET", "POST"])
@role_required("trainer")
def new_course():
    form = CourseNewForm()
    if request.method == "GET":
        form.source_language.data = current_language()
    if form.validate_on_submit():
        meta = service.CourseMeta(form.source_language.data, form.hours.data, form.tags())
        try:
            course = service.create_course(current_user, form.slug.data, meta, _submitted(form, "course"))
        except AuthoringError as error:
            _field_error(form, error)
        else:
            flash(_("Course created. Add its modules and lessons, then publish it."), "success")
            return redirect(url_for("authoring.course", slug=course.slug))
    return render_template("authoring/course_new.html", form=form, languages=LANGUAGES)


@bp.route("/author/courses/<slug>")
@role_required("trainer")
def course(slug: str):
    course = _course(slug)
    modules = service.structure(course)
    heads = course_heads(course, publishing.published_rows(course, modules))
    authors = service.authors(course)
    return render_template("authoring/course.html", course=course, modules=modules,
                           waiting=publishing.waiting(course, modules, heads), authors=authors,
                           titles=publishing.titles(heads),
                           may_manage=service.may_manage_authors(current_user, course, authors),
                           author_form=AuthorForm(), action_form=ActionForm(),
                           title=_title(heads["course"], course.id, course.slug))


def _title(heads, item_id, default):
    version, _language = pick({lang: v for (iid, lang), v in heads.items() if iid == item_id})
    return version.title if version else default


@bp.route("/author/courses/<slug>/settings", methods=["GET", "POST"])
@role_required("trainer")
def course_settings(slug: str):
    course = _course(slug)
    form = CourseSettingsForm()

    def fill():
        form.source_language.data = course.source_language
        form.hours.data = course.hours
        for kind in ("topics", "regions", "value_chains", "sdgs"):
            getattr(form, kind).data = course.tag_codes(kind)

    def save(texts, bases, confirmed):
        meta = service.CourseMeta(form.source_language.data, form.hours.data, form.tags())
        return service.save_course(course, current_user, texts, bases, confirmed, meta)

    edit = _edit(course, "course", course, form, fill, save)
    if edit.saved:
        return redirect(url_for("authoring.course_settings", slug=course.slug))
    return _editor_page("authoring/course_settings.html", course, "course", course, form, edit)


@bp.route("/author/courses/<slug>/authors", methods=["POST"])
@role_required("trainer")
def add_author(slug: str):
    course = _course(slug)
    form = AuthorForm()
    if form.validate_on_submit():
        try:
            service.add_author(course, current_user, form.email.data, form.role.data)
        except service.NotAllowed:
            abort(403)
        except AuthoringError as error:
            flash(str(error.message), "error")
        else:
            flash(_("%(email)s can now edit this course.", email=form.email.data), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return redirect(url_for("authoring.course", slug=course.slug) + "#authors")


@bp.route("/author/courses/<slug>/authors/<int:user_id>/remove", methods=["POST"])
@role_required("trainer")
def remove_author(slug: str, user_id: int):
    course = _course(slug)
    if ActionForm().validate_on_submit():
        try:
            service.remove_author(course, current_user, user_id)
        except service.NotAllowed:
            abort(403)
        except AuthoringError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Author removed."), "success")
    return redirect(url_for("authoring.course", slug=course.slug) + "#authors")


# Modules -----------------------------------------------------------------------------

@bp.route("/author/courses/<slug>/modules/new", methods=["GET", "POST"])
@role_required("trainer")
def new_module(slug: str):
    course = _course(slug)
    form = ModuleNewForm()
    if form.validate_on_submit():
        try:
            module = service.add_module(course, current_user, form.key.data, _submitted(form, "module"))
        except AuthoringError as error:
            _field_error(form, error)
        else:
            flash(_("Module added as a draft."), "success")
            return redirect(url_for("authoring.module", slug=course.slug, key=module.key))
    return render_template("authoring/module_new.html", course=course, form=form, languages=LANGUAGES)


def _module(course, key: str):
    module = service.module_by_key(course, key)
    if module is None:
        abort(404)
    return module


@bp.route("/author/courses/<slug>/modules/<key>", methods=["GET", "POST"])
@role_required("trainer")
def module(slug: str, key: str):
    course = _course(slug)
    module = _module(course, key)
    form = ModuleForm()
    form.required_lessons.choices = [SelectChoice(lesson.key, lesson.key) for lesson in module.lessons
                                     if lesson.archived_at is None]

    def fill():
        form.quiz_required.data = module.quiz_required
        form.required_lessons.data = list(module.required_lessons or [])

    def save(texts, bases, confirmed):
        return service.save_module(course, module, current_user, texts, bases, confirmed,
                                   form.required_lessons.data, form.quiz_required.data)

    edit = _edit(course, "module", module, form, fill, save)
    if edit.saved:
        return redirect(url_for("authoring.module", slug=course.slug, key=module.key))
    return _editor_page("authoring/module.html", course, "module", module, form, edit, module=module)


@bp.route("/author/courses/<slug>/modules/<key>/move", methods=["POST"])
@role_required("trainer")
def move_module(slug: str, key: str):
    course = _course(slug)
    module = _module(course, key)
    return _move(course, "module", module, service.move_module)


@bp.route("/author/courses/<slug>/modules/<key>/archive", methods=["POST"])
@role_required("trainer")
def archive_module(slug: str, key: str):
    course = _course(slug)
    module = _module(course, key)
    return _archive(course, module, _l("Module restored."), _l("Module archived: learners no longer see it."))


@bp.route("/author/courses/<slug>/modules/<key>/publish", methods=["POST"])
@role_required("trainer")
def publish_module(slug: str, key: str):
    return _publish(slug, "module", key)


# Lessons -----------------------------------------------------------------------------

@bp.route("/author/courses/<slug>/modules/<key>/lessons/new", methods=["GET", "POST"])
@role_required("trainer")
def new_lesson(slug: str, key: str):
    course = _course(slug)
    module = _module(course, key)
    form = LessonNewForm()
    if form.validate_on_submit():
        try:
            lesson = service.add_lesson(course, module, current_user, form.key.data, _submitted(form, "lesson"),
                                        form.minutes.data)
        except AuthoringError as error:
            _field_error(form, error)
        else:
            flash(_("Lesson added as a draft."), "success")
            return redirect(url_for("authoring.lesson", slug=course.slug, key=lesson.key))
    return render_template("authoring/lesson_new.html", course=course, module=module, form=form,
                           languages=LANGUAGES)


def _lesson(course, key: str):
    lesson = service.lesson_by_key(course, key)
    if lesson is None:
        abort(404)
    return lesson


@bp.route("/author/courses/<slug>/lessons/<key>", methods=["GET", "POST"])
@role_required("trainer")
def lesson(slug: str, key: str):
    course = _course(slug)
    lesson = _lesson(course, key)
    form = LessonForm()
    action = request.form.get("action", "save")  # or "preview", or "upload" an image

    def fill():
        form.minutes.data = lesson.minutes

    def save(texts, bases, confirmed):
        return service.save_lesson(course, lesson, current_user, texts, bases, confirmed, form.minutes.data)

    edit = _edit(course, "lesson", lesson, form, fill, save if action == "save" else None)
    if edit.saved:
        return redirect(url_for("authoring.lesson", slug=course.slug, key=lesson.key))
    if edit.valid and action == "upload":
        _upload(course, form)
    previews = {language: render_markdown(getattr(form, f"text_{language}").data or "") for language in LANGUAGES}
    return _editor_page("authoring/lesson.html", course, "lesson", lesson, form, edit, lesson=lesson,
                        previews=previews, images=media.course_media(course), markdown_for=media.markdown_for)


def _upload(course, form) -> None:
    upload = form.image.data
    data = upload.read() if upload else b""
    try:
        image = media.save_image(course, current_user, data, getattr(upload, "filename", "") or "",
                                 form.alt.data)
    except AuthoringError as error:
        _field_error(form, error, "image")
        return
    language = form.image_language.data if form.image_language.data in LANGUAGES else course.source_language
    field = getattr(form, f"text_{language}")
    snippet = media.markdown_for(image, form.alt.data)
    field.data = ((field.data or "").rstrip() + "\n\n" + snippet + "\n").lstrip()
    form.alt.data = ""
    flash(_("Image uploaded and added at the end of the text. Save to keep it."), "success")


@bp.route("/author/courses/<slug>/lessons/<key>/move", methods=["POST"])
@role_required("trainer")
def move_lesson(slug: str, key: str):
    course = _course(slug)
    lesson = _lesson(course, key)
    return _move(course, "lesson", lesson, service.move_lesson)


@bp.route("/author/courses/<slug>/lessons/<key>/archive", methods=["POST"])
@role_required("trainer")
def archive_lesson(slug: str, key: str):
    course = _course(slug)
    lesson = _lesson(course, key)
    return _archive(course, lesson, _l("Lesson restored."), _l("Lesson archived: learners no longer see it."))


@bp.route("/author/courses/<slug>/lessons/<key>/publish", methods=["POST"])
@role_required("trainer")
def publish_lesson(slug: str, key: str):
    return _publish(slug, "lesson", key)


@bp.route("/author/courses/<slug>/publish", methods=["POST"])
@role_required("trainer")
def publish_course(slug: str):
    return _publish(slug, "course", slug)


def _publish(slug: str, scope: str, key: str):
    course = _course(slug)
    modules = service.structure(course)
    if scope == "course":
        target = course
    elif scope == "module":
        target = next((m for m in modules if m.key == key), None)
    else:
        target = next((lesson for m in modules for lesson in m.lessons if lesson.key == key), None)
    if target is None:
        abort(404)
    if ActionForm().validate_on_submit():
        count = publishing.publish(course, modules, current_user, scope, target)
        if count:
            flash(_("Published: learners now see the new texts."), "success")
        else:
            flash(_("There was nothing new to publish."), "info")
    back = request.form.get("back")
    if back == "lesson" and scope == "lesson":
        return redirect(url_for("authoring.lesson", slug=course.slug, key=key))
    if back == "module" and scope == "module":
        return redirect(url_for("authoring.module", slug=course.slug, key=key))
    return redirect(url_for("authoring.course", slug=course.slug) + "#waiting")


# History -----------------------------------------------------------------------------

def _history_item(course, kind: str, key: str, language: str):
    if kind not in KINDS or language not in LANGUAGES:
        abort(404)
    item = service.item_for(course, kind, key)
    if item is None:
        abort(404)
    return item


@bp.route("/author/courses/<slug>/history/<kind>/<key>/<language>")
@role_required("trainer")
def history(slug: str, kind: str, key: str, language: str):
    course = _course(slug)
    item = _history_item(course, kind, key, language)
    versions = revision_history(kind, item, language)
    old, new = compared([v.number for v in versions], request.args.get("a", type=int),
                        request.args.get("b", type=int))
    loaded = load_versions(kind, item, [(language, old), (language, new)])
    return render_template("authoring/history.html", course=course, kind=kind, key=key, language=language,
                           item=item, versions=versions, old=loaded.get((language, old)),
                           new=loaded.get((language, new)), action_form=ActionForm(),
                           published=item.text_by_language().get(language))


@bp.route("/author/courses/<slug>/history/<kind>/<key>/<language>/<int:number>/restore", methods=["POST"])
@role_required("trainer")
def restore(slug: str, kind: str, key: str, language: str, number: int):
    course = _course(slug)
    item = _history_item(course, kind, key, language)
    if ActionForm().validate_on_submit():
        try:
            new_number = restore_revision(course, kind, item, language, number, current_user)
        except AuthoringError as error:
            flash(str(error.message), "error")
        except EditConflict as error:
            flash(str(error.message), "error")
        else:
            _restored_message(number, new_number)
    return redirect(url_for("authoring.history", slug=course.slug, kind=kind, key=key, language=language))


# Translations ------------------------------------------------------------------------

@bp.route("/author/courses/<slug>/translations")
@role_required("trainer")
def translations(slug: str):
    course = _course(slug)
    modules = [m for m in service.structure(course) if m.archived_at is None]
    heads = course_heads(course, publishing.published_rows(course, modules))
    rows = translation_status.dashboard(course, modules, heads, LANGUAGES, current_language(),
                                        quiz_editor.quiz_states(modules))
    return render_template("authoring/translations.html", course=course, rows=rows, languages=LANGUAGES,
                           counts=translation_status.summary(rows, LANGUAGES))


# Export ------------------------------------------------------------------------------

@bp.route("/author/courses/<slug>/export.zip")
@role_required("trainer")
def export_zip(slug: str):
    course = _course(slug)
    loaded = export.load_for_export(course.slug)
    try:
        data = export.export_zip(loaded)
    except AuthoringError as error:
        flash(str(error.message), "error")
        return redirect(url_for("authoring.course", slug=course.slug))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{course.slug}.zip")


# Preview and media ---------------------------------------------------------------------

@bp.route("/author/preview", methods=["POST"])
@role_required("trainer")
def preview():
    """Markdown rendered exactly as learners see it, for the editor's script."""
    text = request.form.get("text", "")[:200_000]
    return jsonify(html=str(render_markdown(text)))


@bp.route("/media/<name>")
def media_file(name: str):
    path = media.stored_file(name)
    if path is None:
        abort(404)
    # Read whole (images are small, resized at upload); the name is the content hash.
    response = Response(path.read_bytes(), mimetype=media.CONTENT_TYPES[name.rsplit(".", 1)[1]])
    response.set_etag(name.split(".")[0])
    response = response.make_conditional(request)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

