"""Work schedules, holiday calendars and the days of dated entries: a company schedule of Monday to
Friday, 8 hours, since always, and a default calendar with no country (the company's own days only);
ledger lines gain "day_refund", a booked day's hours given back when the day becomes a holiday.

Entries filed before this revision keep no days: their dates count whole, as they did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import warnings
from contextlib import contextmanager
from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

HOURS = sa.Numeric(10, 2)
OLD_ENTRY_LINES = "(kind IN ('pto_taken', 'refund')) = (pto_entry_id IS NOT NULL)"
NEW_ENTRY_LINES = "(kind IN ('pto_taken', 'refund', 'day_refund')) = (pto_entry_id IS NOT NULL)"
OLD_KINDS = "kind IN ('opening', 'adjustment', 'pto_taken', 'refund', 'accrual', 'expiry')"
NEW_KINDS = "kind IN ('opening', 'adjustment', 'pto_taken', 'refund', 'accrual', 'expiry', 'day_refund')"
MONDAY_TO_FRIDAY = ["8.00"] * 5 + ["0.00"] * 2
SINCE_ALWAYS = date(1, 1, 1)


@contextmanager
def rebuilding(table):
    """``op.batch_alter_table(table)``, quiet about the lower(username) index SQLite cannot reflect."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table) as batch:
            yield batch


def timestamp(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def where(condition):
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    calendars = op.create_table(
        "holiday_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=True),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_holiday_calendars_name_not_empty")),
        sa.CheckConstraint(
            "subdivision IS NULL OR country IS NOT NULL",
            name=op.f("ck_holiday_calendars_subdivision_of_a_country"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_calendars")),
    )
    op.create_index("uq_holiday_calendars_name", "holiday_calendars", ["name"], unique=True)
    op.create_index(
        "uq_holiday_calendars_is_default",
        "holiday_calendars",
        ["is_default"],
        unique=True,
        **where("is_default"),
    )
    op.create_table(
        "holiday_calendar_days",
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("hours", HOURS, nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.CheckConstraint(
            "kind IN ('closure', 'partial', 'working')", name=op.f("ck_holiday_calendar_days_kind")
        ),
        sa.CheckConstraint(
            "(kind = 'partial') = (hours IS NOT NULL)",
            name=op.f("ck_holiday_calendar_days_partial_days_hours"),
        ),
        sa.CheckConstraint("hours >= 0 AND hours < 24", name=op.f("ck_holiday_calendar_days_hours_in_a_day")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_holiday_calendar_days_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["holiday_calendars.id"],
            name=op.f("fk_holiday_calendar_days_calendar_id_holiday_calendars"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_holiday_calendar_days_created_by_users")
        ),
        sa.PrimaryKeyConstraint("calendar_id", "day", name=op.f("pk_holiday_calendar_days")),
    )
    schedules = op.create_table(
        "work_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_work_schedules_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_work_schedules_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_schedules")),
    )
    op.create_index(
        "uq_work_schedules_employee_id_effective_from",
        "work_schedules",
        ["employee_id", "effective_from"],
        unique=True,
    )
    op.create_index(
        "uq_work_schedules_company_effective_from",
        "work_schedules",
        ["effective_from"],
        unique=True,
        **where("employee_id IS NULL"),
    )
    op.create_table(
        "pto_days",
        sa.Column("pto_entry_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("scheduled", HOURS, nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("holiday", sa.String(length=120), nullable=True),
        sa.Column("part", sa.String(length=10), nullable=True),
        sa.CheckConstraint(
            "hours >= 0 AND hours <= scheduled", name=op.f("ck_pto_days_hours_within_schedule")
        ),
        sa.CheckConstraint("part IN ('morning', 'afternoon')", name=op.f("ck_pto_days_part")),
        sa.ForeignKeyConstraint(
            ["pto_entry_id"], ["pto_entries.id"], name=op.f("fk_pto_days_pto_entry_id_pto_entries")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_pto_days_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("pto_entry_id", "day", name=op.f("pk_pto_days")),
    )
    op.create_index("ix_pto_days_employee_id_day", "pto_days", ["employee_id", "day"])
    with rebuilding("employees") as batch:
        batch.add_column(sa.Column("holiday_calendar_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_employees_holiday_calendar_id_holiday_calendars"),
            "holiday_calendars",
            ["holiday_calendar_id"],
            ["id"],
        )
    op.create_index("ix_employees_holiday_calendar_id", "employees", ["holiday_calendar_id"])
    op.drop_index("uq_ledger_lines_pto_entry_id_kind", table_name="ledger_lines")
    with rebuilding("ledger_lines") as batch:
        batch.drop_constraint(op.f("ck_ledger_lines_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_kind"), NEW_KINDS)
        batch.drop_constraint(op.f("ck_ledger_lines_pto_lines_name_their_entry"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_pto_lines_name_their_entry"), NEW_ENTRY_LINES)
    op.create_index(
        "uq_ledger_lines_pto_entry_id_kind",
        "ledger_lines",
        ["pto_entry_id", "kind"],
        unique=True,
        **where("kind IN ('pto_taken', 'refund')"),
    )

    now = datetime.now(UTC)
    op.bulk_insert(
        calendars, [{"id": 1, "name": "Company", "is_default": True, "created_at": now, "updated_at": now}]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval('holiday_calendars_id_seq', 1)")
    op.bulk_insert(
        schedules,
        [{"employee_id": None, "effective_from": SINCE_ALWAYS, "hours": MONDAY_TO_FRIDAY, "created_at": now}],
    )


def downgrade():
    """Back to entries whose dates are decoration. Refused once a day was given back by a holiday: that
    line has no kind there."""
    given_back = op.get_bind().execute(sa.text("SELECT count(*) FROM ledger_lines WHERE kind = 'day_refund'"))
    if given_back.scalar():
        raise RuntimeError(
            "Cannot downgrade below 0009: the ledger holds day_refund lines (hours given back for days that "
            "became holidays), which 0008 has no kind for."
        )
    op.drop_index("uq_ledger_lines_pto_entry_id_kind", table_name="ledger_lines")
    with rebuilding("ledger_lines") as batch:
        batch.drop_constraint(op.f("ck_ledger_lines_pto_lines_name_their_entry"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_pto_lines_name_their_entry"), OLD_ENTRY_LINES)
        batch.drop_constraint(op.f("ck_ledger_lines_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_kind"), OLD_KINDS)
    op.create_index(
        "uq_ledger_lines_pto_entry_id_kind",
        "ledger_lines",
        ["pto_entry_id", "kind"],
        unique=True,
        **where("pto_entry_id IS NOT NULL"),
    )
    op.drop_index("ix_employees_holiday_calendar_id", table_name="employees")
    with rebuilding("employees") as batch:
        batch.drop_constraint(op.f("fk_employees_holiday_calendar_id_holiday_calendars"), type_="foreignkey")
        batch.drop_column("holiday_calendar_id")
    op.drop_index("ix_pto_days_employee_id_day", table_name="pto_days")
    op.drop_table("pto_days")
    op.drop_index("uq_work_schedules_company_effective_from", table_name="work_schedules")
    op.drop_index("uq_work_schedules_employee_id_effective_from", table_name="work_schedules")
    op.drop_table("work_schedules")
    op.drop_table("holiday_calendar_days")
    op.drop_index("uq_holiday_calendars_is_default", table_name="holiday_calendars")
    op.drop_index("uq_holiday_calendars_name", table_name="holiday_calendars")
    op.drop_table("holiday_calendars")
