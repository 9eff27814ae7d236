"""`make bench-accruals`: the accrual run (domain/accrual_runs.py) on PostgreSQL, beside a SQL floor.

A monthly run is the one job whose cost grows with the company: it reads every employee's assignments and
ledger and posts a line for each. This measures whether it stays close to what the database alone needs
for the same lines, whether its statements and its memory stay per batch rather than per employee, and
what catching up on a year of missed months costs.

    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pto_bench_h .venv/bin/python bench/accruals.py

For each size (BENCH_ACCRUAL_SIZES employees, hired long ago) the database is seeded with one monthly
policy (6.67 h a month, no caps, carry-over of everything), assigned to everyone twelve months before the
end of last month, and its first eleven months already posted: a run through the last day of last month
posts exactly one line per employee. Measured:

1. One period: seconds of the run through that day (``accrual_runs.run_in_batches``, committed after each
   step as `flask accrue` does) and of the floor, hand-written SQL posting the same lines (one INSERT ...
   SELECT of the due lines, one UPDATE of the balances), each best of BENCH_ACCRUAL_ROUNDS, taken in
   turns, each from the same state (the posted lines deleted, the balances restored, the tables vacuumed).
   The lines both post are checked to be the same. Target: run / floor within 3.
2. Statements per run, counted on the engine (``before_cursor_execute``): a fixed set per batch of
   ``accrual_runs.BATCH_SIZE`` employees, whatever the size. Beside them the round trips those take:
   SQLAlchemy sends a many-row INSERT as pages of rows (insertmanyvalues), but any other executemany goes
   to psycopg2's ``cursor.executemany``, which sends one statement per row.
3. Peak memory: each measurement runs in a fresh interpreter that reports its peak RSS before and after
   the run. Target: flat from the smallest size to the largest.
4. Catch-up: CATCH_UP_EMPLOYEES employees on the same policy with nothing posted (CATCH_UP_MONTHS months
   due): seconds of one run. Target: under 60 s.

Settings (environment):
    BENCH_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/pto_bench: dropped and recreated)
    BENCH_ACCRUAL_SIZES (2000,20000)  BENCH_ACCRUAL_ROUNDS (3)

It prints a Markdown table and writes nothing else (bench/RESULTS.md is updated by hand).
"""

import argparse
import json
import os
import platform
import resource
import secrets
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import dataset
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import ExecuteStyle

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from app import create_app
from config import database_url
from domain import accrual_runs, accruals
from models import db, today

HOURS_PER_MONTH = Decimal("6.67")
POLICY = {
    "name": "Vacation, monthly (bench)",
    "type": "vacation",
    "method": "per_period",
    "frequency": "monthly",
    "accrue_at": "end",
    "prorate": True,
    "tiers": [{"after_years": 0, "hours": HOURS_PER_MONTH}],
    "per_hours_worked": None,
    "waiting_days": 0,
    "credit_waiting": False,
    "max_balance": None,
    "max_per_year": None,
    "policy_year": "calendar",
    "year_start_month": None,
    "year_start_day": None,
    "carry_over": "all",
    "carry_over_hours": None,
    "carry_over_expires_after_days": None,
    "for_new_hires": False,
}
HIRE_DATE = date(2015, 1, 5)
# Months the policy has been assigned by the end of last month: all but the last already posted in the
# one-period case, none in the catch-up.
POLICY_MONTHS = 12
CATCH_UP_EMPLOYEES = 2_000
CATCH_UP_MONTHS = POLICY_MONTHS
FLOOR_TARGET = 3.0
CATCH_UP_TARGET_SECONDS = 60
# Statements (and round trips) a run may send: a few for the run and a fixed set per batch, whatever the
# batch's employees (the run sends 3, and 8 per batch when each employee is due one line).
FIXED_TARGET = 10
PER_BATCH_TARGET = 20
# Flat memory: the largest size's peak RSS at most this much above the smallest's.
MEMORY_TARGET = 1.10

TABLES = "employees, balances, ledger_lines, accrual_assignments, accrual_policies, accrual_runs"
SEED = [
    """
    INSERT INTO employees (name, hire_date, created_at, updated_at)
    SELECT 'Employee ' || n, :hire_date, now(), now() FROM generate_series(1, :employees) AS n ORDER BY n
    """,
    """
    INSERT INTO accrual_assignments (employee_id, type, policy_id, effective_from, created_at)
    SELECT id, :type, :policy_id, :assigned_from, now() FROM employees ORDER BY id
    """,
    # The months already posted, as a run posts them: on each month's last day, the balance after it.
    """
    INSERT INTO ledger_lines (
        employee_id, type, kind, delta, balance_after, reason, effective_on, policy_id, period_start,
        created_at
    )
    SELECT
        e.id, :type, 'accrual', :hours, :hours * k,
        :name || ': ' || to_char(m.first_day, 'YYYY-MM-DD') || ' to ' || to_char(m.last_day, 'YYYY-MM-DD'),
        m.last_day, :policy_id, m.first_day, now()
    FROM employees AS e
    CROSS JOIN generate_series(1, :posted) AS k
    CROSS JOIN LATERAL (
        SELECT CAST(:assigned_from AS date) + (k - 1) * interval '1 month' AS first_day
    ) AS f
    CROSS JOIN LATERAL (
        SELECT CAST(f.first_day AS date) AS first_day,
               CAST(f.first_day + interval '1 month' - interval '1 day' AS date) AS last_day
    ) AS m
    ORDER BY e.id, k
    """,
    """
    INSERT INTO balances (employee_id, type, hours_balance, pending_hours)
    SELECT id, :type, :hours * :posted, 0 FROM employees ORDER BY id
    """,
]
# Back to the seeded state: what a measurement posted goes, the balances return to the seeded months'.
RESET = [
    "DELETE FROM ledger_lines WHERE id > :last_seeded_line",
    "UPDATE balances SET hours_balance = :hours * :posted WHERE hours_balance <> :hours * :posted",
    "DELETE FROM accrual_runs",
]
LAST_LINE = "SELECT COALESCE(MAX(id), 0) FROM ledger_lines"
# The floor: every line due for the period, set-based, then the balances moved by them. The same decisions
# as the run (active employees hired by the period's end, on a policy from its start, the line not yet
# posted) and the same columns, the reason included.
FLOOR = [
    """
    INSERT INTO ledger_lines (
        employee_id, type, kind, delta, balance_after, reason, effective_on, policy_id, period_start,
        created_at
    )
    SELECT
        e.id, a.type, 'accrual', h.hours, COALESCE(b.hours_balance, 0) + h.hours,
        p.name || ': ' || :period_start_text || ' to ' || :period_end_text,
        :period_end, p.id, :period_start, now()
    FROM employees AS e
    JOIN accrual_assignments AS a
        ON a.employee_id = e.id AND a.policy_id IS NOT NULL AND a.effective_from <= :period_start
    JOIN accrual_policies AS p ON p.id = a.policy_id
    CROSS JOIN LATERAL (SELECT CAST(p.tiers -> 0 ->> 'hours' AS numeric) AS hours) AS h
    LEFT JOIN balances AS b ON b.employee_id = e.id AND b.type = a.type
    WHERE e.archived_at IS NULL AND e.hire_date <= :period_end
      AND NOT EXISTS (
        SELECT 1 FROM ledger_lines AS l
        WHERE l.employee_id = e.id AND l.policy_id = p.id AND l.period_start = :period_start
          AND l.kind = 'accrual'
      )
    ORDER BY e.id
    """,
    """
    UPDATE balances AS b SET hours_balance = l.balance_after
    FROM (
        SELECT employee_id, type, balance_after FROM ledger_lines
        WHERE period_start = :period_start AND kind = 'accrual' AND policy_id IS NOT NULL
    ) AS l
    WHERE b.employee_id = l.employee_id AND b.type = l.type
    """,
]
# What a measurement posted, to check the run and the floor posted the same lines.
POSTED = """
    SELECT count(*), COALESCE(SUM(delta), 0), COALESCE(SUM(balance_after), 0),
           count(DISTINCT (type, kind, effective_on, period_start, policy_id, reason)), MIN(reason)
    FROM ledger_lines WHERE id > :last_seeded_line
"""


@dataclass(frozen=True)
class Settings:
    database_url: str
    sizes: list
    rounds: int

    @classmethod
    def from_env(cls, env):
        return cls(
            database_url=env.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL),
            sizes=[int(size) for size in env.get("BENCH_ACCRUAL_SIZES", "2000,20000").split(",")],
            rounds=int(env.get("BENCH_ACCRUAL_ROUNDS", "3")),
        )


@dataclass
class Measurement:
    """What one measured process reports."""

    seconds: float
    statements: int
    round_trips: int
    rss_before_mb: float  # peak RSS once the app is built and connected, before the measured work
    rss_peak_mb: float  # peak RSS after it
    posted: tuple = ()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measure", choices=("run", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    if args.measure:
        measure(settings.database_url, args.measure)
    else:
        benchmark(settings)


# Dates


def last_month():
    """(first day, last day) of the month before today's."""
    last_day = today().replace(day=1) - timedelta(days=1)
    return last_day.replace(day=1), last_day


def months_before(first_day, months):
    """The first day of the month ``months`` before the one starting on ``first_day``."""
    year, month = divmod(first_day.year * 12 + first_day.month - 1 - months, 12)
    return date(year, month + 1, 1)


# The app and the database


def build_app(url):
    """The app on ``url``, as a development deploy builds it."""
    return create_app(
        {
            "APP_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": database_url(url, instance_path=""),
            "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        }
    )


def create_schema(app, url):
    """A freshly emptied database, migrated as `flask db upgrade` does."""
    dataset.create_database(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@dataclass(frozen=True)
class Seeded:
    """One seeded company: what a reset returns to, and how many lines a run through last month posts."""

    employees: int
    posted_months: int
    last_seeded_line: int

    @property
    def due_lines(self):
        return self.employees * (POLICY_MONTHS - self.posted_months)

    def params(self):
        return {
            "last_seeded_line": self.last_seeded_line,
            "hours": HOURS_PER_MONTH,
            "posted": self.posted_months,
        }


def seed(app, employees, posted_months):
    """Replace the company with ``employees`` employees on the bench policy since POLICY_MONTHS months before
    the end of last month, its first ``posted_months`` months posted."""
    first_day, _last_day = last_month()
    with app.app_context():
        db.session.execute(sa.text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        policy = accruals.add_policy(dict(POLICY))
        params = {
            "employees": employees,
            "hire_date": HIRE_DATE,
            "type": POLICY["type"],
            "policy_id": policy.id,
            "assigned_from": months_before(first_day, POLICY_MONTHS - 1),
            "posted": posted_months,
            "hours": HOURS_PER_MONTH,
            "name": POLICY["name"],
        }
        for statement in SEED:
            db.session.execute(sa.text(statement), params)
        last_seeded_line = db.session.scalar(sa.text(LAST_LINE))
        db.session.commit()
        seeded = Seeded(employees, posted_months, last_seeded_line)
        vacuum()
    return seeded


def reset(app, seeded):
    """Back to the seeded state, vacuumed and checkpointed, so each measurement starts from the same one."""
    with app.app_context():
        for statement in RESET:
            db.session.execute(sa.text(statement), seeded.params())
        db.session.commit()
        vacuum()


def vacuum():
    """Clear dead rows, refresh the planner's statistics and write dirty pages out."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
        connection.execute(sa.text("CHECKPOINT"))


def check_posted(app, seeded):
    """What the measurement posted (see POSTED), after checking it is one line per due period and that
    every balance equals its ledger."""
    with app.app_context():
        posted = tuple(db.session.execute(sa.text(POSTED), seeded.params()).one())
        mismatches = db.session.scalar(sa.text(dataset.LEDGER_MISMATCHES))
        db.session.rollback()
    if posted[0] != seeded.due_lines or mismatches:
        raise RuntimeError(
            f"posted {posted[0]} line(s), {seeded.due_lines} due; "
            f"{mismatches} balance(s) differ from the ledger"
        )
    return posted


# One measurement, in its own interpreter


def measure_in_child(settings, kind):
    """Run ``kind`` ("run" or "floor") in a fresh interpreter; what it reports."""
    completed = subprocess.run(  # noqa: S603 (this script, by the interpreter running it)
        [sys.executable, __file__, "--measure", kind],
        env={**os.environ, "BENCH_DATABASE_URL": settings.database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"the {kind} measurement failed:\n{completed.stderr}")
    return Measurement(**json.loads(completed.stdout.splitlines()[-1]))


def measure(url, kind):
    """In the child: build the app, connect, then time the run (or the floor) through the end of last
    month, counting its statements; print what it measured as one JSON line."""
    app = build_app(url)
    with app.app_context():
        sent = count_statements(db.engine)
        if kind == "run":
            work = partial(accrue, accrual_runs.start_run(last_month()[1], "cli"))
        else:
            db.session.execute(sa.text("SELECT 1"))
            db.session.commit()
            work = post_floor
        sent.clear()
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        measured = Measurement(seconds, sent["statements"], sent["round_trips"], rss_before, peak_rss_mb())
    print(json.dumps(measured.__dict__, default=str))


def count_statements(engine):
    """A Counter of the statements ``engine`` sends from now on, and of their round trips."""
    sent = Counter()

    def count(_connection, _cursor, _statement, parameters, context, _executemany):
        sent["statements"] += 1
        # psycopg2's executemany is a loop of execute (its documentation says so); a page of
        # insertmanyvalues, or any single statement, is one.
        many_rows = context.execute_style is ExecuteStyle.EXECUTEMANY
        sent["round_trips"] += len(parameters) if many_rows else 1

    sa.event.listen(engine, "before_cursor_execute", count)
    return sent


def accrue(run):
    """The run as `flask accrue` makes it: a commit after each step."""
    for _handled in accrual_runs.run_in_batches(run):
        db.session.commit()


def post_floor():
    """The floor: the period's lines and balances in two statements and one transaction."""
    period_start, period_end = last_month()
    params = {
        "period_start": period_start,
        "period_end": period_end,
        "period_start_text": period_start.isoformat(),
        "period_end_text": period_end.isoformat(),
    }
    for statement in FLOOR:
        db.session.execute(sa.text(statement), params)
    db.session.commit()


def peak_rss_mb():
    """This process's peak resident set so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The benchmark


@dataclass
class Row:
    """One line of the report."""

    case: str
    employees: int
    lines: int
    run: Measurement
    floor: Measurement | None = None

    @property
    def batches(self):
        return -(-self.employees // accrual_runs.BATCH_SIZE)


def one_period(app, settings, employees):
    """Best of ``settings.rounds`` runs and floors, in turns, each from the seeded state."""
    print(f"Seeding {employees:,} employees, {POLICY_MONTHS - 1} months posted ...", flush=True)
    seeded = seed(app, employees, posted_months=POLICY_MONTHS - 1)
    best = {}
    for round_number in range(1, settings.rounds + 1):
        for kind in ("run", "floor"):
            reset(app, seeded)
            measured = measure_in_child(settings, kind)
            measured.posted = check_posted(app, seeded)
            print(f"  round {round_number}: {kind} {measured.seconds:.2f} s", flush=True)
            if kind not in best or measured.seconds < best[kind].seconds:
                best[kind] = measured
    if best["run"].posted != best["floor"].posted:
        raise RuntimeError(f"the run posted {best['run'].posted}, the floor {best['floor'].posted}")
    return Row("one period", employees, seeded.due_lines, best["run"], best["floor"])


def catch_up(app, settings):
    """One run posting CATCH_UP_MONTHS months to CATCH_UP_EMPLOYEES employees with nothing posted."""
    print(f"Seeding {CATCH_UP_EMPLOYEES:,} employees, nothing posted ...", flush=True)
    seeded = seed(app, CATCH_UP_EMPLOYEES, posted_months=POLICY_MONTHS - CATCH_UP_MONTHS)
    measured = measure_in_child(settings, "run")
    check_posted(app, seeded)
    print(f"  catch-up: run {measured.seconds:.2f} s", flush=True)
    return Row(f"catch-up, {CATCH_UP_MONTHS} months", CATCH_UP_EMPLOYEES, seeded.due_lines, measured)


def benchmark(settings):
    """Every measurement at every size, then the report."""
    app = build_app(settings.database_url)
    create_schema(app, settings.database_url)
    rows = [one_period(app, settings, employees) for employees in settings.sizes]
    rows.append(catch_up(app, settings))
    with app.app_context():
        version = db.session.scalar(sa.text("SHOW server_version"))
        db.engine.dispose()
    report(settings, rows, version)


def report(settings, rows, version):
    _first, through = last_month()
    print(
        f"\nAccrual run through {through}, PostgreSQL {version}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; best of {settings.rounds}; batches of {accrual_runs.BATCH_SIZE}.\n"
    )
    print(
        "| Case | Employees | Lines | Run s | Floor s | Run / floor | Statements | Round trips | Batches "
        "| Peak RSS MB | RSS growth MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        run, floor = row.run, row.floor
        floor_cells = f"{floor.seconds:.3f} | {run.seconds / floor.seconds:.1f}" if floor else "— | —"
        print(
            f"| {row.case} | {row.employees:,} | {row.lines:,} | {run.seconds:.2f} | {floor_cells} "
            f"| {run.statements} | {run.round_trips:,} | {row.batches} | {run.rss_peak_mb:.0f} "
            f"| {run.rss_peak_mb - run.rss_before_mb:.1f} |"
        )
    print()
    for line in verdicts([row for row in rows if row.floor], rows[-1]):
        print(line)


def verdicts(periods, catch_up_row):
    """One line per target: met or not, with the figure it is judged on."""
    yield from (
        f"{mark(row.run.seconds / row.floor.seconds <= FLOOR_TARGET)} run / floor at {row.employees:,}: "
        f"{row.run.seconds / row.floor.seconds:.1f} (target ≤ {FLOOR_TARGET:g})"
        for row in periods
    )
    smallest, largest = periods[0], periods[-1]
    sizes = " / ".join(f"{row.employees:,}" for row in periods)
    for name in ("statements", "round_trips"):
        counts = [getattr(row.run, name) for row in periods]
        budgets = [statement_budget(row.batches) for row in periods]
        within = all(count <= budget for count, budget in zip(counts, budgets, strict=True))
        yield (
            f"{mark(within)} {name.replace('_', ' ')} at {sizes}: "
            f"{' / '.join(f'{count:,}' for count in counts)} (target: at most {FIXED_TARGET} + "
            f"{PER_BATCH_TARGET} per batch, {' / '.join(f'{budget:,}' for budget in budgets)})"
        )
    growth = largest.run.rss_peak_mb / smallest.run.rss_peak_mb
    yield (
        f"{mark(growth <= MEMORY_TARGET)} peak RSS, {largest.employees:,} over {smallest.employees:,}: "
        f"{growth:.2f} (target ≤ {MEMORY_TARGET:g})"
    )
    seconds = catch_up_row.run.seconds
    met = seconds < CATCH_UP_TARGET_SECONDS
    yield f"{mark(met)} catch-up: {seconds:.1f} s (target < {CATCH_UP_TARGET_SECONDS} s)"


def statement_budget(batches):
    return FIXED_TARGET + PER_BATCH_TARGET * batches


def mark(met):
    return "met:   " if met else "missed:"


if __name__ == "__main__":
    main()
