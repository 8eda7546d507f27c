"""What each quiz page shows, loaded in a fixed number of queries, and the
actions behind its forms. Domain rules live in attempts.py and importer.py;
this module checks who may see what and owns the transactions it starts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.auth.models import User
from lms.content.errors import ContentError, ContentProblem
from lms.content.models import Course, CourseText, Module
from lms.content.trainers import taught_courses, teaches
from lms.extensions import db
from lms.i18n import current_language, pick
from lms.quizzes import attempts as attempt_rules
from lms.quizzes.convert import question_spec
from lms.quizzes.grading import grade_question
from lms.quizzes.importer import GiftImport, export_quiz_gift, import_gift
from lms.quizzes.models import (
    IN_PROGRESS, NEEDS_GRADING, Attempt, Question, QuestionText, Quiz, QuizText, Response,
)
from lms.quizzes.present import Answer, QuestionView, question_views
from lms.quizzes.results import QuizResult, _result

GIFT_MAX_BYTES = 2 * 1024 * 1024


# Who may manage a quiz and grade its attempts: lms.content.trainers (the rule
# progress reports follow too); a trainer of another course may not.
can_teach = teaches


# Where a quiz sits --------------------------------------------------------------------

@dataclass
class ModuleContext:
    course: Course
    module: Module
    quiz: Quiz | None
    course_title: str = ""
    module_title: str = ""
    module_language: str = ""
    title: str = ""           # the quiz title in the reader's language
    title_language: str = ""

    @property
    def slug(self) -> str:
        return self.course.slug

    @property
    def module_key(self) -> str:
        return self.module.key


def _context(course: Course, module: Module, quiz: Quiz | None) -> ModuleContext:
    course_text, _lang = pick(course.text_by_language())
    module_text, module_language = pick(module.text_by_language())
    ctx = ModuleContext(course, module, quiz, course_title=course_text.title if course_text else course.slug,
                        module_title=module_text.title if module_text else module.key,
                        module_language=module_language or current_language())
    if quiz is not None:
        quiz_text, quiz_language = pick(quiz.text_by_language())
        ctx.title = quiz_text.title if quiz_text else ctx.module_title
        ctx.title_language = quiz_language or ctx.module_language
    return ctx


def _visible_modules():
    return (select(Course, Module).join(Module, Module.course_id == Course.id)
            .where(Course.published.is_(True), Course.archived_at.is_(None), Module.archived_at.is_(None))
            .options(selectinload(Course.texts), selectinload(Module.texts)))


def module_context(slug: str, module_key: str) -> ModuleContext | None:
    """A module of a visible course and its quiz, if it has an active one (four queries)."""
    row = db.session.execute(_visible_modules().where(Course.slug == slug, Module.key == module_key)).first()
    if row is None:
        return None
    course, module = row
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id, Quiz.archived_at.is_(None))
                             .options(selectinload(Quiz.texts)))
    return _context(course, module, quiz)


def quiz_context(slug: str, module_key: str) -> ModuleContext | None:
    ctx = module_context(slug, module_key)
    return ctx if ctx is not None and ctx.quiz is not None else None


def _context_for_quiz(quiz: Quiz) -> ModuleContext | None:
    row = db.session.execute(_visible_modules().where(Module.id == quiz.module_id)).first()
    if row is None:
        return None
    texts = db.session.scalars(select(QuizText).where(QuizText.quiz_id == quiz.id)).all()
    ctx = _context(row[0], row[1], None)
    quiz_text, quiz_language = pick({t.language: t for t in texts})
    ctx.quiz = quiz
    ctx.title = quiz_text.title if quiz_text else ctx.module_title
    ctx.title_language = quiz_language or ctx.module_language
    return ctx


def module_quizzes(course_id: int) -> dict[int, int]:
    """Module id -> quiz id for the active quizzes of a course (one query)."""
    return dict(db.session.execute(select(Quiz.module_id, Quiz.id).where(
        Quiz.course_id == course_id, Quiz.archived_at.is_(None))).all())


# The quiz page and history -------------------------------------------------------------

@dataclass
class QuizPage:
    ctx: ModuleContext
    question_count: int
    result: QuizResult | None = None
    attempts: list[Attempt] = field(default_factory=list)
    can_manage: bool = False


def quiz_page(ctx: ModuleContext, user: Any) -> QuizPage:
    quiz = ctx.quiz
    assert quiz is not None
    active = db.session.scalar(select(func.count(Question.id)).where(
        Question.quiz_id == quiz.id, Question.archived_at.is_(None), Question.type != "description")) or 0
    count = min(quiz.draw, active) if quiz.draw else active
    page = QuizPage(ctx, count, can_manage=can_teach(user, ctx.course.id))
    if user is not None and user.is_authenticated:
        attempt_rules.close_expired(user_id=user.id, quiz_id=quiz.id)
        page.attempts = list(db.session.scalars(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id).order_by(Attempt.number)))
        page.result = _result(quiz.id, quiz.pass_mark, quiz.grading, quiz.max_attempts, page.attempts)
    return page


def start(ctx: ModuleContext, user: Any) -> Attempt:
    assert ctx.quiz is not None
    return attempt_rules.start_attempt(user.id, ctx.quiz)


# One attempt ---------------------------------------------------------------------------

@dataclass
class AttemptPage:
    ctx: ModuleContext
    attempt: Attempt
    questions: list[QuestionView]
    result: QuizResult | None = None
    reveal: bool = False
    viewer_is_owner: bool = True


def owned_attempt(attempt_id: int, user: Any, allow_trainers: bool = False) -> Attempt | None:
    """The attempt if it is the person's own (or, with allow_trainers, if they
    teach its course); None otherwise: others' attempts do not exist for them."""
    attempt = attempt_rules.load_attempt(attempt_id)
    if attempt is None:
        return None
    if attempt.user_id == user.id:
        return attempt
    if allow_trainers and can_teach(user, attempt.quiz.course_id):
        return attempt
    return None


def _answers(attempt: Attempt, graded: bool) -> dict[int, Answer]:
    return {r.question_id: Answer(response=r.response, fraction=r.fraction, score=r.score,
                                  comment=r.comment, graded=graded)
            for r in attempt.responses}


def close_if_expired(attempt: Attempt) -> Attempt:
    """Submit an attempt whose time is up with what was saved in time (the
    same object, refreshed)."""
    if attempt.state == IN_PROGRESS and attempt.deadline is not None:
        attempt_rules.close_expired(user_id=attempt.user_id, quiz_id=attempt.quiz_id)
    return attempt


def attempt_page(attempt: Attempt) -> AttemptPage | None:
    """The form of an attempt in progress (after closing it if its time is up)."""
    close_if_expired(attempt)
    ctx = _context_for_quiz(attempt.quiz)
    if ctx is None:
        return None
    questions = attempt_rules.attempt_questions(attempt)
    views = question_views(questions, attempt.layout, _answers(attempt, graded=False))
    return AttemptPage(ctx, attempt, views)


def reveal_answers(quiz: Quiz, result: QuizResult | None) -> bool:
    if quiz.show_answers == "after_attempt":
        return True
    if quiz.show_answers == "after_pass":
        return bool(result and result.passed)
    return False


def result_page(attempt: Attempt, viewer: Any) -> AttemptPage | None:
    ctx = _context_for_quiz(attempt.quiz)
    if ctx is None:
        return None
    owner = attempt.user_id == viewer.id
    attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == attempt.user_id, Attempt.quiz_id == attempt.quiz_id).order_by(Attempt.number)))
    quiz = attempt.quiz
    result = _result(quiz.id, quiz.pass_mark, quiz.grading, quiz.max_attempts, attempts)
    # Trainers know the answers; they see what the settings show the learner and more.
    reveal = reveal_answers(quiz, result) or not owner
    questions = attempt_rules.attempt_questions(attempt)
    views = question_views(questions, attempt.layout, _answers(attempt, graded=True), reveal=reveal)
    return AttemptPage(ctx, attempt, views, result=result, reveal=reveal, viewer_is_owner=owner)


def save(attempt_id: int, user: Any, form, submit: bool) -> attempt_rules.SaveOutcome | None:
    """Save (or submit) the posted answers of the person's own attempt; None if it is
    not theirs. Read and written with Core statements: the hot path of a quiz."""
    attempt = attempt_rules.load_open_attempt(attempt_id)
    if attempt is None or attempt.user_id != user.id:
        return None
    return attempt_rules.save_answers(attempt, form, submit=submit)


# Trainers: questions, preview -----------------------------------------------------------

@dataclass
class ManagePage:
    ctx: ModuleContext
    questions: list[QuestionView]
    archived: list[Question]
    languages: dict[int, list[str]]
    waiting: int


def manage_page(ctx: ModuleContext) -> ManagePage:
    if ctx.quiz is None:
        return ManagePage(ctx, [], [], {}, 0)
    questions = list(db.session.scalars(select(Question).where(Question.quiz_id == ctx.quiz.id)
                                        .options(selectinload(Question.texts))
                                        .order_by(Question.position, Question.id)))
    active = [q for q in questions if q.archived_at is None]
    # Every question with its right answer: graded as if unanswered, revealed.
    views = question_views(active, None, {q.id: Answer(graded=True) for q in active}, reveal=True)
    waiting = len(db.session.scalars(
        select(Response.id).join(Attempt, Attempt.id == Response.attempt_id)
        .join(Question, Question.id == Response.question_id)
        .where(Attempt.quiz_id == ctx.quiz.id, Attempt.state == NEEDS_GRADING,
               Question.type == "essay", Response.fraction.is_(None),
               Response.response.is_not(None))).all())
    return ManagePage(ctx, views, [q for q in questions if q.archived_at is not None],
                      {q.id: sorted(t.language for t in q.texts) for q in questions}, waiting)


def preview_layout(ctx: ModuleContext) -> tuple[dict[str, Any], list[QuestionView]]:
    """A fresh attempt layout as a learner would get it; nothing is recorded."""
    assert ctx.quiz is not None
    questions = attempt_rules.active_questions(ctx.quiz.id)
    layout = attempt_rules.make_layout(ctx.quiz, questions)
    shown = _questions_with_texts(layout)
    return layout, question_views(shown, layout, {})


def _questions_with_texts(layout: dict[str, Any]) -> list[Question]:
    ids = [int(qid) for qid in layout.get("questions", [])]
    found = {q.id: q for q in db.session.scalars(
        select(Question).where(Question.id.in_(ids)).options(selectinload(Question.texts)))}
    return [found[qid] for qid in ids if qid in found]


def preview_result(ctx: ModuleContext, layout_json: str, form) -> tuple[dict[str, Any], list[QuestionView], float]:
    """Grade a preview in memory and show it as a result page would, answers revealed."""
    assert ctx.quiz is not None
    try:
        layout = json.loads(layout_json or "{}")
        if not isinstance(layout, dict):
            raise ValueError
    except ValueError:
        layout = {}
    allowed = {q.id for q in attempt_rules.active_questions(ctx.quiz.id)}
    layout["questions"] = [qid for qid in layout.get("questions", []) if isinstance(qid, int) and qid in allowed]
    if not layout["questions"]:
        return preview_layout(ctx)[0], [], 0.0
    questions = _questions_with_texts(layout)
    raw = attempt_rules.parse_answers(layout, questions, form)
    answers: dict[int, Answer] = {}
    grades = {}
    for q in questions:
        spec = question_spec(q)
        grade = grade_question(spec, attempt_rules.to_grader(q, raw.get(q.id), layout))
        grades[spec.id] = grade
        answers[q.id] = Answer(response=raw.get(q.id), fraction=grade.fraction, score=grade.score, graded=True)
    from lms.quizzes.grading import quiz_score

    score = quiz_score(grades, [question_spec(q) for q in questions])
    return layout, question_views(questions, layout, answers, reveal=True), score


# Trainers: essays -----------------------------------------------------------------------

@dataclass
class WaitingEssay:
    response_id: int
    learner: str
    submitted_at: datetime | None
    course_slug: str
    course_title: str
    module_key: str
    question_title: str


def grading_queue(user: Any) -> list[WaitingEssay]:
    """Essays waiting for a grade in the courses `user` teaches, oldest first (four queries)."""
    rows = db.session.execute(
        select(Response.id, Attempt.submitted_at, User.name, Course.id, Course.slug, Module.key, Question.id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Question, Question.id == Response.question_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Module, Module.id == Quiz.module_id)
        .join(Course, Course.id == Quiz.course_id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.state == NEEDS_GRADING, Question.type == "essay",
               Response.fraction.is_(None), Response.response.is_not(None))
        .order_by(Attempt.submitted_at, Response.id)).all()
    taught = taught_courses(user, {row[3] for row in rows})
    rows = [row for row in rows if row[3] in taught]
    if not rows:
        return []
    titles: dict[int, dict[str, str]] = {}
    for question_id, language, title in db.session.execute(
            select(QuestionText.question_id, QuestionText.language, QuestionText.title)
            .where(QuestionText.question_id.in_({row[6] for row in rows}))):
        titles.setdefault(question_id, {})[language] = title
    course_titles: dict[int, dict[str, str]] = {}
    for course_id, language, title in db.session.execute(
            select(CourseText.course_id, CourseText.language, CourseText.title)
            .where(CourseText.course_id.in_({row[3] for row in rows}))):
        course_titles.setdefault(course_id, {})[language] = title
    return [WaitingEssay(response_id=rid, learner=name, submitted_at=submitted, course_slug=slug,
                         course_title=pick(course_titles.get(course_id, {}))[0] or slug, module_key=key,
                         question_title=pick(titles.get(question_id, {}))[0] or "")
            for rid, submitted, name, course_id, slug, key, question_id in rows]


@dataclass
class EssayPage:
    response: Response
    learner: User
    ctx: ModuleContext
    question: QuestionView


def essay_page(response_id: int, user: Any) -> EssayPage | None:
    response = attempt_rules.essay_response(response_id)
    if response is None or not can_teach(user, response.attempt.quiz.course_id):
        return None
    ctx = _context_for_quiz(response.attempt.quiz)
    if ctx is None:
        return None
    learner = db.session.get(User, response.attempt.user_id)
    view = question_views([response.question], response.attempt.layout,
                          {response.question_id: Answer(response=response.response, fraction=response.fraction,
                                                        score=response.score, comment=response.comment,
                                                        graded=True)},
                          reveal=True)[0]
    return EssayPage(response, learner, ctx, view)


def grade_essay(page: EssayPage, grader: Any, percent: float, comment: str) -> Attempt:
    return attempt_rules.grade_essay(page.response, grader.id, float(percent) / 100.0, comment or "")


# Trainers: GIFT ----------------------------------------------------------------------------

def upload_gift(ctx: ModuleContext, language: str, data: bytes, filename: str) -> GiftImport:
    """Validate and import an uploaded GIFT file; ContentError with lines, nothing written."""
    if len(data) > GIFT_MAX_BYTES:
        raise ContentError([ContentProblem(filename, None, "the file is larger than 2 MB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ContentError([ContentProblem(filename, line, "the file is not UTF-8 text")]) from None
    return import_gift(ctx.course, ctx.module, language, text, filename)


def export_gift_text(ctx: ModuleContext, language: str) -> str:
    """The module's active questions in GIFT, texts in `language`."""
    return export_quiz_gift(ctx.quiz.id, language) if ctx.quiz is not None else ""
