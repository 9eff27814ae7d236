"""Initial schema: users, login sessions, employees, PTO entries and the ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Later changes: on SQLite, Alembic's batch mode rebuilds a table and cannot reflect the
lower(username) index, so a migration that rebuilds `users` must drop and recreate it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

HOURS = sa.Numeric(precision=10, scale=2)


def timestamp(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("hours_balance", HOURS, nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        timestamp("archived_at", nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_employees_name_not_empty")),
        sa.CheckConstraint(
            "hours_balance BETWEEN -1000000 AND 1000000", name=op.f("ck_employees_hours_balance_in_range")
        ),
        sa.CheckConstraint("manager_id <> id", name=op.f("ck_employees_not_own_manager")),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["employees.id"], name=op.f("fk_employees_manager_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employees")),
    )
    op.create_index(op.f("ix_employees_manager_id"), "employees", ["manager_id"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        sa.CheckConstraint("role IN ('admin', 'manager', 'employee')", name=op.f("ck_users_role")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_users_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index("uq_users_lower_username", "users", [sa.text("lower(username)")], unique=True)
    op.create_index("uq_users_employee_id", "users", ["employee_id"], unique=True)

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        timestamp("created_at"),
        timestamp("expires_at"),
        timestamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
    )
    op.create_index(op.f("ix_login_sessions_user_id"), "login_sessions", ["user_id"])
    op.create_index(op.f("ix_login_sessions_expires_at"), "login_sessions", ["expires_at"])

    op.create_table(
        "pto_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("hours", HOURS, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        timestamp("decided_at", nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        sa.Column("cancelled_by", sa.Integer(), nullable=True),
        timestamp("cancelled_at", nullable=True),
        sa.Column("cancellation_note", sa.String(length=1000), nullable=True),
        sa.CheckConstraint("hours > 0", name=op.f("ck_pto_entries_hours_positive")),
        sa.CheckConstraint(
            "type IN ('vacation', 'sick', 'personal', 'bereavement', 'unpaid')",
            name=op.f("ck_pto_entries_type"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'cancelled')", name=op.f("ck_pto_entries_status")
        ),
        sa.CheckConstraint(
            "(start_date IS NULL) = (end_date IS NULL)", name=op.f("ck_pto_entries_dates_together")
        ),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_pto_entries_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_pto_entries_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_pto_entries_requested_by_users")
        ),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_pto_entries_decided_by_users")),
        sa.ForeignKeyConstraint(
            ["cancelled_by"], ["users.id"], name=op.f("fk_pto_entries_cancelled_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pto_entries")),
    )
    op.create_index(op.f("ix_pto_entries_employee_id"), "pto_entries", ["employee_id"])

    op.create_table(
        "ledger_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("delta", HOURS, nullable=False),
        sa.Column("balance_after", HOURS, nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("pto_entry_id", sa.Integer(), nullable=True),
        timestamp("created_at"),
        sa.CheckConstraint(
            "kind IN ('opening', 'adjustment', 'pto_taken', 'refund', 'accrual')",
            name=op.f("ck_ledger_lines_kind"),
        ),
        sa.CheckConstraint(
            "(kind IN ('pto_taken', 'refund')) = (pto_entry_id IS NOT NULL)",
            name=op.f("ck_ledger_lines_pto_lines_name_their_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_ledger_lines_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_ledger_lines_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["pto_entry_id"], ["pto_entries.id"], name=op.f("fk_ledger_lines_pto_entry_id_pto_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_lines")),
    )
    op.create_index("ix_ledger_lines_employee_id_created_at", "ledger_lines", ["employee_id", "created_at"])
    # An entry's hours are taken at most once and refunded at most once, whatever the app does.
    op.create_index(
        "uq_ledger_lines_pto_entry_id_kind",
        "ledger_lines",
        ["pto_entry_id", "kind"],
        unique=True,
        sqlite_where=sa.text("pto_entry_id IS NOT NULL"),
        postgresql_where=sa.text("pto_entry_id IS NOT NULL"),
    )


def downgrade():
    op.drop_table("ledger_lines")
    op.drop_table("pto_entries")
    op.drop_table("login_sessions")
    op.drop_table("users")
    op.drop_table("employees")
