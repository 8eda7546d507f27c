"""Who teaches a course: the one rule quizzes (grading, managing) and progress
reports (trainer reports) share.

Admins teach every course. A trainer teaches the courses they author
(authoring's course_authors table) and the courses that have no authors yet
(imported from files, not yet assigned). The table is looked up by name so
that content does not import the authoring capability built on top of it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from lms.extensions import db


def taught_courses(user: Any, course_ids: Iterable[int]) -> set[int]:
    """The courses among `course_ids` that `user` teaches, in at most one query."""
    course_ids = set(course_ids)
    if not course_ids or user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.has_role("admin"):
        return course_ids
    if not user.has_role("trainer"):
        return set()
    authors = db.metadata.tables.get("course_authors")
    if authors is None:
        return course_ids
    authored: dict[int, set[int]] = {}
    for course_id, author_id in db.session.execute(
            select(authors.c.course_id, authors.c.user_id).where(authors.c.course_id.in_(course_ids))):
        authored.setdefault(course_id, set()).add(author_id)
    return {course_id for course_id in course_ids
            if course_id not in authored or user.id in authored[course_id]}


def teaches(user: Any, course_id: int) -> bool:
    return course_id in taught_courses(user, {course_id})
