"""The benchmark's database: created fresh, migrated as a deploy migrates, seeded with bulk SQL.

A company of N employees, each with a user account, a vacation balance and ten PTO entries
(approved, pending and cancelled, with the ledger lines that explain the balance and the pending hours it
holds), plus a few "writer" employees with a huge balance for the write workloads to draw on. The time-off
types are migration 0005's starter rows (vacation, the default, and the types drawing on it): kept as they
are, so the API reads the types a deploy has.
"""

import re
import subprocess
import sys
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

# Not pto_types: TRUNCATE ... CASCADE empties the tables referring to those named, and pto_types refers to
# none of them, so the migration's starter types stay.
TABLES = "users, login_sessions, login_throttles, employees, balances, pto_entries, ledger_lines"
SEED = [
    f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE",
    """
    INSERT INTO users (username, password_hash, role, is_active, created_at)
    VALUES (:admin_username, :password_hash, 'admin', true, now())
    """,
    """
    INSERT INTO employees (name, created_at, updated_at)
    SELECT 'Employee ' || n, now(), now()
    FROM generate_series(1, :employees) AS n
    ORDER BY n
    """,
    """
    INSERT INTO employees (name, created_at, updated_at)
    SELECT 'Writer ' || n, now(), now()
    FROM generate_series(1, :writers) AS n
    ORDER BY n
    """,
    # One vacation balance each: the opening less the approved entries, holding the pending ones' hours.
    """
    INSERT INTO balances (employee_id, type, hours_balance, pending_hours)
    SELECT
        id, :balance_type,
        CASE WHEN id <= :employees THEN :opening - :approved * :entry_hours ELSE :writer_hours END,
        CASE WHEN id <= :employees THEN (:pending - :approved) * :entry_hours ELSE 0 END
    FROM employees
    ORDER BY id
    """,
    # Everyone has an account linked to their employee record, as a company using the API would.
    """
    INSERT INTO users (username, password_hash, role, employee_id, is_active, created_at)
    SELECT 'user' || id, :password_hash, 'employee', id, true, now() FROM employees ORDER BY id
    """,
    """
    INSERT INTO pto_entries (
        employee_id, hours, start_date, end_date, type, balance_type, note, status, requested_by,
        created_at, decided_by, decided_at, cancelled_by, cancelled_at
    )
    SELECT
        e.id, :entry_hours, DATE '2026-01-05' + 14 * k, DATE '2026-01-06' + 14 * k,
        CASE WHEN k = 3 THEN 'sick' ELSE 'vacation' END, :balance_type, 'Seeded entry ' || k,
        CASE WHEN k <= :approved THEN 'approved' WHEN k <= :pending THEN 'pending' ELSE 'cancelled' END,
        1, now(),
        CASE WHEN k <= :approved OR k > :pending THEN 1 END,
        CASE WHEN k <= :approved OR k > :pending THEN now() END,
        CASE WHEN k > :pending THEN 1 END,
        CASE WHEN k > :pending THEN now() END
    FROM employees AS e CROSS JOIN generate_series(1, :entries) AS k
    WHERE e.id <= :employees
    ORDER BY e.id, k
    """,
    """
    INSERT INTO ledger_lines (
        employee_id, type, kind, delta, balance_after, reason, actor_id, pto_entry_id, created_at
    )
    SELECT
        employee_id, :balance_type, kind, delta, SUM(delta) OVER (PARTITION BY employee_id ORDER BY seq),
        reason, 1, pto_entry_id, now()
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


def seed(url, employees, admin_username, password_hash):
    """Replace the data with ``employees`` employees (10 entries each) and the writers; check the ledger."""
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
        "admin_username": admin_username,
        "password_hash": password_hash,
    }
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as connection:
            for statement in SEED:
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
    return {"readers": (1, employees), "writers": (employees + 1, employees + WRITERS)}


def server_version(url):
    """PostgreSQL's version string."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SHOW server_version"))
    finally:
        engine.dispose()
