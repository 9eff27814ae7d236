"""Scale-out: two gunicorn instances on different ports over one PostgreSQL and one Redis (PRODUCT.md §6).

This is how Heroku runs the app with two dynos: nothing that must be shared may live in a
process. A logout, the login throttles and balances must hold whichever instance answers.
"""

import os
import uuid

import pytest
import redis

from helpers import (
    POSTGRES_URL,
    SKIPPED_POSTGRES,
    admin_token,
    assert_ledger_matches_balances,
    balance,
    call,
    create_employee,
    file_pto,
    fresh_postgres,
    ledger,
    register,
    tokens,
)
from live import JWT_SECRET, LiveServer, assert_json_error, hammer, statuses

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADDRESS_LIMIT = 12
WORKERS_PER_INSTANCE = 2

pytestmark = pytest.mark.live


def redis_answers(url):
    try:
        return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


@pytest.fixture
def instance_env(request):
    """Settings a test adds to both instances' environment (``parametrize(..., indirect=True)``)."""
    return getattr(request, "param", {})


@pytest.fixture
def instances(request, tmp_path, instance_env):
    """Two instances, each gunicorn with two workers, sharing a fresh PostgreSQL database and Redis."""
    if not POSTGRES_URL:
        pytest.skip(SKIPPED_POSTGRES)
    if not redis_answers(REDIS_URL):
        pytest.skip(f"Redis NOT tested: nothing answers at {REDIS_URL} (set TEST_REDIS_URL)")
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": fresh_postgres(request.getfixturevalue("postgres_url")),
        "JWT_SECRET_KEY": JWT_SECRET,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"pto-test-{uuid.uuid4().hex}",  # this test's counters only
        "RATELIMIT_LOGIN": f"{ADDRESS_LIMIT} per 15 minutes",
        **instance_env,
    }
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(LiveServer(env, tmp_path / name, workers=WORKERS_PER_INSTANCE))
    try:
        for server in servers:
            server.start()
        yield [server.base_url for server in servers]
    finally:
        for server in servers:
            server.stop()
    assert_ledger_matches_balances(env["DATABASE_URL"])


def wrong_login(base, username):
    return call("POST", f"{base}/login", json={"username": username, "password": "a wrong guess"})


def test_a_session_logged_out_on_one_instance_is_rejected_by_the_other(instances):
    a, b = instances
    admin_token(a)
    session = tokens(a, "admin")
    assert call("GET", f"{b}/me", session["access_token"]).status_code == 200

    assert call("POST", f"{a}/logout", session["access_token"]).status_code == 200

    assert_json_error(call("GET", f"{b}/me", session["access_token"]), 401)
    assert_json_error(call("POST", f"{b}/refresh", session["refresh_token"]), 401)


def test_the_account_throttle_counts_across_instances(instances):
    """Failures on either instance add up; once locked, the account is locked on both."""
    a, b = instances
    register(a, "alice")

    failures = [wrong_login((a, b)[i % 2], "alice").status_code for i in range(5)]

    assert failures == [401] * 5
    for base in (a, b):
        response = call("POST", f"{base}/login", json={"username": "alice", "password": "x" * 8})
        assert_json_error(response, 429)
        assert int(response.headers["Retry-After"]) > 0


def test_simultaneous_guesses_on_both_instances_get_five_tries_in_all(instances):
    """20 guesses at once, split across the instances: exactly 5 are checked, 15 refused."""
    a, b = instances
    register(a, "bob")

    responses = hammer(20, lambda i: wrong_login((a, b)[i % 2], "bob"))

    assert statuses(responses) == {401: 5, 429: 15}


def test_the_address_limit_counts_across_instances_in_redis(instances):
    """Failed logins from one address on either instance share one count (RATELIMIT_STORAGE_URI)."""
    a, b = instances

    sprayed = [wrong_login((a, b)[i % 2], f"user{i}").status_code for i in range(ADDRESS_LIMIT)]

    assert sprayed == [401] * ADDRESS_LIMIT
    for base in (a, b):
        assert_json_error(wrong_login(base, "someone-new"), 429)


@pytest.mark.parametrize("instance_env", [{"RATELIMIT_WRITES": "6 per minute"}], indirect=True)
def test_a_users_budget_of_changes_counts_across_instances_in_redis(instances):
    """Changes by one user on either instance share one count (RATELIMIT_STORAGE_URI)."""
    a, b = instances
    token = admin_token(a)
    employee_id = create_employee(a, token, hours_balance=100)["id"]  # the first change

    filed = [file_pto((a, b)[i % 2], token, employee_id, 1).status_code for i in range(5)]

    assert filed == [201] * 5
    for base in (a, b):
        assert_json_error(file_pto(base, token, employee_id, 1), 429)


def test_simultaneous_pto_split_across_instances_loses_nothing(instances):
    """200 simultaneous 1-hour entries on 1000 hours, half on each instance: 800 left, one line each."""
    a, b = instances
    token = admin_token(a)
    employee_id = create_employee(a, token, hours_balance=1000)["id"]

    responses = hammer(200, lambda i: file_pto((a, b)[i % 2], token, employee_id, 1))

    assert statuses(responses) == {201: 200}
    assert balance(b, token, employee_id) == 800
    lines, total = ledger(a, token, employee_id)
    taken = [line for line in lines if line["kind"] == "pto_taken"]
    assert total == 201
    assert sorted(line["balance_after"] for line in taken) == list(range(800, 1000))
