"""Accrual policies: the policies, who is on which from when, hours worked, the runs and the replays they
owe; ledger lines gain the day they count from (existing lines: the UTC day they were written) and, for a
policy's lines, the policy, period and revision they were posted for.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

HOURS = sa.Numeric(10, 2)
KEY = sa.String(length=40)
OLD_KINDS = "kind IN ('opening', 'adjustment', 'pto_taken', 'refund', 'accrual')"
NEW_KINDS = "kind IN ('opening', 'adjustment', 'pto_taken', 'refund', 'accrual', 'expiry')"
POLICY_LINES_ONCE = dict(
    unique=True,
    sqlite_where=sa.text("policy_id IS NOT NULL"),
    postgresql_where=sa.text("policy_id IS NOT NULL"),
)


@contextmanager
def rebuilding(table):
    """``op.batch_alter_table(table)``, quiet about the lower(username) index SQLite cannot reflect (the
    rebuild does not touch it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table) as batch:
            yield batch


def timestamp(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "accrual_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type", KEY, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("accrue_at", sa.String(length=10), nullable=False),
        sa.Column("prorate", sa.Boolean(), nullable=False),
        sa.Column("tiers", sa.JSON(), nullable=False),
        sa.Column("per_hours_worked", HOURS, nullable=True),
        sa.Column("waiting_days", sa.Integer(), nullable=False),
        sa.Column("credit_waiting", sa.Boolean(), nullable=False),
        sa.Column("max_balance", HOURS, nullable=True),
        sa.Column("max_per_year", HOURS, nullable=True),
        sa.Column("policy_year", sa.String(length=20), nullable=False),
        sa.Column("year_start_month", sa.Integer(), nullable=True),
        sa.Column("year_start_day", sa.Integer(), nullable=True),
        sa.Column("carry_over", sa.String(length=10), nullable=False),
        sa.Column("carry_over_hours", HOURS, nullable=True),
        sa.Column("carry_over_expires_after_days", sa.Integer(), nullable=True),
        sa.Column("for_new_hires", sa.Boolean(), nullable=False),
        timestamp("archived_at", nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.CheckConstraint(
            "method IN ('per_period', 'per_hours_worked', 'front_loaded')",
            name=op.f("ck_accrual_policies_method"),
        ),
        sa.CheckConstraint(
            "frequency IN ('weekly', 'biweekly', 'semimonthly', 'monthly', 'quarterly', 'yearly')",
            name=op.f("ck_accrual_policies_frequency"),
        ),
        sa.CheckConstraint("accrue_at IN ('start', 'end')", name=op.f("ck_accrual_policies_accrue_at")),
        sa.CheckConstraint(
            "policy_year IN ('calendar', 'fixed', 'hire_anniversary')",
            name=op.f("ck_accrual_policies_policy_year"),
        ),
        sa.CheckConstraint(
            "carry_over IN ('all', 'none', 'up_to')", name=op.f("ck_accrual_policies_carry_over")
        ),
        sa.CheckConstraint(
            "(carry_over = 'up_to') = (carry_over_hours IS NOT NULL)",
            name=op.f("ck_accrual_policies_carry_over_hours"),
        ),
        sa.CheckConstraint(
            "(policy_year = 'fixed') = (year_start_month IS NOT NULL AND year_start_day IS NOT NULL)",
            name=op.f("ck_accrual_policies_fixed_year_start"),
        ),
        sa.CheckConstraint("waiting_days >= 0", name=op.f("ck_accrual_policies_waiting_days_not_negative")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_accrual_policies_name_not_empty")),
        sa.CheckConstraint(
            "NOT for_new_hires OR archived_at IS NULL",
            name=op.f("ck_accrual_policies_new_hires_policy_active"),
        ),
        sa.ForeignKeyConstraint(["type"], ["pto_types.key"], name=op.f("fk_accrual_policies_type_pto_types")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accrual_policies")),
    )
    op.create_index("ix_accrual_policies_type", "accrual_policies", ["type"])
    op.create_index(
        "uq_accrual_policies_type_for_new_hires",
        "accrual_policies",
        ["type"],
        unique=True,
        sqlite_where=sa.text("for_new_hires"),
        postgresql_where=sa.text("for_new_hires"),
    )

    op.create_table(
        "accrual_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("type", KEY, nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_accrual_assignments_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["type"], ["pto_types.key"], name=op.f("fk_accrual_assignments_type_pto_types")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["accrual_policies.id"],
            name=op.f("fk_accrual_assignments_policy_id_accrual_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["assigned_by"], ["users.id"], name=op.f("fk_accrual_assignments_assigned_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accrual_assignments")),
    )
    op.create_index(
        "ix_accrual_assignments_employee_id_type_effective_from",
        "accrual_assignments",
        ["employee_id", "type", "effective_from"],
    )
    op.create_index("ix_accrual_assignments_policy_id", "accrual_assignments", ["policy_id"])

    op.create_table(
        "hours_worked",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("posted_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.CheckConstraint("hours >= 0", name=op.f("ck_hours_worked_hours_not_negative")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_hours_worked_period_ordered")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_hours_worked_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(["posted_by"], ["users.id"], name=op.f("fk_hours_worked_posted_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hours_worked")),
    )
    op.create_index(
        "uq_hours_worked_employee_id_period_start",
        "hours_worked",
        ["employee_id", "period_start"],
        unique=True,
    )

    op.create_table(
        "accrual_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        timestamp("started_at"),
        timestamp("finished_at", nullable=True),
        sa.CheckConstraint("status IN ('running', 'finished')", name=op.f("ck_accrual_runs_status")),
        sa.ForeignKeyConstraint(["started_by"], ["users.id"], name=op.f("fk_accrual_runs_started_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accrual_runs")),
    )

    op.create_table(
        "accrual_replays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        timestamp("requested_at"),
        timestamp("done_at", nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_accrual_replays_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_accrual_replays_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["accrual_runs.id"], name=op.f("fk_accrual_replays_run_id_accrual_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accrual_replays")),
    )
    op.create_index("ix_accrual_replays_employee_id", "accrual_replays", ["employee_id"])

    op.drop_index("ix_ledger_lines_employee_id_type_created_at", table_name="ledger_lines")
    op.add_column("ledger_lines", sa.Column("effective_on", sa.Date(), nullable=True))
    # Timestamps are stored in UTC: a line written before now counts from its UTC day.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE ledger_lines SET effective_on = (created_at AT TIME ZONE 'UTC')::date")
    else:
        op.execute("UPDATE ledger_lines SET effective_on = date(created_at)")
    with rebuilding("ledger_lines") as batch:
        batch.alter_column("effective_on", existing_type=sa.Date(), nullable=False)
        batch.add_column(sa.Column("policy_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("period_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.create_foreign_key(
            op.f("fk_ledger_lines_policy_id_accrual_policies"), "accrual_policies", ["policy_id"], ["id"]
        )
        batch.drop_constraint(op.f("ck_ledger_lines_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_kind"), NEW_KINDS)
        batch.create_check_constraint(
            op.f("ck_ledger_lines_policy_lines_kind"), "policy_id IS NULL OR kind IN ('accrual', 'expiry')"
        )
        batch.create_check_constraint(
            op.f("ck_ledger_lines_policy_lines_name_their_period"),
            "(policy_id IS NULL) = (period_start IS NULL)",
        )
    op.create_index(
        "ix_ledger_lines_employee_id_type_effective_on",
        "ledger_lines",
        ["employee_id", "type", "effective_on"],
    )
    op.create_index(
        "uq_ledger_lines_employee_policy_period_kind_revision",
        "ledger_lines",
        ["employee_id", "policy_id", "period_start", "kind", "revision"],
        **POLICY_LINES_ONCE,
    )


def downgrade():
    """Back to lines without dates or policies. A policy's expiry lines have no kind there: this is for a
    database whose policies never posted one."""
    op.drop_index("uq_ledger_lines_employee_policy_period_kind_revision", table_name="ledger_lines")
    op.drop_index("ix_ledger_lines_employee_id_type_effective_on", table_name="ledger_lines")
    with rebuilding("ledger_lines") as batch:
        batch.drop_constraint(op.f("ck_ledger_lines_policy_lines_name_their_period"), type_="check")
        batch.drop_constraint(op.f("ck_ledger_lines_policy_lines_kind"), type_="check")
        batch.drop_constraint(op.f("ck_ledger_lines_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_ledger_lines_kind"), OLD_KINDS)
        batch.drop_constraint(op.f("fk_ledger_lines_policy_id_accrual_policies"), type_="foreignkey")
        batch.drop_column("revision")
        batch.drop_column("period_start")
        batch.drop_column("policy_id")
        batch.drop_column("effective_on")
    op.create_index(
        "ix_ledger_lines_employee_id_type_created_at", "ledger_lines", ["employee_id", "type", "created_at"]
    )
    op.drop_index("ix_accrual_replays_employee_id", table_name="accrual_replays")
    op.drop_table("accrual_replays")
    op.drop_table("accrual_runs")
    op.drop_table("hours_worked")
    op.drop_index("ix_accrual_assignments_policy_id", table_name="accrual_assignments")
    op.drop_index("ix_accrual_assignments_employee_id_type_effective_from", table_name="accrual_assignments")
    op.drop_table("accrual_assignments")
    op.drop_index("uq_accrual_policies_type_for_new_hires", table_name="accrual_policies")
    op.drop_index("ix_accrual_policies_type", table_name="accrual_policies")
    op.drop_table("accrual_policies")
