"""The xAPI export: statements a Learning Record Store accepts, from the command
line and as an admin download."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter

from factories import make_user
from lms.timeutil import utcnow
from progress_support import report_fixture

SITE = "https://frontera.example.org"
ADL = "http://adlnet.gov/expapi/verbs/"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _export(runner, tmp_path, *extra) -> list[dict]:
    out = tmp_path / "statements.json"
    result = runner.invoke(
        args=["lms", "export-xapi", "report-course", "--output", str(out), "--site-url", SITE, *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_export_has_every_verb_with_adl_iris_and_valid_shape(tmp_path, runner):
    _course, people = report_fixture(tmp_path / "courses", utcnow())
    statements = _export(runner, tmp_path)
    verbs = Counter(s["verb"]["id"].removeprefix(ADL) for s in statements)
    # 6 enrolments; 14 lessons opened and done (3 + 4 + 1 + 0 + 2 + 4); 2 completed courses;
    # 5 module completions (Ana 1, Bruno 2, Flor 2); 6 attempts: 3 passed (100 each), 3 failed
    # (33.3, 66.7, 0); 18 graded responses (3 per attempt).
    assert verbs == {
        "registered": 6,
        "experienced": 14,
        "completed": 14 + 2 + 5,
        "passed": 3,
        "failed": 3,
        "answered": 18,
    }
    ids = [s["id"] for s in statements]
    assert len(set(ids)) == len(ids) and all(uuid.UUID(i).version == 5 for i in ids)
    for statement in statements:
        assert set(statement) >= {"id", "actor", "verb", "object", "timestamp"}
        assert statement["verb"]["id"].startswith(ADL) and "en-US" in statement["verb"]["display"]
        assert statement["object"]["id"].startswith(SITE + "/courses/report-course")
        assert statement["object"]["definition"]["type"].startswith("http://adlnet.gov/expapi/activities/")
        assert TIMESTAMP.match(statement["timestamp"]), statement["timestamp"]
        assert statement["actor"]["objectType"] == "Agent"
        assert statement["actor"]["account"]["homePage"] == SITE + "/"
    registered = next(
        s
        for s in statements
        if s["verb"]["id"].endswith("registered") and s["actor"]["account"]["name"] == str(people["ana"].id)
    )
    assert registered["object"]["id"] == SITE + "/courses/report-course"
    assert registered["object"]["definition"]["name"] == {
        "en": "report-course (en)",
        "es": "report-course (es)",
    }


def test_quiz_statements_carry_scaled_scores(tmp_path, runner):
    _course, people = report_fixture(tmp_path / "courses", utcnow())
    statements = _export(runner, tmp_path)
    ana = str(people["ana"].id)
    attempts = [
        s
        for s in statements
        if s["verb"]["id"].rsplit("/", 1)[1] in ("passed", "failed") and s["actor"]["account"]["name"] == ana
    ]
    assert [
        (s["verb"]["id"].rsplit("/", 1)[1], s["result"]["score"]["scaled"], s["result"]["success"])
        for s in attempts
    ] == [("failed", 0.3333, False), ("passed", 1.0, True)]
    assert attempts[0]["object"]["id"] == SITE + "/courses/report-course/modules/module-1/quiz"
    assert attempts[0]["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    answered = [
        s for s in statements if s["verb"]["id"].endswith("answered") and s["actor"]["account"]["name"] == ana
    ]
    assert len(answered) == 6
    first = answered[0]
    assert first["object"]["id"].startswith(SITE + "/courses/report-course/modules/module-1/quiz#question-q")
    assert first["object"]["definition"]["interactionType"] == "choice"
    assert first["result"]["response"] in ("right", "wrong") and first["result"]["score"]["scaled"] in (
        0.0,
        1.0,
    )


def test_actor_can_be_the_hashed_email(tmp_path, runner):
    _course, people = report_fixture(tmp_path / "courses", utcnow())
    statements = _export(runner, tmp_path, "--actor", "mbox_sha1sum")
    digest = hashlib.sha1(f"mailto:{people['ana'].email}".encode()).hexdigest()
    assert any(s["actor"] == {"objectType": "Agent", "mbox_sha1sum": digest} for s in statements)
    assert all("account" not in s["actor"] and "@" not in json.dumps(s["actor"]) for s in statements)


def test_export_to_standard_output_and_errors(tmp_path, runner):
    report_fixture(tmp_path / "courses", utcnow())
    result = runner.invoke(args=["lms", "export-xapi", "report-course", "--site-url", SITE])
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["verb"]["id"] == ADL + "registered"
    assert runner.invoke(args=["lms", "export-xapi", "nope", "--site-url", SITE]).exit_code == 1


def test_admin_download_and_nobody_else(tmp_path, client, auth):
    report_fixture(tmp_path / "courses", utcnow())
    trainer = make_user("trainer")
    auth.login(trainer.email)
    assert client.get("/admin/courses/report-course/xapi.json").status_code == 403
    auth.logout()
    admin = make_user("admin")
    auth.login(admin.email)
    response = client.get("/admin/courses/report-course/xapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert 'filename="report-course-xapi.json"' in response.headers["Content-Disposition"]
    statements = json.loads(response.get_data(as_text=True))
    assert len(statements) == 6 + 14 + 21 + 6 + 18
    assert statements[0]["object"]["id"] == "http://localhost/courses/report-course"
    assert client.get("/admin/courses/nope/xapi.json").status_code == 404
