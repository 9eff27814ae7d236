"""Registration, login, refresh, logout and /me, as a client script sees them."""

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from helpers import (
    PASSWORD,
    bearer,
    can_log_in,
    create_employee,
    file_pto,
    link_user,
    login,
    post_register,
    register_and_login,
    tokens,
    user_id_of,
)

NEW_PASSWORD = "a brand new passphrase"


def test_first_user_is_admin_and_later_users_are_employees(client):
    first = post_register(client, "hr.lead")
    second = post_register(client, "bob@example.com")

    assert first.status_code == 201
    assert first.json["role"] == "admin"
    assert first.headers["Location"] == f"/users/{first.json['id']}"
    assert second.json["role"] == "employee"
    assert "password" not in first.json and "password_hash" not in first.json


def test_usernames_are_unique_whatever_their_case(client):
    post_register(client, "Alice")

    response = post_register(client, "alice")

    assert response.status_code == 409
    assert response.json["message"] == "That username is already taken."


@pytest.mark.parametrize(
    ("username", "password", "field"),
    [
        ("ab", PASSWORD, "username"),
        ("a" * 81, PASSWORD, "username"),
        ("has space", PASSWORD, "username"),
        ("semi;colon", PASSWORD, "username"),
        ("valid.name", "short", "password"),
        ("valid.name", "x" * 129, "password"),
    ],
)
def test_registration_validates_username_and_password(client, username, password, field):
    response = post_register(client, username, password)

    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]


def test_login_returns_access_and_refresh_tokens(client):
    post_register(client, "carol")

    response = client.post("/login", json={"username": "CAROL", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json["token_type"] == "Bearer"
    assert response.json["expires_in"] == 15 * 60
    assert response.json["access_token"] and response.json["refresh_token"]


def test_unknown_user_and_wrong_password_get_the_same_answer(client):
    post_register(client, "carol")

    unknown = client.post("/login", json={"username": "nobody", "password": PASSWORD})
    wrong = client.post("/login", json={"username": "carol", "password": "not the password"})

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json == wrong.json


def test_me_shows_the_caller(client):
    headers = register_and_login(client, "dave")

    response = client.get("/me", headers=headers)

    assert response.status_code == 200
    assert response.json["username"] == "dave"
    assert response.json["role"] == "admin"


def test_refresh_gives_a_new_access_token_for_the_same_session(client):
    post_register(client, "erin")
    tokens = client.post("/login", json={"username": "erin", "password": PASSWORD}).json

    refreshed = client.post("/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})

    assert refreshed.status_code == 200
    assert "refresh_token" not in refreshed.json
    me = client.get("/me", headers={"Authorization": f"Bearer {refreshed.json['access_token']}"})
    assert me.status_code == 200


def test_tokens_only_work_where_they_belong(client):
    post_register(client, "frank")
    tokens = client.post("/login", json={"username": "frank", "password": PASSWORD}).json

    refresh_as_access = client.get("/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    access_as_refresh = client.post("/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"})

    assert refresh_as_access.status_code == access_as_refresh.status_code == 401


def test_logout_ends_the_session_for_both_tokens(client):
    post_register(client, "grace")
    tokens = client.post("/login", json={"username": "grace", "password": PASSWORD}).json
    access = {"Authorization": f"Bearer {tokens['access_token']}"}

    logout = client.post("/logout", headers=access)

    assert logout.status_code == 200
    assert client.get("/me", headers=access).status_code == 401
    refresh = client.post("/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refresh.status_code == 401
    assert refresh.json["message"] == "This session has ended; log in again."


def test_logout_ends_only_that_session(client):
    post_register(client, "heidi")
    laptop = login(client, "heidi")
    phone = login(client, "heidi")

    client.post("/logout", headers=laptop)

    assert client.get("/me", headers=phone).status_code == 200


def test_logout_with_the_refresh_token_also_ends_the_session(client):
    post_register(client, "ivan")
    tokens = client.post("/login", json={"username": "ivan", "password": PASSWORD}).json

    client.post("/logout", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})

    assert client.get("/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
)
def test_bad_tokens_are_401_json(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/employees", headers=headers)

    assert response.status_code == 401
    assert response.json["code"] == 401
    assert response.json["name"] == "Unauthorized"
    assert "msg" not in response.json


def test_expired_and_forged_tokens_are_401(app, client):
    headers = register_and_login(client, "judy")
    session_id = decode_claims(app, headers)["sid"]
    with app.app_context():
        expired = create_access_token("1", additional_claims={"sid": session_id}, expires_delta=timedelta(-1))
    forged = headers["Authorization"][:-4] + (
        "AAAA" if not headers["Authorization"].endswith("AAAA") else "BBBB"
    )

    expired_response = client.get("/me", headers={"Authorization": f"Bearer {expired}"})
    forged_response = client.get("/me", headers={"Authorization": forged})

    assert expired_response.status_code == forged_response.status_code == 401
    assert "expired" in expired_response.json["message"]


def test_a_token_signed_with_another_key_is_rejected(app, client):
    register_and_login(client, "ken")
    own_key = app.config["JWT_SECRET_KEY"]
    app.config["JWT_SECRET_KEY"] = "another-key-another-key-another-key-1234"
    with app.app_context():
        foreign = create_access_token("1", additional_claims={"sid": "whatever"})
    app.config["JWT_SECRET_KEY"] = own_key

    assert client.get("/me", headers={"Authorization": f"Bearer {foreign}"}).status_code == 401


def decode_claims(app, headers):
    from flask_jwt_extended import decode_token

    with app.app_context():
        return decode_token(headers["Authorization"].removeprefix("Bearer "))


def test_password_hashing_holds_no_database_transaction(client, monkeypatch):
    """The deliberately slow hash runs with no transaction open, so logins and password changes
    never hold a lock."""
    from domain import accounts
    from models import db

    seen = []

    def spy(real):
        def checked(*args, **kwargs):
            seen.append(db.session().in_transaction())
            return real(*args, **kwargs)

        return checked

    monkeypatch.setattr(accounts, "generate_password_hash", spy(accounts.generate_password_hash))
    monkeypatch.setattr(accounts, "check_password_hash", spy(accounts.check_password_hash))
    post_register(client, "lena")

    client.post("/login", json={"username": "lena", "password": PASSWORD})
    client.post("/login", json={"username": "nobody", "password": PASSWORD})
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    changed = client.post("/me/password", json=change, headers=login(client, "lena"))

    assert changed.status_code == 200, changed.json
    assert len(seen) >= 6
    assert not any(seen)


def test_a_login_is_one_write_transaction_for_its_attempt_and_at_most_one_for_its_outcome(
    app, client, write_transactions
):
    post_register(client, "lena")

    with write_transactions() as success:
        assert client.post("/login", json={"username": "lena", "password": PASSWORD}).status_code == 200
    with write_transactions() as failure:
        assert client.post("/login", json={"username": "lena", "password": "wrong!!!"}).status_code == 401
    with write_transactions() as unknown:
        assert client.post("/login", json={"username": "nobody", "password": PASSWORD}).status_code == 401

    # Each attempt counts against the account from this address, and from everywhere.
    attempt = ("commit", ["INSERT login_throttles", "INSERT login_throttles"])
    outcome = ["DELETE login_throttles", "UPDATE login_throttles", "INSERT login_sessions"]
    assert success == [attempt, ("commit", outcome)]
    assert failure == [attempt]
    assert unknown == [attempt]


@pytest.mark.parametrize("missing_claim", ["exp", "jti", "sid"])
def test_tokens_without_expiry_or_id_are_rejected(app, client, missing_claim):
    """A correctly signed token for a live session still fails without ``exp`` (it would never
    expire) or ``jti``: only tokens shaped as this app issues them are accepted."""
    import jwt as pyjwt

    headers = register_and_login(client, "mallory")
    claims = decode_claims(app, headers)
    claims.pop(missing_claim)
    token = pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")
    intact = pyjwt.encode(decode_claims(app, headers), app.config["JWT_SECRET_KEY"], algorithm="HS256")

    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json["message"] == f"Invalid token: no {missing_claim} claim."
    assert client.get("/me", headers={"Authorization": f"Bearer {intact}"}).status_code == 200


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
    link_user(client, admin, user_id_of(client, headers), employee["id"])
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


@pytest.mark.parametrize("look_alike", ["admin\n", "admin\r\n", "\nadmin"])
def test_a_look_alike_username_with_a_newline_is_refused(client, look_alike):
    """``$`` also matches before a final newline: the whole name must be letters, digits and . _ @ -."""
    post_register(client, "admin")

    response = post_register(client, look_alike)

    assert response.status_code == 422, response.json
    assert "username" in response.json["errors"]
    assert client.post("/login", json={"username": look_alike, "password": PASSWORD}).status_code == 401
