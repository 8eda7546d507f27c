"""Nobody reaches another person's object by its id (issue #9, point 5).

tests/test_routes_by_role.py says which roles may use each route. This file
adds ownership: for every route whose URL names someone's object (an attempt,
an advice request, an attachment, a note, a certificate, a draft, a course a
trainer authors...), the object is built as belonging to person A and the URL
is requested by person B *of the same role*:

* learner A and learner B;
* the assigned expert (expert and coordinator of the request's queue) and an
  expert of another queue;
* the course's trainer (its author) and the trainer of another course.

B must get 403 or 404 (never 200, a redirect or 500), and after B's POST the
database and the uploads folder are exactly as they were. A, the owner, gets
through (so a wrong URL cannot make the test pass).

How a new route is picked up
----------------------------
Routes are read from app.url_map. Every URL argument is looked up in
ARGUMENTS (the one table of what each argument names); an argument missing
from it fails test_every_url_argument_names_a_known_kind_of_object. A route
with an argument naming an *owned* kind (KINDS) must have an entry in ROUTES,
or test_every_route_reaching_someones_object_has_an_ownership_check fails.
An entry says which roles own such objects and how to build one
(``Case(roles, build, data=..., changes=...)``), or why the route is not
checked here (``Exempt(why)``: public on purpose, or for admins only).
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from advice_support import make_queue, person, sign_in
from authoring_support import image_bytes
from factories import write_course
from lms.extensions import db
from quiz_support import ALL_TYPES, quiz_toml

METHODS_SKIPPED = {"HEAD", "OPTIONS"}
LOGIN_PATH = "/account/login"
PDF = b"%PDF-1.4\n% A's private plan\n"

# What each URL argument names -------------------------------------------------------
# A plain string is the kind wherever the argument appears; a dict chooses by
# endpoint first, then by blueprint. PART: the argument names a part of the
# object named beside it (a module or lesson of the course, a language, a
# table of a report), or a fixed choice; it is never looked up by itself.

PART = "part"

ARGUMENTS: dict[str, str | dict[str, str]] = {
    "attempt_id": "quiz attempt",
    "response_id": "essay answer",
    "quiz_id": "course quiz",
    "request_id": "advice request",
    "message_id": "advice message or note",
    "attachment_id": "advice attachment",
    "queue_id": {"advice.admin_queue": "advice queue (admin)", "advice": "advice queue"},
    "reply_id": "canned reply",
    "entry_id": "knowledge draft",
    "prospectus_id": "prospectus",
    "code": "certificate",
    "number": "revision",
    "name": "media upload",
    "token": "password reset token",
    "user_id": {"admin": "person", "authoring": "co-author"},
    "slug": {
        "authoring": "authored course",
        "knowledge": "knowledge entry",
        "progress.course_report": "taught course",
        "progress.course_report_csv": "taught course",
        "progress.quiz_items": "taught course",
        "progress.quiz_items_csv": "taught course",
        "quizzes.manage": "taught course",
        "quizzes.preview": "taught course",
        "quizzes.upload_gift": "taught course",
        "quizzes.export_gift": "taught course",
        "catalog": "course",
        "quizzes": "course",
        "progress": "course",
    },
    "key": PART, "module_key": PART, "lesson_key": PART, "question_key": PART, "kind": PART,
    "language": PART, "lang": PART, "table": PART, "filename": PART,
}


@dataclass(frozen=True)
class Kind:
    owned: bool
    what: str


KINDS: dict[str, Kind] = {
    # Owned: someone's, reached by id.
    "quiz attempt": Kind(True, "a learner's attempt; the course's trainers read its result"),
    "essay answer": Kind(True, "an essay in an attempt, graded by the course's trainers"),
    "course quiz": Kind(True, "a quiz of a course, in the reports of the course's trainers"),
    "taught course": Kind(True, "a course as its trainers (its authors) manage it: reports, quizzes"),
    "authored course": Kind(True, "a course its authors edit: drafts, revisions, diffs, media uploads"),
    "revision": Kind(True, "a revision (draft or published) of an authored course's text"),
    "co-author": Kind(True, "an author of a course, removed by the course's owners"),
    "advice request": Kind(True, "a learner's request, seen by the experts of its queue"),
    "advice message or note": Kind(True, "a message of a request, or an expert's internal note"),
    "advice attachment": Kind(True, "a file of a request's message or note"),
    "advice queue": Kind(True, "a queue, whose canned replies its coordinators manage"),
    "canned reply": Kind(True, "a canned reply of one queue"),
    "knowledge draft": Kind(True, "a knowledge entry being prepared by the experts of its source queue"),
    "prospectus": Kind(True, "a learner's private project prospectus"),
    "certificate": Kind(True, "a learner's certificate (the PDF is its holder's)"),
    # Not owned: public on purpose, or managed by admins only.
    "course": Kind(False, "the catalogue's courses, lessons and quizzes are open reading"),
    "knowledge entry": Kind(False, "published entries are public; a draft's address is a 404 "
                                   "(test_a_knowledge_draft_is_not_readable_by_its_address)"),
    "person": Kind(False, "admins manage every person (role-gated: test_routes_by_role.py)"),
    "advice queue (admin)": Kind(False, "admins manage every queue (role-gated)"),
    "media upload": Kind(False, "a lesson image is public on purpose: learners read it in lessons; its "
                                "name is the hash of its content, so it cannot be guessed before it is used"),
    "password reset token": Kind(False, "the token is the credential: whoever holds it resets that account"),
    PART: Kind(False, "a part of the object named beside it, or a fixed choice"),
}


def kind_of(endpoint: str, argument: str) -> str | None:
    entry = ARGUMENTS.get(argument)
    if isinstance(entry, dict):
        return entry.get(endpoint) or entry.get(endpoint.split(".")[0])
    return entry


# People and objects ---------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    id: int
    get_id: str
    role: str
    label: str


_numbers = itertools.count(1)


class World:
    """The people of one test and builders of fresh objects that belong to A.

    ``owner(role)`` is A, ``other(role)`` is B. Builders return plain values
    (ids, slugs); every call builds a new object, so A's POST on one never
    changes what the next check sees.
    """

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self._cache: dict[str, Any] = {}

    def once(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            db.session.expire_all()
            self._cache[key] = build()
        return self._cache[key]

    # People ------------------------------------------------------------------------
    LABELS = {"A": "{role} A (owner)", "B": "{role} B (same role)", "C": "{role} C (A's co-author)"}

    def _person(self, who: str, role: str) -> Person:
        def build():
            label = self.LABELS[who].format(role=role)
            user = person(role, locale="en", name=label)
            return Person(user.id, user.get_id(), role, label)
        return self.once(f"person:{who}:{role}", build)

    def owner(self, role: str) -> Person:
        """A: the learner who asked or attempted, the expert of the request's queue, the course's trainer."""
        self.queues()
        if role == "trainer":
            self.courses()
        return self._person("A", role)

    def other(self, role: str) -> Person:
        """B: another learner, an expert of another queue, the trainer of another course."""
        self.queues()
        if role == "trainer":
            self.courses()
        return self._person("B", role)

    def user(self, who: str, role: str) -> Any:
        from lms.auth.models import User

        return db.session.get(User, self._person(who, role).id)

    # Advice ------------------------------------------------------------------------
    def queues(self) -> dict[str, int]:
        def build():
            expert_a = self.user("A", "expert")
            expert_b = self.user("B", "expert")
            mine = make_queue("queue-a", experts=[expert_a], coordinators=[expert_a])
            theirs = make_queue("queue-b", experts=[expert_b], coordinators=[expert_b])
            return {"A": mine.id, "B": theirs.id}
        return self.once("queues", build)

    def request(self, state: str = "claimed") -> dict[str, int]:
        """A new request of learner A in expert A's queue, with a file, claimed by
        expert A, with expert A's internal note (and its file); answered on demand."""
        from lms.advice import attachments, service
        from lms.advice.models import AdviceAttachment, AdviceMessage

        queues = self.queues()
        learner = self.user("A", "learner")
        expert = self.user("A", "expert")
        n = next(_numbers)
        request = service.submit(learner, service.NewRequest(
            title=f"A's private question {n}", body="Our private plan", queue_id=queues["A"],
            phase="analysis", language="en", uploads=[attachments.Upload("plan.pdf", PDF)]))
        request_id = request.id
        ids = {"request_id": request_id}
        if state != "submitted":
            service.claim(request_id, expert)
            note = service.add_note(request_id, expert, "Internal: A's municipality is small",
                                    uploads=[attachments.Upload("note.txt", b"internal file")])
            ids["note_id"] = note.id
        if state == "answered":
            service.post_message(request_id, expert, "answer", "Start with a working agreement.")
        question = db.session.scalar(select(AdviceMessage).where(AdviceMessage.request_id == request_id,
                                                                 AdviceMessage.kind == "question"))
        ids["question_id"] = question.id
        for item in db.session.scalars(select(AdviceAttachment).where(AdviceAttachment.request_id == request_id)):
            ids["note_file" if item.message_id == ids.get("note_id") else "question_file"] = item.id
        ids["queue_id"] = queues["A"]
        return ids

    def canned_reply(self) -> dict[str, int]:
        from lms.advice.models import CannedReply

        queues = self.queues()
        reply = CannedReply(queue_id=queues["A"], title=f"Hello {next(_numbers)}", language="en",
                            body_markdown="Hello", body_html="<p>Hello</p>")
        db.session.add(reply)
        db.session.commit()
        return {"queue_id": queues["A"], "reply_id": reply.id}

    def knowledge_draft(self) -> dict[str, int]:
        from lms.knowledge import service as knowledge

        ids = self.request("answered")
        entry = knowledge.draft_from_request(ids["request_id"], self.user("A", "expert"))
        return {"entry_id": entry.id, "slug": entry.slug}

    # Prospectuses --------------------------------------------------------------------
    def prospectus(self) -> dict[str, int]:
        from lms.prospectus.models import Prospectus, ProspectusTemplate

        def template():
            item = ProspectusTemplate(key="own-template", titles={"en": "Prospectus", "es": "Prospecto"},
                                      sections=[{"id": "summary", "title": {"en": "Summary", "es": "Resumen"},
                                                 "guidance": {}, "required": True, "max_chars": 500}])
            db.session.add(item)
            db.session.commit()
            return item.id

        template_id = self.once("prospectus_template", template)
        n = next(_numbers)
        item = Prospectus(owner_id=self.owner("learner").id, template_id=template_id,
                          client_token=f"own-token-{n:016d}", title="A's private project", language="en",
                          answers={"summary": "Private"})
        db.session.add(item)
        db.session.commit()
        return {"prospectus_id": item.id}

    # Courses ---------------------------------------------------------------------------
    def courses(self) -> dict[str, str]:
        """own-course (a quiz with an essay; trainer A authors it), other-course
        (trainer B authors it) and plain-course (one lesson, no authors)."""
        def build():
            from lms.authoring.models import CourseAuthor
            from lms.content.importer import import_courses
            from lms.content.models import Course

            root = self.tmp_path / "ownership-courses"
            for slug in ("own-course", "other-course"):
                folder = write_course(root, slug, modules=1, lessons=2)
                (folder / "01-module-1" / "quiz.toml").write_text(quiz_toml(ALL_TYPES), encoding="utf-8")
            write_course(root, "plain-course", modules=1, lessons=1)
            import_courses(root)
            trainer_a, trainer_b = self._person("A", "trainer"), self._person("B", "trainer")
            co_author = self._person("C", "trainer")
            ids = dict(db.session.execute(select(Course.slug, Course.id)).all())
            db.session.add_all([
                CourseAuthor(course_id=ids["own-course"], user_id=trainer_a.id, role="owner"),
                CourseAuthor(course_id=ids["own-course"], user_id=co_author.id, role="coauthor"),
                CourseAuthor(course_id=ids["other-course"], user_id=trainer_b.id, role="owner")])
            db.session.commit()
            return {"mine": "own-course", "theirs": "other-course", "plain": "plain-course",
                    "co_author_id": co_author.id}
        return self.once("courses", build)

    def quiz(self, slug: str = "own-course"):
        from lms.content.models import Course
        from lms.quizzes.models import Quiz

        self.courses()
        return db.session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug))

    def attempt(self, submitted: bool) -> dict[str, int]:
        """A new attempt of learner A on own-course's quiz (submitted: the essay waits for a grade)."""
        from lms.quizzes.attempts import save_answers, start_attempt
        from lms.quizzes.models import Question, Response

        quiz = self.quiz()
        learner = self.owner("learner")
        attempt = start_attempt(learner.id, quiz)
        ids = {"attempt_id": attempt.id}
        if submitted:
            essay = db.session.scalar(select(Question).where(Question.quiz_id == quiz.id, Question.type == "essay"))
            save_answers(attempt, MultiDict({f"q{essay.id}": "A's essay."}), submit=True)
            ids["response_id"] = db.session.scalar(select(Response.id).where(
                Response.attempt_id == attempt.id, Response.question_id == essay.id))
        return ids

    def certificate(self) -> dict[str, str]:
        from lms.catalog.service import course_by_slug, enrol
        from lms.progress.models import Certificate
        from lms.progress.service import mark_done

        def build():
            course = course_by_slug(self.courses()["plain"])
            holder = self.owner("learner")
            enrol(holder.id, course)
            mark_done(holder.id, course, "lesson-1-1")
            return db.session.scalar(select(Certificate.code).where(Certificate.user_id == holder.id))
        return {"code": self.once("certificate", build)}

    def lesson_draft(self) -> None:
        """A draft (revision 2) of own-course's lesson-1-1 in Spanish, by trainer A."""
        from lms.authoring import revisions
        from lms.content.models import Course, Lesson

        def build():
            course = db.session.scalar(select(Course).where(Course.slug == self.courses()["mine"]))
            lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id,
                                                            Lesson.key == "lesson-1-1"))
            head = revisions.item_heads("lesson", lesson)["es"]
            revisions._store(course.id, "lesson", lesson.id, "es", head.number + 1, head.title,
                             head.text + "\n\nA's draft.\n", head.source_revision, "edit",
                             self.owner("trainer").id)
            db.session.commit()
        self.once("lesson_draft", build)


# What each route needs ------------------------------------------------------------------

@dataclass(frozen=True)
class Built:
    params: dict[str, Any]
    # The URL with B's own parent and A's child id (B's queue and A's reply...).
    mixed: dict[str, Any] | None = None


@dataclass(frozen=True)
class Case:
    roles: tuple[str, ...]
    build: Callable[[World, str], Built]
    data: Callable[[World, str], dict] | None = None  # what the owner would post (default: an empty form)
    changes: tuple[str, ...] = ()  # roles whose owner's POST must change the database
    get_ok: tuple[int, ...] = (200,)


@dataclass(frozen=True)
class Exempt:
    why: str


def _request(state: str = "claimed", *names: str):
    def build(world: World, role: str) -> Built:
        ids = world.request(state)
        return Built({name: ids[name] for name in (names or ("request_id",))})
    return build


def _attachment(world: World, role: str) -> Built:
    ids = world.request()
    return Built({"attachment_id": ids["question_file" if role == "learner" else "note_file"]})


def _message(world: World, role: str) -> Built:
    ids = world.request()
    return Built({"message_id": ids["question_id" if role == "learner" else "note_id"]})


def _canned(world: World, role: str) -> Built:
    ids = world.canned_reply()
    return Built(ids, mixed={"queue_id": world.queues()["B"], "reply_id": ids["reply_id"]})


def _queue(world: World, role: str) -> Built:
    return Built({"queue_id": world.queues()["A"]})


def _draft(world: World, role: str) -> Built:
    return Built({"entry_id": world.knowledge_draft()["entry_id"]})


def _attempt(submitted: bool):
    def build(world: World, role: str) -> Built:
        return Built({"attempt_id": world.attempt(submitted)["attempt_id"]})
    return build


def _essay(world: World, role: str) -> Built:
    return Built({"response_id": world.attempt(True)["response_id"]})


def _taught(**extra):
    def build(world: World, role: str) -> Built:
        return Built({"slug": world.courses()["mine"], **extra})
    return build


def _module(**extra):
    return _taught(module_key="module-1", **extra)


def _report_quiz(world: World, role: str) -> Built:
    courses = world.courses()
    quiz_id = world.quiz().id
    world.attempt(True)  # something to report
    return Built({"slug": courses["mine"], "quiz_id": quiz_id},
                 mixed={"slug": courses["theirs"], "quiz_id": quiz_id})


def _authored(**extra):
    def build(world: World, role: str) -> Built:
        return Built({"slug": world.courses()["mine"], **extra})
    return build


def _restore(world: World, role: str) -> Built:
    world.lesson_draft()
    return Built({"slug": world.courses()["mine"], "kind": "lesson", "key": "lesson-1-1", "language": "es",
                  "number": 1})


def _co_author(world: World, role: str) -> Built:
    courses = world.courses()
    return Built({"slug": courses["mine"], "user_id": courses["co_author_id"]})


def _prospectus(world: World, role: str) -> Built:
    return Built(world.prospectus())


def _certificate(world: World, role: str) -> Built:
    return Built(world.certificate())


def _message_data(world: World, role: str) -> dict:
    if role == "learner":
        return {"action": "comment", "body": "More about our plan."}
    return {"action": "reply", "body": "A reply from the expert."}


def _upload(world: World, role: str) -> dict:
    # A media upload into the lesson being edited (the editor's "upload" button).
    return {"action": "upload", "image": (io.BytesIO(image_bytes()), "map.png"), "alt": "A map",
            "image_language": "es"}


def _drafted(world: World, role: str) -> Built:
    world.lesson_draft()
    return Built({"slug": world.courses()["mine"], "key": "lesson-1-1"})


LEARNER, EXPERT, TRAINER = ("learner",), ("expert",), ("trainer",)
ARCHIVE = lambda world, role: {"state": "archived"}  # noqa: E731

ROUTES: dict[str, Case | Exempt] = {
    # Quizzes: a learner's attempt; the course's trainer reads its result and grades its essay.
    "quizzes.attempt": Case(LEARNER, _attempt(False), data=lambda w, r: {"action": "save"},
                            changes=LEARNER),
    "quizzes.result": Case(LEARNER + TRAINER, _attempt(True)),
    "quizzes.grade_essay": Case(TRAINER, _essay, data=lambda w, r: {"percent": "80", "comment": "Good."},
                                changes=TRAINER),
    "quizzes.manage": Case(TRAINER, _module()),
    "quizzes.preview": Case(TRAINER, _module()),
    "quizzes.upload_gift": Case(TRAINER, _module()),
    "quizzes.export_gift": Case(TRAINER, _module(lang="en")),
    # Progress: a learner's certificate; a course's reports for its trainers.
    "progress.certificate_pdf": Case(LEARNER, _certificate),
    "progress.verify": Exempt("public on purpose: anyone (an employer) checks a certificate by its code; "
                              "it shows the holder's name and the course, never the PDF"),
    "progress.revoke": Exempt("admins only (role-gated, test_routes_by_role.py): admins revoke any certificate"),
    "progress.course_report": Case(TRAINER, _taught()),
    "progress.course_report_csv": Case(TRAINER, _taught(table="summary")),
    "progress.quiz_items": Case(TRAINER, _report_quiz),
    "progress.quiz_items_csv": Case(TRAINER, _report_quiz),
    # Advice: a learner's request, its expert (of its queue) and that expert's notes.
    "advice.request_detail": Case(LEARNER + EXPERT, _request()),
    "advice.claim": Case(EXPERT, _request("submitted"), changes=EXPERT),
    "advice.release": Case(EXPERT, _request(), changes=EXPERT),
    "advice.take_over": Case(EXPERT, _request("submitted"), changes=EXPERT),
    "advice.accept": Case(LEARNER, _request("answered"), changes=LEARNER),
    "advice.withdraw": Case(LEARNER, _request(), changes=LEARNER),
    "advice.post_message": Case(LEARNER + EXPERT, _request(), data=_message_data, changes=LEARNER + EXPERT),
    "advice.add_note": Case(EXPERT, _request(), data=lambda w, r: {"note": "B's note"}, changes=EXPERT),
    "advice.reassign": Case(EXPERT, _request(), data=lambda w, r: {"expert_id": str(w.owner("expert").id)}),
    "advice.reject": Case(EXPERT, _request(), data=lambda w, r: {"reason": "Out of scope for us."},
                          changes=EXPERT),
    "advice.merge": Case(EXPERT, _request()),
    "advice.rate": Case(LEARNER, _request("answered"), data=lambda w, r: {"rating": "5", "comment": "Thanks"},
                        changes=LEARNER),
    "advice.publish": Case(EXPERT, _request("answered"), changes=EXPERT),
    "advice.attachment": Case(LEARNER + EXPERT, _attachment),
    "advice.edit_message": Case(LEARNER + EXPERT, _message, data=lambda w, r: {"body": "Changed by B"},
                                changes=LEARNER + EXPERT),
    "advice.canned": Case(EXPERT, _queue, data=lambda w, r: {"title": "New", "language": "en", "body": "Hi"},
                          changes=EXPERT),
    "advice.delete_canned": Case(EXPERT, _canned, changes=EXPERT),
    "advice.admin_queue": Exempt("admins only (role-gated): admins manage every queue"),
    "knowledge.edit": Case(EXPERT, _draft, data=lambda w, r: {
        "slug": "changed-entry", "title_en": "Changed", "body_en": "Changed text"}, changes=EXPERT),
    "knowledge.change_status": Case(EXPERT, _draft, data=lambda w, r: {"action": "submit_review"},
                                    changes=EXPERT),
    # Prospectuses: private to the learner who writes them.
    "prospectus.edit": Case(LEARNER, _prospectus),
    # Authoring: a course, its drafts, revisions, diffs and uploads, for its authors only.
    "authoring.course": Case(TRAINER, _authored()),
    "authoring.course_settings": Case(TRAINER, _authored()),
    "authoring.add_author": Case(TRAINER, _authored(), data=lambda w, r: {"email": "nobody@example.org",
                                                                          "role": "coauthor"}),
    "authoring.remove_author": Case(TRAINER, _co_author, changes=TRAINER),
    "authoring.new_module": Case(TRAINER, _authored()),
    "authoring.module": Case(TRAINER, _authored(key="module-1")),
    "authoring.move_module": Case(TRAINER, _authored(key="module-1")),
    "authoring.archive_module": Case(TRAINER, _authored(key="module-1"), data=ARCHIVE, changes=TRAINER),
    "authoring.publish_module": Case(TRAINER, _authored(key="module-1")),
    "authoring.new_lesson": Case(TRAINER, _authored(key="module-1")),
    "authoring.lesson": Case(TRAINER, _authored(key="lesson-1-1"), data=_upload, changes=TRAINER),
    "authoring.move_lesson": Case(TRAINER, _authored(key="lesson-1-1")),
    "authoring.archive_lesson": Case(TRAINER, _authored(key="lesson-1-1"), data=ARCHIVE, changes=TRAINER),
    "authoring.publish_lesson": Case(TRAINER, _drafted, changes=TRAINER),
    "authoring.publish_course": Case(TRAINER, _authored()),
    "authoring.history": Case(TRAINER, _authored(kind="lesson", key="lesson-1-1", language="es")),
    "authoring.restore": Case(TRAINER, _restore, changes=TRAINER),
    "authoring.translations": Case(TRAINER, _authored()),
    "authoring.export_zip": Case(TRAINER, _authored()),
    "authoring.quiz": Case(TRAINER, _authored(key="module-1")),
    "authoring.new_question": Case(TRAINER, _authored(key="module-1")),
    "authoring.question": Case(TRAINER, _authored(key="module-1", question_key="capital")),
    "authoring.move_question": Case(TRAINER, _authored(key="module-1", question_key="capital")),
    "authoring.remove_question": Case(TRAINER, _authored(key="module-1", question_key="capital")),
    "authoring.quiz_gift": Case(TRAINER, _authored(key="module-1")),
    "authoring.quiz_preview": Case(TRAINER, _authored(key="module-1")),
    "authoring.publish_quiz": Case(TRAINER, _authored(key="module-1")),
    "authoring.quiz_history": Case(TRAINER, _authored(key="module-1")),
    "authoring.restore_quiz": Case(TRAINER, _authored(key="module-1", number=1)),
}


# Reading the app's routes -------------------------------------------------------------------

def _rules(app):
    return sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"
                   and not rule.endpoint.endswith(".static")), key=lambda rule: (rule.endpoint, rule.rule))


def _owned_kinds(rule) -> set[str]:
    kinds = {kind_of(rule.endpoint, argument) for argument in rule.arguments}
    return {kind for kind in kinds if kind in KINDS and KINDS[kind].owned}


def test_every_url_argument_names_a_known_kind_of_object(app):
    unknown = [f"  <{argument}> in {rule.endpoint} {rule.rule}" for rule in _rules(app)
               for argument in sorted(rule.arguments) if kind_of(rule.endpoint, argument) not in KINDS]
    assert not unknown, (
        "These URL arguments are not in ARGUMENTS of tests/test_ownership.py: say which kind of object "
        "each names (and add the kind to KINDS, owned or not, saying why):\n" + "\n".join(unknown))


def test_every_route_reaching_someones_object_has_an_ownership_check(app):
    missing = [f"  {rule.endpoint:<28} {rule.rule}  ({', '.join(sorted(_owned_kinds(rule)))})"
               for rule in _rules(app) if _owned_kinds(rule) and rule.endpoint not in ROUTES]
    assert not missing, (
        "These routes reach someone's object by its id but have no entry in ROUTES of "
        "tests/test_ownership.py (a Case saying who owns it and how to build one, or Exempt(why)):\n"
        + "\n".join(missing))


def test_no_ownership_entry_names_a_route_that_does_not_exist_or_takes_no_owned_object(app):
    rules = {rule.endpoint: rule for rule in _rules(app)}
    stale = sorted(endpoint for endpoint in ROUTES if endpoint not in rules)
    assert not stale, f"ROUTES names endpoints the app does not have: {stale}"
    pointless = sorted(endpoint for endpoint, entry in ROUTES.items()
                       if isinstance(entry, Case) and not _owned_kinds(rules[endpoint]))
    assert not pointless, f"ROUTES checks routes whose arguments name no owned object: {pointless}"


# The check ---------------------------------------------------------------------------------

def _uploads(app) -> list[tuple[str, int]]:
    root = Path(app.config["UPLOADS_PATH"])
    return sorted((str(path.relative_to(root)), path.stat().st_size)
                  for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _snapshot(app) -> dict[str, Any]:
    """Every row of every table (read on a connection of its own) and every uploaded file."""
    db.session.remove()
    state: dict[str, Any] = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            state[table.name] = sorted(repr(tuple(row)) for row in connection.execute(table.select()))
    state["uploads"] = _uploads(app)
    return state


def _difference(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def _client(app, someone: Person):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = someone.get_id
        session["_fresh"] = True
    return client


def _send(client, method: str, url: str, data: dict | None):
    if method == "GET":
        return client.get(url)
    form = dict(data or {})
    form["csrf_token"] = client.csrf_token()
    return client.open(url, method=method, data=form, content_type="multipart/form-data")


def _describe(response) -> str:
    location = response.headers.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


def _is_login(response) -> bool:
    return response.status_code in (301, 302, 303) and \
        urlsplit(response.headers.get("Location", "")).path == LOGIN_PATH


def _data(case: Case, world: World, role: str) -> dict | None:
    return case.data(world, role) if case.data else None


def _url(rule, params: dict[str, Any]) -> str:
    built = rule.build(params, append_unknown=False)
    assert built is not None, f"{rule.endpoint}: {params} do not build {rule.rule}"
    return built[1]


CHECKED = sorted(endpoint for endpoint, entry in ROUTES.items() if isinstance(entry, Case))


@pytest.mark.parametrize("endpoint", CHECKED)
def test_someone_of_the_same_role_cannot_see_or_change_anothers_object(app, tmp_path, endpoint):
    case: Case = ROUTES[endpoint]
    rule = next(rule for rule in _rules(app) if rule.endpoint == endpoint)
    methods = sorted(rule.methods - METHODS_SKIPPED, key=lambda method: method != "GET")
    world = World(tmp_path)
    failures: list[str] = []
    for role in case.roles:
        owner, other = world.owner(role), world.other(role)
        built = case.build(world, role)
        urls = [_url(rule, built.params)] + ([_url(rule, built.mixed)] if built.mixed else [])
        intruder, holder = _client(app, other), _client(app, owner)
        for method in methods:
            for url in urls:
                before = _snapshot(app) if method != "GET" else None
                response = _send(intruder, method, url, _data(case, world, role))
                if response.status_code not in (403, 404):
                    failures.append(f"{other.label} {method} {url}: expected 403 or 404, got {_describe(response)}")
                if before is not None:
                    changed = _difference(before, _snapshot(app))
                    if changed:
                        failures.append(f"{other.label} {method} {url} changed {changed}")
            # The owner gets through, on the same URL (a wrong URL cannot pass for a refusal).
            before = _snapshot(app) if method != "GET" else None
            response = _send(holder, method, urls[0], _data(case, world, role))
            if method == "GET":
                ok = response.status_code in case.get_ok or (
                    response.status_code in (302, 303) and not _is_login(response))
            else:
                ok = response.status_code < 500 and response.status_code not in (400, 401, 403, 404, 405) \
                    and not _is_login(response)
            if not ok:
                failures.append(f"{owner.label} {method} {urls[0]}: got {_describe(response)}")
            if before is not None and role in case.changes and not _difference(before, _snapshot(app)):
                failures.append(f"{owner.label} {method} {urls[0]} changed nothing: the check "
                                "would not notice a refusal")
    assert not failures, f"{endpoint}:\n  " + "\n  ".join(failures)


# What is one's own without an id in the URL -----------------------------------------------

def _rows(model, **where) -> list[tuple]:
    db.session.expire_all()
    columns = [column for column in model.__table__.columns]
    statement = select(*columns).where(*(getattr(model, name) == value for name, value in where.items()))
    return sorted(tuple(row) for row in db.session.execute(statement))


def test_learners_see_and_record_only_their_own_enrolment_progress_and_attempts(app, tmp_path):
    from lms.catalog.models import Enrolment
    from lms.progress.models import Certificate, LessonProgress

    world = World(tmp_path)
    a, b = world.owner("learner"), world.other("learner")
    world.certificate()  # A enrolled in plain-course and completed it
    attempt_id = world.attempt(True)["attempt_id"]  # A's attempt on own-course's quiz
    mine = {model: _rows(model, user_id=a.id) for model in (Enrolment, LessonProgress, Certificate)}
    assert all(mine.values()), "A should have an enrolment, progress and a certificate to protect"
    intruder = _client(app, b)

    holder = _client(app, a)
    for who, shown in ((holder, True), (intruder, False)):  # A sees them: the check can fail
        courses = who.get("/my/courses").get_data(as_text=True)
        assert ("plain-course (en)" in courses) is shown, "B's courses list A's enrolment"
        history = who.get("/courses/own-course/modules/module-1/quiz/attempts").get_data(as_text=True)
        assert (f"/quiz-attempts/{attempt_id}" in history) is shown, "B's attempts list A's attempt"

    # B enrols and marks the lesson done: B's rows only, A's stay as they were.
    assert intruder.post("/courses/plain-course/enrol").status_code == 302
    assert intruder.post("/courses/plain-course/lessons/lesson-1-1/done").status_code == 302
    assert {model: _rows(model, user_id=a.id) for model in mine} == mine
    assert _rows(Enrolment, user_id=b.id) and _rows(LessonProgress, user_id=b.id)


def test_notifications_are_read_and_listed_only_by_their_person(app, tmp_path):
    from lms.advice.models import Notification

    world = World(tmp_path)
    a, b = world.owner("learner"), world.other("learner")
    ids = world.request("answered")  # A is told the request was answered
    unread = _rows(Notification, user_id=a.id, read_at=None)
    assert unread, "A should have unread notifications"
    intruder = _client(app, b)

    listed = intruder.get("/advice/notifications").get_data(as_text=True)
    assert "private question" not in listed and f"/advice/requests/{ids['request_id']}" not in listed
    assert intruder.post("/advice/notifications/read").status_code == 302
    assert intruder.get(f"/advice/requests/{ids['request_id']}").status_code == 404  # opening reads one's own
    assert _rows(Notification, user_id=a.id, read_at=None) == unread, "B's actions marked A's notifications read"

    owner_list = _client(app, a).get("/advice/notifications").get_data(as_text=True)
    assert f"/advice/requests/{ids['request_id']}" in owner_list  # the check can fail: A does see it


def test_an_experts_internal_note_stays_with_the_experts_of_the_queue(app, tmp_path):
    """The learner who asked sees the request but not the note, its file or its editor;
    another expert of the same queue reads the note but may not change it (403)."""
    from lms.advice.models import AdviceMessage, QueueMember

    world = World(tmp_path)
    ids = world.request()
    asker = _client(app, world.owner("learner"))
    page = asker.get(f"/advice/requests/{ids['request_id']}")
    assert page.status_code == 200 and "Our private plan" in page.get_data(as_text=True)
    assert "small" not in page.get_data(as_text=True), "the learner reads the expert's internal note"
    assert asker.get(f"/advice/attachments/{ids['note_file']}").status_code == 404
    assert asker.get(f"/advice/messages/{ids['note_id']}/edit").status_code == 404

    colleague = person("expert", locale="en", name="expert of the same queue")
    db.session.add(QueueMember(queue_id=ids["queue_id"], user_id=colleague.id, role="expert"))
    db.session.commit()
    fellow = sign_in(app.test_client(), colleague)
    assert "small" in fellow.get(f"/advice/requests/{ids['request_id']}").get_data(as_text=True)
    assert fellow.get(f"/advice/attachments/{ids['note_file']}").status_code == 200
    before = _snapshot(app)
    assert fellow.get(f"/advice/messages/{ids['note_id']}/edit").status_code == 403
    assert fellow.post(f"/advice/messages/{ids['note_id']}/edit", data={"body": "Changed"}).status_code == 403
    # Nor may they answer in the assigned expert's place: refused, nothing written.
    fellow.post(f"/advice/requests/{ids['request_id']}/message", data={"action": "answer", "body": "Mine"})
    assert _snapshot(app) == before
    db.session.expire_all()
    assert db.session.get(AdviceMessage, ids["note_id"]).body_markdown == "Internal: A's municipality is small"


def test_a_knowledge_draft_is_not_readable_by_its_address(app, tmp_path):
    world = World(tmp_path)
    slug = world.knowledge_draft()["slug"]
    assert app.test_client().get(f"/knowledge/{slug}").status_code == 404
    assert _client(app, world.other("expert")).get(f"/knowledge/{slug}").status_code == 404


def test_certificate_verification_is_public_on_purpose_but_the_pdf_is_the_holders(app, tmp_path):
    world = World(tmp_path)
    code = world.certificate()["code"]
    visitor = app.test_client()
    assert visitor.get(f"/verify/{code}").status_code == 200  # anyone checks a certificate by its code
    assert visitor.get(f"/my/certificates/{code}.pdf").status_code == 302  # to sign in
    assert _client(app, world.other("learner")).get(f"/my/certificates/{code}.pdf").status_code == 404
    assert _client(app, world.owner("learner")).get(f"/my/certificates/{code}.pdf").data[:5] == b"%PDF-"


def test_a_trainer_grades_only_the_essays_of_the_courses_they_teach(app, tmp_path):
    world = World(tmp_path)
    response_id = world.attempt(True)["response_id"]
    link = f"/quiz-grading/{response_id}"
    assert link in _client(app, world.owner("trainer")).get("/quiz-grading").get_data(as_text=True)
    assert link not in _client(app, world.other("trainer")).get("/quiz-grading").get_data(as_text=True)
