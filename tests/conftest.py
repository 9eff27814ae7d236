"""Fixtures: an app per test on its own SQLite file or a freshly emptied PostgreSQL database.

Every test runs once on SQLite and once on PostgreSQL. PostgreSQL runs when TEST_DATABASE_URL
names a database the suite may wipe (``.ci/run`` sets it); without it the suite runs on SQLite
alone and says so in its header and summary. Helpers and builders are in helpers.py.
"""

import os
import re
import shutil
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app import create_app
from helpers import (
    DATABASES,
    POSTGRES_URL,
    SKIPPED_POSTGRES,
    Api,
    app_settings,
    assert_ledger_matches_balances,
    counting_statements,
    dispose,
    fresh_postgres,
    hire,
    listening,
    migrate_database,
    register_and_login,
    sqlalchemy_url,
    with_engine,
)
from live import JWT_SECRET, WORKERS, LiveServer

NOT_RUN_BY_DEFAULT = "pip-audit NOT run (it needs the internet): `make audit` runs it (pytest -m network)."
WRITE = re.compile(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)


def pytest_report_header():
    return f"databases: {', '.join(DATABASES)}" + ("" if POSTGRES_URL else f" ({SKIPPED_POSTGRES})")


def pytest_terminal_summary(terminalreporter, config):
    if not POSTGRES_URL:
        terminalreporter.write_line(SKIPPED_POSTGRES, yellow=True, bold=True)
    if "network" not in (config.option.markexpr or "").replace("not network", ""):
        terminalreporter.write_line(NOT_RUN_BY_DEFAULT, yellow=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "pto.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """The PostgreSQL test database, wiped and migrated once per run."""
    url = sqlalchemy_url(POSTGRES_URL)

    def wipe(connection):  # a set but unreachable URL is an error, not a skip
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))

    with_engine(url, wipe, isolation_level="AUTOCOMMIT")
    migrate_database(url)
    return url


@pytest.fixture(scope="session")
def new_database(request):
    """``new_database(kind, directory)``: an empty, migrated database of ``kind`` ("sqlite": a file in
    ``directory``; "postgresql": the test database, emptied); its URL."""

    def make(kind, directory):
        if kind == "sqlite":
            path = directory / "pto.sqlite3"
            shutil.copy(request.getfixturevalue("sqlite_template"), path)
            return f"sqlite:///{path}"
        return fresh_postgres(request.getfixturevalue("postgres_url"))

    return make


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path, new_database):
    """An empty, migrated database of each kind, private to the test."""
    return new_database(request.param, tmp_path)


@pytest.fixture
def app(database_url):
    app = create_app(app_settings(database_url))
    yield app
    dispose(app)
    assert_ledger_matches_balances(database_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    """The API client over the test app."""
    return Api(client)


@pytest.fixture
def admin(client):
    """Headers of the first user, who is the admin."""
    return register_and_login(client, "admin")


@pytest.fixture
def manager(client, admin):
    """A manager (user ``mulder``, employee Mulder, 40 hours) with no manager of their own."""
    return hire(client, admin, "mulder", role="manager")


@pytest.fixture
def report(client, admin, manager):
    """An employee (user ``scully``, employee Scully, 40 hours) who reports to ``manager``."""
    return hire(client, admin, "scully", manager=manager)


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a ``with count_queries() as counted:`` block."""

    return lambda: counting_statements(app)


@pytest.fixture
def write_transactions(app):
    """Inside ``with write_transactions() as ended:``, each transaction that wrote, as it ended:
    ("commit" or "rollback", ["INSERT login_throttles", ...])."""

    @contextmanager
    def recording():
        ended, current = [], []

        def statement(_conn, _cursor, sql, *_args):
            write = WRITE.match(sql)
            if write:
                current.append(f"{write[1].split()[0].upper()} {write[2]}")

        def end(outcome):
            def record(_conn):
                if current:
                    ended.append((outcome, list(current)))
                current.clear()

            return record

        listeners = {"before_cursor_execute": statement, "commit": end("commit"), "rollback": end("rollback")}
        with listening(app, listeners):
            yield ended

    return recording


@pytest.fixture(scope="session")
def openapi_document(tmp_path_factory):
    """The document the app serves at /openapi.json, for tools that read it (it needs no data)."""
    app = create_app(app_settings(f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'unused.sqlite3'}"))
    return app.test_client().get("/openapi.json").json


@pytest.fixture
def live_server_env():
    """Settings a test module adds to its live server's environment (override the fixture)."""
    return {}


@pytest.fixture
def live_server(database_url, tmp_path, request, live_server_env):
    """gunicorn with three workers on a free port of 127.0.0.1, serving the test's fresh database."""
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
