"""Quizzes in the course files, and GIFT files, into the database.

`validate_quizzes` and `apply_quiz` are the course importer's extra step
(lms.content.importer.EXTRA_STEPS): every module's quiz.toml is validated
before anything is written, then upserted in the importer's transaction.
A rerun changes nothing; an edited text gets a new revision of that
language alone; questions gone from the file are archived, never deleted.

`import_gift` adds or updates the questions of one GIFT file (one language)
in a module's quiz, in its own transaction, all or nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.content.errors import ContentError, ContentProblem
from lms.content.models import Course, Module
from lms.extensions import db
from lms.quizzes.convert import (
    DEFAULT_SETTINGS, grading_data, parts_html, question_languages, question_spec, quiz_settings,
    render_text, structure, text_parts, title_for, with_ids_of,
)
from lms.quizzes.gift import export_gift, parse_gift
from lms.quizzes.models import ORIGIN_FILE, ORIGIN_GIFT, Question, QuestionText, Quiz, QuizText
from lms.quizzes.spec import QuestionSpec, parse_quiz_file
from lms.timeutil import utcnow


def _hash(*parts) -> str:
    from lms.content.importer import content_hash

    return content_hash(*parts)


def _report():
    from lms.content.importer import ImportReport

    return ImportReport()


# The course importer's step ---------------------------------------------------------

def validate_quizzes(sources: Iterable[Any]) -> None:
    """Parse every module's quiz.toml; ContentError (file and line) on any problem."""
    problems: list[ContentProblem] = []
    for course in sources:
        for module in course.modules:
            module.quiz = None
            if not module.quiz_path:
                continue
            try:
                # A quiz may exist in one language only, like a lesson: readers
                # of the other language see it with a notice.
                module.quiz = parse_quiz_file(module.quiz_path, require_all_languages=False)
            except ContentError as error:
                problems.extend(error.problems)
    if problems:
        raise ContentError(problems)


def _load_quiz(module_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module_id).options(
        selectinload(Quiz.texts), selectinload(Quiz.questions).selectinload(Question.texts)))


def apply_quiz(course: Course, module: Module, source: Any, report) -> None:
    """Upsert the quiz of one module from its parsed quiz.toml (or archive it)."""
    spec = getattr(source, "quiz", None)
    if spec is None and getattr(source, "quiz_path", None):
        spec = parse_quiz_file(source.quiz_path, require_all_languages=False)
    quiz = _load_quiz(module.id)
    if spec is None:
        if quiz is not None:
            _archive_file_questions(quiz, set(), report)
        return
    if quiz is None:
        quiz = Quiz(module_id=module.id, course_id=course.id, origin=ORIGIN_FILE, **quiz_settings(spec))
        db.session.add(quiz)
        report.count("quizzes created")
    else:
        changed = False
        for name, value in quiz_settings(spec).items():
            if getattr(quiz, name) != value:
                setattr(quiz, name, value)
                changed = True
        if quiz.origin != ORIGIN_FILE:
            quiz.origin = ORIGIN_FILE
            changed = True
        if quiz.archived_at is not None:
            quiz.archived_at = None
            report.count("quizzes restored")
        report.count("quizzes updated" if changed else "quizzes unchanged")
    title = spec.title or {lang: text.title for lang, text in module.text_by_language().items()}
    _sync_quiz_texts(quiz, title, course.source_language, report)
    db.session.flush()

    by_key = {q.key: q for q in quiz.questions}
    for position, qs in enumerate(spec.questions):
        question = by_key.get(qs.id)
        if question is None:
            question = Question(quiz_id=quiz.id, key=qs.id, origin=ORIGIN_FILE, position=position)
            _set_grading(question, qs)
            question.texts = []
            db.session.add(question)
            quiz.questions.append(question)
            report.count("quiz questions created")
        else:
            changed = _set_grading(question, qs)
            if question.position != position:
                question.position = position
                changed = True
            if question.origin != ORIGIN_FILE:
                question.origin = ORIGIN_FILE
                changed = True
            if question.archived_at is not None:
                question.archived_at = None
                report.count("quiz questions restored")
            report.count("quiz questions updated" if changed else "quiz questions unchanged")
        _sync_question_texts(question, qs, course.source_language, report)
    _archive_file_questions(quiz, {qs.id for qs in spec.questions}, report)
    # Questions uploaded as GIFT stay, after the file's own.
    extra = [q for q in quiz.questions if q.origin == ORIGIN_GIFT and q.archived_at is None]
    for offset, question in enumerate(sorted(extra, key=lambda q: (q.position, q.id or 0))):
        if question.position != len(spec.questions) + offset:
            question.position = len(spec.questions) + offset
    db.session.flush()


def _archive_file_questions(quiz: Quiz, keep: set[str], report) -> None:
    now = utcnow()
    for question in quiz.questions:
        if question.origin == ORIGIN_FILE and question.key not in keep and question.archived_at is None:
            question.archived_at = now
            report.count("quiz questions archived")
    if not any(q.archived_at is None for q in quiz.questions) and quiz.archived_at is None:
        quiz.archived_at = now
        report.count("quizzes archived")


def _set_grading(question: Question, qs: QuestionSpec) -> bool:
    """Copy what decides the score; True if anything changed."""
    grading = grading_data(qs)
    digest = _hash(qs.type, float(qs.points), qs.text_format, grading)
    if question.grading_hash == digest:
        return False
    question.type = qs.type
    question.points = float(qs.points)
    question.text_format = qs.text_format
    question.grading = grading
    question.grading_hash = digest
    return True


def _sync_quiz_texts(quiz: Quiz, titles: dict[str, str], source_language: str, report) -> None:
    from lms.content.importer import _sync_variants

    def make(language, title):
        text = QuizText(language=language, title=title[:300])
        quiz.texts.append(text)
        return text

    def update(text, title):
        text.title = title[:300]

    _sync_variants(quiz.text_by_language() if quiz.id else {}, titles, make, update,
                   lambda title: _hash(title), report, "quiz", source_language)


def _variant(qs: QuestionSpec, language: str, text_format: str | None = None,
             part_formats: dict[str, str] | None = None) -> dict[str, Any]:
    """One language's texts of `qs`, with the formats they are rendered in."""
    return {"title": title_for(qs, language), "text": qs.text.get(language) or "",
            "parts": text_parts(qs, language), "format": text_format or qs.text_format,
            "part_formats": dict(qs.part_formats if part_formats is None else part_formats)}


def _fill(text: QuestionText, data: dict[str, Any]) -> None:
    text.title = data["title"]
    text.text = data["text"]
    text.text_html = str(render_text(data["text"], data["format"]))
    text.parts = data["parts"]
    text.parts_html = parts_html(data["parts"], data["format"], data["part_formats"])


def _text_digest(data: dict[str, Any]) -> str:
    # The formats count: the same words in another format render differently.
    return _hash(data["title"], data["text"], data["parts"], data["format"], data["part_formats"])


def _sync_question_texts(question: Question, qs: QuestionSpec, source_language: str, report,
                         languages: Iterable[str] | None = None) -> None:
    """Make the question's texts those of `qs` (in `languages`, default all of
    its languages); texts in other languages are removed."""
    from lms.content.importer import _sync_variants

    wanted = {lang: _variant(qs, lang) for lang in (languages or question_languages(qs))}

    def make(language, data):
        text = QuestionText(language=language)
        _fill(text, data)
        question.texts.append(text)
        return text

    def update(text, data):
        _fill(text, data)

    _sync_variants(question.text_by_language(), wanted, make, update, _text_digest, report,
                   "quiz question", source_language)


# GIFT ------------------------------------------------------------------------------

@dataclass
class GiftImport:
    questions: int
    report: Any


def module_in_course(slug: str, module_key: str) -> tuple[Course, Module] | None:
    row = db.session.execute(
        select(Course, Module).join(Module, Module.course_id == Course.id)
        .where(Course.slug == slug, Module.key == module_key, Module.archived_at.is_(None),
               Course.archived_at.is_(None))
        .options(selectinload(Module.texts))).first()
    return None if row is None else (row[0], row[1])


def import_gift(course: Course, module: Module, language: str, text: str,
                filename: str = "<gift>") -> GiftImport:
    """Add or update the questions of a GIFT file (texts in `language`) in the
    module's quiz. ContentError (with lines) and nothing written on any problem.

    Questions are matched by id (`// [id:...]` as export writes it, else the
    `::name::`, else the position). A matched question keeps its grading when
    the file has the same answers (by position): the file is then a
    translation or a correction of that language's texts. A question from
    the course files with different answers is an error (change it in the
    files); an uploaded question with different answers is replaced and its
    texts in other languages, which describe the old answers, are dropped.
    """
    questions = parse_gift(text, language, filename)
    if not questions:
        raise ContentError([ContentProblem(filename, None, "the file has no questions")])
    report = _report()
    quiz = _load_quiz(module.id)
    by_key = {q.key: q for q in quiz.questions} if quiz else {}
    plan: list[tuple[QuestionSpec, Question | None, str]] = []
    problems: list[ContentProblem] = []
    for qs in questions:
        existing = by_key.get(qs.id)
        if existing is None:
            plan.append((qs, None, "create"))
            continue
        old = question_spec(existing)
        if structure(old) == structure(qs):
            plan.append((with_ids_of(qs, old), existing, "translate"))
        elif existing.origin == ORIGIN_FILE:
            problems.append(ContentProblem(
                filename, None,
                f'question "{qs.id}" comes from the course files with other answers; a GIFT file '
                "can add or update its texts in one language, but its answers change only in quiz.toml"))
        else:
            plan.append((qs, existing, "replace"))
    if problems:
        raise ContentError(problems)
    try:
        if quiz is None:
            quiz = Quiz(module_id=module.id, course_id=course.id, origin=ORIGIN_GIFT, **DEFAULT_SETTINGS)
            quiz.texts = []
            quiz.questions = []
            db.session.add(quiz)
            db.session.flush()
            titles = {lang: text.title for lang, text in module.text_by_language().items()}
            _sync_quiz_texts(quiz, titles or {language: module.key}, course.source_language, report)
            report.count("quizzes created")
        elif quiz.archived_at is not None:
            quiz.archived_at = None
            report.count("quizzes restored")
        next_position = max((q.position for q in quiz.questions), default=-1) + 1
        for qs, question, action in plan:
            if action == "create":
                question = Question(quiz_id=quiz.id, key=qs.id, origin=ORIGIN_GIFT, position=next_position)
                next_position += 1
                _set_grading(question, qs)
                question.texts = []
                db.session.add(question)
                quiz.questions.append(question)
                report.count("quiz questions created")
                _sync_question_texts(question, qs, course.source_language, report, [language])
                continue
            assert question is not None
            if question.archived_at is not None:
                question.archived_at = None
                question.position = next_position
                next_position += 1
                report.count("quiz questions restored")
            if action == "replace":
                _set_grading(question, qs)
                report.count("quiz questions updated")
                _sync_question_texts(question, qs, course.source_language, report, [language])
            else:
                report.count("quiz questions unchanged")
                _update_one_language(question, qs, language, course.source_language, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return GiftImport(questions=len(questions), report=report)


def _update_one_language(question: Question, qs: QuestionSpec, language: str,
                         source_language: str, report) -> None:
    """Write `language`'s text of a question, leaving its other languages as they are."""
    existing = question.text_by_language()
    # Rendered in the stored question's formats: grading and formats stay its own.
    stored = question.grading.get("gift", {}).get("part_formats", {}) if question.grading else {}
    data = _variant(qs, language, question.text_format, stored)
    digest = _text_digest(data)
    source = existing.get(source_language)
    text = existing.get(language)
    if text is None:
        text = QuestionText(language=language, revision=1)
        _fill(text, data)
        text.content_hash = digest
        text.source_revision = None if language == source_language else (source.revision if source else None)
        question.texts.append(text)
        report.count("quiz question texts created")
        _text_hooks(text, "created")
    elif text.content_hash != digest:
        _fill(text, data)
        text.content_hash = digest
        text.revision += 1
        if language != source_language:
            text.source_revision = source.revision if source else text.source_revision
        report.count("quiz question texts updated")
        _text_hooks(text, "updated")
    else:
        report.count("quiz question texts unchanged")


def _text_hooks(text: QuestionText, event: str) -> None:
    # The course importer tells other capabilities (authoring) about written
    # texts; a GIFT upload writes them outside it, so it tells them too.
    from lms.content import importer

    run = getattr(importer, "_run_text_hooks", None)
    if run is not None:
        run("quiz question", text, event)


def module_quiz(module_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module_id, Quiz.archived_at.is_(None)))


def export_quiz_gift(quiz_id: int, language: str) -> str:
    """A quiz's active questions in GIFT, texts in `language`.

    Questions without a text in that language are left out with a comment
    (and ordering questions, which GIFT cannot say, by export_gift).
    """
    questions = list(db.session.scalars(
        select(Question).where(Question.quiz_id == quiz_id, Question.archived_at.is_(None))
        .options(selectinload(Question.texts)).order_by(Question.position, Question.id)))
    specs, skipped = [], []
    for question in questions:
        spec = question_spec(question, name_language=language)
        try:
            export_gift([spec], language)
        except ValueError:
            skipped.append(question.key)
            continue
        specs.append(spec)
    head = "".join(f'// question "{key}" has no "{language}" text: left out\n\n' for key in skipped)
    return head + export_gift(specs, language)
