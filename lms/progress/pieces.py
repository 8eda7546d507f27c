"""The learner's own marks on shared pages (lms.ops.page_shell pieces).

The view puts the learner's CourseMarks in `g.course_marks`; the outline's
"done" and "quiz passed" marks and the lesson's "Mark as done" box are read
from there, so the rest of the page can be shared by every learner.
"""
from __future__ import annotations

from flask import g, render_template

from lms.ops.page_shell import Fill, cached_piece, part, snippet


def show_marks(marks) -> None:  # noqa: ANN001 - lms.progress.service.CourseMarks or None
    """Give this request's pieces the learner's marks (None: nothing to mark)."""
    g.course_marks = marks


@part("done_mark")
def done_mark(fill: Fill, lesson_id: str) -> str:
    marks = fill.state.get("course_marks")
    if marks is None or not marks.is_done(int(lesson_id)):
        return ""
    return snippet("done_mark", fill.language, lambda: render_template("progress/_done_mark.html"))


@part("quiz_mark")
def quiz_mark(fill: Fill, module_id: str) -> str:
    marks = fill.state.get("course_marks")
    if marks is None or int(module_id) not in marks.passed_modules:
        return ""
    return snippet("quiz_mark", fill.language, lambda: render_template("progress/_quiz_mark.html"))


@part("lesson_progress")
def lesson_progress(fill: Fill, slug: str, lesson_key: str, lesson_id: str, next_key: str) -> str:
    """Enrol first / done / the "Mark as done" form, for the signed-in learner."""
    marks = fill.state.get("course_marks")
    if marks is None:
        return ""
    state = "not_enrolled" if not marks.enrolled else "done" if marks.is_done(int(lesson_id)) else "open"
    return cached_piece(
        ("lesson_progress", fill.language, slug, lesson_key, next_key, state),
        lambda: render_template("progress/_lesson_progress.html", state=state, slug=slug,
                                lesson_key=lesson_key, next_key=next_key),
    )
