"""PTO entries indexed by employee, status and end date: filing reads an employee's open and upcoming
entries, never their whole history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_pto_entries_employee_id_status_end_date", "pto_entries", ["employee_id", "status", "end_date"]
    )


def downgrade():
    op.drop_index("ix_pto_entries_employee_id_status_end_date", table_name="pto_entries")
