"""Reading the catalog: every page's data in a fixed, small number of queries."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from lms.catalog.models import Enrolment
from lms.content.models import Course, CourseTag, CourseText, Lesson, LessonText, Module, ModuleText
from lms.content.text import fold
from lms.extensions import db
from lms.i18n import current_language, languages, pick
from lms.quizzes.models import Quiz

FILTER_KINDS = ("topics", "regions", "value_chains")


@dataclass
class CatalogFilters:
    topic: str = ""
    region: str = ""
    value_chain: str = ""
    language: str = ""
    query: str = ""

    @classmethod
    def from_args(cls, args) -> CatalogFilters:
        return cls(**{name: (args.get(name) or "").strip()[:100] for name in cls.__dataclass_fields__})

    @property
    def active(self) -> bool:
        return any(vars(self).values())

    def args(self) -> dict[str, str]:
        """The filters in use, as query arguments (for links to other pages of the list)."""
        return {name: value for name, value in vars(self).items() if value}

    def key(self) -> tuple[str, ...]:
        return tuple(vars(self).values())


@dataclass
class CourseCard:
    course: Course
    text: CourseText | None
    text_language: str | None
    complete_languages: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.course.slug


def _visible_courses():
    return select(Course).where(Course.published.is_(True), Course.archived_at.is_(None))


def complete_languages(course_ids: list[int]) -> dict[int, list[str]]:
    """Per course, the languages in which every lesson learners can reach is
    published and up to date (one query).

    A lesson counts when it is active, in an active module and published in
    at least one language. A translation whose source text was revised after
    it was translated ("needs update", lms.authoring.translation_status)
    does not make its language complete: a learner choosing that language
    would read an outdated text.
    """
    if not course_ids:
        return {}
    visible = (Lesson.archived_at.is_(None), Module.archived_at.is_(None), Lesson.course_id.in_(course_ids))
    totals = (select(Lesson.course_id, func.count(func.distinct(Lesson.id)).label("total"))
              .join(Module, Module.id == Lesson.module_id)
              .join(LessonText, LessonText.lesson_id == Lesson.id)
              .where(*visible).group_by(Lesson.course_id).subquery())
    source = aliased(LessonText)
    up_to_date = or_(LessonText.language == Course.source_language, LessonText.source_revision.is_(None),
                     source.id.is_(None), LessonText.source_revision >= source.revision)
    rows = db.session.execute(
        select(Lesson.course_id, LessonText.language, func.count(LessonText.id), totals.c.total)
        .join(Module, Module.id == Lesson.module_id)
        .join(Course, Course.id == Lesson.course_id)
        .join(LessonText, LessonText.lesson_id == Lesson.id)
        .outerjoin(source, (source.lesson_id == Lesson.id) & (source.language == Course.source_language))
        .join(totals, totals.c.course_id == Lesson.course_id)
        .where(*visible, up_to_date)
        .group_by(Lesson.course_id, LessonText.language, totals.c.total)).all()
    result: dict[int, list[str]] = {course_id: [] for course_id in course_ids}
    for course_id, language, count, total in rows:
        if count == total:
            result[course_id].append(language)
    order = languages()
    return {cid: sorted(langs, key=order.index) for cid, langs in result.items()}


def _cards(courses: list[Course]) -> list[CourseCard]:
    complete = complete_languages([course.id for course in courses])
    cards = []
    for course in courses:
        text, language = pick(course.text_by_language())
        cards.append(CourseCard(course, text, language, complete.get(course.id, [])))
    return cards


PAGE_SIZE = 24


@dataclass
class CatalogPage:
    """One page of the catalog: the cards shown and where they sit in the list."""

    cards: list[CourseCard]
    total: int
    page: int
    pages: int
    size: int = PAGE_SIZE

    @property
    def first(self) -> int:
        return (self.page - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.size)


def _matching(filters: CatalogFilters) -> list[Course]:
    """The visible courses matching the filters, by slug (rows only, no texts)."""
    statement = _visible_courses()
    for kind, value in (("topics", filters.topic), ("regions", filters.region),
                        ("value_chains", filters.value_chain)):
        if value:
            statement = statement.where(exists().where(
                CourseTag.course_id == Course.id, CourseTag.kind == kind, CourseTag.code == value))
    if filters.query:
        folded = fold(filters.query)
        words = [word for word in folded.split(" ") if word][:8]
        for word in words:
            pattern = f"%{_escape_like(word)}%"
            statement = statement.where(exists().where(
                CourseText.course_id == Course.id, CourseText.search_text.like(pattern, escape="\\")))
    return list(db.session.scalars(statement.order_by(Course.slug)).all())


def catalog_page(filters: CatalogFilters, page: int = 1, size: int = PAGE_SIZE) -> CatalogPage:
    """The courses matching the filters, `size` a page (page numbers past the end
    give the last page). Three queries whatever the number of courses: the
    matching courses, their complete languages, the texts of the shown ones."""
    courses = _matching(filters)
    ids = [course.id for course in courses]
    complete: dict[int, list[str]] | None = None
    if filters.language and ids:
        complete = complete_languages(ids)
        courses = [course for course in courses if filters.language in complete[course.id]]
    pages = max(1, -(-len(courses) // size))
    page = min(max(1, page), pages)
    shown = courses[(page - 1) * size:page * size]
    cards: list[CourseCard] = []
    if shown:
        shown_ids = [course.id for course in shown]
        if complete is None:
            complete = complete_languages(shown_ids)
        texts: dict[int, dict[str, CourseText]] = {}
        for text in db.session.scalars(select(CourseText).where(CourseText.course_id.in_(shown_ids))):
            texts.setdefault(text.course_id, {})[text.language] = text
        for course in shown:
            text, language = pick(texts.get(course.id, {}))
            cards.append(CourseCard(course, text, language, complete.get(course.id, [])))
    return CatalogPage(cards, len(courses), page, pages, size)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def featured_courses(limit: int = 4) -> list[CourseCard]:
    courses = db.session.scalars(_visible_courses().options(
        selectinload(Course.texts), selectinload(Course.tags)).order_by(Course.id).limit(limit)).all()
    return _cards(list(courses))


def available_tags() -> dict[str, list[str]]:
    """The tag codes that visible courses use, for the catalog's filter lists."""
    rows = db.session.execute(
        select(CourseTag.kind, CourseTag.code).distinct()
        .join(Course, Course.id == CourseTag.course_id)
        .where(Course.published.is_(True), Course.archived_at.is_(None))).all()
    result: dict[str, list[str]] = {kind: [] for kind in FILTER_KINDS}
    for kind, code in rows:
        if kind in result:
            result[kind].append(code)
    return {kind: sorted(codes) for kind, codes in result.items()}


# Course outline ---------------------------------------------------------------

@dataclass
class OutlineLesson:
    id: int
    key: str
    title: str
    language: str
    minutes: int | None


@dataclass
class OutlineModule:
    id: int
    key: str
    title: str
    language: str
    summary: str
    lessons: list[OutlineLesson] = field(default_factory=list)
    quiz_id: int | None = None  # the module's active quiz, if any


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(_visible_courses().where(Course.slug == slug).options(
        selectinload(Course.texts), selectinload(Course.tags)))


def outline(course: Course) -> list[OutlineModule]:
    """Modules and lesson titles in the reader's language, in two queries,
    without loading lesson bodies."""
    reader = current_language()
    module_rows = db.session.execute(
        select(Module.id, Module.key, ModuleText.language, ModuleText.title, ModuleText.summary, Quiz.id)
        .join(ModuleText, ModuleText.module_id == Module.id)
        .outerjoin(Quiz, (Quiz.module_id == Module.id) & Quiz.archived_at.is_(None))
        .where(Module.course_id == course.id, Module.archived_at.is_(None))
        .order_by(Module.position, Module.id)).all()
    modules: dict[int, OutlineModule] = {}
    variants: dict[int, dict[str, tuple]] = {}
    for module_id, key, language, title, summary, quiz_id in module_rows:
        variants.setdefault(module_id, {})[language] = (key, title, summary, quiz_id)
    for module_id, by_language in variants.items():
        (key, title, summary, quiz_id), language = pick(by_language, reader)
        modules[module_id] = OutlineModule(module_id, key, title, language, summary, quiz_id=quiz_id)
    lesson_rows = db.session.execute(
        select(Lesson.id, Lesson.key, Lesson.module_id, Lesson.minutes, LessonText.language, LessonText.title)
        .join(LessonText, LessonText.lesson_id == Lesson.id)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position, Lesson.id)).all()
    lesson_variants: dict[int, dict[str, tuple]] = {}
    for lesson_id, key, module_id, minutes, language, title in lesson_rows:
        lesson_variants.setdefault(lesson_id, {})[language] = (key, module_id, minutes, title)
    for lesson_id, by_language in lesson_variants.items():
        (key, module_id, minutes, title), language = pick(by_language, reader)
        if module_id in modules:
            modules[module_id].lessons.append(OutlineLesson(lesson_id, key, title, language, minutes))
    return list(modules.values())


@dataclass
class LessonView:
    course: Course
    course_text: CourseText | None
    lesson: Lesson
    text: LessonText
    outline: list[OutlineModule]
    module: OutlineModule
    previous: OutlineLesson | None
    next: OutlineLesson | None
    available_languages: list[str]
    # The glossary terms the lesson uses and the knowledge entries it discusses
    # (lms.glossary, lms.knowledge): one query each, none without terms.
    terms: list = field(default_factory=list)
    knowledge: list = field(default_factory=list)

    @property
    def in_other_language(self) -> bool:
        return self.text.language != current_language()


def lesson_view(slug: str, lesson_key: str) -> LessonView | None:
    course = course_by_slug(slug)
    if course is None:
        return None
    lesson = db.session.scalar(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.key == lesson_key,
                             Lesson.archived_at.is_(None)).options(selectinload(Lesson.texts)))
    if lesson is None:
        return None
    variants = lesson.text_by_language()
    text, _language = pick(variants)
    if text is None:
        return None
    modules = outline(course)
    flat = [(module, item) for module in modules for item in module.lessons]
    index = next((i for i, (_m, item) in enumerate(flat) if item.id == lesson.id), None)
    if index is None:
        return None  # its module is archived or not published
    course_text, _ = pick(course.text_by_language())
    from lms.glossary.service import lesson_terms
    from lms.knowledge.links import entries_for_lesson

    return LessonView(
        course=course, course_text=course_text, lesson=lesson, text=text, outline=modules,
        module=flat[index][0],
        previous=flat[index - 1][1] if index > 0 else None,
        next=flat[index + 1][1] if index + 1 < len(flat) else None,
        available_languages=[lang for lang in languages() if lang in variants],
        terms=lesson_terms(lesson.glossary_terms), knowledge=entries_for_lesson(lesson))


def detach_lesson_view(view: LessonView) -> None:
    """Take the view's course and lesson (with their texts and tags) out of the
    session, so that it can be kept beyond this request and read by others."""
    for item in (view.course, view.lesson):
        if item in db.session:
            db.session.expunge(item)


# Enrolment ------------------------------------------------------------------------

def enrolment_for(user_id: int, course_id: int) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id))


def enrol(user_id: int, course: Course) -> tuple[Enrolment, bool]:
    """Enrol once; a repeat (double submit, second tab) returns the existing one."""
    existing = enrolment_for(user_id, course.id)
    if existing is not None:
        return existing, False
    enrolment = Enrolment(user_id=user_id, course_id=course.id)
    db.session.add(enrolment)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return enrolment_for(user_id, course.id), False
    return enrolment, True


def my_courses(user_id: int) -> list[tuple[Enrolment, CourseCard]]:
    enrolments = db.session.scalars(
        select(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user_id, Course.archived_at.is_(None))
        .options(selectinload(Enrolment.course).selectinload(Course.texts),
                 selectinload(Enrolment.course).selectinload(Course.tags))
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())).all()
    cards = _cards([enrolment.course for enrolment in enrolments])
    return list(zip(enrolments, cards, strict=True))

