"""Progress: lesson records, completion, the learner's dashboard, trainers'
reports, the programme view, certificates and the xAPI export."""

from flask import Blueprint

bp = Blueprint("progress", __name__)

from lms.progress import pieces, views  # noqa: E402,F401
from lms.progress.service import on_attempt_graded  # noqa: E402


def _register_quiz_hook() -> None:
    try:
        from lms.quizzes.results import ON_ATTEMPT_GRADED
    except ImportError:  # pragma: no cover - progress works without the quiz engine
        return
    if on_attempt_graded not in ON_ATTEMPT_GRADED:
        ON_ATTEMPT_GRADED.append(on_attempt_graded)


_register_quiz_hook()
