from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.catalog import bp, service
from lms.i18n import pick
from lms.progress import service as progress


@bp.route("/courses")
def index():
    filters = service.CatalogFilters.from_args(request.args)
    return render_template("catalog/index.html", cards=service.list_courses(filters),
                           filters=filters, tags=service.available_tags())


@bp.route("/courses/<slug>")
def course(slug: str):
    course = service.course_by_slug(slug)
    if course is None:
        abort(404)
    text, text_language = pick(course.text_by_language())
    enrolment = (service.enrolment_for(current_user.id, course.id)
                 if current_user.is_authenticated else None)
    marks = progress.course_marks(current_user.id, course.id) if enrolment else None
    return render_template("catalog/course.html", course=course, text=text,
                           text_language=text_language, outline=service.outline(course),
                           complete_languages=service.complete_languages([course.id])[course.id],
                           enrolment=enrolment, marks=marks)


@bp.route("/courses/<slug>/enrol", methods=["POST"])
@login_required
def enrol(slug: str):
    course = service.course_by_slug(slug)
    if course is None:
        abort(404)
    _enrolment, created = service.enrol(current_user.id, course)
    if created:
        flash(_("You are enrolled. Start with the first lesson whenever you like."), "success")
    else:
        flash(_("You were already enrolled in this course."), "info")
    return redirect(url_for("catalog.course", slug=slug))


@bp.route("/courses/<slug>/lessons/<lesson_key>")
def lesson(slug: str, lesson_key: str):
    view = service.lesson_view(slug, lesson_key)
    if view is None:
        abort(404)
    # A signed-in learner's visit is recorded (when enrolled) and done lessons are marked.
    marks = (progress.record_visit(current_user.id, view.course.id, view.lesson.id)
             if current_user.is_authenticated else None)
    return render_template("catalog/lesson.html", view=view, marks=marks)


@bp.route("/my/courses")
@login_required
def my_courses():
    # "My learning" (lms.progress): progress, next steps, certificates, quiz results.
    from lms.progress.views import render_dashboard
    return render_dashboard()
