"""Time-off types as records, and a balance per employee and type.

The five types that were fixed strings become records that keep today's meaning: vacation has its own
balance and is the default; sick, personal and bereavement draw on vacation's; unpaid keeps none. Every
employee's hours_balance becomes their vacation balance (with the hours of their pending requests held
against it), and every ledger line lands on it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import warnings
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

HOURS = sa.Numeric(precision=10, scale=2)
KEY = sa.String(length=40)
DEFAULT_TYPE = "vacation"
# key, name, balance, draws_on, paid, colour
STARTER_TYPES = (
    ("vacation", "Vacation", "own", None, True, "#2e86de"),
    ("sick", "Sick leave", "shared", "vacation", True, "#e74c3c"),
    ("personal", "Personal", "shared", "vacation", True, "#8e44ad"),
    ("bereavement", "Bereavement", "shared", "vacation", True, "#7f8c8d"),
    ("unpaid", "Unpaid leave", "none", None, False, "#95a5a6"),
)
OLD_TYPES = "type IN ('vacation', 'sick', 'personal', 'bereavement', 'unpaid')"
# SQLite cannot reflect a partial index's WHERE clause, so a table rebuild would lose it: drop, rebuild, recreate.
ENTRY_LINES_ONCE = dict(
    unique=True,
    sqlite_where=sa.text("pto_entry_id IS NOT NULL"),
    postgresql_where=sa.text("pto_entry_id IS NOT NULL"),
)


@contextmanager
def rebuilding(table):
    """``op.batch_alter_table(table)``: on SQLite it rebuilds the table, reflecting the tables it refers to.
    Reflecting ``users`` warns that SQLite cannot read the lower(username) index; that index is not
    rebuilt (only ``table`` is), so the warning says nothing about this migration."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table) as batch:
            yield batch


def timestamp(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "pto_types",
        sa.Column("key", KEY, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("balance", sa.String(length=10), nullable=False),
        sa.Column("draws_on", KEY, nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("overdraft_hours", HOURS, nullable=True),
        sa.Column("color", sa.String(length=7), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        timestamp("archived_at", nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.CheckConstraint("balance IN ('own', 'shared', 'none')", name=op.f("ck_pto_types_balance")),
        sa.CheckConstraint(
            "(balance = 'shared') = (draws_on IS NOT NULL)",
            name=op.f("ck_pto_types_shared_types_draw_on_one"),
        ),
        sa.CheckConstraint("draws_on <> key", name=op.f("ck_pto_types_not_drawing_on_itself")),
        sa.CheckConstraint(
            "NOT is_default OR (balance = 'own' AND archived_at IS NULL)",
            name=op.f("ck_pto_types_default_own"),
        ),
        sa.CheckConstraint("overdraft_hours >= 0", name=op.f("ck_pto_types_overdraft_not_negative")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_pto_types_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["draws_on"], ["pto_types.key"], name=op.f("fk_pto_types_draws_on_pto_types")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pto_types")),
    )
    op.create_index(
        "uq_pto_types_is_default",
        "pto_types",
        ["is_default"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    types = sa.table(
        "pto_types",
        *(sa.column(name) for name in ("key", "name", "balance", "draws_on", "paid", "color")),
        sa.column("requires_approval", sa.Boolean),
        sa.column("is_default", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        types,
        [
            dict(zip(("key", "name", "balance", "draws_on", "paid", "color"), row, strict=True))
            | {
                "requires_approval": True,
                "is_default": row[0] == DEFAULT_TYPE,
                "created_at": now,
                "updated_at": now,
            }
            for row in STARTER_TYPES
        ],
    )

    op.create_table(
        "balances",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("type", KEY, nullable=False),
        sa.Column("hours_balance", HOURS, nullable=False),
        sa.Column("pending_hours", HOURS, nullable=False),
        sa.CheckConstraint(
            "hours_balance BETWEEN -1000000 AND 1000000", name=op.f("ck_balances_hours_balance_in_range")
        ),
        sa.CheckConstraint(
            "pending_hours BETWEEN 0 AND 1000000", name=op.f("ck_balances_pending_hours_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_balances_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(["type"], ["pto_types.key"], name=op.f("fk_balances_type_pto_types")),
        sa.PrimaryKeyConstraint("employee_id", "type", name=op.f("pk_balances")),
    )
    # Every employee's one balance becomes their vacation balance, with their pending requests' hours held.
    op.execute(
        sa.text(
            """
            INSERT INTO balances (employee_id, type, hours_balance, pending_hours)
            SELECT e.id, :default_type, e.hours_balance, ROUND(COALESCE((
                SELECT SUM(p.hours) FROM pto_entries p
                WHERE p.employee_id = e.id AND p.status = 'pending' AND p.type <> 'unpaid'
            ), 0), 2)
            FROM employees e
            """
        ).bindparams(default_type=DEFAULT_TYPE)
    )

    with rebuilding("pto_entries") as batch:
        batch.drop_constraint(op.f("ck_pto_entries_type"), type_="check")
        batch.alter_column("type", existing_type=sa.String(length=20), type_=KEY, existing_nullable=False)
        batch.add_column(sa.Column("balance_type", KEY, nullable=True))
        batch.create_foreign_key(op.f("fk_pto_entries_type_pto_types"), "pto_types", ["type"], ["key"])
        batch.create_foreign_key(
            op.f("fk_pto_entries_balance_type_pto_types"), "pto_types", ["balance_type"], ["key"]
        )
    op.execute(
        sa.text("UPDATE pto_entries SET balance_type = :default_type WHERE type <> 'unpaid'").bindparams(
            default_type=DEFAULT_TYPE
        )
    )

    op.drop_index("uq_ledger_lines_pto_entry_id_kind", table_name="ledger_lines")
    op.add_column("ledger_lines", sa.Column("type", KEY, nullable=True))
    op.execute(sa.text("UPDATE ledger_lines SET type = :default_type").bindparams(default_type=DEFAULT_TYPE))
    with rebuilding("ledger_lines") as batch:
        batch.alter_column("type", existing_type=KEY, nullable=False)
        batch.create_foreign_key(op.f("fk_ledger_lines_type_pto_types"), "pto_types", ["type"], ["key"])
    op.create_index(
        "uq_ledger_lines_pto_entry_id_kind", "ledger_lines", ["pto_entry_id", "kind"], **ENTRY_LINES_ONCE
    )
    op.create_index(
        "ix_ledger_lines_employee_id_type_created_at", "ledger_lines", ["employee_id", "type", "created_at"]
    )

    with rebuilding("employees") as batch:
        batch.drop_constraint(op.f("ck_employees_hours_balance_in_range"), type_="check")
        batch.drop_column("hours_balance")


def downgrade():
    """Back to one balance per employee: the default type's. (Other balances, and entries of types other
    than the five starters, have no place there: this is for an empty database, or one that never used them.)"""
    with rebuilding("employees") as batch:
        batch.add_column(sa.Column("hours_balance", HOURS, nullable=False, server_default="0"))
        batch.create_check_constraint(
            op.f("ck_employees_hours_balance_in_range"), "hours_balance BETWEEN -1000000 AND 1000000"
        )
    op.execute(
        """
        UPDATE employees SET hours_balance = COALESCE((
            SELECT b.hours_balance FROM balances b JOIN pto_types t ON t.key = b.type
            WHERE b.employee_id = employees.id AND t.is_default
        ), 0)
        """
    )
    with rebuilding("employees") as batch:
        batch.alter_column("hours_balance", existing_type=HOURS, existing_nullable=False, server_default=None)

    op.drop_index("ix_ledger_lines_employee_id_type_created_at", table_name="ledger_lines")
    op.drop_index("uq_ledger_lines_pto_entry_id_kind", table_name="ledger_lines")
    with rebuilding("ledger_lines") as batch:
        batch.drop_constraint(op.f("fk_ledger_lines_type_pto_types"), type_="foreignkey")
        batch.drop_column("type")
    op.create_index(
        "uq_ledger_lines_pto_entry_id_kind", "ledger_lines", ["pto_entry_id", "kind"], **ENTRY_LINES_ONCE
    )

    with rebuilding("pto_entries") as batch:
        batch.drop_constraint(op.f("fk_pto_entries_balance_type_pto_types"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_pto_entries_type_pto_types"), type_="foreignkey")
        batch.drop_column("balance_type")
        batch.alter_column("type", existing_type=KEY, type_=sa.String(length=20), existing_nullable=False)
        batch.create_check_constraint(op.f("ck_pto_entries_type"), OLD_TYPES)

    op.drop_table("balances")
    op.drop_index("uq_pto_types_is_default", table_name="pto_types")
    op.drop_table("pto_types")
