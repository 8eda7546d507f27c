"""Trainers' course reports and the admins' programme view.

Every figure is aggregated in SQL (COUNT/SUM/AVG with GROUP BY, window
functions for rankings), so a report takes the same number of queries for
ten learners or ten thousand, and the database returns one row per module,
quiz, question or month rather than one per learner. The same SQL runs on
SQLite (3.25+, for window functions) and PostgreSQL.

Definitions (shown to trainers in the report's notes):

* *Active in the last N days*: the enrolment's last activity (a lesson
  opened or marked done, a quiz graded) is at most N days old.
* *Started*: has any recorded activity in the course.
* *Inactive*: not completed, and no activity for 14 days (or, never active,
  enrolled more than 14 days ago).
* *Quiz statistics*: over closed attempts (submitted, or waiting for an essay
  grade with their provisional score). Mean score is the mean over attempts,
  best score the highest attempt; pass rate is the share of learners who
  attempted whose kept grade (the quiz's best/last/average policy, as the
  quiz engine keeps it) reaches the pass mark.
* *Item analysis*: over each learner's FIRST closed attempt of the quiz (so
  later attempts, when learners have seen the answers, do not inflate it).
  Share correct is the share of graded responses with full credit.
  Discrimination is the upper-lower index: learners are ranked by the
  score of that first attempt; the upper group is the top 27% (rounded up),
  the lower group the bottom 27%; D = share correct in the upper group minus
  share correct in the lower group (from -1 to 1; below 0.2 the question
  separates strong from weak learners poorly, below 0 it misleads).
  The most chosen wrong answer is the most frequent response without full
  credit (choice, true/false, short and numeric questions).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from time import monotonic
from typing import Any

from flask import current_app
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, cast, distinct, func, literal_column, select
from sqlalchemy.orm import selectinload

from lms.auth.models import User
from lms.catalog.models import Enrolment
from lms.content.models import Course, CourseTag, CourseText, Lesson, Module, ModuleText
from lms.content.trainers import taught_courses, teaches
from lms.content.vocab import REGION_NAMES, tag_label
from lms.extensions import db
from lms.i18n import current_language, pick
from lms.progress import quizlink
from lms.progress.models import Certificate, LessonProgress, ModuleCompletion
from lms.progress.sql import year_month
from lms.timeutil import utcnow

INACTIVE_DAYS = 14
INACTIVE_PAGE = 50
DRAWN_FORMS = 4  # filter forms kept with a cached report (per the values typed)
QUESTIONS_TO_WATCH = 5  # the report shows the questions answered wrong most often
UPPER_LOWER_PERCENT = 27
FULL_CREDIT = 0.999
WRONG_ANSWER_TYPES = ("single", "multiple", "truefalse", "short", "numeric")
MAX_MONTHS = 120


# Tables -----------------------------------------------------------------------------


@dataclass
class Column:
    label: Any  # a lazily translated string
    kind: str = "text"  # text, int, share (0..1), score (0..100), index (-1..1), date, datetime


@dataclass
class Table:
    name: str
    caption: Any
    columns: list[Column]
    rows: list[tuple] = field(default_factory=list)
    total: int | None = None  # rows of the whole table when `rows` is one page of it
    links: dict[int, str] = field(default_factory=dict)  # row index -> URL for its first cell (HTML only)
    offset: int = 0  # rows of the whole table before `rows` (a later page)

    @property
    def truncated(self) -> bool:
        return self.total is not None and self.total > len(self.rows)


def _share(part: int | float | None, whole: int | float | None) -> float | None:
    return (part or 0) / whole if whole else None


# Filters ---------------------------------------------------------------------------


@dataclass
class ReportFilters:
    region: str = ""  # a region code, "none" (not stated) or "" (all)
    language: str = ""
    enrolled_from: date | None = None
    enrolled_to: date | None = None

    def args(self) -> dict[str, str]:
        """As query-string arguments, for links (CSV downloads keep the filters)."""
        values = {
            "region": self.region,
            "language": self.language,
            "enrolled_from": self.enrolled_from.isoformat() if self.enrolled_from else "",
            "enrolled_to": self.enrolled_to.isoformat() if self.enrolled_to else "",
        }
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        return bool(self.args())


class Cohort:
    """The learners of a course that the filters keep.

    `enrolments()` selects their enrolments; `keeps(column)` is the WHERE
    condition for a user id column of another table (empty without filters:
    every record of the course belongs to an enrolled learner). The filter
    is an uncorrelated IN (subquery), which both databases evaluate once.
    """

    def __init__(self, course_id: int, filters: ReportFilters):
        self.course_id = course_id
        self.filters = filters

    def _conditions(self) -> list:
        f, conditions = self.filters, [Enrolment.course_id == self.course_id]
        if f.region == "none":
            conditions.append(User.region.is_(None))
        elif f.region:
            conditions.append(User.region == f.region)
        if f.language:
            conditions.append(User.locale == f.language)
        if f.enrolled_from:
            conditions.append(Enrolment.enrolled_at >= datetime.combine(f.enrolled_from, time.min))
        if f.enrolled_to:
            conditions.append(
                Enrolment.enrolled_at < datetime.combine(f.enrolled_to + timedelta(days=1), time.min)
            )
        return conditions

    def enrolments(self, *columns):
        return (
            select(*columns)
            .select_from(Enrolment)
            .join(User, User.id == Enrolment.user_id)
            .where(*self._conditions())
        )

    def keeps(self, user_column) -> list:
        if not self.filters.active:
            return []
        return [user_column.in_(self.enrolments(Enrolment.user_id))]


# Who may see a course's report -------------------------------------------------------


def may_report(user, course_id: int) -> bool:
    """Whether this person may see the course's reports: the people who teach it
    (lms.content.trainers: admins, its authors, any trainer while it has none)."""
    return teaches(user, course_id)


def reportable_courses(user) -> list[tuple[Course, CourseText | None]]:
    """The courses whose reports this person may see, with enrolment counts (two or three queries)."""
    statement = (
        select(Course)
        .where(Course.archived_at.is_(None))
        .options(selectinload(Course.texts))
        .order_by(Course.slug)
    )
    courses = list(db.session.scalars(statement).all())
    taught = taught_courses(user, {course.id for course in courses})
    courses = [course for course in courses if course.id in taught]
    return [(course, pick(course.text_by_language())[0]) for course in courses]


def enrolment_counts(course_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.course_id, func.count(Enrolment.id), func.count(Enrolment.completed_at))
        .where(Enrolment.course_id.in_(course_ids))
        .group_by(Enrolment.course_id)
    ).all()
    return {course_id: (enrolled, completed) for course_id, enrolled, completed in rows}


# The trainer's course report ------------------------------------------------------------


@dataclass
class TrainerReport:
    course: Course
    title: str
    filters: ReportFilters
    generated_at: datetime
    summary: Table
    funnel: Table
    modules: Table
    quizzes: Table
    inactive: Table
    questions: Table = field(default_factory=lambda: Table("questions", "", []))
    quiz_ids: list[int] = field(default_factory=list)  # in the order of `quizzes` rows
    quiz_titles: list[str] = field(default_factory=list)  # the same order
    question_quiz_ids: list[int] = field(default_factory=list)  # the quiz of each `questions` row
    page: int = 1  # the page of the inactive learners shown
    pages: int = 1
    # What a page drew from these figures (see `drawn`), kept with them, so figures from the
    # per-worker cache are also drawn once: the figures, and the page of inactive learners
    # (cached apart: turning the pages does not compute the figures again).
    _drawn: dict = field(default_factory=dict, repr=False)
    _listing_drawn: dict = field(default_factory=dict, repr=False)

    def tables(self) -> dict[str, Table]:
        return {
            table.name: table
            for table in (
                self.summary, self.funnel, self.modules, self.quizzes, self.questions, self.inactive
            )
        }

    def drawn(self, name, draw, *, listing: bool = False, keep: int | None = None):
        """`draw()`, once per computed figures and `name`: the page's HTML of them (`listing`:
        of the page of inactive learners). The cache keys hold everything that HTML depends on
        (course, filters, page, language, locale and time zone of the reader). With `keep`, at
        most that many drawings are kept (for names that come from what a reader typed)."""
        memo = self._listing_drawn if listing else self._drawn
        if name in memo:
            return memo[name]
        value = draw()
        if keep is None or len(memo) < keep:
            memo[name] = value
        return value


TRAINER_TABLES = ("summary", "funnel", "modules", "quizzes", "questions", "inactive")
FIGURES = "figures"  # `only` for every table but the inactive learners (cached apart)


def trainer_report(
    course: Course,
    filters: ReportFilters,
    *,
    now: datetime | None = None,
    page: int = 1,
    inactive_limit: int | None = INACTIVE_PAGE,
    questions_limit: int | None = QUESTIONS_TO_WATCH,
    only: str | None = None,
) -> TrainerReport:
    """The course report; `only` names the one table wanted (a CSV download): the others stay empty.

    `inactive_limit` cuts the inactive learners to pages of that many rows (`page`, clamped to
    the pages there are; None: all, as the CSV download has them); `questions_limit` cuts the
    questions to look at to their first rows. The whole report (not a CSV download, which is
    always computed afresh) is kept per worker: see `_ReportCache`."""
    cache = _ReportCache(course.id, filters) if only is None else None
    if cache is None or not cache.seconds:
        return _trainer_report(course, filters, now, page, inactive_limit, questions_limit, only)
    figures = cache.get(
        ("figures", questions_limit),
        lambda: _trainer_report(course, filters, now, page, inactive_limit, questions_limit, FIGURES),
    )
    listing = cache.get(
        ("inactive", page, inactive_limit),
        lambda: _trainer_report(course, filters, now, page, inactive_limit, questions_limit, "inactive"),
    )
    # The request's own course row (the cached one belongs to the session that computed it);
    # the copy shares the figures and what was drawn from them.
    return replace(
        figures,
        course=course,
        generated_at=min(figures.generated_at, listing.generated_at),
        inactive=listing.inactive,
        page=listing.page,
        pages=listing.pages,
        _listing_drawn=listing._listing_drawn,
    )


def _trainer_report(
    course: Course,
    filters: ReportFilters,
    now: datetime | None,
    page: int,
    inactive_limit: int | None,
    questions_limit: int | None,
    only: str | None,
) -> TrainerReport:
    now = now or utcnow()
    cohort = Cohort(course.id, filters)
    # The title in the reader's language (reads the course's texts): for the page only.
    title, _lang = pick(course.text_by_language()) if only in (None, FIGURES) else (None, None)

    def wanted(*names: str) -> bool:
        return only is None or only in names or (only == FIGURES and "inactive" not in names)

    empty = {name: Table(name, "", []) for name in TRAINER_TABLES}
    summary, counts = _summary(cohort, now) if wanted("summary", "funnel") else (empty["summary"], {})
    funnel, modules = empty["funnel"], empty["modules"]
    module_titles = _module_titles(course.id) if wanted("funnel", "modules", "quizzes", "questions") else []
    if wanted("funnel", "modules"):
        funnel, modules = _funnel(course.id, cohort, counts, module_titles)
    quiz_list = (
        _quiz_list(course.id, module_titles)
        if quizlink.available() and wanted("quizzes", "questions")
        else []
    )
    quizzes = _quiz_statistics(cohort, quiz_list) if wanted("quizzes") else empty["quizzes"]
    questions, question_quiz_ids = empty["questions"], []
    if wanted("questions"):
        questions, question_quiz_ids = _questions_to_watch(cohort, quiz_list, questions_limit)
    inactive, shown_page, pages = empty["inactive"], 1, 1
    if wanted("inactive"):
        inactive, shown_page, pages = _inactive(course.id, cohort, now, inactive_limit, page)
    return TrainerReport(
        course=course,
        title=title.title if title else course.slug,
        filters=filters,
        generated_at=now,
        summary=summary,
        funnel=funnel,
        modules=modules,
        quizzes=quizzes,
        inactive=inactive,
        questions=questions,
        quiz_ids=[quiz_id for quiz_id, _title, _grading in quiz_list],
        quiz_titles=[quiz_title for _id, quiz_title, _grading in quiz_list],
        question_quiz_ids=question_quiz_ids,
        page=shown_page,
        pages=pages,
    )


SUMMARY_COLUMNS = [
    Column(_l("Figure")),
    Column(_l("Learners"), "int"),
    Column(_l("Share of enrolled"), "share"),
]


def _summary(cohort: Cohort, now: datetime) -> tuple[Table, dict[str, int]]:
    def count_where(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        cohort.enrolments(
            func.count(Enrolment.id),
            count_where(Enrolment.last_activity_at.is_not(None)),
            count_where(Enrolment.last_activity_at >= now - timedelta(days=7)),
            count_where(Enrolment.last_activity_at >= now - timedelta(days=30)),
            count_where(Enrolment.completed_at.is_not(None)),
        )
    ).one()
    enrolled, started, active7, active30, completed = (int(value or 0) for value in row)
    counts = {
        "enrolled": enrolled,
        "started": started,
        "active7": active7,
        "active30": active30,
        "completed": completed,
    }
    rows = [
        (_("Enrolled"), enrolled, _share(enrolled, enrolled)),
        (_("Started"), started, _share(started, enrolled)),
        (_("Active in the last 7 days"), active7, _share(active7, enrolled)),
        (_("Active in the last 30 days"), active30, _share(active30, enrolled)),
        (_("Completed the course"), completed, _share(completed, enrolled)),
    ]
    return Table("summary", _l("Learners at a glance"), SUMMARY_COLUMNS, rows), counts


def _module_titles(course_id: int) -> list[tuple[int, str]]:
    """Active modules in order with their title in the reader's language (one query)."""
    rows = db.session.execute(
        select(Module.id, Module.position, Module.key, ModuleText.language, ModuleText.title)
        .outerjoin(ModuleText, ModuleText.module_id == Module.id)
        .where(Module.course_id == course_id, Module.archived_at.is_(None))
        .order_by(Module.position, Module.id)
    ).all()
    variants: dict[int, dict[str, str]] = {}
    keys: dict[int, str] = {}
    for module_id, _position, key, language, title in rows:
        variants.setdefault(module_id, {})
        keys[module_id] = key
        if language:
            variants[module_id][language] = title
    reader = current_language()
    return [(module_id, pick(texts, reader)[0] or keys[module_id]) for module_id, texts in variants.items()]


def _funnel(
    course_id: int, cohort: Cohort, counts: dict[str, int], module_titles: list[tuple[int, str]]
) -> tuple[Table, Table]:
    started = dict(
        db.session.execute(
            select(Lesson.module_id, func.count(distinct(LessonProgress.user_id)))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.course_id == course_id, *cohort.keeps(LessonProgress.user_id))
            .group_by(Lesson.module_id)
        ).all()
    )
    completed = dict(
        db.session.execute(
            select(ModuleCompletion.module_id, func.count(ModuleCompletion.id))
            .where(ModuleCompletion.course_id == course_id, *cohort.keeps(ModuleCompletion.user_id))
            .group_by(ModuleCompletion.module_id)
        ).all()
    )
    enrolled = counts.get("enrolled", 0)
    steps = [
        (_("Enrolled"), enrolled, _share(enrolled, enrolled)),
        (_("Started"), counts.get("started", 0), _share(counts.get("started", 0), enrolled)),
    ]
    module_rows = []
    for position, (module_id, title) in enumerate(module_titles, start=1):
        done = completed.get(module_id, 0)
        steps.append(
            (
                _("Completed module %(number)d: %(title)s", number=position, title=title),
                done,
                _share(done, enrolled),
            )
        )
        module_rows.append(
            (f"{position}. {title}", started.get(module_id, 0), done, _share(done, started.get(module_id, 0)))
        )
    steps.append(
        (_("Completed the course"), counts.get("completed", 0), _share(counts.get("completed", 0), enrolled))
    )
    funnel = Table(
        "funnel",
        _l("Funnel: how far learners get"),
        [Column(_l("Step")), Column(_l("Learners"), "int"), Column(_l("Share of enrolled"), "share")],
        steps,
    )
    modules = Table(
        "modules",
        _l("Modules: started and completed"),
        [
            Column(_l("Module")),
            Column(_l("Started"), "int"),
            Column(_l("Completed"), "int"),
            Column(_l("Completed of those who started"), "share"),
        ],
        module_rows,
    )
    return funnel, modules


# The per-worker cache of whole reports ----------------------------------------------------
#
# Computing a report reads every enrolment, lesson record, closed attempt and first-attempt
# response of the course (over 100 ms at 10,000 learners). Each worker keeps a computed report
# (its figures, and the HTML a page drew from them) for PROGRESS_REPORT_CACHE_SECONDS per
# course, filters and reader (language, locale and time zone), and each page of its inactive
# learners apart (so turning pages reads one page, not every figure again), under a stamp
# read in one cheap query: the course's newest enrolment id (the last entry of the
# course in SQLite's index on enrolments (course_id); PostgreSQL walks the primary key back to
# it), so a new enrolment renews the report on the next request.
# Other changes (a lesson opened or done, a module or the course completed, an attempt
# submitted or graded, a learner's region or language) show when the report is computed
# again, PROGRESS_REPORT_CACHE_SECONDS after it was at most; the page says when its figures
# were computed. Counting lesson records or closed attempts per course would read thousands of
# index entries on every request, which is the cost the cache is there to avoid.

CACHE_ENTRIES = 128  # figures and pages of inactive learners
_cache: dict[tuple, tuple[tuple, float, Any]] = {}
_cache_lock = threading.Lock()


class _ReportCache:
    def __init__(self, course_id: int, filters: ReportFilters):
        self.course_id = course_id
        self.seconds = current_app.config.get("PROGRESS_REPORT_CACHE_SECONDS", 0)
        self.key = (
            course_id,
            tuple(sorted(filters.args().items())),
            str(current_language()),
            str(get_locale()),
            str(get_timezone()),
        )
        self._stamp: tuple | None = None

    def stamp(self) -> tuple:
        if self._stamp is None:  # one query per request, whatever it reads from the cache
            newest = db.session.scalar(
                select(func.max(Enrolment.id)).where(Enrolment.course_id == self.course_id)
            )
            self._stamp = (newest,)
        return self._stamp

    def get(self, part: tuple, compute) -> TrainerReport:
        key, stamp, now = (*self.key, *part), self.stamp(), monotonic()
        with _cache_lock:
            entry = _cache.get(key)
            if entry is not None and entry[0] == stamp and entry[1] > now:
                return entry[2]
        value = compute()
        with _cache_lock:
            _cache.pop(key, None)
            _cache[key] = (stamp, now + self.seconds, value)
            while len(_cache) > CACHE_ENTRIES:  # the oldest entry goes first
                _cache.pop(next(iter(_cache)))
        return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


QUIZ_COLUMNS = [
    Column(_l("Quiz")),
    Column(_l("Learners who attempted"), "int"),
    Column(_l("Attempts"), "int"),
    Column(_l("Mean score"), "score"),
    Column(_l("Best score"), "score"),
    Column(_l("Pass rate"), "share"),
]
ITEM_COLUMNS = [
    Column(_l("Question")),
    Column(_l("Responses"), "int"),
    Column(_l("Share correct"), "share"),
    Column(_l("Discrimination (upper–lower 27%)"), "index"),
    Column(_l("Most chosen wrong answer")),
    Column(_l("Times chosen"), "int"),
]


def _quiz_list(
    course_id: int, module_titles: list[tuple[int, str]], quiz_id: int | None = None
) -> list[tuple[int, str, str]]:
    """The course's active quizzes in module order: (id, title in the reader's language, grading)."""
    from lms.quizzes.models import Quiz, QuizText

    module_order = {module_id: index for index, (module_id, _title) in enumerate(module_titles)}
    module_title = dict(module_titles)
    statement = (
        select(Quiz.id, Quiz.module_id, Quiz.grading, QuizText.language, QuizText.title)
        .outerjoin(QuizText, QuizText.quiz_id == Quiz.id)
        .where(Quiz.course_id == course_id, Quiz.archived_at.is_(None))
    )
    if quiz_id is not None:
        statement = statement.where(Quiz.id == quiz_id)
    texts: dict[int, dict[str, str]] = {}
    info: dict[int, tuple[int, str]] = {}
    for qid, module_id, grading, language, title in db.session.execute(statement).all():
        texts.setdefault(qid, {})
        info[qid] = (module_id, grading)
        if language:
            texts[qid][language] = title
    reader = current_language()
    ordered = sorted(texts, key=lambda q: (module_order.get(info[q][0], 10**6), q))
    return [
        (qid, pick(texts[qid], reader)[0] or module_title.get(info[qid][0], str(qid)), info[qid][1])
        for qid in ordered
    ]


def _quiz_statistics(cohort: Cohort, quizzes: list[tuple[int, str, str]]) -> Table:
    """Attempts, mean and best score and pass rate per quiz (`_quiz_list`): per learner first
    (their kept grade by the quiz's policy), then per quiz, in one query."""
    table = Table("quizzes", _l("Quiz statistics"), QUIZ_COLUMNS)
    if not quizlink.available() or not quizzes:
        return table
    from lms.quizzes.models import CLOSED_STATES, Attempt, Quiz

    quiz_ids = [quiz_id for quiz_id, _title, _grading in quizzes]
    score = func.coalesce(Attempt.score, 0.0)
    # The newest attempt matters only to quizzes that keep the last one: rank only then.
    newest = (
        func.row_number().over(
            partition_by=(Attempt.quiz_id, Attempt.user_id),
            order_by=(func.coalesce(Attempt.submitted_at, Attempt.started_at).desc(), Attempt.number.desc()),
        )
        if any(grading == "last" for _q, _t, grading in quizzes)
        else literal_column("1")
    )
    closed = (
        select(
            Attempt.quiz_id.label("quiz_id"),
            Attempt.user_id.label("user_id"),
            score.label("score"),
            newest.label("newest"),
        )
        .where(
            Attempt.quiz_id.in_(quiz_ids), Attempt.state.in_(CLOSED_STATES), *cohort.keeps(Attempt.user_id)
        )
        .subquery("closed")
    )
    learner = (
        select(
            closed.c.quiz_id,
            closed.c.user_id,
            func.count().label("attempts"),
            func.sum(closed.c.score).label("total"),
            func.max(closed.c.score).label("best"),
            func.avg(closed.c.score).label("mean"),
            func.max(case((closed.c.newest == 1, closed.c.score), else_=None)).label("last"),
        )
        .group_by(closed.c.quiz_id, closed.c.user_id)
        .subquery("learner")
    )
    kept = case(
        (Quiz.grading == "best", learner.c.best),
        (Quiz.grading == "last", learner.c.last),
        else_=learner.c.mean,
    )
    stats = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(
                learner.c.quiz_id,
                func.count(),
                func.sum(learner.c.attempts),
                func.sum(learner.c.total),
                func.max(learner.c.best),
                func.sum(case((kept + 1e-9 >= Quiz.pass_mark, 1), else_=0)),
            )
            .join(Quiz, Quiz.id == learner.c.quiz_id)
            .group_by(learner.c.quiz_id)
        ).all()
    }
    for quiz_id, title, _grading in quizzes:
        learners, attempts, total, best, passed = stats.get(quiz_id, (0, 0, 0, None, 0))
        # PostgreSQL sums integers as NUMERIC: back to Python numbers.
        learners, attempts, passed = int(learners or 0), int(attempts or 0), int(passed or 0)
        table.rows.append(
            (
                title,
                learners,
                attempts,
                float(total) / attempts if attempts else None,
                float(best) if best is not None else None,
                _share(passed, learners),
            )
        )
    return table


@dataclass
class ItemReport:
    course: Course
    title: str
    quiz_id: int
    quiz_title: str
    filters: ReportFilters
    generated_at: datetime
    items: Table


def _questions(quiz_ids: list[int]) -> dict[int, dict]:
    """The questions of these quizzes with their texts in every language (one query)."""
    from lms.quizzes.models import Question, QuestionText

    questions: dict[int, dict] = {}
    rows = db.session.execute(
        select(
            Question.id,
            Question.quiz_id,
            Question.key,
            Question.position,
            Question.type,
            Question.archived_at,
            QuestionText.language,
            QuestionText.title,
            QuestionText.parts,
        )
        .outerjoin(QuestionText, QuestionText.question_id == Question.id)
        .where(Question.quiz_id.in_(quiz_ids))
        .order_by(Question.position, Question.id)
    ).all()
    for question_id, quiz_id, key, position, qtype, archived, language, text_title, parts in rows:
        entry = questions.setdefault(
            question_id,
            {"quiz_id": quiz_id, "key": key, "position": position, "type": qtype, "archived": archived},
        )
        entry.setdefault("texts", {})
        if language:
            entry["texts"][language] = (text_title, parts or {})
    return questions


def _question_text(entry: dict, reader: str) -> tuple[str, dict]:
    """A question's title (its key when it has none) and parts in the reader's language."""
    (text_title, parts), _language = pick(entry["texts"], reader) if entry["texts"] else (("", {}), None)
    return text_title or entry["key"], parts


def _response_counts(
    attempts, questions: dict[int, dict], group=None
) -> tuple[dict[int, list[int]], dict[int, tuple[str, int]]]:
    """One pass over the graded responses of the attempts in `attempts` (a subquery with an
    `attempt_id` column): per question [responses, correct, upper n, upper correct, lower n,
    lower correct] (the groups when `group` is given: 1 upper, -1 lower), and the most chosen
    wrong answer {question id: (stored response, times)}."""
    from lms.quizzes.models import Response

    answerable = [qid for qid, entry in questions.items() if entry["type"] in WRONG_ANSWER_TYPES]
    correct = case((Response.fraction >= FULL_CREDIT, 1), else_=0)
    wrong_answer = case(
        (
            and_(Response.fraction < FULL_CREDIT, Response.question_id.in_(answerable)),
            cast(Response.response, String),
        ),
        else_=None,
    )
    columns = [Response.question_id, correct, wrong_answer] + ([group] if group is not None else [])
    item_stats: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    wrong_counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.session.execute(
        select(*columns, func.count())
        .join(attempts, attempts.c.attempt_id == Response.attempt_id)
        .where(Response.fraction.is_not(None))
        .group_by(*columns)
    ).all():
        question_id, is_correct, answer_text, count = row[0], int(row[1]), row[2], int(row[-1])
        in_group = int(row[3]) if group is not None else 0
        entry = item_stats[question_id]
        entry[0] += count
        entry[1] += count * is_correct
        if in_group == 1:
            entry[2] += count
            entry[3] += count * is_correct
        elif in_group == -1:
            entry[4] += count
            entry[5] += count * is_correct
        if answer_text is not None and answer_text != "null":
            wrong_counts[question_id][answer_text] += count
    wrong_answers = {
        question_id: min(answers.items(), key=lambda item: (-item[1], item[0]))
        for question_id, answers in wrong_counts.items()
        if answers
    }
    return item_stats, wrong_answers


WATCH_COLUMNS = [
    Column(_l("Question")),
    Column(_l("Quiz")),
    Column(_l("Responses"), "int"),
    Column(_l("Share correct"), "share"),
    Column(_l("Most chosen wrong answer")),
    Column(_l("Times chosen"), "int"),
]


def _questions_to_watch(
    cohort: Cohort, quizzes: list[tuple[int, str, str]], limit: int | None
) -> tuple[Table, list[int]]:
    """The questions of every quiz of the course that first attempts got wrong most often:
    lowest share correct first, then the most chosen wrong answer. Two queries for any
    number of quizzes; with their quiz ids, in the order of the rows."""
    table = Table("questions", _l("Questions answered wrong most often (first attempts)"), WATCH_COLUMNS)
    if not quizlink.available() or not quizzes:
        return table, []
    from lms.quizzes.models import CLOSED_STATES, Attempt

    quiz_ids = [quiz_id for quiz_id, _title, _grading in quizzes]
    quiz_order = {quiz_id: index for index, quiz_id in enumerate(quiz_ids)}
    quiz_title = {quiz_id: title for quiz_id, title, _grading in quizzes}
    questions = _questions(quiz_ids)
    first_attempts = (
        select(Attempt.id.label("attempt_id"))
        .where(
            Attempt.quiz_id.in_(quiz_ids),
            Attempt.state.in_(CLOSED_STATES),
            Attempt.number == 1,
            *cohort.keeps(Attempt.user_id),
        )
        .subquery("first_attempts")
    )
    item_stats, wrong_answers = _response_counts(first_attempts, questions)
    ranked = []
    for question_id, (responses, right, *_groups) in item_stats.items():
        entry = questions.get(question_id)
        if entry is None or not responses or right >= responses:
            continue  # a question every first attempt got right is no worry
        times_wrong = wrong_answers.get(question_id, (None, 0))[1]
        order = (quiz_order[entry["quiz_id"]], entry["position"], question_id)
        ranked.append((right / responses, -times_wrong, *order))
    ranked.sort()
    reader = current_language()
    quiz_of_row = []
    for share, _times, _quiz, _position, question_id in ranked if limit is None else ranked[:limit]:
        entry = questions[question_id]
        text, parts = _question_text(entry, reader)
        wrong_text, wrong_n = wrong_answers.get(question_id, (None, None))
        table.rows.append(
            (
                text,
                quiz_title[entry["quiz_id"]],
                item_stats[question_id][0],
                share,
                _answer_label(entry["type"], wrong_text, parts),
                wrong_n,
            )
        )
        quiz_of_row.append(entry["quiz_id"])
    return table, quiz_of_row


def item_analysis(
    course: Course, quiz_id: int, filters: ReportFilters, *, now: datetime | None = None
) -> ItemReport | None:
    """Item analysis of one quiz of the course (None if the course has no such quiz): three queries."""
    if not quizlink.available():
        return None
    from lms.quizzes.models import CLOSED_STATES, Attempt

    found = _quiz_list(course.id, [], quiz_id)
    if not found:
        return None
    _id, quiz_title, _grading = found[0]
    cohort = Cohort(course.id, filters)
    reader = current_language()
    title, _lang = pick(course.text_by_language())
    table = Table("items", _l("Item analysis (first attempts)"), ITEM_COLUMNS)
    report = ItemReport(
        course, title.title if title else course.slug, quiz_id, quiz_title, filters, now or utcnow(), table
    )
    questions = _questions([quiz_id])

    # First attempts (number 1: a second cannot start while the first is open), ranked by score.
    score = func.coalesce(Attempt.score, 0.0)
    ranked = (
        select(
            Attempt.id.label("attempt_id"),
            func.row_number().over(order_by=(score.desc(), Attempt.id)).label("rank"),
            func.count().over().label("n"),
        )
        .where(
            Attempt.quiz_id == quiz_id,
            Attempt.state.in_(CLOSED_STATES),
            Attempt.number == 1,
            *cohort.keeps(Attempt.user_id),
        )
        .subquery("ranked")
    )
    group_size = (ranked.c.n * UPPER_LOWER_PERCENT + 99) // 100  # ceil(27% of n), in integers
    group = case(
        (ranked.c.n < 2, 0),
        (ranked.c.rank <= group_size, 1),
        (ranked.c.rank > ranked.c.n - group_size, -1),
        else_=0,
    )
    # One pass over the responses: counts per question, correctness, group and wrong answer.
    item_stats, wrong_answers = _response_counts(ranked, questions, group)

    for question_id, entry in sorted(questions.items(), key=lambda q: (q[1]["position"], q[0])):
        if question_id not in item_stats and (entry["archived"] or entry["type"] in ("description", "essay")):
            continue
        text, parts = _question_text(entry, reader)
        responses, right, up_n, up_right, low_n, low_right = item_stats.get(question_id, (0, 0, 0, 0, 0, 0))
        discrimination = (up_right / up_n - low_right / low_n) if up_n and low_n else None
        wrong_text, wrong_n = wrong_answers.get(question_id, (None, None))
        table.rows.append(
            (
                text,
                responses,
                _share(right, responses),
                discrimination,
                _answer_label(entry["type"], wrong_text, parts),
                wrong_n,
            )
        )
    return report


def _answer_label(question_type: str, stored: str | None, parts: dict) -> str | None:
    """A stored response (JSON text) as a trainer reads it: choice texts, true/false, or what was typed."""
    if stored is None:
        return None
    try:
        value = json.loads(stored)
    except ValueError:
        value = stored
    choices = parts.get("choices") or {}

    def choice_text(choice_id) -> str:
        entry = choices.get(str(choice_id))
        text = entry.get("text") if isinstance(entry, dict) else None
        return f"{choice_id}: {text}" if text else str(choice_id)

    if question_type == "single":
        return choice_text(value)
    if question_type == "multiple" and isinstance(value, list):
        return "; ".join(choice_text(item) for item in sorted(value, key=str)) or _("(nothing chosen)")
    if question_type == "truefalse":
        return _("True") if str(value).lower() == "true" else _("False")
    return str(value)


INACTIVE_COLUMNS = [
    Column(_l("Name")),
    Column(_l("Email")),
    Column(_l("Border region")),
    Column(_l("Language")),
    Column(_l("Enrolled"), "date"),
    Column(_l("Last activity"), "date"),
    Column(_l("Lessons done"), "int"),
]


def _inactive(
    course_id: int, cohort: Cohort, now: datetime, limit: int | None, page: int = 1
) -> tuple[Table, int, int]:
    """The learners without activity for INACTIVE_DAYS, oldest activity first: the page `page`
    of `limit` rows (LIMIT/OFFSET; `limit` None: all rows), with the page shown and the number
    of pages. One query; a page number past the last page shows the last, for two more."""
    last = func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at)
    listed = (
        cohort.enrolments(
            Enrolment.user_id.label("user_id"),
            User.id.label("uid"),
            User.name.label("name"),
            User.email.label("email"),
            User.region.label("region"),
            User.locale.label("locale"),
            Enrolment.enrolled_at.label("enrolled_at"),
            Enrolment.last_activity_at.label("last_activity_at"),
            last.label("last"),
            func.count().over().label("total"),
        )
        .where(Enrolment.completed_at.is_(None), last < now - timedelta(days=INACTIVE_DAYS))
        .order_by(last, User.name, User.id)
    )

    def rows_of(page_number: int) -> list:
        statement = listed
        if limit is not None:
            statement = statement.limit(limit).offset((page_number - 1) * limit)
        one_page = statement.subquery("one_page")
        # Lessons done, counted once the page is cut and for its learners only (a correlated
        # count that reads the index on lesson_progress (course_id, user_id, completed_at, ...)
        # and not the table): not for every progress row of the course, nor every inactive learner.
        done = (
            select(func.count())
            .where(
                LessonProgress.course_id == course_id,
                LessonProgress.user_id == one_page.c.user_id,
                LessonProgress.completed_at.is_not(None),
            )
            .correlate(one_page)
            .scalar_subquery()
        )
        return db.session.execute(
            select(
                one_page.c.name,
                one_page.c.email,
                one_page.c.region,
                one_page.c.locale,
                one_page.c.enrolled_at,
                one_page.c.last_activity_at,
                done,
                one_page.c.total,
            ).order_by(one_page.c.last, one_page.c.name, one_page.c.uid)
        ).all()

    page = max(1, page)
    rows = rows_of(page)
    if not rows and page > 1 and limit is not None:  # past the last page: the last one
        total = int(db.session.scalar(select(func.count()).select_from(listed.subquery())) or 0)
        page = max(1, -(-total // limit))
        rows = rows_of(page) if total else []
    total = int(rows[0][-1]) if rows else 0
    offset = (page - 1) * limit if limit is not None and rows else 0
    table = Table(
        "inactive", _l("Learners without activity for 14 days"), INACTIVE_COLUMNS, total=total, offset=offset
    )
    for name, email, region, locale, enrolled_at, last_activity_at, lessons_done, _total in rows:
        table.rows.append(
            (name, email, region_label(region), locale, enrolled_at, last_activity_at, lessons_done)
        )
    if limit is None or not rows:
        return table, 1, 1
    return table, page, max(1, -(-total // limit))


def region_label(code: str | None) -> str:
    if not code:
        return _("Not stated")
    return str(REGION_NAMES.get(code, code))


# The programme view -----------------------------------------------------------------


@dataclass
class ProgrammeReport:
    generated_at: datetime
    totals: Table
    regions: Table
    value_chains: Table
    sdgs: Table
    courses: Table
    monthly: Table

    def tables(self) -> dict[str, Table]:
        return {
            table.name: table
            for table in (self.totals, self.regions, self.value_chains, self.sdgs, self.courses, self.monthly)
        }


BREAKDOWN_COLUMNS = [
    Column(_l("Learners"), "int"),
    Column(_l("Enrolments"), "int"),
    Column(_l("Completions"), "int"),
    Column(_l("Completion rate"), "share"),
]


def _breakdown_row(label: str, learners, enrolments, completions) -> tuple:
    return (
        label,
        int(learners or 0),
        int(enrolments or 0),
        int(completions or 0),
        _share(completions, enrolments),
    )


def programme_report(*, now: datetime | None = None) -> ProgrammeReport:
    """Learners, enrolments and completions across all courses: seven queries."""
    now = now or utcnow()
    learners = func.count(distinct(Enrolment.user_id))
    enrolments = func.count(Enrolment.id)
    completions = func.count(Enrolment.completed_at)

    total_row = db.session.execute(select(learners, enrolments, completions)).one()
    certificates = db.session.scalar(
        select(func.count(Certificate.id)).where(Certificate.revoked_at.is_(None))
    )
    totals = Table(
        "totals",
        _l("Across all courses"),
        [Column(_l("Figure")), Column(_l("Number"), "int")],
        [
            (_("Learners enrolled"), total_row[0]),
            (_("Enrolments"), total_row[1]),
            (_("Completions"), total_row[2]),
            (_("Valid certificates"), certificates or 0),
        ],
    )

    region_rows = db.session.execute(
        select(User.region, learners, enrolments, completions)
        .join(User, User.id == Enrolment.user_id)
        .group_by(User.region)
    ).all()
    regions = Table(
        "regions",
        _l("By border region of the learner"),
        [Column(_l("Border region"))] + BREAKDOWN_COLUMNS,
        sorted(
            (_breakdown_row(region_label(code), *rest) for code, *rest in region_rows),
            key=lambda row: (-row[2], row[0]),
        ),
    )

    def by_tag(kind: str):
        return db.session.execute(
            select(CourseTag.code, learners, enrolments, completions)
            .join(CourseTag, and_(CourseTag.course_id == Enrolment.course_id, CourseTag.kind == kind))
            .group_by(CourseTag.code)
        ).all()

    value_chains = Table(
        "value_chains",
        _l("By value chain of the course"),
        [Column(_l("Value chain"))] + BREAKDOWN_COLUMNS,
        sorted(
            (
                _breakdown_row(tag_label("value_chains", code), *rest)
                for code, *rest in by_tag("value_chains")
            ),
            key=lambda row: (-row[2], row[0]),
        ),
    )
    sdg_rows = sorted(by_tag("sdgs"), key=lambda row: int(row[0]) if str(row[0]).isdigit() else 99)
    sdgs = Table(
        "sdgs",
        _l("By Sustainable Development Goal of the course"),
        [Column(_l("Goal"))] + BREAKDOWN_COLUMNS,
        [_breakdown_row(tag_label("sdgs", code), *rest) for code, *rest in sdg_rows],
    )

    course_rows = db.session.execute(
        select(
            Course.id,
            Course.slug,
            learners,
            enrolments,
            completions,
            func.coalesce(
                func.sum(case((Enrolment.last_activity_at >= now - timedelta(days=30), 1), else_=0)), 0
            ),
        )
        .join(Enrolment, Enrolment.course_id == Course.id)
        .group_by(Course.id, Course.slug)
    ).all()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    for course_id, language, title in db.session.execute(
        select(CourseText.course_id, CourseText.language, CourseText.title)
    ):
        titles[course_id][language] = title
    reader = current_language()
    courses = Table(
        "courses",
        _l("By course"),
        [Column(_l("Course"))] + BREAKDOWN_COLUMNS + [Column(_l("Active in the last 30 days"), "int")],
        sorted(
            (
                (
                    pick(titles[course_id], reader)[0] or slug,
                    *_breakdown_row("", *rest[:3])[1:],
                    int(rest[3] or 0),
                )
                for course_id, slug, *rest in course_rows
            ),
            key=lambda row: (-row[2], row[0]),
        ),
    )
    return ProgrammeReport(now, totals, regions, value_chains, sdgs, courses, _monthly(now))


def _monthly(now: datetime) -> Table:
    """New learners, enrolments and completions per calendar month (UTC), three grouped queries."""
    month = year_month(Enrolment.enrolled_at)
    enrolled = dict(db.session.execute(select(month, func.count()).group_by(month)).all())
    done_month = year_month(Enrolment.completed_at)
    completed = dict(
        db.session.execute(
            select(done_month, func.count()).where(Enrolment.completed_at.is_not(None)).group_by(done_month)
        ).all()
    )
    firsts = select(func.min(Enrolment.enrolled_at).label("first")).group_by(Enrolment.user_id).subquery()
    first_month = year_month(firsts.c.first)
    newcomers = dict(db.session.execute(select(first_month, func.count()).group_by(first_month)).all())
    table = Table(
        "monthly",
        _l("Month by month"),
        [
            Column(_l("Month")),
            Column(_l("New learners"), "int"),
            Column(_l("Enrolments"), "int"),
            Column(_l("Completions"), "int"),
        ],
    )
    months = [m for m in set(enrolled) | set(completed) if m]
    if not months:
        return table
    current, last = min(months), max(max(months), now.year * 100 + now.month)
    series = []
    while current <= last:
        series.append(current)
        year, month_number = divmod(current, 100)
        current = (year + 1) * 100 + 1 if month_number == 12 else current + 1
    for value in series[-MAX_MONTHS:]:
        table.rows.append(
            (
                f"{value // 100:04d}-{value % 100:02d}",
                newcomers.get(value, 0),
                enrolled.get(value, 0),
                completed.get(value, 0),
            )
        )
    return table


# CSV ----------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "share":
        return f"{value * 100:.1f}"
    if kind == "score":
        return f"{value:.1f}"
    if kind == "index":
        return f"{value:.2f}"
    if kind == "date" and isinstance(value, datetime):
        return value.date().isoformat()
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if kind == "text" and text.startswith(FORMULA_STARTS):
        # A name like "=HYPERLINK(...)" must stay text in a spreadsheet.
        return "'" + text
    return text


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs open accents right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [f"{column.label} (%)" if column.kind == "share" else str(column.label) for column in table.columns]
    )
    for row in table.rows:
        writer.writerow(
            [_csv_cell(value, column.kind) for value, column in zip(row, table.columns, strict=True)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
