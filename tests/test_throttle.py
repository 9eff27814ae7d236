"""Brute force: failed password checks are limited per account and per client address (PRODUCT.md §2, §3).

Per account: 5 failures in 15 minutes from one address, 50 from everywhere, counted in the database.
Per address: failed attempts only, with a limit set here to 8 (50 by default) so these tests stay short.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from helpers import PASSWORD, app_settings, login, register_and_login
from models import db

ADDRESS_LIMIT = 8


@pytest.fixture
def app(database_url):
    app = create_app(
        app_settings(
            database_url, RATELIMIT_LOGIN=f"{ADDRESS_LIMIT} per 15 minutes", RATELIMIT_REGISTER="3 per hour"
        )
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def attempt(client, username, password="wrong password", address="127.0.0.1", headers=None):
    body = {"username": username, "password": password}
    return client.post("/login", json=body, environ_base={"REMOTE_ADDR": address}, headers=headers)


def register_from(client, username, address="127.0.0.1"):
    """POST /register from the client address ``address``."""
    body = {"username": username, "password": PASSWORD}
    return client.post("/register", json=body, environ_base={"REMOTE_ADDR": address})


def assert_throttled(response, window_seconds=15 * 60, at_least=1):
    """A 429 in the JSON error shape, saying when to come back."""
    assert response.status_code == 429, response.json
    assert response.json["code"] == 429
    assert response.json["name"] == "Too Many Requests"
    assert at_least <= int(response.headers["Retry-After"]) <= window_seconds + 1  # rounded up


def test_an_account_locks_after_five_failures_even_for_the_right_password(client):
    register_from(client, "alice")

    failures = [attempt(client, "alice").status_code for _ in range(5)]
    locked = attempt(client, "alice", PASSWORD)

    assert failures == [401] * 5
    assert_throttled(locked, at_least=15 * 60 - 30)  # the window started with the first failure
    assert "account" in locked.json["message"]


def test_a_stranger_cannot_lock_the_owner_out(client):
    """Failures count per account *and* address: the guesser is stopped, the owner elsewhere is not."""
    register_from(client, "admin")

    guesses = [attempt(client, "admin", address="203.0.113.66").status_code for _ in range(5)]

    assert guesses == [401] * 5
    stopped = attempt(client, "admin", PASSWORD, address="203.0.113.66")
    assert_throttled(stopped)
    assert stopped.json["message"] == (
        "Too many failed password attempts for this account from this address; retry later."
    )
    assert attempt(client, "admin", PASSWORD, address="198.51.100.2").status_code == 200


def test_an_ipv6_host_counts_as_its_whole_64_block(client):
    """An IPv6 host may use any address of its /64: hopping between them buys no more guesses."""
    register_from(client, "admin")

    guesses = [attempt(client, "admin", address=f"2001:db8:1:2::{n:x}").status_code for n in range(1, 6)]

    assert guesses == [401] * 5
    assert_throttled(attempt(client, "admin", PASSWORD, address="2001:db8:1:2:ffff::1"))
    assert attempt(client, "admin", PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_an_accounts_ceiling_never_counts_as_another_name_from_an_address(client):
    """The ceiling of the name "1.2.3.4", once reached, must not stop "account" logging in from 1.2.3.4."""
    register_from(client, "account")
    for address in range(10):
        for _ in range(5):
            attempt(client, "1.2.3.4", address=f"203.0.113.{address}")

    assert attempt(client, "account", PASSWORD, address="1.2.3.4").status_code == 200


def test_guesses_from_many_addresses_meet_a_ceiling_for_the_account(client):
    """An attack spread over addresses gets LOGIN_ACCOUNT_FAILURE_LIMIT (50) guesses in all, then the
    account is locked for everyone until the window ends."""
    register_from(client, "admin")

    guesses = [
        attempt(client, "admin", address=f"203.0.113.{address}").status_code
        for address in range(10)
        for _ in range(5)
    ]

    assert guesses == [401] * 50
    for address in ("203.0.113.99", "198.51.100.2"):
        locked = attempt(client, "admin", PASSWORD, address=address)
        assert_throttled(locked)
        assert locked.json["message"] == "Too many failed password attempts for this account; retry later."


def test_the_owners_own_logins_never_count_towards_the_ceiling(client):
    register_from(client, "alice")

    logins = [
        attempt(client, "alice", PASSWORD, address=f"198.51.100.{i % 3}").status_code for i in range(55)
    ]

    assert logins == [200] * 55
    assert attempt(client, "alice", address="198.51.100.9").status_code == 401


def test_other_accounts_still_log_in_while_one_is_locked(client):
    register_from(client, "alice")
    register_from(client, "bob")
    for _ in range(6):
        attempt(client, "alice")

    assert attempt(client, "bob", PASSWORD).status_code == 200


def test_unknown_usernames_are_throttled_like_real_ones(client):
    """The throttle must not tell an attacker which usernames exist."""
    register_from(client, "alice")

    for username, address in (("alice", "203.0.113.1"), ("nobody", "203.0.113.2")):
        statuses = [attempt(client, username, address=address).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429], username


def test_usernames_are_counted_whatever_their_case(client):
    register_from(client, "alice")

    statuses = [attempt(client, name).status_code for name in ("alice", "ALICE", "Alice", "aLiCe", "alicE")]

    assert statuses == [401] * 5
    assert_throttled(attempt(client, "alice", PASSWORD))


def test_a_successful_login_forgives_earlier_failures(client):
    register_from(client, "alice")
    for _ in range(4):
        attempt(client, "alice")

    assert attempt(client, "alice", PASSWORD).status_code == 200
    assert [attempt(client, "alice").status_code for _ in range(4)] == [401] * 4


def test_the_lock_lifts_when_its_window_ends(app, client):
    register_from(client, "alice")
    for _ in range(6):
        attempt(client, "alice")
    move_window_back(app, minutes=16)  # 15 minutes pass

    assert attempt(client, "alice", PASSWORD).status_code == 200


def move_window_back(app, minutes):
    from models import LoginThrottle

    with app.app_context():
        for throttle in db.session.scalars(sa.select(LoginThrottle)):
            throttle.window_started_at -= timedelta(minutes=minutes)
        db.session.commit()


def test_wrong_current_passwords_lock_the_account_too(client):
    """A stolen access token is no way to guess the password behind it."""
    headers = register_and_login(client, "alice")
    body = {"current_password": "a wrong guess", "new_password": "a brand new passphrase"}

    guesses = [client.post("/me/password", json=body, headers=headers).status_code for _ in range(5)]
    right = {**body, "current_password": PASSWORD}

    assert guesses == [422] * 5
    assert_throttled(client.post("/me/password", json=right, headers=headers))
    assert_throttled(attempt(client, "alice", PASSWORD))


def test_failed_logins_from_one_address_are_limited(client):
    """Spraying one guess at many accounts from one address hits the per-address limit."""
    register_from(client, "alice")

    sprayed = [attempt(client, f"user{i}", address="203.0.113.7").status_code for i in range(ADDRESS_LIMIT)]
    blocked = attempt(client, "alice", PASSWORD, address="203.0.113.7")
    elsewhere = attempt(client, "alice", PASSWORD, address="198.51.100.2")

    assert sprayed == [401] * ADDRESS_LIMIT
    assert_throttled(blocked)
    assert "address" in blocked.json["message"]
    assert elsewhere.status_code == 200


def test_successful_logins_never_count_against_an_address(client):
    """An office behind one address logs everyone in, however many times."""
    register_from(client, "alice")

    statuses = {attempt(client, "alice", PASSWORD).status_code for _ in range(3 * ADDRESS_LIMIT)}

    assert statuses == {200}


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(client):
    """Without TRUSTED_PROXY_HOPS, a client cannot dodge the limit by forging X-Forwarded-For."""
    register_from(client, "alice")

    for i in range(ADDRESS_LIMIT):
        attempt(client, f"user{i}", headers={"X-Forwarded-For": f"192.0.2.{i}"})

    assert_throttled(attempt(client, "alice", PASSWORD, headers={"X-Forwarded-For": "192.0.2.200"}))


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(database_url):
    """Behind Heroku's router (TRUSTED_PROXY_HOPS=1) the client's address comes from X-Forwarded-For."""
    app = create_app(
        app_settings(database_url, TRUSTED_PROXY_HOPS=1, RATELIMIT_LOGIN=f"{ADDRESS_LIMIT} per 15 minutes")
    )
    client = app.test_client()
    register_from(client, "alice")
    router = "10.1.2.3"  # every request reaches the app from the router's address

    for i in range(ADDRESS_LIMIT):
        attempt(client, f"user{i}", address=router, headers={"X-Forwarded-For": "203.0.113.7"})
    attacker = attempt(client, "alice", PASSWORD, address=router, headers={"X-Forwarded-For": "203.0.113.7"})
    office = attempt(client, "alice", PASSWORD, address=router, headers={"X-Forwarded-For": "198.51.100.2"})

    assert_throttled(attacker)
    assert office.status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_registrations_are_limited_per_address(client):
    """Creating accounts (or probing for taken names) counts; input refused for its shape does not."""
    refused = [
        client.post("/register", json={"username": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        for _ in range(5)
    ]

    created = [register_from(client, f"new{i}", address="203.0.113.9").status_code for i in range(2)]
    taken = register_from(client, "new0", address="203.0.113.9")
    blocked = register_from(client, "new9", address="203.0.113.9")

    assert {response.status_code for response in refused} == {422}
    assert created == [201, 201]
    assert taken.status_code == 409
    assert_throttled(blocked, window_seconds=60 * 60)
    assert register_from(client, "new9", address="198.51.100.2").status_code == 201


def test_the_openapi_document_lists_429_where_attempts_are_throttled(client):
    paths = client.get("/openapi.json").json["paths"]

    for path in ("/login", "/register", "/me/password"):
        assert "429" in paths[path]["post"]["responses"], path


def test_prune_tokens_deletes_expired_sessions_and_ended_throttles(app, client):
    """`flask prune-tokens` (run daily) keeps the session and throttle tables small."""
    from models import LoginSession, LoginThrottle

    expired, live = login_twice_and_expire_one(app, client)
    attempt(client, "someone")
    attempt(client, "someone else")
    move_window_back(app, minutes=16)
    attempt(client, "someone")  # a fresh window: kept

    result = app.test_cli_runner().invoke(args=["prune-tokens"])

    assert result.exit_code == 0, result.output
    # Ended: "someone else" from this address and from everywhere, and alice's (her logins succeeded).
    assert "Deleted 1 expired session(s) and 3 ended login throttle(s)." in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1
        kept = set(db.session.scalars(sa.select(LoginThrottle.username_key)))
        assert kept == {"addr someone 127.0.0.1", "acct someone"}
    assert client.get("/me", headers=live).status_code == 200
    assert client.get("/me", headers=expired).status_code == 401


def login_twice_and_expire_one(app, client):
    """Two sessions of one user; the first one's tokens have all expired. Return both's headers."""
    from models import LoginSession

    expiring = register_and_login(client, "alice")
    live = login(client, "alice")
    with app.app_context():
        first = db.session.scalars(sa.select(LoginSession).order_by(LoginSession.created_at)).first()
        first.expires_at -= timedelta(days=15)
        db.session.commit()
    assert client.get("/me", headers=expiring).status_code == 200  # the test made it expire early
    return expiring, live
