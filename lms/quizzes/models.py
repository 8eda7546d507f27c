"""Quizzes, their questions, and learners' attempts.

Grading never depends on a translation: what decides a score (type, points,
fractions, numeric values, pair and item ids) lives on `Question.grading`;
every text (question, choices, feedback) lives on `QuestionText`, one row per
language. Short answers are the one exception the content format asks for:
an accepted answer in either language is accepted in either language, so
their texts take part in grading (see `lms.quizzes.convert.question_spec`).

Questions and quizzes are archived, never deleted: attempts point at them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.content.models import Course, Module, TranslationMixin
from lms.extensions import db
from lms.timeutil import utcnow

# Where a quiz or question came from: the course files (quiz.toml) or a GIFT
# upload. The course import only archives what came from the files.
ORIGIN_FILE = "file"
ORIGIN_GIFT = "gift"

IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"
NEEDS_GRADING = "needs_grading"
ATTEMPT_STATES = (IN_PROGRESS, SUBMITTED, NEEDS_GRADING)
CLOSED_STATES = (SUBMITTED, NEEDS_GRADING)


class Quiz(db.Model):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One quiz per module.
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(10), default=ORIGIN_FILE)
    pass_mark: Mapped[float] = mapped_column(default=70.0)
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0 = unlimited
    grading: Mapped[str] = mapped_column(String(10), default="best")
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_choices: Mapped[bool] = mapped_column(default=True)
    draw: Mapped[int] = mapped_column(default=0)  # 0 = every question
    time_limit_minutes: Mapped[int] = mapped_column(default=0)  # 0 = none
    show_answers: Mapped[str] = mapped_column(String(20), default="after_attempt")
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship()
    course: Mapped[Course] = relationship()
    texts: Mapped[list[QuizText]] = relationship(back_populates="quiz", cascade="all, delete-orphan")
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position")

    def text_by_language(self) -> dict[str, QuizText]:
        return {text.language: text for text in self.texts}

    SETTINGS = ("pass_mark", "max_attempts", "grading", "shuffle_questions", "shuffle_choices",
                "draw", "time_limit_minutes", "show_answers")

    def settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.SETTINGS}


class QuizText(TranslationMixin, db.Model):
    """The quiz title in one language."""

    __tablename__ = "quiz_texts"
    __table_args__ = (UniqueConstraint("quiz_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)

    quiz: Mapped[Quiz] = relationship(back_populates="texts")


class Question(db.Model):
    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),
                      Index("ix_quiz_questions_quiz_position", "quiz_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the question id of the files: stable
    type: Mapped[str] = mapped_column(String(20))
    points: Mapped[float] = mapped_column(default=1.0)
    position: Mapped[int]
    text_format: Mapped[str] = mapped_column(String(10), default="markdown")
    # Language-independent grading data, by type:
    #   single/multiple {"choices": [{"id", "fraction"}]}; truefalse {"answer"};
    #   short {"answers": [{"id", "fraction", "exact"}]};
    #   numeric {"answers": [{"id", "fraction", "value", "tolerance", "min", "max"}]};
    #   matching {"pairs": [id], "distractors": [id]}; ordering {"items": [id]}.
    # GIFT details kept for export: "gift": {"category", "tags", "part_formats"}.
    grading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    grading_hash: Mapped[str] = mapped_column(String(64), default="")
    origin: Mapped[str] = mapped_column(String(10), default=ORIGIN_FILE)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    texts: Mapped[list[QuestionText]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="QuestionText.language")

    def text_by_language(self) -> dict[str, QuestionText]:
        return {text.language: text for text in self.texts}

    @property
    def is_scored(self) -> bool:
        return self.type != "description" and self.points > 0


class QuestionText(TranslationMixin, db.Model):
    """Everything a question says in one language.

    `title` is a short plain label (the GIFT name, or the start of the text)
    for trainers' lists. `parts` holds the source texts (Markdown, or the
    question's GIFT format) of the rest, keyed by the ids of `Question.grading`:
    {"feedback", "name", "choices": {id: {"text", "feedback"}},
    "true_feedback", "false_feedback", "answers": {id: {"text", "feedback"}},
    "pairs": {id: {"left", "right"}}, "distractors": {id: text}, "items": {id: text}}.
    `parts_html` is the same shape, rendered and sanitised once at import
    (matching options as plain text: they go into <option> elements).
    """

    __tablename__ = "quiz_question_texts"
    __table_args__ = (UniqueConstraint("question_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    text_html: Mapped[str] = mapped_column(Text)
    parts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    parts_html: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    question: Mapped[Question] = relationship(back_populates="texts")


class Attempt(db.Model):
    __tablename__ = "quiz_attempts"
    # Numbered per person and quiz: two "Start" clicks at once cannot both
    # create attempt number n.
    # (quiz_id, state, user_id, score) covers the trainer report's per-learner quiz results.
    __table_args__ = (UniqueConstraint("user_id", "quiz_id", "number"),
                      Index("ix_quiz_attempts_quiz_state_user_score", "quiz_id", "state", "user_id", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    number: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default=IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Closed by the server at the deadline: answers sent later were not counted.
    timed_out: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None]  # percent 0..100; provisional while essays wait
    passed: Mapped[bool | None]
    # What this attempt shows, fixed at its start so a reload looks the same:
    # {"questions": [question ids in order], "choices": {qid: [choice ids]},
    #  "options": {qid: [right option ids]}, "items": {qid: [item ids]}}.
    layout: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    quiz: Mapped[Quiz] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="Response.id")

    @property
    def question_ids(self) -> list[int]:
        return [int(qid) for qid in (self.layout or {}).get("questions", [])]

    @property
    def is_open(self) -> bool:
        return self.state == IN_PROGRESS


class Response(db.Model):
    __tablename__ = "quiz_responses"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id"), index=True)
    # What the learner answered, in ids (never the display positions):
    # single "id"; multiple ["id"]; truefalse "true"/"false"; short, numeric,
    # essay "text"; matching {pair id: option id}; ordering {item id: position}.
    response: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    saved_at: Mapped[datetime | None]
    fraction: Mapped[float | None]  # None: not graded yet (an essay waiting)
    score: Mapped[float | None]
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    question: Mapped[Question] = relationship()
