"""User accounts (PRODUCT.md §3): admins manage users, roles apply at once, deactivation ends sessions,
and one active admin always remains. (Password changes and /me: test_auth.py; accounts made from the
shell: test_commands.py.)"""

import pytest

from helpers import bearer, can_log_in, create_employee, login, register_and_login, tokens, user_id_of


def patch_user(client, admin, user_id, **changes):
    return client.patch(f"/users/{user_id}", json=changes, headers=admin)


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


@pytest.mark.parametrize("flag", [0, 1, "false", "true", None, [], ""])
def test_is_active_is_a_json_boolean_only(client, admin, flag):
    user_id = user_id_of(client, register_and_login(client, "bob"))

    response = patch_user(client, admin, user_id, is_active=flag)

    assert response.status_code == 422, response.json
    assert list(response.json["errors"]) == ["is_active"]
    assert can_log_in(client, "bob")


# Password resets

TEMPORARY = "a temporary passphrase"


def reset(client, admin, user_id, **body):
    return client.post(f"/users/{user_id}/password", json={"new_password": TEMPORARY, **body}, headers=admin)


def test_an_admin_resets_a_forgotten_password_and_every_session_of_theirs_ends(client, admin):
    session = register_and_login(client, "eli")
    refresh = tokens(client, "eli")["refresh_token"]
    eli = user_id_of(client, session)

    response = reset(client, admin, eli)

    assert response.status_code == 200, response.json
    assert response.json["must_change_password"] is True
    assert client.get("/me", headers=session).status_code == 401
    assert client.post("/refresh", headers=bearer(refresh)).status_code == 401
    assert not can_log_in(client, "eli")
    assert can_log_in(client, "eli", TEMPORARY)


def test_after_a_reset_the_user_must_choose_their_own_password_first(client, admin):
    eli = user_id_of(client, register_and_login(client, "eli"))
    reset(client, admin, eli)
    session = tokens(client, "eli", TEMPORARY)
    headers = bearer(session["access_token"])

    assert session["must_change_password"] is True
    refused = client.get("/employees", headers=headers)
    assert refused.status_code == 403
    assert refused.json["message"] == "Your password was reset: choose your own with POST /me/password first."
    assert client.get("/me", headers=headers).json["must_change_password"] is True
    change = {"current_password": TEMPORARY, "new_password": "my own passphrase"}
    assert client.post("/me/password", json=change, headers=headers).status_code == 200

    assert client.get("/employees", headers=headers).status_code == 200
    assert tokens(client, "eli", "my own passphrase")["must_change_password"] is False


def test_a_reset_lifts_the_lock_the_forgetful_user_ran_into(client, admin):
    eli = user_id_of(client, register_and_login(client, "eli"))
    wrong = {"username": "eli", "password": "what was it again"}
    assert [client.post("/login", json=wrong).status_code for _ in range(6)] == [401] * 5 + [429]

    reset(client, admin, eli)

    assert can_log_in(client, "eli", TEMPORARY)


def test_a_reset_may_leave_the_password_as_the_admin_set_it(client, admin):
    eli = user_id_of(client, register_and_login(client, "eli"))

    assert reset(client, admin, eli, must_change=False).json["must_change_password"] is False

    assert client.get("/employees", headers=login(client, "eli", TEMPORARY)).status_code == 200


@pytest.mark.parametrize(
    ("who", "target", "body", "status"),
    [
        ("admin", "self", {}, 403),  # their own: POST /me/password asks for the current one
        ("eli", "admin", {}, 403),
        ("admin", 999, {}, 404),
        ("admin", "eli", {"new_password": "short"}, 422),
        ("admin", "eli", {"must_change": 1}, 422),
    ],
)
def test_only_an_admin_resets_someone_elses_password(client, admin, who, target, body, status):
    eli = register_and_login(client, "eli")
    ids = {
        "self": user_id_of(client, admin),
        "admin": user_id_of(client, admin),
        "eli": user_id_of(client, eli),
    }
    caller = admin if who == "admin" else eli

    response = reset(client, caller, ids.get(target, target), **body)

    assert response.status_code == status, response.json
    assert can_log_in(client, "admin") and can_log_in(client, "eli")
