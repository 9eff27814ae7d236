"""The benchmark's database: created fresh, migrated as a deploy migrates, seeded with bulk SQL.

A company of N employees, each with a user account, a vacation balance and ten PTO entries
(approved, pending and cancelled, with the ledger lines that explain the balance and the pending hours it
holds), plus a few "writer" employees with a huge balance for the write workloads to draw on. The time-off
types are migration 0005's starter rows (vacation, the default, and the types drawing on it): kept as they
are, so the API reads the types a deploy has.

With ``history_pool`` (the first size of a run), "history employees" too: for each size in HISTORY_SIZES,
employees with that many entries each. One of them, the filer, has only past ones (2025 and back, one or
two days each, none overlapping: mostly approved, some cancelled or denied) and files the history POST
workload's entries. The others hold, besides their past entries, the pools the approve and cancel
workloads consume once each: pending entries and approved undated ones, ``history_pool`` of each kind
per size, with consecutive ids that go round the employees (consecutive requests meet different rows).
Pool entries count in the history: at the smaller sizes the pools are spread over more employees.
"""

import math
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

APP_DIR = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pto_bench"
SAFE_NAME = re.compile(r"[a-z0-9_]*bench[a-z0-9_]*")

ENTRIES_PER_EMPLOYEE = 10
OPENING_HOURS = 160
ENTRY_HOURS = 8
# Entries 1-7 approved, 8-9 pending, 10 approved then cancelled (taken and refunded).
APPROVED, PENDING = 7, 9
WRITERS = 50
WRITER_HOURS = 999_000  # writes take 0.01 h each: enough for 99.9 million of them
# Migration 0005's default type: every seeded entry (vacation, or sick leave drawing on it) moves its balance.
BALANCE_TYPE = "vacation"
# Entries per history employee, and how many employees hold the pools at least (besides the filer).
HISTORY_SIZES = (200, 10_000)
HISTORY_EMPLOYEES = 10
# A history employee's past entries end here and go back two days an entry: 200 fit in 2025 and 2024;
# 10,000 days off need 55 years (six years hold 2,192 days, so no "2020 to 2025" history has 10,000).
HISTORY_END = "2025-12-31"

# Not pto_types: TRUNCATE ... CASCADE empties the tables referring to those named, and pto_types refers to
# none of them, so the migration's starter types stay.
TABLES = "users, login_sessions, login_throttles, employees, balances, pto_entries, ledger_lines"
EMPLOYEES = [
    f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE",
    # The cascade empties work_schedules (its rows may name employees): the company's schedule as the
    # migrations made it, Monday to Friday, 8 hours.
    """
    INSERT INTO work_schedules (employee_id, effective_from, hours, created_at)
    VALUES (NULL, DATE '0001-01-01', '["8.00", "8.00", "8.00", "8.00", "8.00", "0.00", "0.00"]', now())
    """,
    """
    INSERT INTO users (username, password_hash, role, is_active, created_at)
    VALUES (:admin_username, :password_hash, 'admin', true, now())
    """,
    """
    INSERT INTO employees (name, hire_date, created_at, updated_at)
    SELECT 'Employee ' || n, current_date, now(), now()
    FROM generate_series(1, :employees) AS n
    ORDER BY n
    """,
    # Teams of ten: the first of each ten manages the other nine (what a team's calendar shows).
    """
    UPDATE employees SET manager_id = id - (id - 1) % 10
    WHERE id <= :employees AND (id - 1) % 10 <> 0
    """,
    """
    INSERT INTO employees (name, hire_date, created_at, updated_at)
    SELECT 'Writer ' || n, current_date, now(), now()
    FROM generate_series(1, :writers) AS n
    ORDER BY n
    """,
]
# One size's history employees: the filer first, then those holding the pools.
HISTORY_EMPLOYEE_ROWS = """
    INSERT INTO employees (name, hire_date, created_at, updated_at)
    SELECT
        CASE WHEN n = 0 THEN 'Filer' ELSE 'History ' || n END || ' (' || :history || ' entries)',
        current_date, now(), now()
    FROM generate_series(0, :holders) AS n
    ORDER BY n
"""
ENTRIES = [
    # Everyone has an account linked to their employee record, as a company using the API would.
    """
    INSERT INTO users (username, password_hash, role, employee_id, is_active, created_at)
    SELECT 'user' || id, :password_hash, 'employee', id, true, now() FROM employees ORDER BY id
    """,
    """
    INSERT INTO pto_entries (
        employee_id, hours, start_date, end_date, type, balance_type, note, status, requested_by,
        created_at, decided_by, decided_at, cancelled_by, cancelled_at, revision, updated_at
    )
    SELECT
        e.id, :entry_hours, :first_entry + 14 * k, :first_entry + 14 * k + 1,
        CASE WHEN k = 3 THEN 'sick' ELSE 'vacation' END, :balance_type, 'Seeded entry ' || k,
        CASE WHEN k <= :approved THEN 'approved' WHEN k <= :pending THEN 'pending' ELSE 'cancelled' END,
        1, now(),
        CASE WHEN k <= :approved OR k > :pending THEN 1 END,
        CASE WHEN k <= :approved OR k > :pending THEN now() END,
        CASE WHEN k > :pending THEN 1 END,
        CASE WHEN k > :pending THEN now() END,
        0, now()
    FROM employees AS e CROSS JOIN generate_series(1, :entries) AS k
    WHERE e.id <= :employees
    ORDER BY e.id, k
    """,
]
# One size's past entries, oldest first: every tenth cancelled (taken, then refunded), every tenth
# denied (never taken), the others approved; every seventh sick leave, drawing on vacation.
HISTORY_PAST = """
    INSERT INTO pto_entries (
        employee_id, hours, start_date, end_date, type, balance_type, note, status, requested_by,
        created_at, decided_by, decided_at, cancelled_by, cancelled_at, revision, updated_at
    )
    SELECT
        e.id, :entry_hours, CAST(:history_end AS date) - 2 * k, CAST(:history_end AS date) - 2 * k + k % 2,
        CASE WHEN k % 7 = 3 THEN 'sick' ELSE 'vacation' END, :balance_type, 'Past entry ' || k,
        CASE WHEN k % 10 = 0 THEN 'cancelled' WHEN k % 10 = 5 THEN 'denied' ELSE 'approved' END,
        u.id, now(), 1, now(),
        CASE WHEN k % 10 = 0 THEN 1 END,
        CASE WHEN k % 10 = 0 THEN now() END,
        0, now()
    FROM generate_series(:filer, :filer + :holders) AS e (id)
    JOIN users AS u ON u.employee_id = e.id
    CROSS JOIN LATERAL generate_series(
        1, CASE WHEN e.id = :filer THEN :history ELSE :history - 2 * :pool_each END
    ) AS k
    ORDER BY e.id, k DESC
"""
# One pool of one size: undated entries, pending (to approve) or approved (to cancel), in id order
# round the holders. History entries are filed by the employee's own account (the admin decides them:
# never a request of their own).
HISTORY_POOL = """
    INSERT INTO pto_entries (
        employee_id, hours, type, balance_type, note, status, requested_by, created_at, decided_by,
        decided_at, revision, updated_at
    )
    SELECT
        e.id, :entry_hours, :balance_type, :balance_type, 'Pool entry ' || k, :status, u.id, now(),
        CASE WHEN :approved_now THEN 1 END, CASE WHEN :approved_now THEN now() END, 0, now()
    FROM generate_series(1, :pool_each) AS k
    CROSS JOIN generate_series(:filer + 1, :filer + :holders) AS e (id)
    JOIN users AS u ON u.employee_id = e.id
    ORDER BY k, e.id
"""
LAST_ENTRY_ID = "SELECT COALESCE(MAX(id), 0) FROM pto_entries"
BALANCES = [
    # One vacation balance each: the opening less the approved entries, holding the pending ones' hours.
    """
    INSERT INTO balances (employee_id, type, hours_balance, pending_hours)
    SELECT
        e.id, :balance_type,
        CASE WHEN e.id <= :employees THEN :opening ELSE :writer_hours END
            - COALESCE(SUM(p.hours) FILTER (WHERE p.status = 'approved'), 0),
        COALESCE(SUM(p.hours) FILTER (WHERE p.status = 'pending'), 0)
    FROM employees AS e LEFT JOIN pto_entries AS p ON p.employee_id = e.id
    GROUP BY e.id
    ORDER BY e.id
    """,
    """
    INSERT INTO ledger_lines (
        employee_id, type, kind, delta, balance_after, reason, actor_id, pto_entry_id, created_at,
        effective_on
    )
    SELECT
        employee_id, :balance_type, kind, delta, SUM(delta) OVER (PARTITION BY employee_id ORDER BY seq),
        reason, 1, pto_entry_id, now(), current_date
    FROM (
        SELECT id AS employee_id, 0 AS seq, 'opening' AS kind,
               CASE WHEN id <= :employees THEN :opening ELSE :writer_hours END AS delta,
               NULL::integer AS pto_entry_id, 'Opening balance' AS reason
        FROM employees
        UNION ALL
        SELECT employee_id, 2 * id, 'pto_taken', -hours, id, NULL
        FROM pto_entries WHERE status IN ('approved', 'cancelled')
        UNION ALL
        SELECT employee_id, 2 * id + 1, 'refund', hours, id, NULL
        FROM pto_entries WHERE status = 'cancelled'
    ) AS moves
    ORDER BY employee_id, seq
    """,
]
# PRODUCT.md §4: per employee and type, the balance is the sum of its ledger lines and its pending hours
# those of the pending entries drawing on it; a missing row is 0/0 (tests/helpers.py's
# assert_ledger_matches_balances).
LEDGER_MISMATCHES = """
    WITH lines AS (
        SELECT employee_id, type, SUM(delta) AS hours FROM ledger_lines GROUP BY employee_id, type
    ), held AS (
        SELECT employee_id, balance_type AS type, SUM(hours) AS hours FROM pto_entries
        WHERE status = 'pending' AND balance_type IS NOT NULL GROUP BY employee_id, balance_type
    )
    SELECT count(*)
    FROM balances b FULL JOIN lines l USING (employee_id, type) FULL JOIN held h USING (employee_id, type)
    WHERE ROUND(COALESCE(l.hours, 0) - COALESCE(b.hours_balance, 0), 2) <> 0
       OR ROUND(COALESCE(h.hours, 0) - COALESCE(b.pending_hours, 0), 2) <> 0
"""


def sqlalchemy_url(url):
    """``url`` with the psycopg2 driver named, as config.database_url does for the app."""
    return make_url(url).set(drivername="postgresql+psycopg2")


def create_database(url):
    """Drop and create the database ``url`` names; refuse any name without "bench" in it."""
    url = sqlalchemy_url(url)
    if not SAFE_NAME.fullmatch(url.database or ""):
        raise SystemExit(
            f"Refusing to drop database {url.database!r}: the benchmark recreates its database, "
            "so BENCH_DATABASE_URL must name one with 'bench' in its name (lower-case letters, digits, _)."
        )
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            # The name matched SAFE_NAME above: nothing but letters, digits and underscores.
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()


def migrate(env, log):
    """Bring the schema up to date with `flask db upgrade`, as the Procfile's release phase does."""
    subprocess.run(  # noqa: S603 (a fixed command line: the venv's flask)
        [str(FLASK), "db", "upgrade"], cwd=APP_DIR, env=env, stdout=log, stderr=log, check=True
    )


def seed(url, employees, admin_username, password_hash, history_pool=0):
    """Replace the data with ``employees`` employees (10 entries each) and the writers, and with
    ``history_pool`` the history employees whose pools hold that many entries of each kind; check the
    ledger. Returns the id ranges (first, last) the workloads draw on."""
    params = {
        "employees": employees,
        "writers": WRITERS,
        "entries": ENTRIES_PER_EMPLOYEE,
        "opening": OPENING_HOURS,
        "entry_hours": ENTRY_HOURS,
        "approved": APPROVED,
        "pending": PENDING,
        "writer_hours": WRITER_HOURS,
        "balance_type": BALANCE_TYPE,
        "history_end": HISTORY_END,
        # Ten entries two weeks apart, the first ten weeks ago: the calendar and the feeds have days out
        # around today whenever the bench runs.
        "first_entry": date.today() - timedelta(weeks=12),
        "admin_username": admin_username,
        "password_hash": password_hash,
    }
    writer = employees + 1
    ids = {
        "readers": (1, employees),
        "managers": (1, employees),  # every tenth: bench/run.py steps through them
        "writers": (writer, employees + WRITERS),
        "writer": (writer, writer),
    }
    plans = history_plans(employees + WRITERS + 1, history_pool) if history_pool else {}
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as connection:
            for statement in EMPLOYEES:
                connection.execute(sa.text(statement), params)
            for plan in plans.values():
                connection.execute(sa.text(HISTORY_EMPLOYEE_ROWS), plan)
            for statement in ENTRIES:
                connection.execute(sa.text(statement), params)
            for plan in plans.values():
                connection.execute(sa.text(HISTORY_PAST), {**params, **plan})
            history = {size: history_ids(plan) for size, plan in plans.items()}
            for kind, status in (("approve", "pending"), ("cancel", "approved")):
                for size, plan in plans.items():
                    pool = {**params, **plan, "status": status, "approved_now": status == "approved"}
                    history[size][kind] = insert_pool(connection, pool, history_pool)
            for statement in BALANCES:
                connection.execute(sa.text(statement), params)
            mismatches = connection.scalar(sa.text(LEDGER_MISMATCHES))
        if mismatches:
            raise RuntimeError(
                f"seeding left {mismatches} balance(s) that differ from their ledger or pending entries"
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
    return {**ids, "history": history} if plans else ids


def history_plans(first_id, pool):
    """Per history size, its employees (from ``first_id`` on) and how each holds ``pool`` entries of each
    kind: at least HISTORY_EMPLOYEES hold them, and the pools fill at most half a history."""
    plans = {}
    for history in HISTORY_SIZES:
        holders = max(HISTORY_EMPLOYEES, math.ceil(2 * pool / (history // 2)))
        plans[history] = {
            "history": history,
            "filer": first_id,
            "holders": holders,
            "pool_each": math.ceil(pool / holders),
        }
        first_id += 1 + holders
    return plans


def history_ids(plan):
    """The id ranges of one history size's workloads: its filer, and the employees holding the pools."""
    filer = plan["filer"]
    return {"filer": (filer, filer), "employees": (filer + 1, filer + plan["holders"])}


def insert_pool(connection, params, wanted):
    """Insert one pool; return its entries' id range, checked to be consecutive and at least ``wanted``."""
    before = connection.scalar(sa.text(LAST_ENTRY_ID))
    inserted = connection.execute(sa.text(HISTORY_POOL), params).rowcount
    last = connection.scalar(sa.text(LAST_ENTRY_ID))
    if last - before != inserted or inserted < wanted:
        raise RuntimeError(f"a pool of {inserted} entries got ids {before + 1} to {last}, {wanted} wanted")
    return (before + 1, last)


def server_version(url):
    """PostgreSQL's version string."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SHOW server_version"))
    finally:
        engine.dispose()
