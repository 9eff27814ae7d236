"""Request logs: one JSON line per request with its id, the app's errors tagged with it, and no secrets."""

import json
import logging
import re
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import requests
import sqlalchemy as sa

from app import create_app
from helpers import PASSWORD, TIMEOUT, app_settings, bearer, call, register, register_and_login, tokens
from live import JWT_SECRET
from models import db

REQUEST_FIELDS = {
    "timestamp",
    "level",
    "logger",
    "event",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "remote_addr",
    "user_id",
}
NEW_PASSWORD = "a longer passphrase now"
WRONG_PASSWORD = "not-my-password-at-all"
REJECTED_PASSWORD = "a password nobody keeps"
PASSWORD_HASH = re.compile(r"scrypt:\d+:\d+:\d+\$\w")
HEROKU_REQUEST_ID = "f9ed4675-f1c5-3513-c61a-3b3b4e25b4c0+/="


def json_lines(text):
    """The JSON log lines in ``text`` (stderr may hold other output, such as alembic's)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def request_lines(lines):
    return [line for line in lines if line["event"] == "request"]


@contextmanager
def new_users_rejected(url):
    """A constraint the app does not know of refuses every new user: registering is then a 500."""
    engine = sa.create_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    add, drop = (
        (
            "CREATE TRIGGER no_new_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'no'); END",
            "DROP TRIGGER no_new_users",
        )
        if sqlite
        else (
            "ALTER TABLE users ADD CONSTRAINT no_new_users CHECK (id < 0) NOT VALID",
            "ALTER TABLE users DROP CONSTRAINT no_new_users",
        )
    )
    with engine.begin() as connection:
        connection.execute(sa.text(add))
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(drop))
        engine.dispose()


def test_each_request_is_one_json_line_of_facts(client, capsys):
    admin = register_and_login(client, "admin")
    capsys.readouterr()

    response = client.get("/employees?page=1&per_page=5", headers=admin)

    (line,) = request_lines(json_lines(capsys.readouterr().err))
    assert set(line) == REQUEST_FIELDS
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["level"], line["logger"], line["event"]) == ("INFO", "pto.request", "request")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/employees", 200)
    assert line["remote_addr"] == "127.0.0.1"
    assert line["user_id"] == client.get("/me", headers=admin).json["id"]
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 10_000
    logged_at = datetime.fromisoformat(line["timestamp"])
    assert logged_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(logged_at.tzinfo) - logged_at) < timedelta(minutes=1)


def test_requests_without_a_valid_token_have_no_user(client, capsys):
    client.get("/health")
    client.get("/me", headers=bearer("not.a.token"))
    client.post("/login", json={"username": "nobody", "password": WRONG_PASSWORD})

    lines = request_lines(json_lines(capsys.readouterr().err))

    assert [(line["path"], line["status"], line["user_id"]) for line in lines] == [
        ("/health", 200, None),
        ("/me", 401, None),
        ("/login", 401, None),
    ]


def test_every_request_gets_a_fresh_id_unless_it_brings_a_safe_one(client, capsys):
    generated = [client.get("/health").headers["X-Request-ID"] for _ in range(2)]
    kept = client.get("/health", headers={"X-Request-ID": HEROKU_REQUEST_ID})

    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in generated)
    assert generated[0] != generated[1]
    assert kept.headers["X-Request-ID"] == HEROKU_REQUEST_ID
    logged = [line["request_id"] for line in request_lines(json_lines(capsys.readouterr().err))]
    assert logged == [*generated, HEROKU_REQUEST_ID]


@pytest.mark.parametrize("forged", ['"}, {"user_id": 1', "two words", "a" * 201, "ünïcode"])
def test_an_unsafe_request_id_is_replaced(client, capsys, forged):
    response = client.get("/health", headers={"X-Request-ID": forged})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    output = capsys.readouterr().err
    (line,) = request_lines(json_lines(output))
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert forged not in output


def test_error_responses_are_logged_with_their_request_id(client, capsys):
    responses = [client.get("/no-such-thing"), client.delete("/login"), client.get("/employees")]

    lines = request_lines(json_lines(capsys.readouterr().err))

    assert [line["status"] for line in lines] == [404, 405, 401]
    assert [line["request_id"] for line in lines] == [r.headers["X-Request-ID"] for r in responses]


def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(app, capsys):
    def explode():
        raise RuntimeError("a bug")

    app.add_url_rule("/explode", view_func=explode)

    response = app.test_client().get("/explode")

    error, request = json_lines(capsys.readouterr().err)
    assert response.status_code == 500
    assert (error["level"], error["message"], error["exc_type"]) == (
        "ERROR",
        "unhandled error",
        "RuntimeError",
    )
    assert "in explode" in error["traceback"] and "RuntimeError: a bug" in error["traceback"]
    assert error["request_id"] == request["request_id"] == response.headers["X-Request-ID"]
    assert (request["event"], request["status"]) == ("request", 500)


def test_an_unavailable_database_is_logged_with_the_request_id(capsys):
    client = create_app(app_settings("sqlite:////nonexistent-directory/pto.sqlite3")).test_client()

    response = client.post("/login", json={"username": "someone", "password": PASSWORD})

    warning, request = json_lines(capsys.readouterr().err)
    assert response.status_code == 503
    assert (warning["level"], warning["message"]) == ("WARNING", "database unavailable: OperationalError")
    assert warning["request_id"] == request["request_id"] == response.headers["X-Request-ID"]
    assert (request["path"], request["status"]) == ("/login", 503)


def test_many_apps_in_one_process_still_log_each_request_once(database_url, capsys):
    apps = [create_app(app_settings(database_url)) for _ in range(3)]

    response = apps[-1].test_client().get("/no-such-thing")

    lines = json_lines(capsys.readouterr().err)
    assert [line["request_id"] for line in lines] == [response.headers["X-Request-ID"]]
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_lines_stay_single_json_copies_when_the_root_logger_has_a_handler(app, capsys):
    """A platform's or library's logging.basicConfig() must not add plain copies, uncut values and all."""
    root_handler = logging.StreamHandler(sys.stderr)
    logging.getLogger().addHandler(root_handler)
    try:
        app.test_client().get("/no-such-thing")
        create_app(app_settings("sqlite:////nonexistent-directory/pto.sqlite3")).test_client().get("/health")
    finally:
        logging.getLogger().removeHandler(root_handler)

    output = capsys.readouterr().err
    assert [line["event"] for line in json_lines(output)] == ["request", "log", "request"]
    assert [line for line in output.splitlines() if not line.startswith("{")] == []


def test_no_password_token_hash_or_secret_reaches_the_logs(app, client, capsys, database_url):
    client.post("/register", json={"username": "hr.lead", "password": PASSWORD})
    tokens = client.post("/login", json={"username": "hr.lead", "password": PASSWORD}).json
    refreshed = client.post("/refresh", headers=bearer(tokens["refresh_token"])).json
    client.get("/me", headers=bearer(refreshed["access_token"]))
    client.get(f"/employees?token={tokens['access_token']}", headers=bearer(tokens["access_token"]))
    client.post("/login", json={"username": "hr.lead", "password": WRONG_PASSWORD})
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    client.post("/me/password", json=change, headers=bearer(tokens["access_token"]))
    client.post("/logout", headers=bearer(tokens["access_token"]))
    with new_users_rejected(database_url):
        crashed = client.post("/register", json={"username": "someone", "password": REJECTED_PASSWORD})

    output = capsys.readouterr().err
    lines = json_lines(output)
    assert crashed.status_code == 500
    assert [line["status"] for line in request_lines(lines)] == [201, 200, 200, 200, 422, 401, 200, 200, 500]
    assert any(line.get("exc_type") == "sqlalchemy.exc.IntegrityError" for line in lines)
    secrets = [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, REJECTED_PASSWORD, app.config["JWT_SECRET_KEY"]]
    secrets += [tokens["access_token"], tokens["refresh_token"], refreshed["access_token"]]
    assert [secret for secret in secrets if secret in output] == []
    assert PASSWORD_HASH.search(output) is None


@pytest.mark.live
def test_gunicorn_writes_json_request_lines_and_no_secrets(live_server, database_url):
    base = live_server.base_url
    register(base, "hr.lead")
    session = tokens(base, "hr.lead")
    me_headers = {**bearer(session["access_token"]), "X-Request-ID": HEROKU_REQUEST_ID}
    me = requests.get(f"{base}/me", headers=me_headers, timeout=TIMEOUT)
    call("POST", f"{base}/login", json={"username": "hr.lead", "password": WRONG_PASSWORD})
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    call("POST", f"{base}/me/password", session["access_token"], json=change)
    with new_users_rejected(database_url):
        body = {"username": "someone", "password": REJECTED_PASSWORD}
        crashed = requests.post(f"{base}/register", json=body, timeout=TIMEOUT)

    lines = wait_for_request_line(live_server, crashed.headers["X-Request-ID"])
    output = live_server.error_log()
    assert crashed.status_code == 500
    assert me.headers["X-Request-ID"] == HEROKU_REQUEST_ID
    (me_line,) = (line for line in request_lines(lines) if line["request_id"] == HEROKU_REQUEST_ID)
    assert (me_line["path"], me_line["status"], me_line["user_id"]) == ("/me", 200, me.json()["id"])
    assert me_line["remote_addr"] == "127.0.0.1"
    (error,) = (line for line in lines if line.get("exc_type"))
    assert error["request_id"] == crashed.headers["X-Request-ID"]
    secrets = [PASSWORD, WRONG_PASSWORD, NEW_PASSWORD, REJECTED_PASSWORD, JWT_SECRET]
    secrets += [session["access_token"], session["refresh_token"]]
    assert [secret for secret in secrets if secret in output] == []
    assert PASSWORD_HASH.search(output) is None


def wait_for_request_line(server, request_id, timeout=5):
    """gunicorn's JSON lines once the request ``request_id`` has been logged (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = json_lines(server.error_log())
        if any(line.get("request_id") == request_id for line in request_lines(lines)):
            return lines
        assert time.monotonic() < deadline, f"no request line for {request_id}:\n{server.error_log()}"
        time.sleep(0.05)
