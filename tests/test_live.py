"""Live tests: a real gunicorn with three workers, called from many threads at once, on SQLite and PostgreSQL.

They check what the test client cannot show (PRODUCT.md §1, §3, §4): the tutorial's client
script works against a fresh install; simultaneous requests lose no hours and grant none
beyond the balance; a cancelled entry is refunded once; a logout holds on every worker and
across a restart; a new install gets exactly one first admin. No answer may be a 5xx.
"""

import json
from collections import Counter

import pytest
import requests

from helpers import (
    PASSWORD,
    TIMEOUT,
    admin_token,
    assert_ledger_matches_balances,
    balance,
    bearer,
    call,
    create_employee,
    file_pto,
    ledger,
    register,
    tokens,
)
from live import WORKERS, assert_json_error, hammer, statuses


@pytest.mark.live
def test_tutorial_client_script_runs_against_a_fresh_install(live_server):
    """The tutorial's register → login → list employees works unchanged; the first user is the admin."""
    base = live_server.base_url
    credentials = {"username": "tutorial", "password": PASSWORD}

    response = requests.post(base + "/register", json=credentials, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    response = requests.post(base + "/login", json=credentials, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    response = requests.get(
        base + "/employees", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    assert response.json() == []

    me = call("GET", f"{base}/me", token).json()
    assert (me["username"], me["role"]) == ("tutorial", "admin")


@pytest.mark.live
def test_simultaneous_pto_loses_no_hours(live_server, database_url):
    """200 simultaneous 1-hour entries on 1000 hours: all recorded, 800 left, one ledger line each."""
    base = live_server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=1000)["id"]

    responses = hammer(200, lambda _: file_pto(base, token, employee_id, 1))

    assert statuses(responses) == {201: 200}
    assert balance(base, token, employee_id) == 800
    lines, total = ledger(base, token, employee_id)
    assert total == 201
    assert Counter(line["kind"] for line in lines) == {"opening": 1, "pto_taken": 200}
    # Each entry started from the balance the one before it left: 999 down to 800, none twice.
    taken = sorted(line["balance_after"] for line in lines if line["kind"] == "pto_taken")
    assert taken == list(range(800, 1000))
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_simultaneous_pto_never_overdraws(live_server, database_url):
    """40 simultaneous 1-hour entries on 10 hours: exactly 10 granted, 30 refused with 409, 0 left."""
    base = live_server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=10)["id"]

    responses = hammer(40, lambda _: file_pto(base, token, employee_id, 1))

    assert statuses(responses) == {201: 10, 409: 30}
    for response in responses:
        if response.status_code == 409:
            assert_json_error(response, 409)
    assert balance(base, token, employee_id) == 0
    lines, total = ledger(base, token, employee_id)
    assert total == 11
    assert Counter(line["kind"] for line in lines) == {"opening": 1, "pto_taken": 10}
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_simultaneous_cancellations_refund_once(live_server, database_url):
    """20 simultaneous DELETEs of one approved 8-hour entry: one 204, nineteen 409, one refund."""
    base = live_server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]
    response = file_pto(base, token, employee_id, 8)
    assert response.status_code == 201, response.text
    entry = response.json()
    assert entry["status"] == "approved"
    assert balance(base, token, employee_id) == 32

    responses = hammer(20, lambda _: call("DELETE", f"{base}/pto/{entry['id']}", token))

    assert statuses(responses) == {204: 1, 409: 19}
    for response in responses:
        if response.status_code == 409:
            assert_json_error(response, 409)
    assert balance(base, token, employee_id) == 40
    lines, _ = ledger(base, token, employee_id)
    refunds = [(line["pto_entry_id"], line["delta"]) for line in lines if line["kind"] == "refund"]
    assert refunds == [(entry["id"], 8)]
    assert call("GET", f"{base}/pto/{entry['id']}", token).json()["status"] == "cancelled"
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_logout_holds_on_every_worker_and_across_restarts(live_server):
    """After POST /logout the session's tokens get 401 from all three workers, and after a restart."""
    base = live_server.base_url
    register(base, "admin")
    session = tokens(base, "admin")
    access, refresh = session["access_token"], session["refresh_token"]
    other_session = tokens(base, "admin")["access_token"]
    assert call("GET", f"{base}/me", access).status_code == 200
    assert call("POST", f"{base}/refresh", refresh).status_code == 200

    assert call("POST", f"{base}/logout", access).status_code == 200

    for response in hammer(30, lambda _: call("GET", f"{base}/me", access)):
        assert_json_error(response, 401)
    assert len(live_server.workers_that_answered("GET", "/me", 401, at_least=30)) == WORKERS
    assert_json_error(call("POST", f"{base}/refresh", refresh), 401)
    assert call("GET", f"{base}/me", other_session).status_code == 200

    live_server.restart()

    assert_json_error(call("GET", f"{base}/me", access), 401)
    assert_json_error(call("POST", f"{base}/refresh", refresh), 401)
    assert call("GET", f"{base}/me", other_session).status_code == 200
    fresh = tokens(base, "admin")["access_token"]
    assert call("GET", f"{base}/me", fresh).json()["username"] == "admin"


@pytest.mark.live
def test_simultaneous_first_registrations_make_one_admin(live_server):
    """Ten simultaneous registrations on an empty database: exactly one of them becomes the admin."""
    base = live_server.base_url

    users = hammer(10, lambda i: register(base, f"founder{i}"))

    assert Counter(user["role"] for user in users) == {"admin": 1, "employee": 9}
    (admin,) = (user for user in users if user["role"] == "admin")
    token = tokens(base, admin["username"])["access_token"]
    assert call("GET", f"{base}/me", token).json()["role"] == "admin"
    listed = call("GET", f"{base}/users", token, params={"per_page": 100}).json()
    assert Counter(user["role"] for user in listed) == {"admin": 1, "employee": 9}


@pytest.mark.live
def test_simultaneous_password_guesses_get_five_checks_in_all(live_server):
    """20 guesses at one account at once, across the workers: exactly 5 are checked, the rest get 429."""
    base = live_server.base_url
    register(base, "target")
    guess = {"username": "target", "password": "a wrong guess"}

    responses = hammer(20, lambda _: call("POST", f"{base}/login", json=guess))

    assert statuses(responses) == {401: 5, 429: 15}
    assert all(int(r.headers["Retry-After"]) > 0 for r in responses if r.status_code == 429)


def chunked(body, size=4096):
    """``body`` sent with Transfer-Encoding: chunked (no Content-Length), as requests does for a generator."""
    return (body[start : start + size] for start in range(0, len(body), size))


@pytest.mark.live
@pytest.mark.parametrize("send", [bytes, chunked], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_with_or_without_a_length(live_server, send):
    """64 KiB of valid JSON and then more must not be cut at the limit and accepted."""
    base = live_server.base_url
    token = admin_token(base)
    name = "x" * 100
    valid = json.dumps({"name": name, "hours_balance": 1}).encode()
    body = valid + b" " * (64 * 1024 - len(valid)) + b"garbage after the limit"
    headers = {**bearer(token), "Content-Type": "application/json"}

    response = requests.post(f"{base}/employees", data=send(body), headers=headers, timeout=TIMEOUT)

    assert_json_error(response, 413)
    assert call("GET", f"{base}/employees", token).json() == []
    small = requests.post(f"{base}/employees", data=send(valid), headers=headers, timeout=TIMEOUT)
    assert small.status_code == 201, small.text
