"""Builders for the progress tests: a course with a quiz, and learners whose
records (enrolment, lessons, quiz attempts) are written with chosen dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from factories import make_user, write_course
from lms.catalog.models import Enrolment
from lms.content.importer import import_courses
from lms.content.models import Course, Lesson
from lms.extensions import db
from lms.progress import completion
from lms.progress.models import LessonProgress
from lms.quizzes.models import SUBMITTED, Attempt, Question, Quiz, Response
from lms.timeutil import utcnow
from quiz_support import quiz_toml, single_questions

REPORT_TAGS = (
    'topics = ["innovation"]\nregions = ["pe-cl"]\nvalue_chains = ["cocoa", "tourism"]\nsdgs = [8, 9]'
)


def write_quiz_module(course_folder: Path, module: int = 1, questions: int = 3, **settings) -> None:
    (course_folder / f"{module:02d}-module-{module}" / "quiz.toml").write_text(
        quiz_toml(single_questions(questions), **settings), encoding="utf-8"
    )


def make_report_course(
    root: Path, slug: str = "report-course", tags: str = REPORT_TAGS, quiz: bool = True
) -> Course:
    """Two modules of two lessons; module 1 has a three-question quiz (pass mark 70, best attempt)."""
    folder = write_course(root, slug, modules=2, lessons=2, tags=tags)
    if quiz:
        write_quiz_module(folder, 1, 3, pass_mark=70, grading="best")
    import_courses(root)
    return db.session.scalar(select(Course).where(Course.slug == slug))


def lesson_ids(course: Course) -> dict[str, int]:
    return dict(db.session.execute(select(Lesson.key, Lesson.id).where(Lesson.course_id == course.id)).all())


def quiz_of(course: Course, module: int = 1) -> Quiz:
    return db.session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)).all()[module - 1]


def questions_of(quiz: Quiz) -> dict[str, Question]:
    return {q.key: q for q in db.session.scalars(select(Question).where(Question.quiz_id == quiz.id))}


@dataclass
class Learner:
    id: int
    email: str


def add_learner(
    course: Course,
    *,
    name: str,
    region: str | None,
    locale: str,
    enrolled: datetime,
    activity: datetime | None,
    done: tuple[str, ...] = (),
    attempts: tuple[dict, ...] = (),
    completed: datetime | None = None,
    now: datetime | None = None,
    roles=("learner",),
    quiz_module: int = 1,
) -> Learner:
    """A learner enrolled on `enrolled`, with lessons `done` (keys) and quiz attempts.

    Each attempt is {question key: chosen choice id} (in the quiz of module
    `quiz_module`), submitted at the learner's last activity; its score is the share right.
    """
    user = make_user(*roles, name=name, region=region, locale=locale)
    db.session.add(
        Enrolment(
            user_id=user.id,
            course_id=course.id,
            enrolled_at=enrolled,
            last_activity_at=activity,
            completed_at=completed,
        )
    )
    ids = lesson_ids(course)
    for key in done:
        db.session.add(
            LessonProgress(
                user_id=user.id,
                course_id=course.id,
                lesson_id=ids[key],
                first_visit_at=activity,
                last_visit_at=activity,
                completed_at=activity,
            )
        )
    if attempts:
        quiz = quiz_of(course, quiz_module)
        questions = questions_of(quiz)
        for number, answers in enumerate(attempts, start=1):
            right = sum(1 for choice in answers.values() if choice == "right")
            score = 100.0 * right / len(questions)
            attempt = Attempt(
                user_id=user.id,
                quiz_id=quiz.id,
                number=number,
                state=SUBMITTED,
                started_at=activity,
                submitted_at=activity + timedelta(minutes=number),
                score=score,
                passed=score + 1e-9 >= quiz.pass_mark,
                layout={},
            )
            for key, choice in answers.items():
                fraction = 1.0 if choice == "right" else 0.0
                attempt.responses.append(
                    Response(
                        question_id=questions[key].id,
                        response=choice,
                        fraction=fraction,
                        score=fraction,
                        saved_at=activity,
                    )
                )
            db.session.add(attempt)
    db.session.commit()
    completion.recompute(course.id, [user.id], now=now or utcnow())
    db.session.commit()
    return Learner(user.id, user.email)


def report_fixture(root: Path, now: datetime | None = None) -> tuple[Course, dict[str, Learner]]:
    """Six learners whose every report figure is computed by hand in test_progress_reports.py."""
    now = now or utcnow()
    course = make_report_course(root)

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    all_right = {"q1": "right", "q2": "right", "q3": "right"}
    people = {
        "ana": add_learner(
            course,
            name="Ana Quispe",
            region="pe-cl",
            locale="es",
            enrolled=ago(60),
            activity=ago(2),
            done=("lesson-1-1", "lesson-1-2", "lesson-2-1"),
            attempts=({"q1": "right", "q2": "wrong", "q3": "wrong"}, all_right),
            now=now,
        ),
        "bruno": add_learner(
            course,
            name="Bruno Díaz",
            region="pe-cl",
            locale="en",
            enrolled=ago(40),
            activity=ago(10),
            done=("lesson-1-1", "lesson-1-2", "lesson-2-1", "lesson-2-2"),
            attempts=({"q1": "right", "q2": "right", "q3": "other"}, all_right),
            completed=ago(10),
            now=now,
        ),
        "carla": add_learner(
            course,
            name="Carla Pérez",
            region="mx-gt",
            locale="es",
            enrolled=ago(20),
            activity=ago(20),
            done=("lesson-1-1",),
            now=now,
        ),
        "dario": add_learner(
            course, name="Darío Ñañez", region=None, locale="es", enrolled=ago(35), activity=None, now=now
        ),
        "eva": add_learner(
            course,
            name="Eva Torres",
            region="mx-gt",
            locale="en",
            enrolled=ago(5),
            activity=ago(1),
            done=("lesson-1-1", "lesson-1-2"),
            attempts=({"q1": "wrong", "q2": "wrong", "q3": "wrong"},),
            now=now,
        ),
        "flor": add_learner(
            course,
            name="Flor Mamani",
            region="ec-co",
            locale="es",
            enrolled=ago(100),
            activity=ago(50),
            done=("lesson-1-1", "lesson-1-2", "lesson-2-1", "lesson-2-2"),
            attempts=(all_right,),
            completed=ago(50),
            now=now,
        ),
    }
    return course, people
