"""Quizzes: questions from the course files and GIFT, attempts graded on the
server, results for learners and an essay queue for trainers."""
from flask import Blueprint

bp = Blueprint("quizzes", __name__)

from lms.quizzes import jobs, views  # noqa: E402,F401  (routes attach to bp; jobs to the tick)
