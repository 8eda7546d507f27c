"""Who may reach which route: one stated expectation per endpoint of app.url_map.

tests/test_routes_by_role.py requests every route as a visitor, learner, expert,
trainer and admin and compares the answer with what is stated here. A route
with no entry FAILS that test, so whoever adds a route states who may use it.

Adding your route
-----------------
Add an entry ``"blueprint.endpoint": Expect(access, params=..., why=...)`` where
``access`` is one of

* ``PUBLIC``            anyone, signed in or not: GET answers 200.
* ``SIGNED_IN``         visitors are sent to sign in (302 to /account/login);
                        every signed-in role gets 200.
* ``roles("trainer")``  visitors sent to sign in; people without one of the
                        roles get 403; the roles named get 200 (admins pass every
                        role check, as in lms/auth/access.py).
* a dict ``{role: outcome}`` for anything else, with a key for every role in
  ROLES (``every(404, visitor=LOGIN)`` writes one). An outcome is an HTTP
  status (200, 403, 404, ...), LOGIN (302 to the sign-in page) or REDIRECT
  (302 anywhere but the sign-in page). Use it for
  "visitors only" pages, and for ownership: give ``params`` an object that
  belongs to someone else and expect 404 (or 403).

``params(world, role)`` returns the URL arguments for routes with converters
(``<int:user_id>``, ``<slug>``...). ``world`` (World below) builds what is
needed with tests/factories.py: ``world.user(role)`` is the person making the
request, ``world.someone_else(role)`` another person with the same role,
``world.course_slug()`` an imported course. Add a method to World when your route
needs a new kind of object (an advice request, a quiz attempt...): build it
lazily through ``world.once(key, build)`` and return plain values (an id), not
ORM objects.

Ownership
---------
Another person *of the same role* (learner B, an expert of another queue, the
trainer of another course) is checked by tests/test_ownership.py for every
route whose URL names someone's object: a route taking a new kind of id fails
there until its owner is stated.

How routes are checked
----------------------
* GET: the status must equal the stated outcome for each role.
* POST/PUT/PATCH/DELETE (sent with a valid CSRF token and an empty form):
  where the role would get LOGIN, 403 or 404 on GET it must get the same;
  where it is allowed it must not be refused (no 401/403/404/405, no sign-in
  redirect) and never 500. A POST-only route is stated like any other route:
  the outcome is what the role gets for that POST (``why="post only"`` below).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from factories import PASSWORD, make_course, make_user

ROLES = ("visitor", "learner", "expert", "trainer", "admin")
SIGNED_IN_ROLES = ROLES[1:]

PUBLIC = "public"
SIGNED_IN = "signed_in"
LOGIN = "login"          # 302 to the sign-in page
REDIRECT = "redirect"    # 302 anywhere else


def roles(*names: str) -> tuple[str, frozenset[str]]:
    return ("roles", frozenset(names))


@dataclass(frozen=True)
class Expect:
    access: Any
    params: Callable[[World, str], dict[str, Any]] | None = None
    why: str = ""

    def outcome(self, role: str) -> int | str:
        """What `role` gets: an HTTP status, LOGIN or REDIRECT."""
        access = self.access
        if access == PUBLIC:
            return 200
        if role == "visitor" and (access == SIGNED_IN or _is_roles(access)):
            return LOGIN
        if access == SIGNED_IN:
            return 200
        if _is_roles(access):
            return 200 if role == "admin" or role in access[1] else 403
        if isinstance(access, dict):
            missing = set(ROLES) - set(access)
            if missing:
                raise ValueError(f"expectation {access} has no outcome for {sorted(missing)}")
            return access[role]
        raise ValueError(f"unknown access {access!r}")


def _is_roles(access: Any) -> bool:
    return isinstance(access, tuple) and len(access) == 2 and access[0] == "roles"


def every(outcome: int | str, **overrides: int | str) -> dict[str, int | str]:
    """The same outcome for every role, except the ones named."""
    return {role: overrides.get(role, outcome) for role in ROLES}


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    role: str


class World:
    """The people and objects a route needs, built on demand for one test.

    Builders return plain values (ids, slugs, tokens), never ORM objects: the
    requests change the database behind the test's session, so the test
    session is emptied before each build instead of trusting what it holds.
    """

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self._cache: dict[str, Any] = {}

    def once(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self._cache:
            from lms.extensions import db

            db.session.expunge_all()
            self._cache[key] = build()
        return self._cache[key]

    def _person(self, key: str, role: str, email: str) -> Person:
        def build():
            user = make_user(role, email=email, locale="en")
            return Person(user.id, user.email, role)
        return self.once(key, build)

    def user(self, role: str) -> Person | None:
        """The person who makes the request as `role` (None for the visitor)."""
        if role == "visitor":
            return None
        return self._person(f"user:{role}", role, f"{role}@routes.example.org")

    def someone_else(self, role: str = "learner") -> Person:
        """Another person with the same role: the owner of things that are not yours."""
        role = "learner" if role == "visitor" else role
        return self._person(f"other:{role}", role, f"other-{role}@routes.example.org")

    def course_slug(self) -> str:
        def build():
            make_course(self.tmp_path / "courses", "route-course", modules=1, lessons=2)
            return "route-course"
        return self.once("course", build)

    def lesson_key(self) -> str:
        from sqlalchemy import select

        from lms.content.models import Course, Lesson
        from lms.extensions import db

        slug = self.course_slug()
        return self.once("lesson_key", lambda: db.session.scalar(
            select(Lesson.key).join(Course, Course.id == Lesson.course_id)
            .where(Course.slug == slug).order_by(Lesson.position)))

    def reset_token(self) -> str:
        from lms.auth.service import make_reset_token

        return self.once("reset_token", lambda: make_reset_token(
            make_user("learner", email="reset@routes.example.org", locale="en")))


def _course(world: World, role: str) -> dict[str, Any]:
    return {"slug": world.course_slug()}


def _lesson(world: World, role: str) -> dict[str, Any]:
    return {"slug": world.course_slug(), "lesson_key": world.lesson_key()}


def _person(world: World, role: str) -> dict[str, Any]:
    return {"user_id": world.someone_else(role).id}


VISITORS_ONLY = every(REDIRECT, visitor=200)  # signed-in people are sent on to their courses

EXPECTATIONS: dict[str, Expect] = {
    # core
    "core.home": Expect(PUBLIC),
    "core.healthz": Expect(PUBLIC, why="load balancers ask without signing in"),
    "core.set_language": Expect(every(REDIRECT), why="post only: back to the page, for anyone"),
    "core.choose_language": Expect(every(REDIRECT), params=lambda world, role: {"language": "en"},
                                   why="visitors' link: sets the language cookie, back to the page"),
    # auth
    "auth.register": Expect(VISITORS_ONLY),
    "auth.login": Expect(VISITORS_ONLY),
    "auth.logout": Expect(every(REDIRECT), why="post only: home page, whoever asks"),
    "auth.reset_request": Expect(PUBLIC),
    "auth.reset_password": Expect(PUBLIC, params=lambda world, role: {"token": world.reset_token()},
                                  why="the token is the credential"),
    "auth.profile": Expect(SIGNED_IN),
    "auth.change_password": Expect(SIGNED_IN),
    # catalog
    "catalog.index": Expect(PUBLIC),
    "catalog.course": Expect(PUBLIC, params=_course),
    "catalog.lesson": Expect(PUBLIC, params=_lesson, why="lessons are open reading"),
    "catalog.enrol": Expect(SIGNED_IN, params=_course, why="post only"),
    "catalog.my_courses": Expect(SIGNED_IN),
    # admin
    "admin.people": Expect(roles("admin")),
    "admin.person": Expect(roles("admin"), params=_person),
    "admin.set_active": Expect(roles("admin"), params=_person, why="post only"),
}

# authoring -------------------------------------------------------------------------
# The course belongs to the trainer making the request (world.user("trainer")):
# owners and co-authors edit, admins edit everything, others get 403
# (tests/test_authoring_permissions.py covers another trainer's course).

def _authored(world: World) -> dict[str, Any]:
    def build():
        from lms.authoring.models import CourseAuthor
        from lms.extensions import db

        from lms.content.importer import import_courses

        owner = world.user("trainer")
        make_course(world.tmp_path / "authored", "authored-course", modules=1, lessons=2)
        (world.tmp_path / "authored" / "authored-course" / "01-module-1" / "quiz.toml").write_text(
            '[title]\nen = "Quiz"\n\n[[questions]]\nid = "q1"\ntype = "truefalse"\n'
            'text = { en = "True?" }\nanswer = true\n', encoding="utf-8")
        import_courses(world.tmp_path / "authored")
        course_id = db.session.scalar(db.select(db.text("id")).select_from(db.text("courses"))
                                      .where(db.text("slug = 'authored-course'")))
        db.session.add(CourseAuthor(course_id=course_id, user_id=owner.id, role="owner"))
        db.session.commit()
        return {"slug": "authored-course", "module": "module-1", "lesson": "lesson-1-1"}
    return world.once("authored_course", build)


def _authored_course(world: World, role: str) -> dict[str, Any]:
    return {"slug": _authored(world)["slug"]}


def _authored_module(world: World, role: str) -> dict[str, Any]:
    built = _authored(world)
    return {"slug": built["slug"], "key": built["module"]}


def _authored_lesson(world: World, role: str) -> dict[str, Any]:
    built = _authored(world)
    return {"slug": built["slug"], "key": built["lesson"]}


def _authored_history(world: World, role: str) -> dict[str, Any]:
    return {**_authored_lesson(world, role), "kind": "lesson", "language": "es"}


def _authored_author(world: World, role: str) -> dict[str, Any]:
    return {**_authored_course(world, role), "user_id": world.someone_else("trainer").id}


def _media_name(world: World, role: str) -> dict[str, Any]:
    def build():
        import io

        from PIL import Image
        from flask import current_app

        from lms.authoring.media import process, _write

        buffer = io.BytesIO()
        Image.new("RGB", (4, 4), "green").save(buffer, format="PNG")
        with current_app.test_request_context():
            return _write(process(buffer.getvalue()).full, "png")
    return {"name": world.once("media_name", build)}


EXPECTATIONS.update({
    "authoring.index": Expect(roles("trainer")),
    "authoring.new_course": Expect(roles("trainer"), why="trainers create courses and own them"),
    "authoring.course": Expect(roles("trainer"), params=_authored_course, why="own course"),
    "authoring.course_settings": Expect(roles("trainer"), params=_authored_course),
    "authoring.add_author": Expect(roles("trainer"), params=_authored_course, why="post only"),
    "authoring.remove_author": Expect(roles("trainer"), params=_authored_author, why="post only"),
    "authoring.new_module": Expect(roles("trainer"), params=_authored_course),
    "authoring.module": Expect(roles("trainer"), params=_authored_module),
    "authoring.move_module": Expect(roles("trainer"), params=_authored_module, why="post only"),
    "authoring.archive_module": Expect(roles("trainer"), params=_authored_module, why="post only"),
    "authoring.publish_module": Expect(roles("trainer"), params=_authored_module, why="post only"),
    "authoring.new_lesson": Expect(roles("trainer"), params=_authored_module),
    "authoring.lesson": Expect(roles("trainer"), params=_authored_lesson),
    "authoring.move_lesson": Expect(roles("trainer"), params=_authored_lesson, why="post only"),
    "authoring.archive_lesson": Expect(roles("trainer"), params=_authored_lesson, why="post only"),
    "authoring.publish_lesson": Expect(roles("trainer"), params=_authored_lesson, why="post only"),
    "authoring.publish_course": Expect(roles("trainer"), params=_authored_course, why="post only"),
    "authoring.history": Expect(roles("trainer"), params=_authored_history),
    "authoring.restore": Expect(roles("trainer"), params=lambda world, role: {
        **_authored_history(world, role), "number": 1}, why="post only"),
    "authoring.translations": Expect(roles("trainer"), params=_authored_course),
    "authoring.export_zip": Expect(roles("trainer"), params=_authored_course),
    "authoring.preview": Expect(roles("trainer"), why="post only: the editor's live preview"),
    "authoring.media_file": Expect(PUBLIC, params=_media_name, why="images of lessons, read by anyone"),
    "authoring.quiz": Expect(roles("trainer"), params=_authored_module),
    "authoring.new_question": Expect(roles("trainer"), params=_authored_module),
    "authoring.question": Expect(roles("trainer"), params=lambda world, role: {
        **_authored_module(world, role), "question_key": "q1"}),
    "authoring.move_question": Expect(roles("trainer"), params=lambda world, role: {
        **_authored_module(world, role), "question_key": "q1"}, why="post only"),
    "authoring.remove_question": Expect(roles("trainer"), params=lambda world, role: {
        **_authored_module(world, role), "question_key": "q1"}, why="post only"),
    "authoring.quiz_gift": Expect(roles("trainer"), params=_authored_module, why="post only"),
    "authoring.quiz_preview": Expect(roles("trainer"), params=_authored_module),
    "authoring.publish_quiz": Expect(roles("trainer"), params=_authored_module, why="post only"),
    "authoring.quiz_history": Expect(roles("trainer"), params=_authored_module),
    "authoring.restore_quiz": Expect(roles("trainer"), params=lambda world, role: {
        **_authored_module(world, role), "number": 1}, why="post only"),
})

# quizzes ---------------------------------------------------------------------------
# A course whose module has a quiz; the attempt belongs to someone else (a
# learner), submitted with an essay waiting for a grade: learners and experts
# may not know it exists (404), trainers read its result and grade it (the
# course has no authors, so every trainer teaches it; a trainer of another
# authored course gets 404: tests/test_ownership.py).

def _quiz_world(world: World) -> dict[str, Any]:
    def build():
        from werkzeug.datastructures import MultiDict

        from lms.extensions import db
        from lms.quizzes.attempts import save_answers, start_attempt
        from lms.quizzes.models import Question, Quiz, Response
        from quiz_support import write_quiz_course

        write_quiz_course(world.tmp_path / "quiz-courses", "route-quiz")
        from lms.content.importer import import_courses

        import_courses(world.tmp_path / "quiz-courses")
        from lms.content.models import Course

        quiz = db.session.scalar(db.select(Quiz).join(Course, Course.id == Quiz.course_id)
                                 .where(Course.slug == "route-quiz"))
        attempt = start_attempt(world.someone_else("learner").id, quiz)
        essay = db.session.scalar(db.select(Question).where(Question.quiz_id == quiz.id,
                                                            Question.type == "essay"))
        save_answers(attempt, MultiDict({f"q{essay.id}": "An essay to grade."}), submit=True)
        response_id = db.session.scalar(db.select(Response.id).where(
            Response.attempt_id == attempt.id, Response.question_id == essay.id))
        return {"slug": "route-quiz", "module_key": "module-1", "attempt_id": attempt.id,
                "response_id": response_id}
    return world.once("quiz_world", build)


def _quiz(world: World, role: str) -> dict[str, Any]:
    built = _quiz_world(world)
    return {"slug": built["slug"], "module_key": built["module_key"]}


OTHERS_ATTEMPT = every(404, visitor=LOGIN)

EXPECTATIONS.update({
    "quizzes.quiz": Expect(PUBLIC, params=_quiz, why="visitors see the settings and a sign-in link"),
    "quizzes.start": Expect(SIGNED_IN, params=_quiz, why="post only: starts or resumes one's own attempt"),
    "quizzes.history": Expect(SIGNED_IN, params=_quiz, why="one's own attempts"),
    "quizzes.attempt": Expect(OTHERS_ATTEMPT, params=lambda world, role: {
        "attempt_id": _quiz_world(world)["attempt_id"]}, why="only its learner answers an attempt"),
    "quizzes.result": Expect(every(404, visitor=LOGIN, trainer=200, admin=200), params=lambda world, role: {
        "attempt_id": _quiz_world(world)["attempt_id"]}, why="its learner, and the course's trainers"),
    "quizzes.manage": Expect(roles("trainer"), params=_quiz),
    "quizzes.preview": Expect(roles("trainer"), params=_quiz, why="nothing recorded"),
    "quizzes.upload_gift": Expect(roles("trainer"), params=_quiz),
    "quizzes.export_gift": Expect(roles("trainer"), params=lambda world, role: {**_quiz(world, role), "lang": "es"}),
    "quizzes.grading_queue": Expect(roles("trainer")),
    "quizzes.grade_essay": Expect(roles("trainer"), params=lambda world, role: {
        "response_id": _quiz_world(world)["response_id"]}),
})

# progress ---------------------------------------------------------------------------
# route-course has no CourseAuthor rows, so every trainer may read its report
# (tests/test_progress_reports.py covers trainers of other courses: 403). The
# certificate belongs to someone else (a learner who completed route-course).

def _certificate(world: World, role: str) -> dict[str, Any]:
    def build():
        from lms.catalog.service import course_by_slug, enrol
        from lms.content.models import Lesson
        from lms.extensions import db
        from lms.progress.models import Certificate
        from lms.progress.service import mark_done

        course = course_by_slug(world.course_slug())
        holder = world.someone_else("learner")
        enrol(holder.id, course)
        for key in db.session.scalars(db.select(Lesson.key).where(Lesson.course_id == course.id)).all():
            mark_done(holder.id, course, key)
        return db.session.scalar(db.select(Certificate.code).where(Certificate.user_id == holder.id))
    return {"code": world.once("certificate", build)}


def _quiz_items(world: World, role: str) -> dict[str, Any]:
    def build():
        from lms.content.models import Course
        from lms.extensions import db
        from lms.quizzes.models import Quiz

        slug = _quiz_world(world)["slug"]
        return db.session.scalar(db.select(Quiz.id).join(Course, Course.id == Quiz.course_id)
                                 .where(Course.slug == slug))
    return {"slug": _quiz_world(world)["slug"], "quiz_id": world.once("report_quiz_id", build)}


EXPECTATIONS.update({
    "progress.mark_done": Expect(SIGNED_IN, params=_lesson, why="post only: records one's own progress"),
    "progress.certificate_pdf": Expect(every(404, visitor=LOGIN, admin=200), params=_certificate,
                                       why="only its holder (and admins) download a certificate"),
    "progress.verify_form": Expect(PUBLIC),
    "progress.verify": Expect(PUBLIC, params=_certificate, why="anyone checks a certificate by its code"),
    "progress.revoke": Expect(roles("admin"), params=_certificate, why="post only"),
    "progress.reports_index": Expect(roles("trainer")),
    "progress.course_report": Expect(roles("trainer"), params=_course),
    "progress.course_report_csv": Expect(roles("trainer"), params=lambda world, role: {
        **_course(world, role), "table": "summary"}),
    "progress.quiz_items": Expect(roles("trainer"), params=_quiz_items),
    "progress.quiz_items_csv": Expect(roles("trainer"), params=_quiz_items),
    "progress.programme": Expect(roles("admin")),
    "progress.programme_csv": Expect(roles("admin"), params=lambda world, role: {"table": "regions"}),
    "progress.xapi_export": Expect(roles("admin"), params=_course),
})

# advice and knowledge -----------------------------------------------------------------
# A request asked by someone else (a learner) in a queue that world.user("expert")
# does not belong to: learners, trainers and that expert may not know it exists
# (404); admins see every queue. tests/test_advice_privacy.py covers every
# request route for another learner and for an expert of another queue.

def _advice_world(world: World) -> dict[str, Any]:
    def build():
        from lms.advice import attachments, service
        from lms.advice.models import AdviceMessage, AdviceQueue, CannedReply, QueueMember
        from lms.auth.models import User
        from lms.extensions import db
        from lms.knowledge.models import KnowledgeEntry, KnowledgeEntryText
        from lms.timeutil import utcnow

        owner = db.session.get(User, world.someone_else("learner").id)
        coordinator = world.someone_else("expert")
        queue = AdviceQueue(slug="route-queue", names={"es": "Cola", "en": "Queue"})
        db.session.add(queue)
        db.session.flush()
        db.session.add(QueueMember(queue_id=queue.id, user_id=coordinator.id, role="coordinator"))
        reply = CannedReply(queue_id=queue.id, title="Hello", language="en", body_markdown="Hello",
                            body_html="<p>Hello</p>")
        db.session.add(reply)
        db.session.commit()
        request = service.submit(owner, service.NewRequest(
            title="A private question", body="Our plan", queue_id=queue.id, phase="analysis", language="en",
            uploads=[attachments.Upload("plan.pdf", b"%PDF-1.4\n")]))
        question = db.session.scalar(db.select(AdviceMessage).where(AdviceMessage.request_id == request.id))
        entry = KnowledgeEntry(slug="route-entry", source="advice", status="published",
                               source_request_id=request.id, published_at=utcnow(),
                               texts=[KnowledgeEntryText(language="en", title="An entry", body_markdown="Text",
                                                         body_html="<p>Text</p>")])
        db.session.add(entry)
        db.session.commit()
        return {"request_id": request.id, "message_id": question.id,
                "attachment_id": request.attachments[0].id, "queue_id": queue.id, "reply_id": reply.id,
                "entry_id": entry.id, "slug": entry.slug}
    return world.once("advice_world", build)


def _advice(*names: str):
    return lambda world, role: {name: _advice_world(world)[name] for name in names}


OTHERS_REQUEST = every(404, visitor=LOGIN, admin=200)
COORDINATORS = every(403, visitor=LOGIN, admin=200)
QUEUE_COORDINATORS = every(403, visitor=LOGIN, expert=404, admin=200)

EXPECTATIONS.update({
    "advice.my_requests": Expect(SIGNED_IN, why="one's own requests"),
    "advice.new_request": Expect(SIGNED_IN, why="anyone signed in may ask an expert"),
    "advice.request_detail": Expect(OTHERS_REQUEST, params=_advice("request_id"),
                                    why="its learner, its queue's experts and coordinators, admins"),
    **{f"advice.{name}": Expect(OTHERS_REQUEST, params=_advice("request_id"), why="post only")
       for name in ("claim", "release", "take_over", "accept", "withdraw", "post_message", "add_note",
                    "reassign", "reject", "merge", "rate", "publish")},
    "advice.attachment": Expect(OTHERS_REQUEST, params=_advice("attachment_id"),
                                why="whoever may see the request"),
    "advice.edit_message": Expect(every(404, visitor=LOGIN, admin=403), params=_advice("message_id"),
                                  why="admins see the message but only its author edits it"),
    "advice.inbox": Expect(roles("expert")),
    "advice.held": Expect(roles("expert"), why="the requests the expert holds"),
    "advice.expertise": Expect(roles("expert")),
    "advice.coordinator_dashboard": Expect(COORDINATORS, why="experts who coordinate a queue, and admins"),
    "advice.dashboard_csv": Expect(COORDINATORS, why="experts who coordinate a queue, and admins"),
    "advice.canned": Expect(QUEUE_COORDINATORS, params=_advice("queue_id"),
                            why="the queue's coordinators (an expert of no queue: 404)"),
    "advice.delete_canned": Expect(QUEUE_COORDINATORS, params=_advice("queue_id", "reply_id"), why="post only"),
    "advice.admin_queues": Expect(roles("admin")),
    "advice.admin_queue_new": Expect(roles("admin")),
    "advice.admin_queue": Expect(roles("admin"), params=_advice("queue_id")),
    "advice.notifications_list": Expect(SIGNED_IN, why="one's own notifications"),
    "advice.notifications_read": Expect(SIGNED_IN, why="post only"),
    "advice.preferences": Expect(SIGNED_IN),
    "knowledge.index": Expect(PUBLIC),
    "knowledge.entry": Expect(PUBLIC, params=_advice("slug"), why="published entries are public"),
    "knowledge.edit": Expect(OTHERS_REQUEST, params=_advice("entry_id"),
                             why="the source queue's experts and coordinators, admins"),
    "knowledge.change_status": Expect(OTHERS_REQUEST, params=_advice("entry_id"), why="post only"),
})

# glossary and prospectuses --------------------------------------------------------------
# A prospectus template (imported with a course) and a prospectus owned by
# someone else (a learner): private to its owner, everyone else gets 404.

def _prospectus_world(world: World) -> dict[str, Any]:
    def build():
        from lms.extensions import db
        from lms.prospectus.models import Prospectus, ProspectusTemplate

        template = ProspectusTemplate(key="route-template", titles={"en": "Prospectus", "es": "Prospecto"},
                                      sections=[{"id": "summary", "title": {"en": "Summary", "es": "Resumen"},
                                                 "guidance": {}, "required": True, "max_chars": 500}])
        db.session.add(template)
        db.session.flush()
        item = Prospectus(owner_id=world.someone_else("learner").id, template_id=template.id,
                          client_token="route-token-0123456789", title="Their private project", language="en",
                          answers={"summary": "Private"})
        db.session.add(item)
        db.session.commit()
        return {"prospectus_id": item.id}
    return world.once("prospectus_world", build)


EXPECTATIONS.update({
    "glossary.index": Expect(PUBLIC),
    "prospectus.index": Expect(SIGNED_IN, why="one's own prospectuses"),
    "prospectus.new": Expect(SIGNED_IN, params=lambda world, role: {} if _prospectus_world(world) else {},
                             why="anyone signed in may write a prospectus (the template exists)"),
    "prospectus.edit": Expect(every(404, visitor=LOGIN), params=lambda world, role: _prospectus_world(world),
                              why="private to its owner: admins included, others may not know it exists"),
})

LOGIN_PATH = "/account/login"
SIGN_IN_PASSWORD = PASSWORD


def is_static(endpoint: str) -> bool:
    """Static files (the app's and any blueprint's) are not routes people are authorised for."""
    return endpoint == "static" or endpoint.endswith(".static")


def url_args(endpoint: str, world: World, role: str) -> dict[str, Any]:
    expect = EXPECTATIONS[endpoint]
    return expect.params(world, role) if expect.params else {}
