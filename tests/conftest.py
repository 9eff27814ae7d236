"""Fixtures: an app per test on its own SQLite file or a freshly truncated PostgreSQL database.

Every test runs once on SQLite and once on PostgreSQL. PostgreSQL runs when TEST_DATABASE_URL
names a database the suite may wipe (``.ci/run`` sets it); without it the suite runs on SQLite
alone and says so in its header and summary.
"""

import os
import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from models import db

FAST_PASSWORD_HASH = "scrypt:1024:8:1"  # tests create many users; production keeps scrypt's default cost
PASSWORD = "correct horse battery"
TABLES = "users, login_sessions, login_throttles, employees, pto_entries, ledger_lines"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
SKIPPED_POSTGRES = (
    "PostgreSQL NOT tested: set TEST_DATABASE_URL to a database the suite may wipe "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run every test on it too."
)

# Every balance must equal the sum of its employee's ledger lines (PRODUCT.md §4).
LEDGER_MISMATCHES = sa.text(
    """
    SELECT e.id, e.hours_balance, COALESCE(SUM(l.delta), 0) AS ledger_total
    FROM employees e LEFT JOIN ledger_lines l ON l.employee_id = e.id
    GROUP BY e.id, e.hours_balance
    HAVING ROUND(COALESCE(SUM(l.delta), 0) - e.hours_balance, 2) <> 0
    """
)


def app_settings(database_url, **overrides):
    """The settings a test app runs with."""
    return {
        "APP_ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        **overrides,
    }


def migrate_database(url):
    """Build the schema with the migrations, as `flask db upgrade` does."""
    app = create_app(app_settings(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def sqlalchemy_url(url):
    from config import database_url

    return database_url(url, instance_path="")


def assert_ledger_matches_balances(url):
    """Fail if any employee's balance differs from the sum of their ledger lines."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            mismatches = connection.execute(LEDGER_MISMATCHES).all()
    finally:
        engine.dispose()
    assert mismatches == [], f"balances that differ from their ledger: {mismatches}"


def pytest_report_header():
    return f"databases: {', '.join(DATABASES)}" + ("" if POSTGRES_URL else f" ({SKIPPED_POSTGRES})")


def pytest_terminal_summary(terminalreporter):
    if not POSTGRES_URL:
        terminalreporter.write_line(SKIPPED_POSTGRES, yellow=True, bold=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "pto.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """The PostgreSQL test database, wiped and migrated once per run."""
    url = sqlalchemy_url(POSTGRES_URL)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:  # a set but unreachable URL is an error, not a skip
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    migrate_database(url)
    return url


def fresh_postgres(url):
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """An empty, migrated database of each kind, private to the test."""
    if request.param == "sqlite":
        path = tmp_path / "pto.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    return fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def app(database_url):
    app = create_app(app_settings(database_url))
    yield app
    with app.app_context():
        db.engine.dispose()
    assert_ledger_matches_balances(database_url)


@pytest.fixture
def client(app):
    return app.test_client()


def register_and_login(client, username, password=PASSWORD):
    """Register ``username`` and return the Authorization header of a fresh login."""
    response = client.post("/register", json={"username": username, "password": password})
    assert response.status_code == 201, response.json
    return login(client, username, password)


def login(client, username, password=PASSWORD):
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


@pytest.fixture
def admin(client):
    """Headers of the first user, who is the admin."""
    return register_and_login(client, "admin")


def create_employee(client, headers, name="Dana Scully", hours_balance=40):
    response = client.post("/employees", json={"name": name, "hours_balance": hours_balance}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def file_pto(client, headers, employee_id, hours, **fields):
    return client.post("/pto", json={"employee_id": employee_id, "hours": hours, **fields}, headers=headers)


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a ``with count_queries() as counted:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def live_server_env():
    """Settings a test module adds to its live server's environment (override the fixture)."""
    return {}


@pytest.fixture
def live_server(database_url, tmp_path, request, live_server_env):
    """gunicorn with three workers on a free port of 127.0.0.1, serving the test's fresh database."""
    from live import JWT_SECRET, WORKERS, LiveServer  # live.py imports this module: import it late

    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": JWT_SECRET,  # logins pay production scrypt's cost (~70 ms): keep them few
        **live_server_env,
    }
    server = LiveServer(env, tmp_path, workers=WORKERS)
    failures_before = request.session.testsfailed
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if request.session.testsfailed > failures_before:
            print(f"--- gunicorn stderr ---\n{server.error_log()}")
