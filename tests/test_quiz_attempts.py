"""Taking quizzes through the HTTP layer, as a learner meets them."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from factories import PASSWORD, make_user
from lms.content.importer import import_courses
from lms.catalog.models import Enrolment
from lms.extensions import db
from lms.quizzes import attempts as attempt_rules
from lms.quizzes.models import Attempt, Question, Quiz, Response
from lms.quizzes.results import ON_ATTEMPT_GRADED, passed_quiz_ids, quiz_result_for
from lms.timeutil import utcnow
from pages import page
from quiz_support import (
    ALL_TYPES, AUTO_TYPES, QUIZ_URL, attempt_and_questions, make_quiz_course, right_form,
    single_questions, start, write_quiz_course, wrong_form,
)

EN = {"Accept-Language": "en"}


@pytest.fixture()
def learner(auth):
    user = make_user(locale="en")
    auth.login(user.email)
    return user


@pytest.fixture()
def graded_hook():
    calls: list[tuple[int, str, float | None]] = []

    def hook(attempt):
        calls.append((attempt.id, attempt.state, attempt.score))

    ON_ATTEMPT_GRADED.append(hook)
    yield calls
    ON_ATTEMPT_GRADED.remove(hook)


def _submit(client, attempt_id, data):
    return client.post(f"/quiz-attempts/{attempt_id}", data={**data, "action": "submit"})


def _attempt(attempt_id) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def test_quiz_page_links_and_visitors_sign_in_first(tmp_path, client):
    make_quiz_course(tmp_path)
    course = client.get("/courses/quiz-course", headers=EN).get_data(as_text=True)
    assert f'href="{QUIZ_URL}"' in course
    last_lesson = client.get("/courses/quiz-course/lessons/lesson-1-2", headers=EN).get_data(as_text=True)
    assert f'href="{QUIZ_URL}"' in last_lesson and "Take the module quiz" in last_lesson
    first_lesson = client.get("/courses/quiz-course/lessons/lesson-1-1", headers=EN).get_data(as_text=True)
    assert "Take the module quiz" not in first_lesson
    quiz_page = client.get(QUIZ_URL, headers=EN).get_data(as_text=True)
    assert "Sign in to take the quiz" in quiz_page
    response = client.post(QUIZ_URL + "/start")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_first_attempt_enrols_the_learner(tmp_path, client, learner):
    make_quiz_course(tmp_path)
    start(client)
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.user_id == learner.id)) == 1
    # Starting again resumes the attempt in progress.
    assert start(client) == start(client)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_no_right_answer_fraction_or_feedback_reaches_the_page_before_submission(tmp_path, client, learner):
    make_quiz_course(tmp_path, shuffle_choices=False)
    attempt_id = start(client)
    html = client.get(f"/quiz-attempts/{attempt_id}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/quiz-attempts/\d+" class="quiz-form">.*?</form>', html, re.S).group(0)
    doc = page(client.get(f"/quiz-attempts/{attempt_id}"))
    hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', form)
    assert len(hidden) == 1 and 'name="csrf_token"' in hidden[0]
    for leak in ("fraction", "lima", "cusco", "chile", "correct", "CHOICE-FEEDBACK", "GENERAL-FEEDBACK",
                 "TRUE-FEEDBACK", "SHORT-FEEDBACK", "right answer", "Score"):
        assert leak not in html, leak
    # Choices are posted as positions, not ids.
    values = {e.get("value") for e in doc.find_all("input") if e.get("type") in ("radio", "checkbox")}
    assert values <= {"0", "1", "2", "true", "false"}
    # Matching options and ordering positions do not give the pairs away either.
    options = re.findall(r'<option value="([^"]*)"', html)
    assert set(options) <= {"", "0", "1", "2", "3"}


def test_saved_answers_survive_a_reload_and_are_not_graded(tmp_path, client, learner):
    make_quiz_course(tmp_path)
    attempt_id = start(client)
    answers = right_form(attempt_id, essay="Mi ensayo\ncon dos líneas")
    response = client.post(f"/quiz-attempts/{attempt_id}", data={**answers, "action": "save"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/quiz-attempts/{attempt_id}")
    reloaded = client.get(f"/quiz-attempts/{attempt_id}", headers=EN)
    html = reloaded.get_data(as_text=True)
    assert "Your answers were saved" in html
    attempt, questions = attempt_and_questions(attempt_id)
    doc = page(reloaded)
    by_type = {q.type: q for q in questions}
    single = by_type["single"]
    checked = [e.get("value") for e in doc.find_all("input", name=f"q{single.id}") if "checked" in e.attrs]
    assert checked == [answers[f"q{single.id}"]]
    multiple = by_type["multiple"]
    ticked = sorted(e.get("value") for e in doc.find_all("input", name=f"q{multiple.id}") if "checked" in e.attrs)
    assert ticked == sorted(answers[f"q{multiple.id}"])
    assert doc.field_value(f"q{by_type['short'].id}") == "energy"
    assert doc.field_value(f"q{by_type['numeric'].id}") == "4.0"
    assert "Mi ensayo\ncon dos líneas" in html
    matching = by_type["matching"]
    selected = re.search(rf'name="q{matching.id}-0".*?<option value="(\d+)" selected', html, re.S).group(1)
    assert selected == answers[f"q{matching.id}-0"]
    # Saved, but nothing graded yet.
    assert attempt.state == "in_progress" and attempt.score is None
    assert all(r.fraction is None for r in attempt.responses)
    assert db.session.scalar(select(Response.response).where(
        Response.attempt_id == attempt_id, Response.question_id == single.id)) is not None
    # Emptying a field and saving clears it.
    client.post(f"/quiz-attempts/{attempt_id}", data={**answers, f"q{by_type['short'].id}": "", "action": "save"})
    assert page(client.get(f"/quiz-attempts/{attempt_id}")).field_value(f"q{by_type['short'].id}") == ""


def test_submitting_twice_records_once(tmp_path, client, learner, graded_hook):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    attempt_id = start(client)
    first = _submit(client, attempt_id, right_form(attempt_id))
    assert first.headers["Location"].endswith(f"/quiz-attempts/{attempt_id}/result")
    assert _attempt(attempt_id).score == 100.0
    second = _submit(client, attempt_id, wrong_form(attempt_id))
    assert second.status_code == 302
    result = client.get(second.headers["Location"], headers=EN).get_data(as_text=True)
    assert "already submitted; nothing was changed" in result
    attempt = _attempt(attempt_id)
    assert attempt.state == "submitted" and attempt.score == 100.0 and attempt.passed
    assert graded_hook == [(attempt_id, "submitted", 100.0)]
    # A save after submission changes nothing either.
    client.post(f"/quiz-attempts/{attempt_id}", data={**wrong_form(attempt_id), "action": "save"})
    assert _attempt(attempt_id).score == 100.0


def test_a_save_after_the_submit_keeps_the_graded_answers(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    attempt_id = start(client)
    _submit(client, attempt_id, right_form(attempt_id))
    graded = sorted(db.session.execute(select(Response.question_id, Response.response, Response.fraction)
                                       .where(Response.attempt_id == attempt_id)).all())
    late = client.post(f"/quiz-attempts/{attempt_id}", data={**wrong_form(attempt_id), "action": "save"},
                       headers=EN)
    assert late.headers["Location"].endswith(f"/quiz-attempts/{attempt_id}/result")
    db.session.expire_all()
    assert sorted(db.session.execute(select(Response.question_id, Response.response, Response.fraction)
                                     .where(Response.attempt_id == attempt_id)).all()) == graded


def test_a_failed_attempt_counts_as_activity_in_the_course(tmp_path, client, learner, graded_hook):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    attempt_id = start(client)
    quiz = _attempt(attempt_id).quiz
    db.session.execute(update(Enrolment).values(last_activity_at=None))
    db.session.commit()
    _submit(client, attempt_id, wrong_form(attempt_id))
    db.session.expire_all()
    assert _attempt(attempt_id).passed is False
    assert graded_hook == [(attempt_id, "submitted", _attempt(attempt_id).score)]
    activity = db.session.scalar(select(Enrolment.last_activity_at).where(
        Enrolment.user_id == learner.id, Enrolment.course_id == quiz.course_id))
    assert activity is not None and utcnow() - activity < timedelta(minutes=1)


def test_two_submits_at_the_same_moment_record_once(tmp_path, app, graded_hook):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    learner = make_user(locale="en")
    tabs = [app.test_client() for _ in range(2)]
    for tab in tabs:
        tab.post("/account/login", data={"email": learner.email, "password": PASSWORD})
    attempt_id = start(tabs[0])
    forms = [{**answers, "action": "submit", "csrf_token": tab.csrf_token()}
             for tab, answers in zip(tabs, (right_form(attempt_id), wrong_form(attempt_id)))]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def submit(tab, form):
        barrier.wait()
        answers.append(tab.post(f"/quiz-attempts/{attempt_id}", data=form).status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(tabs, forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302]
    attempt = _attempt(attempt_id)
    assert attempt.state == "submitted" and attempt.score in (0.0, 100.0)
    assert len(graded_hook) == 1 and graded_hook[0][2] == attempt.score
    # The graded responses are those of the request that won.
    fractions = [r.fraction for r in attempt.responses if r.response is not None]
    assert fractions and all(f == attempt.score / 100 for f in fractions)


def test_attempt_limit(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, max_attempts=2)
    for _ in range(2):
        attempt_id = start(client)
        _submit(client, attempt_id, wrong_form(attempt_id))
    quiz_page = client.get(QUIZ_URL, headers=EN).get_data(as_text=True)
    assert "You have used all the attempts this quiz allows." in quiz_page
    assert "Start a new attempt" not in quiz_page
    refused = client.post(QUIZ_URL + "/start")
    assert refused.headers["Location"].endswith(QUIZ_URL)
    assert "used all the attempts" in client.get(QUIZ_URL, headers=EN).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


def test_answers_after_the_time_limit_are_not_counted(tmp_path, client, learner, graded_hook):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, time_limit_minutes=10)
    attempt_id = start(client)
    attempt = _attempt(attempt_id)
    assert attempt.deadline is not None
    assert abs((attempt.deadline - attempt.started_at) - timedelta(minutes=10)) < timedelta(seconds=1)
    assert "Time limit: submit by" in client.get(f"/quiz-attempts/{attempt_id}", headers=EN).get_data(as_text=True)
    # In time: a wrong answer is saved.
    wrong = wrong_form(attempt_id)
    client.post(f"/quiz-attempts/{attempt_id}", data={**wrong, "action": "save"})
    # The limit passes; the right answers arrive late.
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    late = _submit(client, attempt_id, right_form(attempt_id))
    assert late.headers["Location"].endswith(f"/quiz-attempts/{attempt_id}/result")
    result = client.get(late.headers["Location"], headers=EN).get_data(as_text=True)
    assert "Time ran out" in result and "were not counted" in result
    attempt = _attempt(attempt_id)
    assert attempt.timed_out and attempt.state == "submitted" and attempt.score == 0.0
    assert attempt.submitted_at == attempt.deadline
    single = next(r for r in attempt.responses if r.response is not None)
    assert single.fraction == 0.0  # the answer saved in time, graded
    assert len(graded_hook) == 1


def test_an_attempt_past_its_deadline_is_submitted_with_what_was_saved(tmp_path, client, learner, monkeypatch):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, time_limit_minutes=5)
    attempt_id = start(client)
    client.post(f"/quiz-attempts/{attempt_id}", data={**right_form(attempt_id), "action": "save"})
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(attempt_rules, "utcnow", lambda: later)
    reopened = client.get(f"/quiz-attempts/{attempt_id}")
    assert reopened.headers["Location"].endswith(f"/quiz-attempts/{attempt_id}/result")
    attempt = _attempt(attempt_id)
    assert attempt.state == "submitted" and attempt.timed_out and attempt.score == 100.0


def test_expired_attempts_are_closed_by_the_periodic_job(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, time_limit_minutes=5)
    attempt_id = start(client)
    from lms.quizzes.jobs import close_expired_attempts

    assert close_expired_attempts(utcnow()) == 0
    assert close_expired_attempts(utcnow() + timedelta(minutes=6)) == 1
    assert _attempt(attempt_id).state == "submitted"
    assert close_expired_attempts(utcnow() + timedelta(minutes=7)) == 0


def _result_html(client, settings_questions, **settings):
    attempt_id = start(client)
    _submit(client, attempt_id, settings_questions(attempt_id))
    return client.get(f"/quiz-attempts/{attempt_id}/result", headers=EN).get_data(as_text=True)


def test_show_answers_after_each_attempt(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, show_answers="after_attempt")
    html = _result_html(client, wrong_form)
    assert "Not passed" in html
    assert "CHOICE-FEEDBACK-WRONG" in html and "GENERAL-FEEDBACK-CAPITAL" in html
    assert "right answer" in html and "Tacna → Peru" in html


def test_show_answers_after_pass(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, show_answers="after_pass")
    failed = _result_html(client, wrong_form)
    assert "Not passed" in failed
    assert "shown once you pass" in failed
    for hidden in ("CHOICE-FEEDBACK", "GENERAL-FEEDBACK", "badge-right", "Tacna → Peru", "Right answer:"):
        assert hidden not in failed, hidden
    passed_page = _result_html(client, right_form)
    assert "Passed" in passed_page and "GENERAL-FEEDBACK-CAPITAL" in passed_page and "Tacna → Peru" in passed_page


def test_show_answers_never(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES, show_answers="never")
    html = _result_html(client, right_form)
    assert "Score: 100 %" in html and "Passed" in html
    assert "does not show marks or the right answers" in html
    for hidden in ("CHOICE-FEEDBACK", "GENERAL-FEEDBACK", "badge-right", "TRUE-FEEDBACK", "Right answer:",
                   "Correct", "Incorrect"):
        assert hidden not in html, hidden


@pytest.mark.parametrize(("policy", "kept", "passed"), [("best", 100.0, True), ("last", 0.0, False),
                                                        ("average", 50.0, False)])
def test_grade_kept_by_policy(tmp_path, client, learner, policy, kept, passed):
    make_quiz_course(tmp_path, questions=single_questions(2), grading=policy)
    for form in (right_form, wrong_form):
        attempt_id = start(client)
        _submit(client, attempt_id, form(attempt_id))
    quiz = db.session.scalar(select(Quiz))
    result = quiz_result_for(learner.id, quiz.id)
    assert result.scores == (100.0, 0.0)
    assert result.kept_score == kept and result.passed is passed
    assert passed_quiz_ids(learner.id, quiz.course_id) == ({quiz.id} if passed else set())
    assert f"Your grade: {kept:g} %" in client.get(QUIZ_URL, headers=EN).get_data(as_text=True)


def test_draw_n_questions_from_the_pool(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=single_questions(6), draw=3)
    assert "<dd>3 (drawn at random" in client.get(QUIZ_URL, headers=EN).get_data(as_text=True)
    drawn = set()
    for _ in range(8):
        attempt_id = start(client)
        html = client.get(f"/quiz-attempts/{attempt_id}", headers=EN).get_data(as_text=True)
        shown = re.findall(r"Question text (\d+)", html)
        assert len(shown) == 3 and shown == sorted(shown, key=int)  # file order when not shuffled
        drawn |= set(shown)
        _submit(client, attempt_id, right_form(attempt_id))
        assert _attempt(attempt_id).score == 100.0  # scored on the drawn questions only
    assert len(drawn) > 3


def test_shuffled_order_is_stable_within_an_attempt(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=single_questions(8), shuffle_questions=True, shuffle_choices=True)

    def order(attempt_id):
        html = client.get(f"/quiz-attempts/{attempt_id}", headers=EN).get_data(as_text=True)
        return re.findall(r"Question text (\d+)", html), re.findall(r"<span>(\w+ \d+)</span>", html)

    orders = set()
    for _ in range(4):
        attempt_id = start(client)
        first = order(attempt_id)
        client.post(f"/quiz-attempts/{attempt_id}", data={"action": "save"})
        assert order(attempt_id) == first  # reloads and saves keep the order
        orders.add(tuple(first[0]) + tuple(first[1]))
        _submit(client, attempt_id, right_form(attempt_id))
        assert _attempt(attempt_id).score == 100.0
    assert len(orders) > 1


def test_unshuffled_quiz_keeps_file_order(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=single_questions(3), shuffle_questions=False, shuffle_choices=False)
    html = client.get(f"/quiz-attempts/{start(client)}", headers=EN).get_data(as_text=True)
    assert re.findall(r"Question text (\d+)", html) == ["1", "2", "3"]
    assert re.findall(r"<span>(\w+) 1</span>", html) == ["Yes", "No", "Other"]


def test_another_learner_cannot_open_my_attempt(tmp_path, client, auth, learner):
    make_quiz_course(tmp_path)
    attempt_id = start(client)
    auth.logout()
    other = make_user(locale="en")
    auth.login(other.email)
    assert client.get(f"/quiz-attempts/{attempt_id}").status_code == 404
    assert client.post(f"/quiz-attempts/{attempt_id}", data={"action": "submit"}).status_code == 404
    assert client.get(f"/quiz-attempts/{attempt_id}/result").status_code == 404
    assert _attempt(attempt_id).state == "in_progress"


def test_learners_cannot_reach_trainer_pages(tmp_path, client, learner):
    make_quiz_course(tmp_path)
    for url in (QUIZ_URL + "/manage", QUIZ_URL + "/preview", QUIZ_URL + "/gift", QUIZ_URL + "/export/es.gift",
                "/quiz-grading"):
        assert client.get(url).status_code == 403, url
    assert client.post(QUIZ_URL + "/gift", data={}).status_code == 403
    assert "Manage this quiz" not in client.get(QUIZ_URL, headers=EN).get_data(as_text=True)


def test_trainer_preview_records_nothing(tmp_path, client, auth):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    auth.login(make_user("trainer", locale="en").email)
    preview = client.get(QUIZ_URL + "/preview", headers=EN)
    html = preview.get_data(as_text=True)
    assert "Nothing you answer here is recorded" in html and "Capital of Peru?" in html
    layout = page(preview).field_value("layout")
    graded = client.post(QUIZ_URL + "/preview", data={"layout": layout, "action": "submit"}, headers=EN)
    result = graded.get_data(as_text=True)
    assert graded.status_code == 200 and "Score: 0 %" in result and "GENERAL-FEEDBACK-CAPITAL" in result
    assert db.session.scalar(select(func.count(Attempt.id))) == 0
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_trainer_grades_an_essay_and_the_score_follows(tmp_path, client, auth, graded_hook):
    make_quiz_course(tmp_path, questions=ALL_TYPES)
    learner = make_user(locale="en", name="Lucía Learner")
    auth.login(learner.email)
    attempt_id = start(client)
    _submit(client, attempt_id, right_form(attempt_id, essay="Cooperation needs trust."))
    attempt = _attempt(attempt_id)
    assert attempt.state == "needs_grading" and attempt.score == 87.5  # 7 of 8, the essay at 0 for now
    assert graded_hook[-1] == (attempt_id, "needs_grading", 87.5)
    result = client.get(f"/quiz-attempts/{attempt_id}/result", headers=EN).get_data(as_text=True)
    assert "waiting for a trainer's grade" in result
    auth.logout()

    trainer = make_user("trainer", locale="en")
    auth.login(trainer.email)
    queue = client.get("/quiz-grading", headers=EN).get_data(as_text=True)
    assert "Lucía Learner" in queue
    response_id = int(re.search(r'href="/quiz-grading/(\d+)"', queue).group(1))
    form = client.get(f"/quiz-grading/{response_id}", headers=EN).get_data(as_text=True)
    assert "Cooperation needs trust." in form and "Reflect." in form
    bad = client.post(f"/quiz-grading/{response_id}", data={"percent": "150", "comment": ""}, headers=EN)
    assert bad.status_code == 200 and "Enter a grade from 0 to 100." in bad.get_data(as_text=True)
    done = client.post(f"/quiz-grading/{response_id}", data={"percent": "50,0", "comment": "Give an example."})
    assert done.status_code == 302
    attempt = _attempt(attempt_id)
    assert attempt.state == "submitted" and attempt.score == pytest.approx(93.75)
    assert graded_hook[-1] == (attempt_id, "submitted", 93.75)
    essay = db.session.scalar(select(Response).where(Response.id == response_id))
    assert essay.fraction == 0.5 and essay.graded_by_id == trainer.id and essay.comment == "Give an example."
    assert "No essay is waiting for a grade." in client.get("/quiz-grading", headers=EN).get_data(as_text=True)
    # The trainer may read the learner's result; the learner sees the comment.
    assert client.get(f"/quiz-attempts/{attempt_id}/result").status_code == 200
    auth.logout()
    auth.login(learner.email)
    result = client.get(f"/quiz-attempts/{attempt_id}/result", headers=EN).get_data(as_text=True)
    assert "Give an example." in result and "Score: 93.8 %" in result


def test_grading_form_is_not_for_objective_answers(tmp_path, client, auth):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    auth.login(make_user(locale="en").email)
    attempt_id = start(client)
    _submit(client, attempt_id, right_form(attempt_id))
    response_id = db.session.scalar(select(Response.id).where(Response.attempt_id == attempt_id))
    auth.logout()
    auth.login(make_user("trainer").email)
    assert client.get(f"/quiz-grading/{response_id}").status_code == 404


@pytest.mark.parametrize("trainer_view", [False, True])
def test_attempt_and_result_pages_take_a_fixed_number_of_queries(tmp_path, app, count_queries, trainer_view):
    for size in (5, 50):
        write_quiz_course(tmp_path, f"quiz-{size}", questions=single_questions(size))
    import_courses(tmp_path)
    counts = {}
    for size in (5, 50):
        quiz_url = f"/courses/quiz-{size}/modules/module-1/quiz"
        client = app.test_client()
        learner = make_user(locale="en")
        client.post("/account/login", data={"email": learner.email, "password": PASSWORD})
        attempt_id = start(client, quiz_url)
        client.post(f"/quiz-attempts/{attempt_id}", data={**right_form(attempt_id), "action": "save"})
        with count_queries() as attempt_queries:
            assert client.get(f"/quiz-attempts/{attempt_id}").status_code == 200
        _submit(client, attempt_id, right_form(attempt_id))
        if trainer_view:
            client = app.test_client()
            trainer = make_user("trainer", locale="en")
            client.post("/account/login", data={"email": trainer.email, "password": PASSWORD})
        with count_queries() as result_queries:
            assert client.get(f"/quiz-attempts/{attempt_id}/result").status_code == 200
        with count_queries() as quiz_queries:
            assert client.get(quiz_url).status_code == 200
        counts[size] = (len(attempt_queries), len(result_queries), len(quiz_queries))
    assert counts[5] == counts[50], counts
    assert max(counts[50]) <= 12, counts


def test_results_api_for_other_capabilities(tmp_path, client, learner):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    quiz = db.session.scalar(select(Quiz))
    empty = quiz_result_for(learner.id, quiz.id)
    assert empty.attempts_started == 0 and empty.kept_score is None and not empty.passed and empty.can_start
    attempt_id = start(client)
    assert quiz_result_for(learner.id, quiz.id).in_progress_attempt_id == attempt_id
    _submit(client, attempt_id, right_form(attempt_id))
    result = quiz_result_for(learner.id, quiz.id)
    assert result.passed and result.kept_score == 100.0 and result.attempts_closed == 1
    assert passed_quiz_ids(learner.id, quiz.course_id) == {quiz.id}
    assert passed_quiz_ids(make_user().id, quiz.course_id) == set()
    assert quiz_result_for(learner.id, quiz.id + 1000) is None


def test_a_failing_hook_does_not_lose_the_result(tmp_path, client, learner, caplog):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)

    def broken(_attempt):
        raise RuntimeError("progress is down")

    ON_ATTEMPT_GRADED.append(broken)
    try:
        attempt_id = start(client)
        response = _submit(client, attempt_id, right_form(attempt_id))
    finally:
        ON_ATTEMPT_GRADED.remove(broken)
    assert response.status_code == 302
    assert _attempt(attempt_id).score == 100.0
    assert "progress is down" in caplog.text


def test_answers_are_graded_the_same_whatever_the_reader_language(tmp_path, client, auth):
    make_quiz_course(tmp_path, questions=AUTO_TYPES)
    user = make_user(locale="es")
    auth.login(user.email)
    attempt_id = start(client)
    data = right_form(attempt_id)
    _, questions = attempt_and_questions(attempt_id)
    short = next(q for q in questions if q.type == "short")
    data[f"q{short.id}"] = "ENERGIA"  # the Spanish answer, without its accent, read in Spanish
    numeric = next(q for q in questions if q.type == "numeric")
    data[f"q{numeric.id}"] = "4,0"
    _submit(client, attempt_id, data)
    assert _attempt(attempt_id).score == 100.0
    question_count = db.session.scalar(select(func.count(Question.id)))
    assert question_count == 7
