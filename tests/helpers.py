"""What tests share that is not a fixture: the test databases, one small API client, and builders.

The client speaks to the app the way users do, over the Flask test client (``Api(client)``) or a
live gunicorn (``Api("http://127.0.0.1:PORT")``), and answers the same ``Reply`` either way, so
one builder serves both. Builders take an ``Api``, a Flask test client or a live server's base URL
as ``api``, and the caller (``who``) as Authorization headers, a bare access token or a Person.
"""

import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import psycopg2
import requests
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from app import create_app
from config import database_url
from models import db

PASSWORD = "correct horse battery"
FAST_PASSWORD_HASH = "scrypt:1024:8:1"  # tests create many users; production keeps scrypt's default cost
TIMEOUT = 30  # seconds for any one live request: SQLite writers may queue 10 s for the write lock

# ── Databases: every test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL names one to wipe.

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
SKIPPED_POSTGRES = (
    "PostgreSQL NOT tested: set TEST_DATABASE_URL to a database the suite may wipe "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run every test on it too."
)
# Referenced tables before those that refer to them, so a copy can be inserted in this order.
TABLES = (
    "pto_types",
    "holiday_calendars",
    "employees",
    "balances",
    "users",
    "login_sessions",
    "login_throttles",
    "pto_entries",
    "pto_days",
    "holiday_calendar_days",
    "work_schedules",
    "accrual_policies",
    "ledger_lines",
    "accrual_assignments",
    "hours_worked",
    "accrual_runs",
    "accrual_replays",
    "calendar_feeds",
)
TABLES_WITH_SERIAL_IDS = (
    "holiday_calendars",
    "work_schedules",
    "users",
    "employees",
    "pto_entries",
    "ledger_lines",
    "accrual_policies",
    "accrual_assignments",
    "hours_worked",
    "accrual_runs",
    "accrual_replays",
    "calendar_feeds",
)
# Where a migrated PostgreSQL test database keeps the rows the migrations wrote (the starter time-off
# types, the default holiday calendar and the company's schedule), so that emptying it for the next test
# puts them back.
MIGRATED_ROWS = "migrated_rows"
MIGRATED_TABLES = ("pto_types", "holiday_calendars", "work_schedules")
MIGRATED_ID_CONTINUATIONS = [
    f"setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
    for table in ("holiday_calendars", "work_schedules")
]

# Every balance must equal the sum of its ledger lines, and its pending hours those of the pending entries
# drawing on it (PRODUCT.md §4). A missing balance row holds nothing.
LEDGER_MISMATCHES = sa.text(
    """
    SELECT employee_id, type, SUM(held) AS held, SUM(ledger) AS ledger, SUM(pending) AS pending,
           SUM(requested) AS requested
    FROM (
        SELECT employee_id, type, hours_balance AS held, 0 AS ledger, pending_hours AS pending, 0 AS requested
        FROM balances
        UNION ALL
        SELECT employee_id, type, 0, delta, 0, 0 FROM ledger_lines
        UNION ALL
        SELECT employee_id, balance_type, 0, 0, 0, hours FROM pto_entries
        WHERE status = 'pending' AND balance_type IS NOT NULL
    ) AS moves
    GROUP BY employee_id, type
    HAVING ROUND(SUM(held) - SUM(ledger), 2) <> 0 OR ROUND(SUM(pending) - SUM(requested), 2) <> 0
    """
)


def app_settings(url, **overrides):
    """The settings a test app runs with."""
    return {
        "APP_ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_METHOD": FAST_PASSWORD_HASH,
        **overrides,
    }


def sqlalchemy_url(url):
    """The SQLAlchemy URL the app makes of a DATABASE_URL (psycopg2 named for PostgreSQL)."""
    return database_url(url, instance_path="")


def migrate_database(url):
    """Build the schema with the migrations, as `flask db upgrade` does. On PostgreSQL, keep a copy of the
    rows they wrote for ``fresh_postgres``."""
    app = create_app(app_settings(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    if not url.startswith("sqlite"):

        def keep_migrated_rows(connection):
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {MIGRATED_ROWS} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {MIGRATED_ROWS}"))
            for table in MIGRATED_TABLES:
                connection.execute(sa.text(f"CREATE TABLE {MIGRATED_ROWS}.{table} AS TABLE public.{table}"))

        with_engine(url, keep_migrated_rows)


def with_engine(url, work, **options):
    """Run ``work(connection)`` in one transaction on a short-lived engine; return what it returns."""
    engine = sa.create_engine(sqlalchemy_url(url), **options)
    try:
        with engine.begin() as connection:
            return work(connection)
    finally:
        engine.dispose()


def fresh_postgres(url):
    """Bring the migrated PostgreSQL database at ``url`` back to how the migrations left it: every table
    empty but for the rows they wrote (the starter time-off types); return the URL."""

    def empty(connection):
        connection.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        for table in MIGRATED_TABLES:
            connection.execute(sa.text(f"INSERT INTO public.{table} SELECT * FROM {MIGRATED_ROWS}.{table}"))
        # The emptied tables' ids restart at 1; those given rows back continue after them (one statement).
        connection.execute(sa.text(f"SELECT {', '.join(MIGRATED_ID_CONTINUATIONS)}"))

    with_engine(url, empty)
    return url


def continue_serial_ids(connection):
    """New rows continue after the copied ones (PostgreSQL), in every table with serial ids."""
    for table in TABLES_WITH_SERIAL_IDS:
        sequence = f"pg_get_serial_sequence('{table}', 'id')"
        next_id = f"setval({sequence}, COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
        connection.execute(sa.text(f"SELECT {next_id} FROM {table}"))


def company_today():
    """The company's day in the test apps, whose COMPANY_TIMEZONE is UTC."""
    return datetime.now(UTC).date()


def assert_ledger_matches_balances(url):
    """Fail if any employee's balance differs from the sum of their ledger lines."""
    mismatches = with_engine(url, lambda connection: connection.execute(LEDGER_MISMATCHES).all())
    assert mismatches == [], f"balances that differ from their ledger: {mismatches}"


@dataclass
class SavedDatabase:
    """A database built once and given to each test as a private copy: its SQLite file copied, or
    its PostgreSQL rows kept in a schema of their own and put back into the test database."""

    url: str  # where it was built (PostgreSQL: where every copy goes)
    saved: str  # the SQLite file's copy, or the PostgreSQL schema holding the rows

    @classmethod
    def save(cls, url, name, directory):
        """Keep the rows of the database at ``url`` (no app may hold a connection to it)."""
        if url.startswith("sqlite"):
            path = directory / f"{name}.sqlite3"
            shutil.copy(url.removeprefix("sqlite:///"), path)
            return cls(url, str(path))

        def save(connection):
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            connection.execute(sa.text(f"CREATE SCHEMA {name}"))
            for table in TABLES:
                connection.execute(sa.text(f"CREATE TABLE {name}.{table} AS TABLE public.{table}"))

        with_engine(url, save)
        return cls(url, name)

    def copy_to(self, directory):
        """A private copy for one test; its URL. (PostgreSQL: one copy at a time, in the test database.)"""
        if self.url.startswith("sqlite"):
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / Path(self.saved).name
            shutil.copy(self.saved, path)
            return f"sqlite:///{path}"

        def restore(connection):
            connection.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
            for table in TABLES:
                connection.execute(sa.text(f"INSERT INTO public.{table} SELECT * FROM {self.saved}.{table}"))
            continue_serial_ids(connection)

        with_engine(self.url, restore)
        return self.url

    def drop(self):
        """Forget the saved rows."""
        if not self.url.startswith("sqlite"):
            drop = sa.text(f"DROP SCHEMA IF EXISTS {self.saved} CASCADE")
            with_engine(self.url, lambda connection: connection.execute(drop))


def dispose(app):
    """Close every database connection ``app`` holds (SQLite then folds its WAL into the file)."""
    with app.app_context():
        db.engine.dispose()


@contextmanager
def listening(app, listeners):
    """Attach ``listeners`` ({engine event: function}) to the app's engine inside the ``with`` block."""
    with app.app_context():
        engine = db.engine
    for name, listener in listeners.items():
        sa.event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            sa.event.remove(engine, name, listener)


@contextmanager
def counting_statements(app):
    """The SQL statements the app runs inside the ``with`` block, as a list that fills up."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with listening(app, {"before_cursor_execute": record}):
        yield statements


# ── The API client.


class Api:
    """One small API client over the Flask test client or a live server (its base URL).

    ``request`` answers what the transport answers (a Flask test response, or a ``requests``
    response from ``call``, which checks what every live request must: an answer in time, never a
    5xx); ``ok`` checks the status and answers the decoded JSON body, the same either way.
    """

    def __init__(self, target):
        self.target = target

    def request(self, method, path, headers=None, json=None, params=None):
        """Send one request; return the transport's response."""
        if isinstance(self.target, FlaskClient):
            return self.target.open(path, method=method, headers=headers, json=json, query_string=params)
        return call(method, self.target + path, headers=headers, json=json, params=params)

    def ok(self, method, path, status=200, **kwargs):
        """Send one request that must answer ``status``; return its JSON body."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {text_of(response)}"
        return json_of(response)


def json_of(response):
    """The decoded JSON body of a Flask test response or a ``requests`` response."""
    return response.json() if isinstance(response, requests.Response) else response.json


def text_of(response):
    """The start of a response's body, for failure messages."""
    return (response.text if isinstance(response, requests.Response) else response.get_data(as_text=True))[
        :500
    ]


def call(method, url, token=None, headers=None, **kwargs):
    """Send one request to a live server as a client script does; it must never answer a 5xx."""
    headers = {**(headers or {}), **(bearer(token) if token else {})}
    response = requests.request(method, url, headers=headers, timeout=TIMEOUT, **kwargs)
    assert response.status_code < 500, f"{method} {url}: {response.status_code} {response.text[:500]}"
    return response


def as_api(target):
    """``target`` as an ``Api``: an Api already, a Flask test client, or a live server's base URL."""
    return target if isinstance(target, Api) else Api(target)


def as_headers(who):
    """The caller's Authorization headers, given as headers, a bare access token or a Person."""
    if isinstance(who, Person):
        return who.headers
    return bearer(who) if isinstance(who, str) else who


# ── Builders: accounts, employees, requests and a small company, made through the API.


def bearer(token):
    """The Authorization header of an access or refresh token."""
    return {"Authorization": f"Bearer {token}"}


def post_register(api, username, password=PASSWORD):
    """POST /register; return the reply, whatever it is."""
    return as_api(api).request("POST", "/register", json={"username": username, "password": password})


def register(api, username, password=PASSWORD):
    """Register ``username``; return the new account."""
    response = post_register(api, username, password)
    assert response.status_code == 201, text_of(response)
    return json_of(response)


def tokens(api, username, password=PASSWORD):
    """Log in; return the new session's tokens."""
    return as_api(api).ok("POST", "/login", json={"username": username, "password": password})


def login(api, username, password=PASSWORD):
    """Log in; return the Authorization header of the new access token."""
    return bearer(tokens(api, username, password)["access_token"])


def can_log_in(api, username, password=PASSWORD):
    """Whether ``username`` logs in with ``password``."""
    body = {"username": username, "password": password}
    return as_api(api).request("POST", "/login", json=body).status_code == 200


def register_and_login(api, username, password=PASSWORD):
    """Register ``username`` and return the Authorization header of a fresh login."""
    register(api, username, password)
    return login(api, username, password)


def admin_token(api):
    """Register the first user of a fresh database, who is the admin; return their access token."""
    register(api, "admin")
    return tokens(api, "admin")["access_token"]


def user_id_of(api, who):
    """The id of the account of ``who``."""
    return as_api(api).ok("GET", "/me", headers=as_headers(who))["id"]


def create_employee(api, admin, name="Dana Scully", hours_balance=40, manager_id=None):
    """Add an employee as the admin; return them."""
    body = {"name": name, "hours_balance": hours_balance}
    if manager_id is not None:
        body["manager_id"] = manager_id
    return as_api(api).ok("POST", "/employees", 201, json=body, headers=as_headers(admin))


def link_user(api, admin, user_id, employee_id, role=None):
    """Link the account ``user_id`` to ``employee_id`` (and give it ``role``) as the admin."""
    changes = {"employee_id": employee_id} | ({"role": role} if role else {})
    return as_api(api).ok("PATCH", f"/users/{user_id}", json=changes, headers=as_headers(admin))


@dataclass
class Person:
    """Someone who logs in and is an employee (an admin may be neither linked nor one)."""

    headers: dict
    user_id: int
    employee_id: int | None

    @property
    def token(self):
        """Their access token."""
        return self.headers["Authorization"].removeprefix("Bearer ")


def hire(api, admin, username, role="employee", hours_balance=40, manager=None, name=None):
    """Create an employee record, register ``username`` and link the two with ``role``.

    ``manager``: a Person or an employee id."""
    manager_id = manager.employee_id if isinstance(manager, Person) else manager
    record = create_employee(api, admin, name or username.title(), hours_balance, manager_id)
    user_id = register(api, username)["id"]
    linked = link_user(api, admin, user_id, record["id"], role)
    assert (linked["employee_id"], linked["role"]) == (record["id"], role or "employee"), linked
    return Person(login(api, username), user_id, record["id"])


def file_pto(api, who, employee_id, hours, **fields):
    """POST /pto as ``who``; return the reply, whatever it is. ``hours`` None: left out (a dated request
    is then charged its days' hours)."""
    body = {"employee_id": employee_id, **({} if hours is None else {"hours": hours}), **fields}
    return as_api(api).request("POST", "/pto", json=body, headers=as_headers(who))


def request_pto(api, who, employee_id, hours, **fields):
    """POST /pto as ``who``, which must be accepted; return the new entry."""
    response = file_pto(api, who, employee_id, hours, **fields)
    assert response.status_code == 201, text_of(response)
    return json_of(response)


def request_with_status(api, manager, report, status, **fields):
    """File an 8-hour request as ``report`` and bring it to ``status`` (``manager`` decides); its id."""
    entry_id = request_pto(api, report, report.employee_id, 8, **fields)["id"]
    action = {"pending": None, "approved": "approve", "denied": "deny", "cancelled": "cancel"}[status]
    if action is not None:
        who = report if action == "cancel" else manager
        assert decide(api, who, entry_id, action).status_code == 200
    return entry_id


def decide(api, who, entry_id, action, **body):
    """POST /pto/<id>/<action> (approve, deny or cancel), with a JSON body only when one is given."""
    path = f"/pto/{entry_id}/{action}"
    return as_api(api).request("POST", path, json=body or None, headers=as_headers(who))


def post_pto_type(api, admin, key, **fields):
    """POST /pto-types as ``admin`` (named after the key unless ``name`` is given); return the reply."""
    body = {"key": key, "name": key.replace("-", " ").capitalize(), **fields}
    return as_api(api).request("POST", "/pto-types", json=body, headers=as_headers(admin))


def create_pto_type(api, admin, key, **fields):
    """Add a time-off type as the admin (own balance unless ``balance`` says otherwise); return it."""
    response = post_pto_type(api, admin, key, **fields)
    assert response.status_code == 201, text_of(response)
    return json_of(response)


def balances(api, who, employee_id):
    """GET /employees/<id>/balances as ``who``: {type: (hours_balance, pending_hours, available_hours)}."""
    listed = as_api(api).ok("GET", f"/employees/{employee_id}/balances", headers=as_headers(who))
    return {
        shown["type"]: (shown["hours_balance"], shown["pending_hours"], shown["available_hours"])
        for shown in listed
    }


def get_employee(api, who, employee_id):
    """GET /employees/<id> as ``who``."""
    return as_api(api).ok("GET", f"/employees/{employee_id}", headers=as_headers(who))


def balance(api, who, employee_id):
    """The employee's hours_balance as ``who`` sees it."""
    return get_employee(api, who, employee_id)["hours_balance"]


def hours_of(api, who, employee_id):
    """The employee's (hours_balance, pending_hours, available_hours) as ``who`` sees them."""
    shown = get_employee(api, who, employee_id)
    return shown["hours_balance"], shown["pending_hours"], shown["available_hours"]


def get_entry(api, who, entry_id):
    """GET /pto/<id> as ``who``."""
    return as_api(api).ok("GET", f"/pto/{entry_id}", headers=as_headers(who))


class Ledger(NamedTuple):
    lines: list
    total: int  # X-Total-Count, as the API reports it


def ledger(api, who, employee_id):
    """All of an employee's ledger lines, oldest first (100 a page, at most 10 pages), and their total."""
    lines = []
    for page in range(1, 11):
        params = {"page": page, "per_page": 100}
        path = f"/employees/{employee_id}/ledger"
        response = as_api(api).request("GET", path, headers=as_headers(who), params=params)
        assert response.status_code == 200, text_of(response)
        total = int(response.headers["X-Total-Count"])
        page_lines = json_of(response)
        lines += page_lines
        if not page_lines or len(lines) >= total:
            break
    return Ledger(lines, total)


def ledger_kinds(api, who, employee_id):
    """The kinds of an employee's ledger lines, oldest first."""
    return [line["kind"] for line in ledger(api, who, employee_id).lines]


# The calendar the migrations make, and a closure day build_company adds to it.
DEFAULT_CALENDAR = 1
CLOSURE_DAY = "2099-12-24"
FOUR_DAY_WEEK = {
    "monday": 10,
    "tuesday": 10,
    "wednesday": 10,
    "thursday": 10,
    "friday": 0,
    "saturday": 0,
    "sunday": 0,
}


def build_company(api):
    """A small company, built through the API: the callers' headers and the ids of every record.

    Mia manages Eli; Ona reports to nobody. The user ``mia`` (role manager) is Mia, ``eli`` and
    ``ona`` (role employee) are Eli and Ona, ``nobody`` registered but was never linked to an
    employee, and ``admin`` (the first user) is HR. Every employee starts with 100 hours and has a
    pending and an approved 8-hour entry; Eli also has an approved one in 2099. HR wrote one accrual
    policy (assigned to nobody) and ran the accruals once. Eli made a calendar feed of their own time off.
    """
    api = as_api(api)
    admin = register_and_login(api, "admin")
    mia = create_employee(api, admin, "Mia", 100)
    eli = create_employee(api, admin, "Eli", 100, manager_id=mia["id"])
    ona = create_employee(api, admin, "Ona", 100)

    headers = {"anonymous": {}, "admin": admin}
    user_ids = {}
    for username in ("mia", "eli", "ona", "nobody"):
        user_ids[username] = register(api, username)["id"]
        headers[username] = login(api, username)
    link_user(api, admin, user_ids["mia"], mia["id"], role="manager")
    link_user(api, admin, user_ids["eli"], eli["id"])
    link_user(api, admin, user_ids["ona"], ona["id"])

    ids = {"Mia": mia["id"], "Eli": eli["id"], "Ona": ona["id"]}
    ids |= {f"{name}'s account": user_ids[name] for name in ("eli", "ona")}
    filed = {
        "Eli's pending": ("eli", "Eli"),
        "Eli's approved": ("mia", "Eli"),  # undated, so it may have started: only Mia or an admin cancels it
        "Eli's upcoming approved": ("mia", "Eli"),
        "Mia's pending": ("mia", "Mia"),
        "Mia's approved": ("admin", "Mia"),
        "Ona's pending": ("ona", "Ona"),
        "Ona's approved": ("admin", "Ona"),
    }
    for entry, (filer, employee) in filed.items():
        dates = {"start_date": "2099-01-05"} if "upcoming" in entry else {}
        filed_entry = request_pto(api, headers[filer], ids[employee], 8, **dates)
        assert entry.endswith(filed_entry["status"]), (entry, filed_entry)
        ids[entry] = filed_entry["id"]
    policy = {"name": "Vacation, monthly", "type": "vacation", "tiers": [{"after_years": 0, "hours": 6.67}]}
    ids["policy"] = api.ok("POST", "/accrual-policies", 201, json=policy, headers=admin)["id"]
    ids["run"] = api.ok("POST", "/accrual-runs", 201, headers=admin)["id"]
    schedule = {"effective_from": "2099-01-01", "weeks": [FOUR_DAY_WEEK]}
    ids["company schedule"] = api.ok("POST", "/work-schedules", 201, json=schedule, headers=admin)["id"]
    ids["calendar"] = DEFAULT_CALENDAR
    closure = {"kind": "closure", "name": "Founders' Day"}
    api.ok("PUT", f"/holiday-calendars/{DEFAULT_CALENDAR}/days/{CLOSURE_DAY}", json=closure, headers=admin)
    feed = api.ok("POST", "/calendar-feeds", 201, json={"scope": "me"}, headers=headers["eli"])
    ids["eli's feed"] = feed["id"]
    ids["eli's feed token"] = feed["url"].rsplit("/", 1)[1].removesuffix(".ics")
    return {"headers": headers, "ids": ids}


# Races: one side held open in a transaction of its own, the other sent to the app from a thread.

WAIT_SECONDS = 0.5  # long enough for a request that does not wait to have answered


@contextmanager
def transaction(database_url, *statements):
    """A transaction of its own, holding what ``statements`` lock until the block calls the ``commit`` it
    yields (or ends: then it rolls back). On SQLite it takes the write lock first, as the app's writers do."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
    else:
        connection = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        cursor = connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        yield connection.commit
    finally:
        connection.close()


@contextmanager
def in_a_thread(call):
    """Run ``call`` in a thread; yield a dict that holds its ``"response"`` once the block ends."""
    answer = {}
    thread = threading.Thread(target=lambda: answer.setdefault("response", call()))
    thread.start()
    try:
        yield answer
    finally:
        thread.join(timeout=30)
    assert "response" in answer, "the request never answered"


def waits(answer):
    time.sleep(WAIT_SECONDS)
    return "response" not in answer
