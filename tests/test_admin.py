"""Administration through the HTTP layer (people, roles, deactivation) and the
account commands on the command line."""
from __future__ import annotations

import re

import pytest

from factories import PASSWORD, make_user
from lms.auth import service
from lms.auth.models import User
from lms.extensions import db
from pages import page


@pytest.fixture()
def admin(client):
    user = make_user("admin", email="alba@example.org", name="Alba Admin", locale="en")
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return user


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def signed_in_as(app, email: str):
    other = app.test_client()
    other.set_cookie("lang", "en")
    assert other.post("/account/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return other


def listed_names(response) -> list[str]:
    return [" ".join(a.text.split()) for a in page(response).find_all("a")
            if re.fullmatch(r"/admin/people/\d+", a.get("href") or "")]


def test_admin_sees_everyone_with_roles_and_status(client, admin):
    make_user("learner", name="Ana Learner", email="ana@example.org")
    make_user("expert", "trainer", name="Eva Expert", email="eva@example.org")
    make_user("learner", name="Gus Gone", email="gus@example.org", active=False)

    response = client.get("/admin/people")

    assert response.status_code == 200
    listing = page(response)
    assert listed_names(response) == ["Alba Admin", "Ana Learner", "Eva Expert", "Gus Gone"]
    assert " ".join(listing.find(class_="result-count").text.split()) == "4 people"
    rows = {" ".join(row.text.split()) for row in listing.find_all("tr")}
    assert "Eva Expert eva@example.org Expert, Trainer Active" in rows
    assert "Gus Gone gus@example.org Learner Deactivated" in rows
    # The header offers the page to admins.
    assert listing.find("a", href="/admin/people") is not None


@pytest.mark.parametrize("query, expected", [
    ("ana", ["Ana Learner", "Juana Pérez"]),          # part of a name, any case
    ("EXAMPLE.NET", ["Eva Expert"]),                   # part of an email
    ("j_p", ["Juana Pérez"]),                          # "_" is a character, not a wildcard
    ("nobody", []),
])
def test_admin_searches_people_by_name_or_email(client, admin, query, expected):
    make_user(name="Ana Learner", email="ana@example.org")
    make_user("expert", name="Eva Expert", email="eva@example.net")
    make_user(name="Juana Pérez", email="j_p@example.org")
    make_user(name="Jxp Other", email="jxp@example.org")

    response = client.get("/admin/people", query_string={"q": query})

    assert listed_names(response) == expected
    assert page(response).field_value("q") == query  # the search box keeps the query


def test_admin_filters_people_by_role(client, admin):
    make_user("learner", name="Ana Learner")
    make_user("expert", name="Eva Expert")
    make_user("expert", "trainer", name="Tomás Both")

    assert listed_names(client.get("/admin/people?role=expert")) == ["Eva Expert", "Tomás Both"]
    assert listed_names(client.get("/admin/people?role=trainer")) == ["Tomás Both"]
    assert listed_names(client.get("/admin/people?role=expert&q=eva")) == ["Eva Expert"]
    response = client.get("/admin/people?role=trainer")
    assert page(response).selected("role") == ["trainer"]
    # An unknown role is ignored rather than an error.
    assert len(listed_names(client.get("/admin/people?role=wizard"))) == 4


def test_admin_grants_and_revokes_roles_and_access_follows_at_once(app, client, admin):
    person = make_user("learner", name="Ana", email="ana@example.org", locale="en")
    ana = signed_in_as(app, "ana@example.org")
    assert ana.get("/admin/people").status_code == 403
    form = page(client.get(f"/admin/people/{person.id}"))
    assert form.selected("roles") == ["learner"]

    response = client.post(f"/admin/people/{person.id}", data={"roles": ["learner", "admin"]})

    assert response.status_code == 302
    assert "Roles of Ana saved." in page(client.get(f"/admin/people/{person.id}")).flashes()
    assert fresh(person.id).roles == {"learner", "admin"}
    assert ana.get("/admin/people").status_code == 200  # no need to sign in again

    client.post(f"/admin/people/{person.id}", data={"roles": ["learner"]})

    assert fresh(person.id).roles == {"learner"}
    assert ana.get("/admin/people").status_code == 403
    assert sorted(page(client.get(f"/admin/people/{person.id}")).selected("roles")) == ["learner"]


def test_admin_can_give_several_roles(client, admin):
    person = make_user("learner")
    client.post(f"/admin/people/{person.id}", data={"roles": ["expert", "trainer"]})
    assert fresh(person.id).roles == {"expert", "trainer"}
    assert sorted(page(client.get(f"/admin/people/{person.id}")).selected("roles")) == ["expert", "trainer"]


def test_an_unknown_role_is_refused(client, admin):
    person = make_user("learner")
    response = client.post(f"/admin/people/{person.id}", data={"roles": ["learner", "emperor"]})
    assert response.status_code == 200
    assert page(response).find(class_="error") is not None
    assert fresh(person.id).roles == {"learner"}


def test_admin_cannot_remove_their_own_admin_role(client, admin):
    response = client.post(f"/admin/people/{admin.id}", data={"roles": ["learner"]})

    assert response.status_code == 200
    assert "You cannot remove your own administrator role." in response.get_data(as_text=True)
    assert fresh(admin.id).roles == {"admin"}
    assert client.get("/admin/people").status_code == 200


def test_deactivating_an_account_ends_that_persons_session(app, client, admin):
    person = make_user(name="Ana", email="ana@example.org")
    ana = signed_in_as(app, "ana@example.org")
    assert ana.get("/my/courses").status_code == 200

    response = client.post(f"/admin/people/{person.id}/active", data={"active": "0"})

    assert response.status_code == 302 and response.headers["Location"] == f"/admin/people/{person.id}"
    after = page(client.get(f"/admin/people/{person.id}"))
    assert "Account deactivated." in after.flashes()
    assert "Reactivate the account" in {" ".join(b.text.split()) for b in after.find_all("button")}
    assert fresh(person.id).active is False
    response = ana.get("/my/courses")
    assert response.status_code == 302 and response.headers["Location"].startswith("/account/login")
    assert ana.post("/account/login", data={"email": "ana@example.org", "password": PASSWORD}).status_code == 200

    client.post(f"/admin/people/{person.id}/active", data={"active": "1"})

    assert fresh(person.id).active is True
    assert signed_in_as(app, "ana@example.org").get("/my/courses").status_code == 200


def test_admin_cannot_deactivate_themselves(client, admin):
    client.post(f"/admin/people/{admin.id}/active", data={"active": "0"})

    assert fresh(admin.id).active is True
    assert "You cannot deactivate your own account." in page(client.get(f"/admin/people/{admin.id}")).flashes()


def test_an_unknown_person_is_not_found(client, admin):
    assert client.get("/admin/people/99999").status_code == 404
    assert client.post("/admin/people/99999", data={"roles": ["admin"]}).status_code == 404
    assert client.post("/admin/people/99999/active", data={"active": "0"}).status_code == 404


@pytest.mark.parametrize("role", ["learner", "expert", "trainer"])
def test_people_without_the_admin_role_get_403_and_change_nothing(app, role):
    person = make_user("learner", email="target@example.org")
    outsider = make_user(role, email=f"{role}@example.org", locale="en")
    client = signed_in_as(app, outsider.email)

    assert client.get("/admin/people").status_code == 403
    assert client.get(f"/admin/people/{person.id}").status_code == 403
    response = client.post(f"/admin/people/{person.id}", data={"roles": ["admin"]})
    assert response.status_code == 403
    assert page(response).title == "Access denied"
    assert client.post(f"/admin/people/{outsider.id}", data={"roles": ["admin"]}).status_code == 403
    assert client.post(f"/admin/people/{person.id}/active", data={"active": "0"}).status_code == 403
    assert fresh(person.id).roles == {"learner"} and fresh(person.id).active
    assert fresh(outsider.id).roles == {role}
    assert page(client.get("/")).find("a", href="/admin/people") is None  # not offered either


def test_visitors_are_sent_to_sign_in(client):
    person = make_user()
    for method, path in (("GET", "/admin/people"), ("GET", f"/admin/people/{person.id}"),
                         ("POST", f"/admin/people/{person.id}"), ("POST", f"/admin/people/{person.id}/active")):
        response = client.open(path, method=method, data={"csrf_token": client.csrf_token(), "active": "0"})
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/account/login?next="), (method, path)
    assert fresh(person.id).active


# Command line ---------------------------------------------------------------------------------


def test_create_user_command_gives_several_roles(app, runner):
    result = runner.invoke(args=["lms", "create-user", "Tomas@Example.org", "--role", "trainer",
                                 "--role", "expert", "--password", "a long cli password", "--name", "Tomás"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "tomas@example.org: expert, trainer"
    user = service.find_by_email("tomas@example.org")
    assert (user.name, user.roles, user.locale) == ("Tomás", {"expert", "trainer"}, "es")
    assert signed_in_with(app, "tomas@example.org", "a long cli password")


def test_create_user_command_adds_roles_and_sets_the_password_of_an_existing_person(app, runner):
    make_user("learner", email="ana@example.org", name="Ana")
    result = runner.invoke(args=["lms", "create-user", "ana@example.org", "--role", "admin",
                                 "--password", "a new cli password"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ana@example.org: admin, learner"
    assert service.find_by_email("ana@example.org").name == "Ana"
    assert signed_in_with(app, "ana@example.org", "a new cli password")
    assert not signed_in_with(app, "ana@example.org", PASSWORD)


def test_create_user_command_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["lms", "create-user", "x@example.org", "--role", "emperor",
                                 "--password", "a long cli password"])
    assert result.exit_code != 0
    assert "emperor" in result.output
    assert service.find_by_email("x@example.org") is None


def signed_in_with(app, email: str, password: str) -> bool:
    client = app.test_client()
    client.post("/account/login", data={"email": email, "password": password})
    return client.get("/my/courses").status_code == 200


DEMO_LINE = re.compile(r"^\s+(learner|expert|trainer|admin)\s+(\S+@\S+)\s+/\s+(\S+)$")


def test_demo_accounts_prints_four_accounts_and_the_same_passwords_on_a_rerun(app, runner, tmp_path):
    credentials = tmp_path / "demo-accounts.txt"

    first = runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)])
    second = runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)])

    assert first.exit_code == 0, first.output
    accounts = [DEMO_LINE.match(line).groups() for line in first.output.splitlines()[1:]]
    assert [role for role, _email, _password in accounts] == ["learner", "expert", "trainer", "admin"]
    assert second.output == first.output
    assert len({password for _role, _email, password in accounts}) == 4
    for role, email, password in accounts:
        user = service.find_by_email(email)
        assert user.roles == {role}
        assert signed_in_with(app, email, password), email


def test_demo_accounts_recreates_a_missing_account_with_its_known_password(app, runner, tmp_path):
    credentials = tmp_path / "demo-accounts.txt"
    first = runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)])
    learner = service.find_by_email("learner@demo.frontera")
    db.session.delete(learner)
    db.session.commit()

    second = runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)])

    assert second.output == first.output
    _role, email, password = DEMO_LINE.match(first.output.splitlines()[1]).groups()
    assert signed_in_with(app, email, password)


def test_demo_expert_answers_in_every_queue_and_demo_trainer_authors_every_course(app, runner, tmp_path):
    from sqlalchemy import select

    from lms.advice.models import Expertise, QueueMember
    from lms.advice.seed import QUEUES
    from lms.authoring.models import CourseAuthor
    from factories import make_course

    make_course(tmp_path / "courses", "demo-course", modules=1, lessons=1)
    assert runner.invoke(args=["lms", "seed-queues"]).exit_code == 0
    credentials = tmp_path / "demo-accounts.txt"
    assert runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)]).exit_code == 0
    runner.invoke(args=["lms", "demo-accounts", "--file", str(credentials)])  # a rerun adds nothing twice

    expert = service.find_by_email("expert@demo.frontera")
    trainer = service.find_by_email("trainer@demo.frontera")
    queues = db.session.scalars(select(QueueMember.queue_id).where(QueueMember.user_id == expert.id)).all()
    assert len(queues) == len(QUEUES) == len(set(queues))
    assert set(db.session.scalars(select(Expertise.code).where(
        Expertise.user_id == expert.id, Expertise.kind == "language"))) == {"es", "en"}
    assert len(db.session.scalars(select(CourseAuthor.id).where(CourseAuthor.user_id == trainer.id)).all()) == 1
