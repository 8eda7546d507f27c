"""A course's learning records as xAPI 1.0.3 statements, for a Learning Record Store.

Verbs (ADL vocabulary): registered (enrolment), experienced (first visit of a
lesson), completed (lesson marked done, module and course completed),
passed / failed (a graded quiz attempt, with result.score.scaled) and
answered (each graded response of those attempts).

* Actor: an `account` on this site (homePage = site URL, name = the user id)
  by default: pseudonymous, no e-mail leaves the platform. `mbox_sha1sum`
  (SHA-1 of "mailto:<email>") is available for LRSs that match people by e-mail.
* Object ids are the site's URLs of the course, module, lesson, quiz and
  question, so statements from several exports line up.
* Statement ids are UUIDs derived from the record (uuid5), so exporting twice
  sends the same statements, which an LRS accepts without duplicates.
* Timestamps are ISO 8601 in UTC with a Z.

Statements are produced one by one from server-side cursors and written as
a JSON array as they come: a course of 10,000 learners does not sit in memory.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from flask import current_app, url_for
from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.models import Enrolment
from lms.content.models import Course, Lesson, LessonText, Module, ModuleText
from lms.extensions import db
from lms.progress import quizlink
from lms.progress.models import LessonProgress, ModuleCompletion

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
VERBS = {
    "registered": {"en-US": "registered", "es": "se inscribió en"},
    "experienced": {"en-US": "experienced", "es": "experimentó"},
    "completed": {"en-US": "completed", "es": "completó"},
    "passed": {"en-US": "passed", "es": "aprobó"},
    "failed": {"en-US": "failed", "es": "no aprobó"},
    "answered": {"en-US": "answered", "es": "respondió"},
}
INTERACTION_TYPES = {
    "single": "choice",
    "multiple": "choice",
    "truefalse": "true-false",
    "short": "fill-in",
    "numeric": "numeric",
    "matching": "matching",
    "ordering": "sequencing",
    "essay": "long-fill-in",
}
ACTOR_MODES = ("account", "mbox_sha1sum")
BATCH = 1000


def timestamp(value: datetime) -> str:
    """Naive UTC (as stored) to ISO 8601 with milliseconds and Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def verb(name: str) -> dict[str, Any]:
    return {"id": ADL_VERBS + name, "display": VERBS[name]}


@dataclass
class Site:
    root: str  # "https://frontera.example.org/"
    course: str  # the course page's URL
    lesson_pattern: str  # with {key}
    quiz_pattern: str  # with {module}


def site_urls(course: Course, root: str | None = None) -> Site:
    """The course's URLs on the site, from the app's routes (inside a request, or for `root`)."""

    def build() -> Site:
        course_url = url_for("catalog.course", slug=course.slug, _external=True)
        lesson = url_for("catalog.lesson", slug=course.slug, lesson_key="KEY", _external=True)
        if "quizzes.quiz" in current_app.view_functions:
            quiz = url_for("quizzes.quiz", slug=course.slug, module_key="MODULE", _external=True)
        else:
            quiz = f"{course_url}/modules/MODULE/quiz"
        site_root = url_for("core.home", _external=True)
        return Site(site_root, course_url, lesson.replace("KEY", "{key}"), quiz.replace("MODULE", "{module}"))

    if root is None:
        return build()
    with current_app.test_request_context("/", base_url=root.rstrip("/") + "/"):
        return build()


class StatementBuilder:
    def __init__(self, course: Course, site: Site, actor_mode: str = "account"):
        if actor_mode not in ACTOR_MODES:
            raise ValueError(f"actor must be one of {ACTOR_MODES}")
        self.course = course
        self.site = site
        self.actor_mode = actor_mode
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, site.course)

    def actor(self, user_id: int, email: str) -> dict[str, Any]:
        if self.actor_mode == "mbox_sha1sum":
            digest = hashlib.sha1(f"mailto:{email.strip().lower()}".encode()).hexdigest()  # noqa: S324 - xAPI's IFI
            return {"objectType": "Agent", "mbox_sha1sum": digest}
        return {"objectType": "Agent", "account": {"homePage": self.site.root, "name": str(user_id)}}

    def activity(
        self,
        activity_id: str,
        kind: str,
        names: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        definition: dict[str, Any] = {"type": ADL_ACTIVITIES + kind}
        if names:
            definition["name"] = dict(sorted(names.items()))
        if extra:
            definition.update(extra)
        return {"objectType": "Activity", "id": activity_id, "definition": definition}

    def statement(
        self,
        key: str,
        user_id: int,
        email: str,
        locale: str,
        verb_name: str,
        obj: dict[str, Any],
        when: datetime,
        result: dict[str, Any] | None = None,
        parents: list[str] | None = None,
    ) -> dict[str, Any]:
        context: dict[str, Any] = {"platform": "Frontera", "language": locale}
        parent_ids = (
            parents if parents is not None else ([self.site.course] if obj["id"] != self.site.course else [])
        )
        if parent_ids:
            context["contextActivities"] = {
                "parent": [{"objectType": "Activity", "id": pid} for pid in parent_ids]
            }
        statement = {
            "id": str(uuid.uuid5(self.namespace, key)),
            "actor": self.actor(user_id, email),
            "verb": verb(verb_name),
            "object": obj,
            "context": context,
            "timestamp": timestamp(when),
        }
        if result is not None:
            statement["result"] = result
        return statement


def _texts(rows) -> dict[int, dict[str, str]]:
    texts: dict[int, dict[str, str]] = {}
    for item_id, language, title in rows:
        texts.setdefault(item_id, {})[language] = title
    return texts


def _stream(statement):
    return db.session.execute(statement.execution_options(yield_per=BATCH))


def _response_text(question_type: str, value: Any) -> str:
    """A stored response in the xAPI interaction response format."""
    if value is None:
        return ""
    if question_type == "multiple" and isinstance(value, list):
        return "[,]".join(str(v) for v in value)
    if question_type == "matching" and isinstance(value, dict):
        return "[,]".join(f"{left}[.]{right}" for left, right in sorted(value.items()))
    if question_type == "ordering" and isinstance(value, dict):
        return "[,]".join(str(item) for item, _pos in sorted(value.items(), key=lambda kv: (kv[1], kv[0])))
    if question_type == "truefalse":
        return "true" if str(value).lower() == "true" else "false"
    return str(value)


def iter_statements(course: Course, site: Site, actor_mode: str = "account") -> Iterator[dict[str, Any]]:
    """Every learning record of the course as statements, ordered by kind then time."""
    b = StatementBuilder(course, site, actor_mode)
    course_names = {text.language: text.title for text in course.texts}
    course_object = b.activity(site.course, "course", course_names)
    modules = db.session.execute(select(Module.id, Module.key).where(Module.course_id == course.id)).all()
    module_key = dict(modules)
    module_names = _texts(
        db.session.execute(
            select(ModuleText.module_id, ModuleText.language, ModuleText.title)
            .join(Module, Module.id == ModuleText.module_id)
            .where(Module.course_id == course.id)
        )
    )
    lesson_key = dict(
        db.session.execute(select(Lesson.id, Lesson.key).where(Lesson.course_id == course.id)).all()
    )
    lesson_names = _texts(
        db.session.execute(
            select(LessonText.lesson_id, LessonText.language, LessonText.title)
            .join(Lesson, Lesson.id == LessonText.lesson_id)
            .where(Lesson.course_id == course.id)
        )
    )

    def module_url(module_id: int) -> str:
        return f"{site.course}#module-{module_key[module_id]}"

    def lesson_object(lesson_id: int) -> dict[str, Any]:
        return b.activity(
            site.lesson_pattern.format(key=lesson_key[lesson_id]), "lesson", lesson_names.get(lesson_id)
        )

    people = (User.id, User.email, User.locale)
    for enrolment_id, enrolled_at, completed_at, *person in _stream(
        select(Enrolment.id, Enrolment.enrolled_at, Enrolment.completed_at, *people)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_id == course.id)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    ):
        yield b.statement(f"registered/{enrolment_id}", *person, "registered", course_object, enrolled_at)
        if completed_at is not None:
            yield b.statement(
                f"completed-course/{enrolment_id}",
                *person,
                "completed",
                course_object,
                completed_at,
                result={"completion": True},
            )

    for progress_id, lesson_id, module_id, first_visit, done_at, *person in _stream(
        select(
            LessonProgress.id,
            LessonProgress.lesson_id,
            Lesson.module_id,
            LessonProgress.first_visit_at,
            LessonProgress.completed_at,
            *people,
        )
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(User, User.id == LessonProgress.user_id)
        .where(LessonProgress.course_id == course.id)
        .order_by(LessonProgress.id)
    ):
        parents = [module_url(module_id), site.course]
        if first_visit is not None:
            yield b.statement(
                f"experienced/{progress_id}",
                *person,
                "experienced",
                lesson_object(lesson_id),
                first_visit,
                parents=parents,
            )
        if done_at is not None:
            yield b.statement(
                f"completed-lesson/{progress_id}",
                *person,
                "completed",
                lesson_object(lesson_id),
                done_at,
                result={"completion": True},
                parents=parents,
            )

    for completion_id, module_id, done_at, *person in _stream(
        select(ModuleCompletion.id, ModuleCompletion.module_id, ModuleCompletion.completed_at, *people)
        .join(User, User.id == ModuleCompletion.user_id)
        .where(ModuleCompletion.course_id == course.id)
        .order_by(ModuleCompletion.id)
    ):
        yield b.statement(
            f"completed-module/{completion_id}",
            *person,
            "completed",
            b.activity(module_url(module_id), "module", module_names.get(module_id)),
            done_at,
            result={"completion": True},
        )

    if quizlink.available():
        yield from _quiz_statements(b, course, site, module_key, module_names, people)


def _quiz_statements(
    b: StatementBuilder,
    course: Course,
    site: Site,
    module_key: dict[int, str],
    module_names: dict[int, dict[str, str]],
    people,
) -> Iterator[dict[str, Any]]:
    from lms.quizzes.models import SUBMITTED, Attempt, Question, QuestionText, Quiz, Response

    quizzes = {
        quiz_id: (module_id, pass_mark)
        for quiz_id, module_id, pass_mark in db.session.execute(
            select(Quiz.id, Quiz.module_id, Quiz.pass_mark).where(Quiz.course_id == course.id)
        )
    }
    if not quizzes:
        return
    questions = {
        qid: (quiz_id, key, qtype, points)
        for qid, quiz_id, key, qtype, points in db.session.execute(
            select(Question.id, Question.quiz_id, Question.key, Question.type, Question.points).where(
                Question.quiz_id.in_(list(quizzes))
            )
        )
    }
    question_names = _texts(
        db.session.execute(
            select(QuestionText.question_id, QuestionText.language, QuestionText.title).where(
                QuestionText.question_id.in_(list(questions))
            )
        )
    )

    def quiz_url(quiz_id: int) -> str:
        return site.quiz_pattern.format(module=module_key[quizzes[quiz_id][0]])

    def quiz_object(quiz_id: int) -> dict[str, Any]:
        names = {lang: title for lang, title in module_names.get(quizzes[quiz_id][0], {}).items()}
        return b.activity(quiz_url(quiz_id), "assessment", names)

    # Only attempts with a final grade: one waiting for an essay grade is exported once graded.
    for attempt_id, quiz_id, score, passed, submitted_at, *person in _stream(
        select(Attempt.id, Attempt.quiz_id, Attempt.score, Attempt.passed, Attempt.submitted_at, *people)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.quiz_id.in_(list(quizzes)), Attempt.state == SUBMITTED)
        .order_by(Attempt.id)
    ):
        score = float(score or 0.0)
        success = bool(passed) if passed is not None else score + 1e-9 >= quizzes[quiz_id][1]
        parents = [f"{site.course}#module-{module_key[quizzes[quiz_id][0]]}", site.course]
        yield b.statement(
            f"attempt/{attempt_id}",
            *person,
            "passed" if success else "failed",
            quiz_object(quiz_id),
            submitted_at,
            parents=parents,
            result={
                "score": {"scaled": round(score / 100, 4), "raw": round(score, 2), "min": 0, "max": 100},
                "success": success,
                "completion": True,
            },
        )

    for response_id, question_id, value, fraction, points_scored, when, *person in _stream(
        select(
            Response.id,
            Response.question_id,
            Response.response,
            Response.fraction,
            Response.score,
            Attempt.submitted_at,
            *people,
        )
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.quiz_id.in_(list(quizzes)), Attempt.state == SUBMITTED, Response.fraction.is_not(None))
        .order_by(Response.id)
    ):
        quiz_id, key, qtype, points = questions[question_id]
        obj = b.activity(
            f"{quiz_url(quiz_id)}#question-{key}",
            "cmi.interaction",
            question_names.get(question_id),
            {"interactionType": INTERACTION_TYPES.get(qtype, "other")},
        )
        fraction = max(-1.0, min(1.0, float(fraction)))
        yield b.statement(
            f"answered/{response_id}",
            *person,
            "answered",
            obj,
            when,
            parents=[quiz_url(quiz_id), site.course],
            result={
                "score": {
                    "scaled": round(fraction, 4),
                    "raw": round(float(points_scored or 0), 4),
                    "min": 0,
                    "max": float(points or 0),
                },
                "success": fraction >= 0.999,
                "response": _response_text(qtype, value),
            },
        )


def write_json(statements: Iterator[dict[str, Any]], out: IO[str]) -> int:
    """Write statements as one JSON array, one statement a line; returns how many."""
    count = 0
    out.write("[")
    for statement in statements:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
