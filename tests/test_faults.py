"""Live fault tests: a real gunicorn while its database restarts, goes down, is locked or busy, and
while its processes are stopped or killed mid-request (PRODUCT.md §2, §4, §6).

A fault may cost a request a 503 JSON error with ``Retry-After`` (never a 500, an HTML page or a
hang), and it may never cost data: an entry, its ledger line and the balance are written together
or not at all. Tests that stop PostgreSQL use a private cluster (``private_postgres.py``), never the
machine's shared server; they are skipped when TEST_DATABASE_URL is unset (no PostgreSQL here).
"""

import contextlib
import itertools
import os
import shutil
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
import requests
import sqlalchemy as sa

from app import create_app
from helpers import (
    DATABASES,
    POSTGRES_URL,
    admin_token,
    app_settings,
    assert_ledger_matches_balances,
    balance,
    call,
    create_employee,
    file_pto,
    ledger,
    migrate_database,
    sqlalchemy_url,
)
from live import JWT_SECRET, STOP_SECONDS, WORKERS, LiveServer, assert_json_error, hammer, statuses
from models import db
from private_postgres import private_postgres, server_binaries

TEMPLATE = "faults_template"  # migrated once; each test's database is a copy
REQUEST_SECONDS = 15  # a request still unanswered after this has hung the worker
WAIT_SECONDS = 20  # for a condition the test waits on: a lock waiter, a respawned worker, ...
CLIENTS = 6  # threads calling the API during a restart or a kill: twice the workers
MAX_CALLS_PER_CLIENT = 400
OPENING = 10_000  # hours: enough that no load loop runs out of balance
LOCK_EMPLOYEE = "SELECT id FROM employees WHERE id = %s FOR UPDATE"

_database_numbers = itertools.count(1)


# Databases and servers.


@pytest.fixture(scope="module")
def cluster():
    """A private PostgreSQL cluster with a migrated template database, removed after the module."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL fault tests skipped: TEST_DATABASE_URL is unset (no PostgreSQL here)")
    bindir = server_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL fault tests skipped: no PostgreSQL server binaries (initdb, pg_ctl)")
    with private_postgres(bindir) as postgres:
        migrate_database(sqlalchemy_url(postgres.create_database(TEMPLATE)))
        yield postgres


@pytest.fixture
def postgres(cluster):
    """The private cluster, started again after the test whatever the test did to it."""
    yield cluster
    if not cluster.running():
        cluster.start()


@pytest.fixture
def postgres_database(postgres):
    """A fresh migrated database on the private cluster."""
    return postgres.create_database(f"faults_{next(_database_numbers)}", template=TEMPLATE)


@pytest.fixture
def sqlite_database(sqlite_template, tmp_path):
    """A fresh migrated SQLite file."""
    path = tmp_path / "pto.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=DATABASES)
def database(request):
    """A fresh database of each kind this run tests."""
    return request.getfixturevalue("sqlite_database" if request.param == "sqlite" else "postgres_database")


@pytest.fixture
def gunicorn(tmp_path, request):
    """Start gunicorn on a database with extra settings; each server is stopped after the test,
    and its log printed if the test failed."""
    servers = []

    def start(database_url, workers=WORKERS, **settings):
        log_dir = tmp_path / f"gunicorn-{len(servers)}"
        log_dir.mkdir()
        env = {
            **os.environ,
            "APP_ENV": "testing",
            "DATABASE_URL": database_url,
            "JWT_SECRET_KEY": JWT_SECRET,
            **settings,
        }
        server = LiveServer(env, log_dir, workers=workers)
        servers.append(server)
        server.start()
        return server

    failures_before = request.session.testsfailed
    yield start
    for server in servers:
        server.stop()
        if request.session.testsfailed > failures_before:
            print(f"--- gunicorn stderr ---\n{server.error_log()}")


def worker_pids(server):
    """The pids of gunicorn's workers: the master's children."""
    master = server.process.pid
    return {int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()}


def wait_for_respawn(server, killed):
    """Wait until the master has replaced every killed worker; return the new workers' pids."""

    def respawned():
        fresh = worker_pids(server) - killed
        return fresh if len(fresh) == server.workers else None

    return wait_until(respawned, f"gunicorn to replace the killed workers {sorted(killed)}")


def wait_until_in_flight(server):
    """Wait until a worker has accepted a client connection: a request is in its hands, not queued."""

    def accepted():
        # Sockets on the server's port that are ESTABLISHED (state 01) include ones still in the
        # listen backlog; only those among a worker's open files have been accepted.
        established = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == server.port and fields[3] == "01":
                established.add(f"socket:[{fields[9]}]")
        for pid in worker_pids(server):
            with contextlib.suppress(OSError):  # a worker may exit while we look
                if established & {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}:
                    return True
        return False

    wait_until(accepted, "a gunicorn worker to accept the request")


def wait_until(condition, what, timeout=WAIT_SECONDS):
    """Poll ``condition`` until it returns something true, and return that; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)
    return value


# Requests that may meet a fault.


def send(method, url, token=None, **kwargs):
    """One request, bounded in time so that a hung worker fails the test instead of stalling it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, headers=headers, timeout=REQUEST_SECONDS, **kwargs)


def assert_unavailable(response):
    """The API's answer when the database is down or busy: 503 JSON with a Retry-After to wait."""
    assert_json_error(response, 503)
    assert int(response.headers["Retry-After"]) > 0, response.headers


def assert_succeeded_or_unavailable(response):
    if response.status_code >= 300:
        assert_unavailable(response)


# Locks the test holds from its own connection.


@contextlib.contextmanager
def postgres_transaction(database_url, statement, *params):
    """Run ``statement`` in a transaction of the test's own and hold its locks until the block ends."""
    connection = psycopg2.connect(database_url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
        yield
    finally:
        connection.rollback()
        connection.close()


@contextlib.contextmanager
def sqlite_write_lock(database_url):
    """Hold SQLite's write lock (BEGIN IMMEDIATE) from the test process until the block ends."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None, timeout=5)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def hold_off_pto(database_url, employee_id):
    """Hold what POST /pto for the employee waits for: their row (PostgreSQL), the write lock (SQLite)."""
    if database_url.startswith("sqlite"):
        return sqlite_write_lock(database_url)
    return postgres_transaction(database_url, LOCK_EMPLOYEE, employee_id)


def lock_waiters(database_url):
    """The app's backends waiting on a lock in the database, as (pid, query)."""
    return rows(
        database_url,
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'",
    )


def wait_for_lock_waiter(database_url):
    """Wait until the request the test holds off waits on its lock; return that backend's (pid, query)."""
    (waiter,) = wait_until(lambda: lock_waiters(database_url), "a request to wait on the test's lock")
    return waiter


# What the database holds.


def rows(database_url, statement, **params):
    engine = sa.create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(statement), params).all()
    finally:
        engine.dispose()


def hours(value):
    # SQLite returns REAL, PostgreSQL NUMERIC: compare both as two-place decimals.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def assert_entries_whole(database_url, employee_id, opening):
    """Every PTO entry has exactly one pto_taken line taking its hours, and the balance is the opening
    less every entry's hours and the sum of the ledger; return how many entries there are."""
    entries = rows(
        database_url,
        "SELECT p.id, p.hours, COUNT(l.id) AS lines, COALESCE(SUM(l.delta), 0) AS taken "
        "FROM pto_entries p LEFT JOIN ledger_lines l ON l.pto_entry_id = p.id AND l.kind = 'pto_taken' "
        "WHERE p.employee_id = :employee_id GROUP BY p.id, p.hours",
        employee_id=employee_id,
    )
    broken = [entry for entry in entries if entry.lines != 1 or hours(entry.taken) != -hours(entry.hours)]
    assert broken == [], f"entries without exactly one matching pto_taken line: {broken}"
    ((taken_lines, current),) = rows(
        database_url,
        "SELECT (SELECT COUNT(*) FROM ledger_lines WHERE employee_id = :employee_id AND kind = 'pto_taken'), "
        "(SELECT hours_balance FROM balances WHERE employee_id = :employee_id AND type = 'vacation')",
        employee_id=employee_id,
    )
    assert taken_lines == len(entries), "pto_taken lines without their entry"
    assert hours(current) == opening - sum(hours(entry.hours) for entry in entries)
    assert_ledger_matches_balances(database_url)
    return len(entries)


# 1. PostgreSQL restarted under load.


@pytest.mark.live
def test_postgres_restart_under_load_fails_only_while_it_is_down(postgres, postgres_database, gunicorn):
    """While PostgreSQL restarts calls get 503 with Retry-After, never a 500 or a hang; then all succeed."""
    server = gunicorn(postgres_database)
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=OPENING)["id"]
    calls = []  # (started, finished, response or exception), appended by the client threads
    stop = threading.Event()

    def client(_):
        for n in range(MAX_CALLS_PER_CLIENT):
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                if n % 2:
                    response = send(
                        "POST", f"{base}/pto", token, json={"employee_id": employee_id, "hours": 1}
                    )
                else:
                    response = send("GET", f"{base}/employees/{employee_id}", token)
            except requests.RequestException as error:
                response = error
            calls.append((started, time.monotonic(), response))

    def answered(status, since):
        return [r for started, _, r in calls if started >= since and getattr(r, "status_code", 0) == status]

    with ThreadPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(client, i) for i in range(CLIENTS)]
        try:
            wait_until(lambda: len(answered(200, 0)) >= 20, "calls served before the restart")
            down_at = time.monotonic()
            postgres.stop()
            wait_until(lambda: len(answered(503, down_at)) >= 20, "calls answered while PostgreSQL is down")
            postgres.start()
            up_at = time.monotonic()
            wait_until(lambda: len(answered(200, up_at)) >= 20, "calls served after the restart")
        finally:
            stop.set()
        for finished in clients:
            finished.result()

    failed = [(r, started) for started, _, r in calls if isinstance(r, Exception)]
    assert failed == [], "calls that hung or lost their connection"
    for started, finished, response in calls:
        if finished < down_at or started >= up_at:
            assert response.ok, f"{response.status_code} outside the outage: {response.text[:300]}"
        else:
            assert_succeeded_or_unavailable(response)
    counted = statuses(response for _, _, response in calls)
    assert set(counted) == {200, 201, 503}, counted
    # Entries whose commit reached PostgreSQL just before it went down may have been answered 503.
    unavailable_posts = sum(1 for *_, r in calls if r.status_code == 503 and r.request.method == "POST")
    entries = assert_entries_whole(postgres_database, employee_id, OPENING)
    assert counted[201] <= entries <= counted[201] + unavailable_posts

    # Every worker has reconnected: each answers, none with an error.
    me = hammer(10 * server.workers, lambda _: call("GET", f"{base}/me", token))
    assert statuses(me) == {200: 10 * server.workers}
    assert (
        len(server.workers_that_answered("GET", "/me", 200, at_least=10 * server.workers)) == server.workers
    )


# 2. PostgreSQL down.


@pytest.mark.live
def test_postgres_down_answers_503_and_serves_again_when_back(postgres, postgres_database, gunicorn):
    """PostgreSQL down: 503 JSON with Retry-After, /health says unavailable, no hang; then it serves again."""
    server = gunicorn(postgres_database)
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]

    postgres.stop()

    # Until every worker has answered /health: each finds the database gone on its own connection.
    for _ in range(10):
        for response in hammer(2 * server.workers, lambda _: send("GET", f"{base}/health")):
            assert response.status_code == 503, response.text
            assert response.json() == {"status": "unavailable", "database": "unavailable"}
            assert int(response.headers["Retry-After"]) > 0
        if len(server.workers_that_answered("GET", "/health", 503, timeout=0)) == server.workers:
            break
    assert len(server.workers_that_answered("GET", "/health", 503)) == server.workers
    api_calls = [
        ("GET", "/employees", {}),
        ("GET", f"/employees/{employee_id}", {}),
        ("POST", "/employees", {"json": {"name": "Fox Mulder", "hours_balance": 8}}),
        ("PUT", f"/employees/{employee_id}", {"json": {"hours_balance": 80}}),
        ("POST", "/pto", {"json": {"employee_id": employee_id, "hours": 8}}),
        ("GET", "/pto", {}),
        ("GET", "/me", {}),
    ]
    for method, path, kwargs in api_calls:
        assert_unavailable(send(method, base + path, token, **kwargs))
    assert_unavailable(
        send("POST", f"{base}/login", json={"username": "admin", "password": "whatever it is"})
    )

    postgres.start()

    health = hammer(4 * server.workers, lambda _: call("GET", f"{base}/health"))
    assert statuses(health) == {200: 4 * server.workers}
    assert {response.json()["database"] for response in health} == {"ok"}
    assert file_pto(base, token, employee_id, 8).status_code == 201
    assert balance(base, token, employee_id) == 32


# 3. A lock held too long.


@pytest.mark.live
def test_lock_held_too_long_answers_503_while_other_workers_serve(postgres, postgres_database, gunicorn):
    """A request stuck behind a lock gets 503 after the lock timeout; other workers serve meanwhile."""
    server = gunicorn(postgres_database, DATABASE_LOCK_TIMEOUT_SECONDS="2")
    base = server.base_url
    token = admin_token(base)
    blocked_id = create_employee(base, token, hours_balance=40)["id"]
    other_id = create_employee(base, token, hours_balance=40)["id"]
    log_start = len(postgres.log())
    pto_for = {"employee_id": blocked_id, "hours": 8}

    with (
        postgres_transaction(postgres_database, LOCK_EMPLOYEE, blocked_id),
        ThreadPoolExecutor(1) as pool,
    ):
        stuck = pool.submit(send, "POST", f"{base}/pto", token, json=pto_for)
        wait_for_lock_waiter(postgres_database)
        # One worker waits on the lock; the others go on serving.
        served = [file_pto(base, token, other_id, 1) for _ in range(2 * server.workers)]
        assert statuses(served) == {201: 2 * server.workers}
        assert_unavailable(stuck.result())
        # Still locked: every worker gives up on its own, none hangs.
        retries = hammer(server.workers, lambda _: send("POST", f"{base}/pto", token, json=pto_for))
        for response in retries:
            assert_unavailable(response)

    assert postgres.log()[log_start:].count("canceling statement due to lock timeout") == 1 + server.workers
    # The app's own log says what happened, not just that the database failed.
    lock_timeouts = "database unavailable: OperationalError 55P03 lock_not_available"
    assert server.error_log().count(lock_timeouts) == 1 + server.workers
    assert balance(base, token, blocked_id) == 40
    assert ledger(base, token, blocked_id)[1] == 1
    # Released: the same request goes through.
    assert file_pto(base, token, blocked_id, 8).status_code == 201
    assert balance(base, token, blocked_id) == 32
    assert balance(base, token, other_id) == 40 - 2 * server.workers
    assert_ledger_matches_balances(postgres_database)


@pytest.mark.live
def test_statement_timeout_answers_503(postgres, postgres_database, gunicorn):
    """A statement running past DATABASE_STATEMENT_TIMEOUT_SECONDS is cancelled and answered 503."""
    # The lock timeout stays at its default (10 s), so the statement limit is the one that fires.
    server = gunicorn(postgres_database, workers=2, DATABASE_STATEMENT_TIMEOUT_SECONDS="1")
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]
    log_start = len(postgres.log())

    with postgres_transaction(postgres_database, "LOCK TABLE employees IN ACCESS EXCLUSIVE MODE"):
        assert_unavailable(send("GET", f"{base}/employees/{employee_id}", token))
        # What does not read employees is still served.
        assert call("GET", f"{base}/health").status_code == 200

    log = postgres.log()[log_start:]
    assert "canceling statement due to statement timeout" in log
    assert "canceling statement due to lock timeout" not in log
    assert balance(base, token, employee_id) == 40


# 4. SQLite busy.


@pytest.mark.live
def test_sqlite_busy_answers_503_then_succeeds(sqlite_database, gunicorn):
    """A write that cannot get SQLite's write lock within the busy timeout gets 503, then succeeds."""
    server = gunicorn(sqlite_database, DATABASE_LOCK_TIMEOUT_SECONDS="1")
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]

    with sqlite_write_lock(sqlite_database):
        writes = hammer(
            server.workers,
            lambda _: send("POST", f"{base}/pto", token, json={"employee_id": employee_id, "hours": 8}),
        )
        for response in writes:
            assert_unavailable(response)
        # Readers do not wait for a writer (WAL).
        assert balance(base, token, employee_id) == 40

    assert ledger(base, token, employee_id)[1] == 1
    assert file_pto(base, token, employee_id, 8).status_code == 201
    assert balance(base, token, employee_id) == 32
    assert_entries_whole(sqlite_database, employee_id, 40)


# 5. SIGTERM during a request.


@pytest.mark.live
def test_sigterm_lets_the_request_in_flight_finish(database, gunicorn):
    """On SIGTERM (a deploy, a dyno restart) the request in flight gets its 201; gunicorn exits cleanly."""
    server = gunicorn(database, workers=2)
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]

    with ThreadPoolExecutor(1) as pool:
        with hold_off_pto(database, employee_id):
            in_flight = pool.submit(
                send, "POST", f"{base}/pto", token, json={"employee_id": employee_id, "hours": 8}
            )
            wait_until_in_flight(server)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1)  # shutdown is under way while the request waits on our lock
            assert server.process.poll() is None, "gunicorn exited with a request in flight"
            assert not in_flight.done(), in_flight.result().text
        response = in_flight.result()

    assert response.status_code == 201, response.text
    assert server.process.wait(timeout=STOP_SECONDS) == 0
    assert "Worker exiting" in server.error_log()
    ((status, taken),) = rows(
        database, "SELECT status, hours FROM pto_entries WHERE id = :id", id=response.json()["id"]
    )
    assert (status, hours(taken)) == ("approved", 8)
    assert assert_entries_whole(database, employee_id, 40) == 1


# 6. SIGKILL of a worker mid-request.


@pytest.mark.live
def test_sigkill_before_commit_leaves_no_partial_write(postgres, postgres_database, gunicorn):
    """A worker killed after writing the entry and balance, before the ledger line, leaves nothing written."""
    server = gunicorn(postgres_database, workers=2)
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=40)["id"]
    log_start = len(postgres.log())

    # POST /pto writes the entry, then the balance, then the ledger line, then commits: block the last write.
    with (
        postgres_transaction(postgres_database, "LOCK TABLE ledger_lines IN EXCLUSIVE MODE"),
        ThreadPoolExecutor(1) as pool,
    ):
        in_flight = pool.submit(
            send, "POST", f"{base}/pto", token, json={"employee_id": employee_id, "hours": 8}
        )
        backend, query = wait_for_lock_waiter(postgres_database)
        assert query.startswith("INSERT INTO ledger_lines"), query
        written = rows(
            postgres_database,
            "SELECT relation::regclass::text FROM pg_locks WHERE pid = :pid AND granted "
            "AND mode = 'RowExclusiveLock'",
            pid=backend,
        )
        assert {"pto_entries", "balances"} <= {table for (table,) in written}, written
        killed = worker_pids(server)
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(requests.ConnectionError):
            in_flight.result()

    # Released, the orphaned backend finishes its insert, finds its client gone and rolls back.
    wait_until(
        lambda: not rows(postgres_database, "SELECT 1 FROM pg_stat_activity WHERE pid = :pid", pid=backend),
        "the killed worker's database session to end",
    )
    assert "unexpected EOF on client connection with an open transaction" in postgres.log()[log_start:]
    assert rows(postgres_database, "SELECT id FROM pto_entries") == []
    assert assert_entries_whole(postgres_database, employee_id, 40) == 0

    wait_for_respawn(server, killed)
    assert balance(base, token, employee_id) == 40
    lines, total = ledger(base, token, employee_id)
    assert (total, lines[0]["kind"]) == (1, "opening")
    assert file_pto(base, token, employee_id, 8).status_code == 201
    assert balance(base, token, employee_id) == 32
    assert assert_entries_whole(postgres_database, employee_id, 40) == 1


@pytest.mark.live
def test_sigkill_under_load_keeps_entries_ledger_and_balance_whole(database, gunicorn):
    """Workers killed under a stream of POST /pto leave every entry whole: one ledger line, exact balance."""
    server = gunicorn(database)
    base = server.base_url
    token = admin_token(base)
    employee_id = create_employee(base, token, hours_balance=OPENING)["id"]
    results = []
    stop = threading.Event()

    def client(_):
        for _ in range(MAX_CALLS_PER_CLIENT):
            if stop.is_set():
                return
            try:
                results.append(
                    send("POST", f"{base}/pto", token, json={"employee_id": employee_id, "hours": 1})
                )
            # Its worker was killed before it answered, or while it was sending the answer.
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                results.append(error)

    def created():
        return sum(1 for result in results if getattr(result, "status_code", 0) == 201)

    with ThreadPoolExecutor(CLIENTS) as pool:
        clients = [pool.submit(client, i) for i in range(CLIENTS)]
        try:
            for _ in range(3):
                before = created()
                wait_until(lambda before=before: created() >= before + 10, "entries created between kills")
                killed = worker_pids(server)
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)
                wait_for_respawn(server, killed)
            before = created()
            wait_until(lambda: created() >= before + 10, "entries created after the last kill")
        finally:
            stop.set()
        for finished in clients:
            finished.result()

    aborted = [result for result in results if isinstance(result, Exception)]
    answered = [result for result in results if not isinstance(result, Exception)]
    for response in answered:
        assert_succeeded_or_unavailable(response)
    counted = statuses(answered)
    assert aborted, "no request was in flight when its worker was killed"
    entries = assert_entries_whole(database, employee_id, OPENING)
    # An aborted request either committed all of it or nothing.
    assert counted[201] <= entries <= counted[201] + len(aborted) + counted[503]
    assert file_pto(base, token, employee_id, 1).status_code == 201
    assert assert_entries_whole(database, employee_id, OPENING) == entries + 1


# A connection lost between a request's last statement and its end.


@pytest.mark.live  # not gunicorn, but a private PostgreSQL server: it belongs with the slow tests
def test_connection_lost_before_teardown_keeps_the_response(postgres_database):
    """A connection dropped after a request's last statement, before its end, does not turn it into a 500."""
    app = create_app(app_settings(sqlalchemy_url(postgres_database)))

    # A write: a read runs in autocommit, whose end sends nothing that could fail.
    @app.post("/last-statement-then-restart")
    def last_statement_then_restart():
        backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        # What a restart does to every connection, here between the last statement and the teardown.
        rows(postgres_database, "SELECT pg_terminate_backend(:pid, 5000)", pid=backend)
        return {"backend": backend}

    client = app.test_client()
    response = client.post("/last-statement-then-restart")
    assert response.status_code == 200, response.text
    assert client.get("/health").json == {"status": "ok", "database": "ok"}
    with app.app_context():
        db.engine.dispose()
