"""Synthetic learners with realistic progress, inserted in bulk.

For the benchmark (bench/progress_bench.py) and the query-count tests: many
learners on one course in a few seconds, through multi-row INSERTs rather
than the ORM. Progress follows a drop-off: every learner opens the first
lesson, each further lesson is reached by most of those who reached the one
before; quiz attempts score around a learner's ability, so item statistics
have something to separate. Completions come from the real recompute.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from lms.auth.models import REGIONS, User, UserRole
from lms.catalog.models import Enrolment
from lms.content.models import Course
from lms.extensions import db
from lms.progress import completion, quizlink
from lms.progress.models import LessonProgress
from lms.timeutil import utcnow

CHUNK = 2000


def _chunks(rows: list[dict], size: int = CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """Multi-row INSERT ... RETURNING id (SQLite 3.35+ and PostgreSQL), ids in row order."""
    ids: list[int] = []
    for chunk in _chunks(rows):
        ids.extend(
            db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), chunk).all()
        )
    return ids


def seed_learners(
    course: Course,
    count: int,
    *,
    seed: int = 7,
    now: datetime | None = None,
    email_prefix: str = "seed",
    keep_going: float = 0.9,
) -> list[int]:
    """Enrol `count` new learners in `course` with progress; returns their ids. Commits."""
    rng = random.Random(seed)
    now = now or utcnow()
    password_hash = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")
    regions = [*REGIONS, None]
    tag = f"{email_prefix}{rng.randrange(16**8):08x}"
    users = [
        {
            "email": f"{tag}-{n}@bench.example.org",
            "name": f"Learner {n + 1}",
            "password_hash": password_hash,
            "locale": rng.choice(("es", "es", "en")),
            "region": rng.choice(regions),
            "active": True,
            "session_token": f"{rng.randrange(16**32):032x}",
            "created_at": now - timedelta(days=400),
        }
        for n in range(count)
    ]
    user_ids = _insert_returning_ids(User, users)
    _insert(UserRole, [{"user_id": user_id, "role": "learner"} for user_id in user_ids])

    rule = completion.load_rules([course.id])[course.id]
    lessons = [lesson_id for module in rule.modules for lesson_id in module.lesson_ids]
    enrolments, progress = [], []
    reached: dict[int, int] = {}
    activity: dict[int, datetime] = {}
    for user_id in user_ids:
        enrolled_at = now - timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 1440))
        steps = 0
        while steps < len(lessons) and (steps == 0 or rng.random() < keep_going):
            steps += 1
        reached[user_id] = steps
        when = enrolled_at
        for index in range(steps):
            when = min(now, when + timedelta(hours=rng.randint(1, 72)))
            # The last lesson reached is sometimes opened but not marked done.
            done = index < steps - 1 or rng.random() < 0.8
            progress.append(
                {
                    "user_id": user_id,
                    "course_id": course.id,
                    "lesson_id": lessons[index],
                    "first_visit_at": when,
                    "last_visit_at": when,
                    "completed_at": when if done else None,
                }
            )
        activity[user_id] = when
        enrolments.append(
            {
                "user_id": user_id,
                "course_id": course.id,
                "enrolled_at": enrolled_at,
                "last_activity_at": when if steps else None,
            }
        )
    _insert(Enrolment, enrolments)
    _insert(LessonProgress, progress)
    if quizlink.available():
        _seed_attempts(course, rule, user_ids, reached, activity, rng)
    db.session.flush()
    completion.recompute(course.id, now=now)
    db.session.commit()
    return user_ids


def _seed_attempts(course, rule, user_ids, reached, activity, rng: random.Random) -> None:
    from lms.quizzes.models import SUBMITTED, Attempt, Question, Quiz, Response

    quizzes = db.session.execute(
        select(Quiz.id, Quiz.module_id, Quiz.pass_mark).where(
            Quiz.course_id == course.id, Quiz.archived_at.is_(None)
        )
    ).all()
    questions: dict[int, list[tuple[int, str, list[str]]]] = {}
    for question_id, quiz_id, qtype, grading in db.session.execute(
        select(Question.id, Question.quiz_id, Question.type, Question.grading)
        .where(Question.quiz_id.in_([q.id for q in quizzes]), Question.archived_at.is_(None))
        .order_by(Question.position)
    ):
        choices = [c["id"] for c in (grading or {}).get("choices", [])]
        questions.setdefault(quiz_id, []).append((question_id, qtype, choices))
    # Lessons needed before each module's quiz: the learner must have reached them.
    needed, position = {}, 0
    for module in rule.modules:
        position += len(module.lesson_ids)
        needed[module.module_id] = position
    attempts, responses = [], []
    for user_id in user_ids:
        ability = rng.random()
        for quiz_id, module_id, pass_mark in quizzes:
            if reached[user_id] < needed.get(module_id, 10**6):
                continue
            items = questions.get(quiz_id, [])
            for number in range(1, rng.choice((1, 1, 1, 2, 3)) + 1):
                attempt_index = len(attempts)
                right = 0
                for question_id, qtype, choices in items:
                    correct = rng.random() < min(0.95, 0.25 + ability * 0.7 + 0.1 * (number - 1))
                    right += correct
                    if qtype == "single" and choices:
                        value = choices[0] if correct else rng.choice(choices[1:] or choices)
                    elif qtype == "truefalse":
                        value = "true" if correct else "false"
                    else:
                        value = "x" if correct else "y"
                    responses.append(
                        {
                            "attempt_id": attempt_index,
                            "question_id": question_id,
                            "response": value,
                            "fraction": 1.0 if correct else 0.0,
                            "score": 1.0 if correct else 0.0,
                            "saved_at": activity[user_id],
                        }
                    )
                score = 100.0 * right / len(items) if items else 0.0
                attempts.append(
                    {
                        "user_id": user_id,
                        "quiz_id": quiz_id,
                        "number": number,
                        "state": SUBMITTED,
                        "started_at": activity[user_id],
                        "submitted_at": activity[user_id] + timedelta(minutes=10 * number),
                        "score": score,
                        "passed": score + 1e-9 >= pass_mark,
                        "layout": {},
                    }
                )
                if score >= pass_mark:
                    break
    attempt_ids = _insert_returning_ids(Attempt, attempts)
    for response in responses:
        response["attempt_id"] = attempt_ids[response["attempt_id"]]
    _insert(Response, responses)
