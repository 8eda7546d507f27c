"""The quiz editor: a module's quiz as a draft, revised and published like texts.

A quiz draft is the whole quiz written in the quiz.toml format
(docs/content-format.md), stored as a ContentRevision of kind "quiz" for the
module (language "*": one document holds both languages). Every save is a
revision, so history, readable diffs, restore and the refusal of saves based
on an older revision work as for lessons. Publishing parses the draft with
the quiz package's reader and writes it with the quiz package's importer
step (`lms.quizzes.importer.apply_quiz`), exactly as an import of quiz.toml
would: learners see only what is published.

When the published quiz differs from the newest published revision (the
course files changed it), the published quiz is the head: a newer revision
that is copied into the history before anything replaces it.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.authoring.export import toml_string, toml_value
from lms.authoring.models import EDIT, IMPORT, RESTORE, ContentRevision
from lms.authoring.revisions import AuthoringError, touch
from lms.content.errors import ContentError
from lms.content.importer import ImportReport
from lms.content.models import Course, Module
from lms.extensions import db
from lms.quizzes.convert import question_spec
from lms.quizzes.models import Question, Quiz
from lms.quizzes.spec import (GRADING_POLICIES, ID_PATTERN, SHOW_ANSWERS, QuestionSpec, QuizSpec,
                              parse_quiz, question_issues)
from lms.timeutil import utcnow

KIND = "quiz"
LANGUAGE = "*"
EDITABLE_TYPES = ("single", "multiple", "truefalse", "short", "numeric", "matching", "ordering", "essay",
                  "description")


# quiz.toml, written -------------------------------------------------------------------

def _texts(value: dict[str, str]) -> str:
    return toml_value({lang: value[lang] for lang in sorted(value) if value[lang]})


def _number(value: float) -> str:
    return toml_value(float(value))


def spec_to_toml(spec: QuizSpec) -> str:
    """A QuizSpec as quiz.toml text (what parse_quiz reads back to the same spec)."""
    lines = [f"pass_mark = {_number(spec.pass_mark)}", f"max_attempts = {int(spec.max_attempts)}",
             f"grading = {toml_string(spec.grading)}", f"shuffle_questions = {toml_value(spec.shuffle_questions)}",
             f"shuffle_choices = {toml_value(spec.shuffle_choices)}", f"draw = {int(spec.draw)}",
             f"time_limit_minutes = {int(spec.time_limit_minutes)}",
             f"show_answers = {toml_string(spec.show_answers)}", ""]
    if spec.title:
        lines.append("[title]")
        lines.extend(f"{lang} = {toml_string(text)}" for lang, text in sorted(spec.title.items()) if text)
        lines.append("")
    for q in spec.questions:
        lines.append("[[questions]]")
        lines.append(f"id = {toml_string(q.id)}")
        lines.append(f"type = {toml_string(q.type)}")
        lines.append(f"points = {_number(q.points)}")
        lines.append(f"text = {_texts(q.text)}")
        if q.feedback:
            lines.append(f"feedback = {_texts(q.feedback)}")
        if q.type == "truefalse":
            lines.append(f"answer = {toml_value(bool(q.answer))}")
            if q.true_feedback:
                lines.append(f"true_feedback = {_texts(q.true_feedback)}")
            if q.false_feedback:
                lines.append(f"false_feedback = {_texts(q.false_feedback)}")
        elif q.type == "matching" and q.distractors:
            lines.append("distractors = [" + ", ".join(_texts(d.text) for d in q.distractors) + "]")
        for choice in q.choices if q.type in ("single", "multiple") else ():
            lines += ["", "  [[questions.choices]]", f"  id = {toml_string(choice.id)}",
                      f"  text = {_texts(choice.text)}", f"  fraction = {_number(choice.fraction)}"]
            if choice.feedback:
                lines.append(f"  feedback = {_texts(choice.feedback)}")
        for answer in q.short_answers if q.type == "short" else ():
            lines += ["", "  [[questions.answers]]", f"  text = {_texts(answer.text)}",
                      f"  fraction = {_number(answer.fraction)}"]
            if answer.exact:
                lines.append("  exact = true")
            if answer.feedback:
                lines.append(f"  feedback = {_texts(answer.feedback)}")
        for answer in q.numeric_answers if q.type == "numeric" else ():
            lines += ["", "  [[questions.answers]]"]
            if answer.is_range:
                lines += [f"  min = {_number(answer.min)}", f"  max = {_number(answer.max)}"]
            else:
                lines += [f"  value = {_number(answer.value or 0.0)}", f"  tolerance = {_number(answer.tolerance)}"]
            lines.append(f"  fraction = {_number(answer.fraction)}")
            if answer.feedback:
                lines.append(f"  feedback = {_texts(answer.feedback)}")
        for pair in q.pairs if q.type == "matching" else ():
            lines += ["", "  [[questions.pairs]]", f"  id = {toml_string(pair.id)}",
                      f"  left = {_texts(pair.left)}", f"  right = {_texts(pair.right)}"]
        for item in q.items if q.type == "ordering" else ():
            lines += ["", "  [[questions.items]]", f"  id = {toml_string(item.id)}", f"  text = {_texts(item.text)}"]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def parse(text: str, path: str = "quiz.toml") -> QuizSpec:
    """Read a draft back; ContentError with every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        from lms.quizzes.spec import toml_error_problem

        raise ContentError([toml_error_problem(path, text, error)]) from None
    return parse_quiz(data, text, path, require_all_languages=False)


def check(spec: QuizSpec) -> QuizSpec:
    """A spec as it would be read from its quiz.toml: every rule of the format applies."""
    try:
        return parse(spec_to_toml(spec))
    except ContentError as error:
        raise AuthoringError(_l("The quiz cannot be saved like this: %(problems)s",
                                problems="; ".join(p.message for p in error.problems[:5]))) from None


# Published quiz and draft head -------------------------------------------------------------

def load_quiz(module: Module) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module.id).options(
        selectinload(Quiz.texts), selectinload(Quiz.questions).selectinload(Question.texts)))


def published_spec(module: Module, quiz: Quiz | None = None) -> QuizSpec | None:
    """What learners take now, as a spec (None: no active quiz)."""
    quiz = quiz if quiz is not None else load_quiz(module)
    if quiz is None or quiz.archived_at is not None:
        return None
    questions = tuple(question_spec(q) for q in sorted(quiz.questions, key=lambda q: (q.position, q.id))
                      if q.archived_at is None)
    if not questions:
        return None
    return QuizSpec(title={t.language: t.title for t in quiz.texts}, questions=questions, **quiz.settings())


@dataclass
class QuizDraft:
    number: int
    toml: str
    action: str = IMPORT
    author_name: str | None = None
    created_at: datetime | None = None
    published_at: datetime | None = None
    stored: bool = True
    note: str = ""

    @property
    def spec(self) -> QuizSpec:
        return parse(self.toml)

    def document(self) -> str:
        return self.toml


def _draft(revision: ContentRevision) -> QuizDraft:
    return QuizDraft(revision.number, revision.body, revision.action,
                     revision.author.name if revision.author else None, revision.created_at,
                     revision.published_at, True, revision.note)


@dataclass
class QuizState:
    head: QuizDraft | None
    published: QuizSpec | None
    published_toml: str | None
    # question key -> language -> published QuestionText (active questions)
    published_texts: dict = field(default_factory=dict)

    @property
    def waiting(self) -> bool:
        return self.head is not None and self.head.toml != (self.published_toml or "")


def _revisions(module_ids: list[int], published_only: bool = False):
    statement = (select(ContentRevision).where(ContentRevision.kind == KIND, ContentRevision.item_id.in_(module_ids))
                 .options(joinedload(ContentRevision.author)).order_by(ContentRevision.number.desc()))
    if published_only:
        statement = statement.where(ContentRevision.published_at.is_not(None))
    return statement


def _latest(module_ids: list[int], published_only: bool) -> dict[int, ContentRevision]:
    """The newest (published) quiz revision per module, in one query."""
    latest = select(ContentRevision.item_id, func.max(ContentRevision.number).label("number")).where(
        ContentRevision.kind == KIND, ContentRevision.item_id.in_(module_ids))
    if published_only:
        latest = latest.where(ContentRevision.published_at.is_not(None))
    latest = latest.group_by(ContentRevision.item_id).subquery()
    rows = db.session.scalars(select(ContentRevision).join(
        latest, (latest.c.item_id == ContentRevision.item_id) & (latest.c.number == ContentRevision.number))
        .where(ContentRevision.kind == KIND).options(joinedload(ContentRevision.author))).all()
    return {row.item_id: row for row in rows}


def quiz_states(modules: list[Module]) -> dict[int, QuizState]:
    """Draft head and published quiz of each module, in six queries whatever their number."""
    ids = [module.id for module in modules]
    if not ids:
        return {}
    quizzes = {quiz.module_id: quiz for quiz in db.session.scalars(select(Quiz).where(Quiz.module_id.in_(ids)).options(
        selectinload(Quiz.texts), selectinload(Quiz.questions).selectinload(Question.texts))).all()}
    latest = _latest(ids, published_only=False)
    published_revisions = _latest(ids, published_only=True)
    states = {}
    for module in modules:
        quiz = quizzes.get(module.id)
        published = published_spec(module, quiz) if quiz is not None else None
        published_toml = spec_to_toml(published) if published else None
        newest = latest.get(module.id)
        if newest is None:
            head = QuizDraft(1, published_toml, stored=False) if published_toml else None
        else:
            head = _draft(newest)
            last_published = published_revisions.get(module.id)
            if published_toml and (last_published is None or last_published.body != published_toml):
                # The course files changed the quiz after it was last published from here.
                head = QuizDraft(newest.number + 1, published_toml, stored=False,
                                 published_at=quiz.updated_at if quiz else None)
        texts = {q.key: q.text_by_language() for q in (quiz.questions if quiz is not None else ())
                 if q.archived_at is None}
        states[module.id] = QuizState(head, published, published_toml, texts)
    return states


def quiz_state(module: Module) -> QuizState:
    return quiz_states([module])[module.id]


def load_draft(module: Module, number: int) -> QuizDraft | None:
    revision = db.session.scalar(select(ContentRevision).where(
        ContentRevision.kind == KIND, ContentRevision.item_id == module.id, ContentRevision.number == number)
        .options(joinedload(ContentRevision.author)))
    return _draft(revision) if revision else None


def history(module: Module) -> list[QuizDraft]:
    return [_draft(revision) for revision in db.session.scalars(_revisions([module.id])).all()]


# Saving ------------------------------------------------------------------------------------

class QuizConflict(Exception):
    def __init__(self, base: QuizDraft | None, head: QuizDraft):
        super().__init__("quiz edit conflict")
        self.base, self.head = base, head
        self.message = _l("Someone else saved this quiz after you opened it. Nothing of yours was saved: "
                          "their changes are shown below. Reload the quiz and make your change again.")


def _store(course: Course, module: Module, number: int, text: str, action: str, author_id: int | None,
           note: str = "") -> ContentRevision:
    revision = ContentRevision(course_id=course.id, kind=KIND, item_id=module.id, language=LANGUAGE,
                               number=number, title=module.key, body=text, action=action,
                               author_id=author_id, note=note[:200])
    db.session.add(revision)
    return revision


def _keep(course: Course, module: Module, head: QuizDraft | None) -> None:
    """The published quiz, known only from its rows, becomes a revision before a newer one."""
    if head is not None and not head.stored:
        revision = _store(course, module, head.number, head.toml, IMPORT, None, "as published")
        revision.published_at = head.published_at or utcnow()


def save(course: Course, module: Module, author, spec: QuizSpec, base: int | None, note: str = "") -> int | None:
    """Save the whole quiz as a new revision; None when nothing changed.

    Raises AuthoringError when the quiz breaks a rule of the format and
    QuizConflict when the draft moved on since `base`."""
    checked = check(spec)
    text = spec_to_toml(checked)
    state = quiz_state(module)
    head = state.head
    if head is not None and head.toml == text:
        return None  # already saved (a double submit, or the same change made by someone else)
    if (head.number if head else None) != base:
        raise QuizConflict(load_draft(module, base) if base else None, head)
    _keep(course, module, head)
    number = (head.number if head else 0) + 1
    _store(course, module, number, text, EDIT, author.id, note)
    touch(course)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise QuizConflict(None, head) from None
    return number


def restore(course: Course, module: Module, number: int, author) -> int | None:
    old = load_draft(module, number)
    if old is None:
        raise AuthoringError(_l("That revision does not exist."))
    state = quiz_state(module)
    head = state.head
    if head is not None and head.toml == old.toml:
        return None
    _keep(course, module, head)
    new_number = (head.number if head else 0) + 1
    _store(course, module, new_number, old.toml, RESTORE, author.id, f"restored revision {number}")
    touch(course)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AuthoringError(_l("Someone else saved this quiz at the same moment; try again.")) from None
    return new_number


# Editing the spec --------------------------------------------------------------------------

def module_titles(module: Module) -> dict[str, str]:
    """The module's titles (drafts included): the quiz's title unless it has its own."""
    from lms.authoring.revisions import item_heads

    return {language: version.title for language, version in item_heads("module", module).items()}


def empty_quiz(module: Module) -> QuizSpec:
    return QuizSpec(title=module_titles(module), questions=())


def current_spec(module: Module, state: QuizState) -> QuizSpec:
    return state.head.spec if state.head else empty_quiz(module)


def with_settings(spec: QuizSpec, title: dict[str, str], **settings) -> QuizSpec:
    if settings.get("grading") not in GRADING_POLICIES or settings.get("show_answers") not in SHOW_ANSWERS:
        raise AuthoringError(_l("Choose one of the options offered."))
    title = {lang: text for lang, text in title.items() if text}
    if not title:
        raise AuthoringError(_l("Give the quiz a title in at least one language."), "title_es")
    return replace(spec, title=title, **settings)


def with_question(spec: QuizSpec, question: QuestionSpec, replacing: str | None = None) -> QuizSpec:
    """Add `question`, or put it in the place of question `replacing`."""
    if not ID_PATTERN.match(question.id or ""):
        raise AuthoringError(_l("Use lowercase letters and digits in words joined by '-', like "
                                "border-areas."), "key")
    if question.id == "new" and replacing is None:  # the address of the new-question page
        raise AuthoringError(_l("This short name is reserved; choose another."), "key")
    if any(q.id == question.id for q in spec.questions if q.id != replacing):
        raise AuthoringError(_l("This quiz already has a question with this short name."), "key")
    issues = question_issues(question)
    if issues:
        raise AuthoringError("; ".join(issue.message for issue in issues))
    if not question.text:
        raise AuthoringError(_l("Write the question in at least one language."), "text_es")
    if replacing is None:
        return replace(spec, questions=spec.questions + (question,))
    return replace(spec, questions=tuple(question if q.id == replacing else q for q in spec.questions))


def without_question(spec: QuizSpec, question_id: str) -> QuizSpec:
    remaining = tuple(q for q in spec.questions if q.id != question_id)
    draw = spec.draw if spec.draw <= len(remaining) else len(remaining)
    return replace(spec, questions=remaining, draw=draw)


def moved(spec: QuizSpec, question_id: str, direction: str) -> QuizSpec:
    questions = list(spec.questions)
    index = next((i for i, q in enumerate(questions) if q.id == question_id), None)
    if index is None:
        return spec
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
    return replace(spec, questions=tuple(questions))


def question(spec: QuizSpec, question_id: str) -> QuestionSpec | None:
    return next((q for q in spec.questions if q.id == question_id), None)


# GIFT ----------------------------------------------------------------------------------------

def merge_gift(spec: QuizSpec, language: str, text: str, filename: str) -> tuple[QuizSpec, int, int]:
    """Questions of a GIFT file (texts in `language`) merged into the draft, as
    the quiz package's GIFT upload matches them: an existing question with the
    same answers gets this language's texts; new ones are added. Returns
    (spec, added, updated); ContentError with lines on any problem."""
    from lms.content.errors import ContentProblem
    from lms.quizzes.convert import structure, with_ids_of
    from lms.quizzes.gift import parse_gift

    parsed = parse_gift(text, language, filename)
    if not parsed:
        raise ContentError([ContentProblem(filename, None, "the file has no questions")])
    questions = list(spec.questions)
    by_id = {q.id: i for i, q in enumerate(questions)}
    added = updated = 0
    problems = []
    for qs in parsed:
        qs = replace(qs, text_format="markdown", part_formats={}, name=None, category=None, tags=())
        index = by_id.get(qs.id)
        if index is None:
            questions.append(qs)
            by_id[qs.id] = len(questions) - 1
            added += 1
            continue
        old = questions[index]
        if structure(old) != structure(qs):
            problems.append(ContentProblem(filename, None, f'question "{qs.id}" has other answers than the '
                                                           "quiz's question with that id"))
            continue
        questions[index] = _merge_language(old, with_ids_of(qs, old), language)
        updated += 1
    if problems:
        raise ContentError(problems)
    return replace(spec, questions=tuple(questions)), added, updated


def _merge_language(old: QuestionSpec, new: QuestionSpec, language: str) -> QuestionSpec:
    """`old` with every text of `language` taken from `new`."""
    def put(texts: dict[str, str], other: dict[str, str]) -> dict[str, str]:
        merged = {k: v for k, v in texts.items() if k != language}
        if other.get(language):
            merged[language] = other[language]
        return merged

    return replace(
        old, text=put(old.text, new.text), feedback=put(old.feedback, new.feedback),
        true_feedback=put(old.true_feedback, new.true_feedback),
        false_feedback=put(old.false_feedback, new.false_feedback),
        choices=tuple(replace(c, text=put(c.text, n.text), feedback=put(c.feedback, n.feedback))
                      for c, n in zip(old.choices, new.choices)),
        short_answers=tuple(replace(a, text=put(a.text, n.text), feedback=put(a.feedback, n.feedback))
                            for a, n in zip(old.short_answers, new.short_answers)),
        numeric_answers=tuple(replace(a, feedback=put(a.feedback, n.feedback))
                              for a, n in zip(old.numeric_answers, new.numeric_answers)),
        pairs=tuple(replace(p, left=put(p.left, n.left), right=put(p.right, n.right))
                    for p, n in zip(old.pairs, new.pairs)),
        distractors=tuple(replace(d, text=put(d.text, n.text)) for d, n in zip(old.distractors, new.distractors)),
        items=tuple(replace(i, text=put(i.text, n.text)) for i, n in zip(old.items, new.items)))


# Publishing ----------------------------------------------------------------------------------

def publish(course: Course, module: Module, user, commit: bool = True) -> bool:
    """Make the draft what learners take; True when something changed."""
    from lms.quizzes.importer import apply_quiz

    state = quiz_state(module)
    if state.head is None or not state.waiting:
        return False
    spec = state.head.spec
    apply_quiz(course, module, SimpleNamespace(quiz=spec, quiz_path=None), ImportReport())
    # Questions uploaded as GIFT straight into the published quiz and left out
    # of the draft are retired too: the draft is the whole quiz.
    keep = {q.id for q in spec.questions}
    quiz = db.session.scalar(select(Quiz).where(Quiz.module_id == module.id).options(selectinload(Quiz.questions)))
    now = utcnow()
    for stored in quiz.questions if quiz else ():
        if stored.key not in keep and stored.archived_at is None:
            stored.archived_at = now
    if state.head.stored:
        db.session.execute(update(ContentRevision).where(
            ContentRevision.kind == KIND, ContentRevision.item_id == module.id,
            ContentRevision.number == state.head.number).values(published_at=now, published_by_id=user.id))
    if commit:
        db.session.commit()
    return True


def waiting_modules(modules: list[Module], states: dict[int, QuizState] | None = None) -> dict[int, int]:
    """Module id -> draft revision number, for quizzes with a draft newer than
    what learners take (a fixed number of queries, whatever the number of modules)."""
    states = states if states is not None else quiz_states(modules)
    return {module_id: state.head.number for module_id, state in states.items() if state.waiting}


def question_document(text: str | None, parts: dict | None) -> str:
    """One language of a question as readable lines, for diffs."""
    lines = [text or ""]

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif value:
            lines.append(f"{prefix}: {value}")

    walk("", parts or {})
    return "\n".join(lines) + "\n"


def question_translation(course: Course, state: QuizState, draft: QuestionSpec, languages: tuple[str, ...]
                         ) -> tuple[dict[str, str], tuple[str, str] | None]:
    """Per language status of a draft question, and (published, draft) source
    documents when the source changed since it was published."""
    from lms.authoring.translation_status import question_status
    from lms.quizzes.convert import text_parts

    published = state.published_texts.get(draft.id, {})
    statuses = {lang: question_status(lang, course.source_language, draft, published) for lang in languages}
    source = course.source_language
    change = None
    row = published.get(source)
    if row is not None and source in draft.text:
        old = question_document(row.text, row.parts)
        new = question_document(draft.text.get(source), text_parts(draft, source))
        if old != new:
            change = (old, new)
    return statuses, change
