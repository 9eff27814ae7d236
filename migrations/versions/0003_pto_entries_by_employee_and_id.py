"""PTO entries indexed by employee and id: an employee's latest entries are read without their whole history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # The new index leads with employee_id, so it also serves every lookup the old one did.
    op.create_index("ix_pto_entries_employee_id_id", "pto_entries", ["employee_id", "id"])
    op.drop_index("ix_pto_entries_employee_id", table_name="pto_entries")


def downgrade():
    op.create_index("ix_pto_entries_employee_id", "pto_entries", ["employee_id"])
    op.drop_index("ix_pto_entries_employee_id_id", table_name="pto_entries")
