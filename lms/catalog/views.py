from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.catalog import bp, service
from lms.content import version
from lms.i18n import current_language, pick
from lms.ops import http_cache, page_shell
from lms.urls import page_number
from lms.progress import service as progress
from lms.progress.pieces import show_marks

# Rendered catalog cards (per language, filters and page) and the filter lists,
# per process, while the content version stays (lms.content.version).
_catalog_cache = version.StampCache(size=128)
# Lesson pages' content (LessonView, detached), per language and lesson.
_lesson_cache = version.StampCache(size=16)
_lesson_ids = version.StampCache(size=2048)


@dataclass(frozen=True)
class CatalogListing:
    total: int
    page: int
    pages: int
    cards_html: Markup


def _listing(filters: service.CatalogFilters, page: int) -> CatalogListing:
    found = service.catalog_page(filters, page)
    html = Markup(render_template("catalog/_cards.html", cards=found.cards))
    return CatalogListing(found.total, found.page, found.pages, html)


@bp.route("/courses")
def index():
    filters = service.CatalogFilters.from_args(request.args)
    page = page_number(request.args.get("page"))
    not_modified = http_cache.content_etag(version.current(), "catalog")
    if not_modified is not None:
        return not_modified

    def render() -> str:
        listing = _catalog_cache.get(("cards", current_language(), filters.key(), page),
                                     lambda: _listing(filters, page))
        tags = _catalog_cache.get(("tags",), service.available_tags)
        return render_template("catalog/index.html", listing=listing, filters=filters, tags=tags)

    return http_cache.visitor_page("catalog", render)


@bp.route("/courses/<slug>")
def course(slug: str):
    not_modified = http_cache.content_etag(version.current(), "course")
    if not_modified is not None:
        return not_modified

    def render() -> str:
        course = service.course_by_slug(slug)
        if course is None:
            abort(404)
        text, text_language = pick(course.text_by_language())
        enrolment = (service.enrolment_for(current_user.id, course.id)
                     if current_user.is_authenticated else None)
        marks = progress.course_marks(current_user.id, course.id) if enrolment else None
        show_marks(marks)
        return render_template("catalog/course.html", course=course, text=text,
                               text_language=text_language, outline=service.outline(course),
                               complete_languages=service.complete_languages([course.id])[course.id],
                               enrolment=enrolment, marks=marks)

    return http_cache.visitor_page("course", render)


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


def _lesson_view(slug: str, lesson_key: str) -> service.LessonView | None:
    """The lesson's content, outline and related entries: built once per language
    and content version in each process, detached from the database session."""
    def build():
        view = service.lesson_view(slug, lesson_key)
        if view is not None:
            service.detach_lesson_view(view)
        return view
    return _lesson_cache.get(("lesson", current_language(), slug, lesson_key), build)


def _lesson_key_ids(slug: str, lesson_key: str) -> tuple[int, int] | None:
    """(course id, lesson id): all a request needs when the page itself comes from
    the visitor or shell cache. Kept apart from the full views (detached ORM
    objects, tens of KB each, needed only to render) so that many lessons stay
    cheap in memory while few full views are kept."""
    def build():
        view = _lesson_view(slug, lesson_key)
        return None if view is None else (view.course.id, view.lesson.id)
    return _lesson_ids.get(("lesson", current_language(), slug, lesson_key), build)


@bp.route("/courses/<slug>/lessons/<lesson_key>")
def lesson(slug: str, lesson_key: str):
    not_modified = http_cache.content_etag(version.current(), "lesson")
    if not_modified is not None:
        return not_modified

    ids = _lesson_key_ids(slug, lesson_key)
    if ids is None:
        abort(404)

    def render() -> str:
        view = _lesson_view(slug, lesson_key)
        if view is None:  # removed since the ids were cached
            abort(404)
        return render_template("catalog/lesson.html", view=view)

    if not current_user.is_authenticated:
        return http_cache.visitor_page("lesson", render)
    # A signed-in learner's visit is recorded (when enrolled); their marks go into
    # the page shared by every learner (lms.ops.page_shell).
    course_id, lesson_id = ids
    show_marks(progress.record_visit(current_user.id, course_id, lesson_id))
    return page_shell.shared_page(("lesson", slug, lesson_key), render)


@bp.route("/my/courses")
@login_required
def my_courses():
    # "My learning" (lms.progress): progress, next steps, certificates, quiz results.
    from lms.progress.views import render_dashboard
    return render_dashboard()
