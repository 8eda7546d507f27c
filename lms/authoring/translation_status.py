"""Whether each language of each item is complete, missing or needs an update.

A translation records the source revision it was translated from
(`source_revision`). When the source language gets a newer revision, the
translation "needs update" until someone saves it again (or confirms it is
still right). Authors see the status of the drafts (what they are working
on); the catalog's language badges use the same rule on the published texts
(lms.catalog.service.complete_languages).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lms.authoring.revisions import Version
from lms.content.models import Course, Module

COMPLETE = "complete"
MISSING = "missing"
NEEDS_UPDATE = "needs_update"


def status(language: str, source_language: str, versions: dict[str, Version | None]) -> str:
    """The status of `language` of one item, given the heads of its languages."""
    version = versions.get(language)
    if version is None:
        return MISSING
    if language == source_language:
        return COMPLETE
    source = versions.get(source_language)
    if source is None or version.source_revision is None:
        # No source to follow, or translated before revisions were recorded.
        return COMPLETE
    return NEEDS_UPDATE if version.source_revision < source.number else COMPLETE


def statuses(languages: tuple[str, ...], source_language: str, versions: dict[str, Version | None]
             ) -> dict[str, str]:
    return {language: status(language, source_language, versions) for language in languages}


@dataclass
class StatusRow:
    kind: str
    item: object
    key: str
    title: str
    depth: int
    archived: bool
    statuses: dict[str, str] = field(default_factory=dict)
    # language -> (translated from source revision, current source revision)
    behind: dict[str, tuple[int | None, int]] = field(default_factory=dict)


def question_status(language: str, source_language: str, draft, published: dict) -> str:
    """Status of one language of a draft quiz question (a QuestionSpec), given
    the published texts of that question (language -> QuestionText).

    Question texts have no revisions of their own in the draft: a translation
    needs an update when the published one is behind its source, or when the
    draft changed the source text but not the translation."""
    from lms.quizzes.convert import text_parts

    if language not in draft.text:
        return MISSING
    if language == source_language or source_language not in draft.text:
        return COMPLETE

    def same(lang: str) -> bool:
        row = published.get(lang)
        return row is not None and (row.text, row.parts) == (draft.text.get(lang), text_parts(draft, lang))

    translation_kept = same(language)
    if not same(source_language) and translation_kept:
        return NEEDS_UPDATE
    source_row, row = published.get(source_language), published.get(language)
    if translation_kept and source_row is not None and row.source_revision is not None \
            and row.source_revision < source_row.revision:
        return NEEDS_UPDATE
    return COMPLETE


def dashboard(course: Course, modules: list[Module], heads: dict[str, dict[tuple[int, str], Version]],
              languages: tuple[str, ...], reader_language: str, quizzes: dict | None = None) -> list[StatusRow]:
    """One row per course, module, lesson and quiz question (active ones), in outline order.

    `quizzes` maps module id -> lms.authoring.quiz_editor.QuizState."""
    from lms.quizzes.convert import title_for

    rows: list[StatusRow] = []

    def add(kind: str, item, key: str, depth: int) -> None:
        versions = {language: heads[kind].get((item.id, language)) for language in languages}
        found = {lang: v for lang, v in versions.items() if v is not None}
        title_version = found.get(reader_language) or found.get(course.source_language) or next(
            iter(found.values()), None)
        row = StatusRow(kind, item, key, title_version.title if title_version else key, depth,
                        getattr(item, "archived_at", None) is not None,
                        statuses(languages, course.source_language, versions))
        source = versions.get(course.source_language)
        for language, state in row.statuses.items():
            if state == NEEDS_UPDATE:
                row.behind[language] = (versions[language].source_revision, source.number)
        rows.append(row)

    add("course", course, course.slug, 0)
    for module in modules:
        if module.archived_at is not None:
            continue
        add("module", module, module.key, 1)
        for lesson in module.lessons:
            if lesson.archived_at is None:
                add("lesson", lesson, lesson.key, 2)
        state = (quizzes or {}).get(module.id)
        if state is not None and state.head is not None:
            for question in state.head.spec.questions:
                published = state.published_texts.get(question.id, {})
                language = reader_language if reader_language in question.text else course.source_language
                rows.append(StatusRow("question", module, question.id, title_for(question, language), 2, False,
                                      {language: question_status(language, course.source_language, question,
                                                                 published) for language in languages}))
    return rows


def summary(rows: list[StatusRow], languages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Per language, how many items are complete, missing or need an update."""
    counts = {language: {COMPLETE: 0, MISSING: 0, NEEDS_UPDATE: 0} for language in languages}
    for row in rows:
        for language, state in row.statuses.items():
            counts[language][state] += 1
    return counts
