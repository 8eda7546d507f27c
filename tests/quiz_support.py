"""Builders for the quiz tests: a course whose module has a quiz.toml, and the
form posts a learner would send."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

from sqlalchemy import select

from factories import write_course
from lms.content.importer import import_courses
from lms.extensions import db
from lms.quizzes.attempts import display_order
from lms.quizzes.models import Attempt, Question

SETTINGS = dict(pass_mark=70, max_attempts=0, grading="best", shuffle_questions=False,
                shuffle_choices=True, draw=0, time_limit_minutes=0, show_answers="after_attempt")

# One question of every type, in both languages.
ALL_TYPES = '''
[[questions]]
id = "capital"
type = "single"
text = { es = "¿Capital de Perú?", en = "Capital of Peru?" }
feedback = { es = "Lima es la capital.", en = "GENERAL-FEEDBACK-CAPITAL Lima is the capital." }
  [[questions.choices]]
  id = "lima"
  text = { es = "Lima", en = "Lima" }
  fraction = 1.0
  feedback = { es = "¡Bien!", en = "CHOICE-FEEDBACK-RIGHT" }
  [[questions.choices]]
  id = "cusco"
  text = { es = "Cusco", en = "Cusco" }
  fraction = 0.0
  feedback = { es = "No.", en = "CHOICE-FEEDBACK-WRONG" }
  [[questions.choices]]
  id = "arequipa"
  text = { es = "Arequipa", en = "Arequipa" }

[[questions]]
id = "borders"
type = "multiple"
text = { es = "¿Qué países limitan con Perú?", en = "Which countries border Peru?" }
  [[questions.choices]]
  id = "chile"
  text = { es = "Chile", en = "Chile" }
  fraction = 0.5
  [[questions.choices]]
  id = "colombia"
  text = { es = "Colombia", en = "Colombia" }
  fraction = 0.5
  [[questions.choices]]
  id = "mexico"
  text = { es = "México", en = "Mexico" }
  fraction = -0.5

[[questions]]
id = "amazon"
type = "truefalse"
text = { es = "El Amazonas pasa por Perú.", en = "The Amazon flows through Peru." }
answer = true
true_feedback = { es = "Sí.", en = "TRUE-FEEDBACK" }
false_feedback = { es = "No.", en = "FALSE-FEEDBACK" }

[[questions]]
id = "energy"
type = "short"
text = { es = "¿Qué cadena de valor usa paneles solares?", en = "Which value chain uses solar panels?" }
answers = [ { text = { es = "energía", en = "energy" }, fraction = 1.0, feedback = { es = "Sí.", en = "SHORT-FEEDBACK" } } ]

[[questions]]
id = "regions"
type = "numeric"
text = { es = "¿Cuántas zonas fronterizas?", en = "How many border areas?" }
answers = [ { value = 4, tolerance = 0, fraction = 1.0 } ]

[[questions]]
id = "pairs"
type = "matching"
text = { es = "Relacione.", en = "Match them." }
pairs = [
  { left = { es = "Tacna", en = "Tacna" }, right = { es = "Perú", en = "Peru" } },
  { left = { es = "Arica", en = "Arica" }, right = { es = "Chile", en = "Chile" } },
]
distractors = [ { es = "Bolivia", en = "Bolivia" } ]

[[questions]]
id = "steps"
type = "ordering"
text = { es = "Ordene.", en = "Put in order." }
items = [ { text = { es = "Analizar", en = "Analyse" } }, { text = { es = "Priorizar", en = "Prioritise" } }, { text = { es = "Actuar", en = "Act" } } ]

[[questions]]
id = "reflect"
type = "essay"
text = { es = "Reflexione.", en = "Reflect." }
'''

AUTO_TYPES = ALL_TYPES.split('[[questions]]\nid = "reflect"')[0]


def single_questions(count: int, prefix: str = "q") -> str:
    """`count` single-choice questions, each with three choices."""
    out = []
    for n in range(1, count + 1):
        out.append(textwrap.dedent(f'''
            [[questions]]
            id = "{prefix}{n}"
            type = "single"
            text = {{ es = "Pregunta {n}", en = "Question text {n}" }}
              [[questions.choices]]
              id = "right"
              text = {{ es = "Sí {n}", en = "Yes {n}" }}
              fraction = 1.0
              [[questions.choices]]
              id = "wrong"
              text = {{ es = "No {n}", en = "No {n}" }}
              [[questions.choices]]
              id = "other"
              text = {{ es = "Otra {n}", en = "Other {n}" }}
            '''))
    return "".join(out)


def quiz_toml(questions: str = ALL_TYPES, **settings) -> str:
    values = {**SETTINGS, **settings}
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        else:
            lines.append(f"{key} = {value}")
    head = "\n".join(lines)
    return f'{head}\n\n[title]\nes = "Evaluación"\nen = "The quiz"\n{questions}'


def write_quiz_course(root: Path, slug: str = "quiz-course", questions: str = ALL_TYPES,
                      modules: int = 1, **settings) -> Path:
    folder = write_course(root, slug, modules=modules)
    (folder / "01-module-1" / "quiz.toml").write_text(quiz_toml(questions, **settings), encoding="utf-8")
    return folder


def make_quiz_course(root: Path, slug: str = "quiz-course", questions: str = ALL_TYPES, **settings):
    write_quiz_course(root, slug, questions, **settings)
    return import_courses(root)


QUIZ_URL = "/courses/quiz-course/modules/module-1/quiz"


def start(client, url: str = QUIZ_URL) -> int:
    response = client.post(url + "/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/quiz-attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def attempt_and_questions(attempt_id: int) -> tuple[Attempt, list[Question]]:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(attempt.question_ids)))}
    return attempt, [by_id[qid] for qid in attempt.question_ids]


def right_form(attempt_id: int, essay: str = "My essay.") -> dict:
    """The form a learner who knows every answer posts for this attempt."""
    attempt, questions = attempt_and_questions(attempt_id)
    data: dict = {}
    for q in questions:
        name = f"q{q.id}"
        g = q.grading
        if q.type == "single":
            order = display_order(attempt.layout, "choices", q)
            right = next(c["id"] for c in g["choices"] if c["fraction"] == 1.0)
            data[name] = str(order.index(right))
        elif q.type == "multiple":
            order = display_order(attempt.layout, "choices", q)
            data[name] = [str(order.index(c["id"])) for c in g["choices"] if c["fraction"] > 0]
        elif q.type == "truefalse":
            data[name] = "true" if g["answer"] else "false"
        elif q.type == "short":
            data[name] = q.texts[0].parts["answers"][g["answers"][0]["id"]]["text"]
        elif q.type == "numeric":
            answer = g["answers"][0]
            data[name] = str(answer["value"] if answer["value"] is not None else (answer["min"] + answer["max"]) / 2)
        elif q.type == "matching":
            options = display_order(attempt.layout, "options", q)
            for i, pair in enumerate(g["pairs"]):
                data[f"{name}-{i}"] = str(options.index(pair))
        elif q.type == "ordering":
            shown = display_order(attempt.layout, "items", q)
            for i, item in enumerate(shown):
                data[f"{name}-{i}"] = str(g["items"].index(item) + 1)
        elif q.type == "essay":
            data[name] = essay
    return data


def wrong_form(attempt_id: int) -> dict:
    """Every answer wrong (or blank)."""
    attempt, questions = attempt_and_questions(attempt_id)
    data: dict = {}
    for q in questions:
        if q.type == "single":
            order = display_order(attempt.layout, "choices", q)
            wrong = next(c["id"] for c in q.grading["choices"] if c["fraction"] < 1.0)
            data[f"q{q.id}"] = str(order.index(wrong))
    return data
