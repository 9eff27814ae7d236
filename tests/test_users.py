"""Accounts (PRODUCT.md §3): admins manage users, roles apply at once, deactivation and password
changes end sessions, and accounts can be made from the shell when registration is closed."""

import pytest
from flask.cli import FlaskGroup

from conftest import PASSWORD, create_employee, file_pto, login, register_and_login

NEW_PASSWORD = "a brand new passphrase"


def tokens(client, username, password=PASSWORD):
    """Log in and return both tokens of the new session."""
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return response.json


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def user_id_of(client, headers):
    return client.get("/me", headers=headers).json["id"]


def patch_user(client, admin, user_id, **changes):
    return client.patch(f"/users/{user_id}", json=changes, headers=admin)


def can_log_in(client, username, password=PASSWORD):
    return client.post("/login", json={"username": username, "password": password}).status_code == 200


def promote_to_admin(client, admin, username):
    """Register ``username`` as a second admin and return their headers."""
    headers = register_and_login(client, username)
    assert patch_user(client, admin, user_id_of(client, headers), role="admin").status_code == 200
    return headers


# User administration


def test_admins_list_and_show_users(client, admin):
    bob = register_and_login(client, "bob")

    listed = client.get("/users", headers=admin)
    shown = client.get(f"/users/{user_id_of(client, bob)}", headers=admin)

    assert listed.status_code == 200
    assert [(user["username"], user["role"]) for user in listed.json] == [
        ("admin", "admin"),
        ("bob", "employee"),
    ]
    assert listed.headers["X-Total-Count"] == "2"
    assert shown.status_code == 200
    assert shown.json["username"] == "bob"
    assert shown.json["employee_id"] is None
    assert shown.json["is_active"] is True
    assert "password_hash" not in shown.json


def test_an_unknown_user_is_404(client, admin):
    assert client.get("/users/999", headers=admin).status_code == 404
    assert patch_user(client, admin, 999, role="manager").status_code == 404


@pytest.mark.parametrize("role", ["employee", "manager"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("get", "/users", None), ("get", "/users/{me}", None), ("patch", "/users/{me}", {"role": "admin"})],
)
def test_only_admins_see_or_change_users(client, admin, role, method, path, body):
    headers = register_and_login(client, "bob")
    user_id = user_id_of(client, headers)
    patch_user(client, admin, user_id, role=role)

    response = getattr(client, method)(path.format(me=user_id), json=body, headers=headers)

    assert response.status_code == 403
    assert response.json["message"] == "Only an admin may do this."
    assert client.get(f"/users/{user_id}", headers=admin).json["role"] == role


def test_patch_sets_role_employee_and_active_flag(client, admin):
    employee = create_employee(client, admin)
    user_id = user_id_of(client, register_and_login(client, "bob"))

    response = patch_user(client, admin, user_id, role="manager", employee_id=employee["id"], is_active=False)

    assert response.status_code == 200
    expected = {"role": "manager", "employee_id": employee["id"], "is_active": False}
    assert {field: response.json[field] for field in expected} == expected
    shown = client.get(f"/users/{user_id}", headers=admin).json
    assert {field: shown[field] for field in expected} == expected


def test_linking_to_an_unknown_employee_is_422(client, admin):
    user_id = user_id_of(client, register_and_login(client, "bob"))

    response = patch_user(client, admin, user_id, employee_id=999)

    assert response.status_code == 422
    assert response.json["errors"] == {"employee_id": ["No employee with that id."]}
    assert client.get(f"/users/{user_id}", headers=admin).json["employee_id"] is None


def test_an_employee_is_linked_to_one_user_at_most(client, admin):
    employee = create_employee(client, admin)
    first = user_id_of(client, register_and_login(client, "bob"))
    second = user_id_of(client, register_and_login(client, "carol"))
    patch_user(client, admin, first, employee_id=employee["id"])

    response = patch_user(client, admin, second, employee_id=employee["id"], role="manager")

    assert response.status_code == 409
    assert response.json["message"] == "Another user is already linked to that employee."
    unchanged = client.get(f"/users/{second}", headers=admin).json
    assert (unchanged["employee_id"], unchanged["role"]) == (None, "employee")


def test_relinking_a_user_to_their_own_employee_is_allowed(client, admin):
    employee = create_employee(client, admin)
    user_id = user_id_of(client, register_and_login(client, "bob"))
    patch_user(client, admin, user_id, employee_id=employee["id"])

    response = patch_user(client, admin, user_id, employee_id=employee["id"])

    assert response.status_code == 200


@pytest.mark.parametrize("field", ["username", "password", "password_hash", "id", "created_at"])
def test_unknown_fields_are_422(client, admin, field):
    user_id = user_id_of(client, register_and_login(client, "bob"))

    response = patch_user(client, admin, user_id, **{field: "x"})

    assert response.status_code == 422
    assert field in response.json["errors"]
    assert client.get(f"/users/{user_id}", headers=admin).json["username"] == "bob"


@pytest.mark.parametrize(
    "changes",
    [{"role": "owner"}, {"role": None}, {"employee_id": "1"}, {"is_active": "false"}, {"is_active": None}],
)
def test_invalid_values_are_422(client, admin, changes):
    user_id = user_id_of(client, register_and_login(client, "bob"))

    response = patch_user(client, admin, user_id, **changes)

    assert response.status_code == 422
    assert list(response.json["errors"]) == list(changes)


def test_null_employee_id_unlinks_the_user(client, admin):
    employee = create_employee(client, admin)
    headers = register_and_login(client, "bob")
    user_id = user_id_of(client, headers)
    patch_user(client, admin, user_id, employee_id=employee["id"])

    response = patch_user(client, admin, user_id, employee_id=None)

    assert response.status_code == 200
    assert response.json["employee_id"] is None
    assert client.get("/employees", headers=headers).json == []


# Roles apply to the very next request


def test_promotion_to_manager_applies_to_the_same_token(client, admin):
    lead = create_employee(client, admin, "Lead")
    member = client.post("/employees", json={"name": "Member", "manager_id": lead["id"]}, headers=admin).json
    headers = register_and_login(client, "bob")
    user_id = user_id_of(client, headers)
    patch_user(client, admin, user_id, employee_id=lead["id"])
    before = [e["id"] for e in client.get("/employees", headers=headers).json]

    patch_user(client, admin, user_id, role="manager")

    assert before == [lead["id"]]
    assert [e["id"] for e in client.get("/employees", headers=headers).json] == [lead["id"], member["id"]]


def test_demoting_an_admin_applies_to_the_same_token(client, admin):
    deputy = promote_to_admin(client, admin, "deputy")
    assert client.get("/users", headers=deputy).status_code == 200

    patch_user(client, admin, user_id_of(client, deputy), role="employee")

    assert client.get("/users", headers=deputy).status_code == 403


# Deactivation


def test_deactivating_a_user_ends_their_sessions_and_logins(client, admin):
    register_and_login(client, "bob")
    session = tokens(client, "bob")
    user_id = user_id_of(client, bearer(session["access_token"]))

    response = patch_user(client, admin, user_id, is_active=False)

    assert response.status_code == 200
    assert client.get("/me", headers=bearer(session["access_token"])).status_code == 401
    assert client.post("/refresh", headers=bearer(session["refresh_token"])).status_code == 401
    assert not can_log_in(client, "bob")


def test_a_reactivated_user_logs_in_again_but_old_sessions_stay_ended(client, admin):
    old = register_and_login(client, "bob")
    user_id = user_id_of(client, old)
    patch_user(client, admin, user_id, is_active=False)

    response = patch_user(client, admin, user_id, is_active=True)

    assert response.status_code == 200
    assert client.get("/me", headers=old).status_code == 401
    assert client.get("/me", headers=login(client, "bob")).status_code == 200


# The last admin


@pytest.mark.parametrize("changes", [{"role": "manager"}, {"role": "employee"}, {"is_active": False}])
def test_the_last_active_admin_cannot_step_down(client, admin, changes):
    admin_id = user_id_of(client, admin)

    response = patch_user(client, admin, admin_id, **changes)

    assert response.status_code == 409
    assert response.json["message"] == "At least one active admin must remain."
    assert client.get("/users", headers=admin).status_code == 200


def test_an_inactive_admin_does_not_count_as_another_admin(client, admin):
    deputy = promote_to_admin(client, admin, "deputy")
    patch_user(client, admin, user_id_of(client, deputy), is_active=False)

    response = patch_user(client, admin, user_id_of(client, admin), role="employee")

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("changes", "deputys_next_answer"),
    [({"role": "manager"}, 403), ({"role": "employee"}, 403), ({"is_active": False}, 401)],
)
def test_with_two_admins_one_can_step_down(client, admin, changes, deputys_next_answer):
    deputy = promote_to_admin(client, admin, "deputy")

    response = patch_user(client, admin, user_id_of(client, deputy), **changes)

    assert response.status_code == 200
    assert client.get("/users", headers=deputy).status_code == deputys_next_answer


def test_an_admin_may_step_down_when_another_admin_remains(client, admin):
    promote_to_admin(client, admin, "deputy")

    response = patch_user(client, admin, user_id_of(client, admin), role="employee")

    assert response.status_code == 200
    assert client.get("/users", headers=admin).status_code == 403


# Changing one's password


def change_password(client, headers, current=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/me/password", json={"current_password": current, "new_password": new}, headers=headers
    )


def test_a_wrong_current_password_is_422_and_changes_nothing(client):
    headers = register_and_login(client, "bob")
    other_session = login(client, "bob")

    response = change_password(client, headers, current="not my password")

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["current_password"]
    assert client.get("/me", headers=other_session).status_code == 200
    assert can_log_in(client, "bob", PASSWORD)


def test_a_short_new_password_is_422(client):
    headers = register_and_login(client, "bob")

    response = change_password(client, headers, new="short")

    assert response.status_code == 422
    assert list(response.json["errors"]) == ["new_password"]
    assert can_log_in(client, "bob", PASSWORD)


def test_changing_the_password_ends_every_other_session(client):
    register_and_login(client, "bob")
    laptop = tokens(client, "bob")
    phone = tokens(client, "bob")

    response = change_password(client, bearer(phone["access_token"]))

    assert response.status_code == 200
    assert client.get("/me", headers=bearer(phone["access_token"])).status_code == 200
    assert client.post("/refresh", headers=bearer(phone["refresh_token"])).status_code == 200
    assert client.get("/me", headers=bearer(laptop["access_token"])).status_code == 401
    assert client.post("/refresh", headers=bearer(laptop["refresh_token"])).status_code == 401


def test_after_a_password_change_only_the_new_password_logs_in(client):
    headers = register_and_login(client, "bob")

    change_password(client, headers)

    assert not can_log_in(client, "bob", PASSWORD)
    assert can_log_in(client, "bob", NEW_PASSWORD)


# GET /me


def test_me_shows_the_linked_employee_and_their_hours(client, admin):
    employee = create_employee(client, admin, "Bob Page", 40)
    headers = register_and_login(client, "bob")
    patch_user(client, admin, user_id_of(client, headers), employee_id=employee["id"])
    assert file_pto(client, headers, employee["id"], 8).json["status"] == "pending"

    me = client.get("/me", headers=headers).json

    assert me["role"] == "employee"
    assert me["employee_id"] == employee["id"]
    assert me["employee"] == {
        "id": employee["id"],
        "name": "Bob Page",
        "manager_id": None,
        "hours_balance": 40,
        "pending_hours": 8,
        "available_hours": 32,
        "archived": False,
    }


def test_me_shows_no_employee_when_unlinked(client, admin):
    headers = register_and_login(client, "bob")

    me = client.get("/me", headers=headers).json

    assert (me["role"], me["employee_id"], me["employee"]) == ("employee", None, None)


# Closed registration and accounts made from the shell


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


def test_an_admin_may_link_themselves_once_but_not_move_or_drop_their_own_link(client, admin):
    first = create_employee(client, admin, "First")
    second = create_employee(client, admin, "Second")
    me = client.get("/me", headers=admin).json["id"]

    linked = client.patch(f"/users/{me}", json={"employee_id": first["id"]}, headers=admin)
    moved = client.patch(f"/users/{me}", json={"employee_id": second["id"]}, headers=admin)
    dropped = client.patch(f"/users/{me}", json={"employee_id": None}, headers=admin)

    assert linked.status_code == 200
    assert moved.status_code == dropped.status_code == 403
    assert client.get("/me", headers=admin).json["employee_id"] == first["id"]
