"""Users who must change their password: set when an admin resets it, cleared when they change it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns itself): a batch copy of the table on
# SQLite would lose the lower(username) index, which it cannot reflect.


def upgrade():
    # Existing accounts chose their own passwords: none of them has to change it.
    op.add_column(
        "users", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    op.drop_column("users", "must_change_password")
