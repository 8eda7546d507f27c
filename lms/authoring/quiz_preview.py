"""Draft questions shown exactly as the quiz pages show them to learners.

The quiz package renders stored Question rows; a draft exists only as a
QuestionSpec, so it is turned into transient rows (never added to the
session) with the quiz package's own converters, then rendered by its own
presenter. Right answers are revealed below each question for the author.
"""
from __future__ import annotations

from dataclasses import dataclass

from lms.quizzes.convert import grading_data, parts_html, question_languages, render_text, text_parts, title_for
from lms.quizzes.models import Question, QuestionText
from lms.quizzes.present import Answer, QuestionView, question_views
from lms.quizzes.spec import QuestionSpec


@dataclass
class PreviewItem:
    form: QuestionView      # what a learner answers
    answers: QuestionView   # the same question with its right answers revealed


def transient_question(spec: QuestionSpec, number: int) -> Question:
    question = Question(id=number, key=spec.id, type=spec.type, points=float(spec.points), position=number,
                        text_format=spec.text_format, grading=grading_data(spec))
    texts = []
    for language in question_languages(spec):
        parts = text_parts(spec, language)
        texts.append(QuestionText(language=language, title=title_for(spec, language), revision=1,
                                  content_hash="", text=spec.text.get(language, ""),
                                  text_html=str(render_text(spec.text.get(language, ""), spec.text_format)),
                                  parts=parts, parts_html=parts_html(parts, spec.text_format, spec.part_formats)))
    question.texts = texts
    return question


def learner_views(specs: list[QuestionSpec]) -> list[PreviewItem]:
    questions = [transient_question(spec, number) for number, spec in enumerate(specs, start=1)]
    forms = question_views(questions, None, {})
    revealed = question_views(questions, None, {q.id: Answer(graded=True) for q in questions}, reveal=True)
    return [PreviewItem(form, answers) for form, answers in zip(forms, revealed, strict=True)]
