"""Employees' hire date and the date they left: existing employees were hired on the day their record was
made, and archived ones left on the day they were archived.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("employees") as batch:
        batch.add_column(sa.Column("hire_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    # Timestamps are stored in UTC: their UTC day (a date of NULL, for those not archived, is NULL).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE employees SET hire_date = (created_at AT TIME ZONE 'UTC')::date, "
            "left_on = (archived_at AT TIME ZONE 'UTC')::date"
        )
    else:
        op.execute("UPDATE employees SET hire_date = date(created_at), left_on = date(archived_at)")
    with op.batch_alter_table("employees") as batch:
        batch.alter_column("hire_date", existing_type=sa.Date(), nullable=False)
        batch.create_check_constraint(op.f("ck_employees_left_on_or_after_hire_date"), "left_on >= hire_date")


def downgrade():
    with op.batch_alter_table("employees") as batch:
        batch.drop_constraint(op.f("ck_employees_left_on_or_after_hire_date"), type_="check")
        batch.drop_column("left_on")
        batch.drop_column("hire_date")
