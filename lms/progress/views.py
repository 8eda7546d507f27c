from __future__ import annotations

import io
import tempfile

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from lms.auth.access import role_required
from lms.catalog import service as catalog
from lms.content.models import Course
from lms.extensions import db
from lms.ops import page_shell
from lms.progress import bp, certificates, charts, dashboard, reports, service, xapi
from lms.progress.forms import MarkDoneForm, ReportFilterForm, RevokeForm
from lms.urls import page_number


# Learners ---------------------------------------------------------------------------


@bp.app_template_global()
def quiz_url(slug: str, module_key: str) -> str:
    """Where a module's quiz is taken (the quiz engine's page, else the module in the outline)."""
    if "quizzes.quiz" in current_app.view_functions:
        return url_for("quizzes.quiz", slug=slug, module_key=module_key)
    return url_for("catalog.course", slug=slug) + f"#module-{module_key}"


def render_dashboard():
    """ "My learning": served at /my/courses (catalog.my_courses), the learner's home.
    Only the body is the learner's own: the header and footer come from a shell
    shared by everyone with the same roles and language (lms.ops.page_shell)."""
    return page_shell.personal_body(("dashboard",), "progress/dashboard.html", "progress/_dashboard_body.html",
                                    board=dashboard.dashboard(current_user.id))


@bp.route("/courses/<slug>/lessons/<lesson_key>/done", methods=["POST"])
@login_required
def mark_done(slug: str, lesson_key: str):
    course = catalog.course_by_slug(slug) or abort(404)
    form = MarkDoneForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = service.mark_done(current_user.id, course, lesson_key)
    except service.ProgressError as error:
        if error.status == 404:
            abort(404)
        flash(str(error.message), "error")
        return redirect(url_for("catalog.course", slug=slug))
    if result.course_completed_now:
        flash(
            _("Congratulations: you have completed this course. Your certificate is ready in My learning."),
            "success",
        )
        return redirect(url_for("catalog.my_courses"))
    if not result.already_done:
        flash(_("Lesson marked as done."), "success")
    following = request.form.get("next_lesson", "")
    if following and following != lesson_key:
        return redirect(url_for("catalog.lesson", slug=slug, lesson_key=following))
    return redirect(url_for("catalog.lesson", slug=slug, lesson_key=lesson_key))


@bp.route("/my/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str):
    certificate = certificates.for_owner(code, current_user) or abort(404)
    pdf = certificates.render_pdf(
        certificate, url_for("progress.verify", code=certificate.code, _external=True)
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="frontera-certificate-{certificate.code}.pdf"'
        },
    )


# Anyone: verifying a certificate ------------------------------------------------------


@bp.route("/verify")
def verify_form():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(url_for("progress.verify", code=code[:40]))
    return render_template("progress/verify.html", certificate=None, code="", searched=False)


@bp.route("/verify/<code>")
def verify(code: str):
    certificate = certificates.find(code)
    revoke_form = (
        RevokeForm()
        if certificate and current_user.is_authenticated and current_user.has_role("admin")
        else None
    )
    return render_template(
        "progress/verify.html",
        certificate=certificate,
        code=code[:40],
        searched=True,
        revoke_form=revoke_form,
    ), (200 if certificate else 404)


@bp.route("/admin/certificates/<code>/revoke", methods=["POST"])
@role_required("admin")
def revoke(code: str):
    form = RevokeForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long (500 characters at most)."), "error")
        return redirect(url_for("progress.verify", code=code))
    try:
        certificate = certificates.revoke(code, form.reason.data or "", current_user)
    except certificates.CertificateError:
        abort(404)
    flash(_("Certificate %(code)s is revoked.", code=certificate.code), "success")
    return redirect(url_for("progress.verify", code=certificate.code))


# Trainers: course reports ---------------------------------------------------------------


def _report_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug)) or abort(404)
    if not reports.may_report(current_user, course.id):
        abort(403)
    return course


def _filters() -> tuple[ReportFilterForm, reports.ReportFilters]:
    form = ReportFilterForm(formdata=request.args if request.args else None)
    if request.args:
        form.validate()
    return form, form.filters()


@bp.route("/trainer/reports")
@role_required("trainer")
def reports_index():
    courses = reports.reportable_courses(current_user)
    counts = reports.enrolment_counts([course.id for course, _text in courses])
    return render_template("progress/reports_index.html", courses=courses, counts=counts)


@bp.route("/trainer/courses/<slug>/report")
@role_required("trainer")
def course_report(slug: str):
    course = _report_course(slug)
    form, filters = _filters()
    report = reports.trainer_report(course, filters, page=page_number(request.args.get("page")))
    # The header and footer come from a shell shared by the course's trainers (its title
    # is the course's); the body is drawn for each request from what the report keeps.
    return page_shell.personal_body(
        ("course_report",), "progress/course_report.html", "progress/_course_report_body.html",
        shell={"title": report.title},
        report=report,
        filter_form=_draw_filters(report, form),
        figures=report.drawn("figures", lambda: _draw_report(report)),
        inactive=report.drawn(
            "inactive",
            lambda: Markup(render_template("progress/_course_report_inactive.html", report=report)),
            listing=True,
        ),
    )


def _draw_filters(report: reports.TrainerReport, form: ReportFilterForm) -> Markup:
    """The filter form as HTML; a form without errors is kept with the report, per the values typed."""

    def draw() -> Markup:
        return Markup(render_template("progress/_report_filters.html", report=report, form=form))

    if form.errors:
        return draw()
    typed = tuple(tuple(request.args.getlist(name)) for name in ReportFilterForm.FIELDS)
    return report.drawn(("filters", typed), draw, keep=reports.DRAWN_FORMS)


def _draw_report(report: reports.TrainerReport) -> Markup:
    """The report's tables and charts as HTML (kept with the report: see TrainerReport.drawn)."""
    slug, filters = report.course.slug, report.filters
    item_urls = {
        quiz_id: url_for("progress.quiz_items", slug=slug, quiz_id=quiz_id, **filters.args())
        for quiz_id in report.quiz_ids
    }
    report.quizzes.links = {index: item_urls[quiz_id] for index, quiz_id in enumerate(report.quiz_ids)}
    report.questions.links = {
        index: item_urls[quiz_id] for index, quiz_id in enumerate(report.question_quiz_ids)
    }
    return Markup(
        render_template(
            "progress/_course_report_figures.html",
            report=report,
            charts=_report_charts(report),
            item_links=[
                (title, item_urls[quiz_id])
                for quiz_id, title in zip(report.quiz_ids, report.quiz_titles, strict=True)
            ],
        )
    )


@bp.route("/trainer/courses/<slug>/report/<table>.csv")
@role_required("trainer")
def course_report_csv(slug: str, table: str):
    course = _report_course(slug)
    if table not in reports.TRAINER_TABLES:
        abort(404)
    _form, filters = _filters()
    report = reports.trainer_report(course, filters, inactive_limit=None, only=table)
    return _csv(report.tables(), table, f"{course.slug}-{table}.csv")


@bp.route("/trainer/courses/<slug>/report/quizzes/<int:quiz_id>")
@role_required("trainer")
def quiz_items(slug: str, quiz_id: int):
    course = _report_course(slug)
    form, filters = _filters()
    report = reports.item_analysis(course, quiz_id, filters) or abort(404)
    chart = charts.bar_chart(
        [(row[0], (row[2] or 0) * 100) for row in report.items.rows],
        title=str(report.items.caption),
        max_value=100,
        value_text=charts.percent_text,
    )
    return render_template("progress/quiz_items.html", report=report, form=form, chart=chart)


@bp.route("/trainer/courses/<slug>/report/quizzes/<int:quiz_id>/items.csv")
@role_required("trainer")
def quiz_items_csv(slug: str, quiz_id: int):
    course = _report_course(slug)
    _form, filters = _filters()
    report = reports.item_analysis(course, quiz_id, filters) or abort(404)
    return _csv({"items": report.items}, "items", f"{course.slug}-quiz-{quiz_id}-items.csv")


def _csv(tables: dict, name: str, filename: str) -> Response:
    table = tables.get(name) or abort(404)
    return Response(
        reports.csv_bytes(table),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _report_charts(report: reports.TrainerReport) -> dict:
    return {
        "summary": charts.bar_chart(
            [(row[0], row[1]) for row in report.summary.rows], title=str(report.summary.caption)
        ),
        # The chart names modules by number and title (the table says "Completed module ...").
        "funnel": charts.funnel_chart(
            [(row[0], row[1]) for row in report.funnel.rows[:2]]
            + [
                (module[0], step[1])
                for module, step in zip(report.modules.rows, report.funnel.rows[2:-1], strict=True)
            ]
            + [(row[0], row[1]) for row in report.funnel.rows[-1:]],
            title=str(report.funnel.caption),
        ),
        "quizzes": charts.bar_chart(
            [(row[0], (row[5] or 0) * 100) for row in report.quizzes.rows],
            title=str(report.quizzes.caption),
            max_value=100,
            value_text=charts.percent_text,
        ),
    }


# Admins: programme view and xAPI export ---------------------------------------------------


@bp.route("/admin/programme")
@role_required("admin")
def programme():
    report = reports.programme_report()
    monthly = report.monthly.rows
    programme_charts = {
        "regions": charts.bar_chart(
            [(row[0], row[2]) for row in report.regions.rows], title=str(report.regions.caption)
        ),
        "value_chains": charts.bar_chart(
            [(row[0], row[2]) for row in report.value_chains.rows], title=str(report.value_chains.caption)
        ),
        "sdgs": charts.bar_chart(
            [(row[0], row[2]) for row in report.sdgs.rows], title=str(report.sdgs.caption)
        ),
        "courses": charts.bar_chart(
            [(row[0], row[2]) for row in report.courses.rows], title=str(report.courses.caption)
        ),
        "monthly": charts.column_chart(
            [row[0] for row in monthly],
            [
                (_("Enrolments"), [row[2] for row in monthly]),
                (_("Completions"), [row[3] for row in monthly]),
                (_("New learners"), [row[1] for row in monthly]),
            ],
            title=str(report.monthly.caption),
        ),
    }
    return render_template("progress/programme.html", report=report, charts=programme_charts)


@bp.route("/admin/programme/<table>.csv")
@role_required("admin")
def programme_csv(table: str):
    return _csv(reports.programme_report().tables(), table, f"frontera-programme-{table}.csv")


@bp.route("/admin/courses/<slug>/xapi.json")
@role_required("admin")
def xapi_export(slug: str):
    course = db.session.scalar(select(Course).where(Course.slug == slug)) or abort(404)
    # Written to a temporary file that stays in memory up to 16 MB and spills to disk beyond,
    # so a large course is neither held in memory nor streamed from a cursor after the request.
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024, mode="w+b")
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    xapi.write_json(xapi.iter_statements(course, xapi.site_urls(course)), text)
    text.flush()
    text.detach()
    size = out.tell()
    out.seek(0)

    def chunks():
        try:
            while data := out.read(256 * 1024):
                yield data
        finally:
            out.close()

    return Response(
        chunks(),
        mimetype="application/json",
        headers={
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{course.slug}-xapi.json"',
        },
    )
