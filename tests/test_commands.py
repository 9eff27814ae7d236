"""Accounts made from the shell (`flask create-admin`, `flask create-user`), which is how an install
with closed registration gets its first admin and its accounts (PRODUCT.md §3)."""

import pytest
from flask.cli import FlaskGroup

from app import create_app
from helpers import PASSWORD, app_settings, can_log_in, create_employee, dispose, login


@pytest.fixture
def closed(app):
    """An install whose self-registration is closed."""
    app.config["REGISTRATION_OPEN"] = False
    return app


@pytest.fixture
def flask(app, monkeypatch):
    """Run ``flask <args>`` against the test's app, as an operator does from the shell."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # FlaskGroup sets it; restore it afterwards

    def run(*args, **options):
        return app.test_cli_runner().invoke(FlaskGroup(), list(args), **options)

    return run


def account(username, password=PASSWORD):
    """The command-line options naming a new account."""
    return ["--username", username, "--password", password]


def test_closed_registration_refuses_even_the_first_user(client, closed):
    response = client.post("/register", json={"username": "stranger", "password": PASSWORD})

    assert response.status_code == 403
    assert response.is_json
    assert response.json["code"] == 403
    assert response.json["message"] == "Registration is closed: ask an administrator for an account."
    assert not can_log_in(client, "stranger")


def test_closed_registration_refuses_later_users(client, admin, closed):
    response = client.post("/register", json={"username": "bob", "password": PASSWORD})

    assert response.status_code == 403
    assert [user["username"] for user in client.get("/users", headers=admin).json] == ["admin"]


def test_create_admin_makes_an_admin_who_can_log_in(client, closed, flask):
    result = flask("create-admin", *account("hr.lead"))

    assert result.exit_code == 0, result.output
    assert result.output == "Created admin 'hr.lead' (user 1).\n"
    headers = login(client, "hr.lead")
    assert client.get("/me", headers=headers).json["role"] == "admin"
    assert client.get("/users", headers=headers).status_code == 200


def test_create_admin_reads_the_account_from_the_environment(client, closed, flask):
    result = flask("create-admin", env={"ADMIN_USERNAME": "hr.lead", "ADMIN_PASSWORD": PASSWORD})

    assert result.exit_code == 0, result.output
    assert client.get("/me", headers=login(client, "hr.lead")).json["role"] == "admin"


def test_if_no_admin_makes_the_first_admin(client, flask):
    result = flask("create-admin", "--if-no-admin", *account("hr.lead"))

    assert result.exit_code == 0, result.output
    assert can_log_in(client, "hr.lead")


def test_if_no_admin_does_nothing_when_an_active_admin_exists(client, admin, flask):
    result = flask("create-admin", "--if-no-admin", *account("hr.lead"))

    assert result.exit_code == 0, result.output
    assert result.output == "An admin exists already; nothing to do.\n"
    assert not can_log_in(client, "hr.lead")


def test_if_no_admin_needs_no_account_when_an_admin_exists(admin, flask):
    result = flask("create-admin", "--if-no-admin", env={"ADMIN_USERNAME": None, "ADMIN_PASSWORD": None})

    assert result.exit_code == 0, result.output


def test_create_user_makes_a_linked_manager(client, closed, flask):
    flask("create-admin", *account("hr.lead"))
    employee = create_employee(client, login(client, "hr.lead"), "Fox Mulder")

    result = flask(
        "create-user", *account("mulder"), "--role", "manager", "--employee-id", str(employee["id"])
    )

    assert result.exit_code == 0, result.output
    assert result.output == "Created manager 'mulder' (user 2).\n"
    me = client.get("/me", headers=login(client, "mulder")).json
    assert (me["role"], me["employee_id"]) == ("manager", employee["id"])


def test_create_user_makes_an_employee_by_default(client, flask):
    result = flask("create-user", *account("bob"))

    assert result.exit_code == 0, result.output
    me = client.get("/me", headers=login(client, "bob")).json
    assert (me["role"], me["employee_id"]) == ("employee", None)


def test_a_taken_username_is_refused_whatever_its_case(client, flask):
    flask("create-admin", *account("hr.lead"))

    result = flask("create-user", *account("HR.Lead", "another passphrase"))

    assert result.exit_code != 0
    assert "That username is already taken." in result.output
    assert can_log_in(client, "hr.lead", PASSWORD)
    assert not can_log_in(client, "hr.lead", "another passphrase")


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("has space", PASSWORD, "username: Use only letters, digits and . _ @ - characters."),
        ("ab", PASSWORD, "username: Length must be between 3 and 80."),
        ("hr.lead", "short", "password: Length must be between 8 and 128."),
    ],
)
def test_invalid_credentials_are_refused(client, flask, username, password, problem):
    result = flask("create-admin", *account(username, password))

    assert result.exit_code != 0
    assert problem in result.output
    assert not can_log_in(client, username, password)


def test_create_user_for_an_unknown_employee_creates_nothing(client, flask):
    result = flask("create-user", *account("bob"), "--employee-id", "999")

    assert result.exit_code != 0
    assert "employee_id: No employee with that id." in result.output
    assert not can_log_in(client, "bob")


def test_create_user_for_an_already_linked_employee_creates_nothing(client, admin, flask):
    employee = create_employee(client, admin)
    first = flask("create-user", *account("bob"), "--employee-id", str(employee["id"]))

    second = flask("create-user", *account("eve"), "--employee-id", str(employee["id"]))

    assert first.exit_code == 0, first.output
    assert second.exit_code != 0
    assert "Another user is already linked to that employee." in second.output
    assert not can_log_in(client, "eve")


def test_the_commands_run_under_flasks_test_cli_runner(app, client):
    """Flask's documented way to test commands: ``app.test_cli_runner()`` invokes ``app.cli``
    directly, without the application context the ``flask`` script pushes."""
    result = app.test_cli_runner().invoke(args=["create-admin", *account("hr.lead")])

    assert result.exit_code == 0, result.exception
    assert can_log_in(client, "hr.lead")


STRONG_SECRET = "a-random-production-secret-0123456789-abcdefghij"


@pytest.mark.parametrize(
    ("app_env", "registration_open", "first_registration"),
    [("production", None, 403), ("production", "true", 201), ("development", None, 201)],
)
def test_registration_is_closed_in_production_unless_opened(
    database_url, monkeypatch, app_env, registration_open, first_registration
):
    """A forgotten production config must not let the first stranger to register become the admin."""
    monkeypatch.delenv("REGISTRATION_OPEN", raising=False)
    if registration_open is not None:
        monkeypatch.setenv("REGISTRATION_OPEN", registration_open)
    app = create_app(app_settings(database_url, APP_ENV=app_env, JWT_SECRET_KEY=STRONG_SECRET))

    response = app.test_client().post("/register", json={"username": "stranger", "password": PASSWORD})

    dispose(app)
    assert response.status_code == first_registration, response.json


def test_set_password_replaces_a_forgotten_password_and_ends_sessions(client, admin, flask):
    session = login(client, "admin")

    result = flask("set-password", *account("admin", "a brand new passphrase"))

    assert result.exit_code == 0, result.output
    assert result.output == "Password of 'admin' set; their sessions have ended.\n"
    assert client.get("/me", headers=session).status_code == 401
    assert can_log_in(client, "admin", "a brand new passphrase")
    assert not can_log_in(client, "admin", PASSWORD)


def test_set_password_can_require_a_change_at_next_login(client, admin, flask):
    result = flask("set-password", *account("admin", "a brand new passphrase"), "--must-change")

    assert result.exit_code == 0, result.output
    headers = login(client, "admin", "a brand new passphrase")
    assert client.get("/employees", headers=headers).status_code == 403


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [("nobody", "a brand new passphrase", "No user named 'nobody'."), ("admin", "short", "new_password")],
)
def test_set_password_refuses_unknown_users_and_short_passwords(
    client, admin, flask, username, password, message
):
    result = flask("set-password", *account(username, password))

    assert result.exit_code != 0
    assert message in result.output
    assert can_log_in(client, "admin", PASSWORD)
