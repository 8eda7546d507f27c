"""Quizzes: question specs, grading, GIFT, attempts."""
