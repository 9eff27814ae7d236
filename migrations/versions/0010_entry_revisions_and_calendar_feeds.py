"""PTO entries count their revisions (what iCal's SEQUENCE and LAST-MODIFIED need), users say when they last
changed, and calendar feeds: the secret, revocable iCal subscriptions of GET /calendar's view.

Entries filed before this revision get the revisions their timestamps show: one for a decision after filing
(one approved as it was filed was never changed), one for a cancellation, updated when the last happened.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import warnings
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FEED_SCOPES = "scope IN ('me', 'team', 'company')"


@contextmanager
def rebuilding(table):
    """``op.batch_alter_table(table)``, quiet about the lower(username) index SQLite cannot reflect."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table) as batch:
            yield batch


def upgrade():
    # Defaults in the database too: code that writes entries without them (an app still serving the
    # previous release while this one migrates, a script) keeps working. (SQLite adds a column with a
    # default like now() only by rebuilding the table: batch mode.)
    with rebuilding("pto_entries") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        )
    op.execute(
        """
        UPDATE pto_entries SET
            revision = (CASE WHEN decided_at > created_at THEN 1 ELSE 0 END)
                + (CASE WHEN cancelled_at IS NULL THEN 0 ELSE 1 END),
            updated_at = COALESCE(cancelled_at, decided_at, created_at)
        """
    )
    with rebuilding("users") as batch:
        batch.add_column(
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())
        )
    op.execute("UPDATE users SET updated_at = created_at")
    # A feed's ETag reads the latest change of entries and of employees: one index probe each.
    op.create_index("ix_pto_entries_updated_at", "pto_entries", ["updated_at"])
    op.create_index("ix_employees_updated_at", "employees", ["updated_at"])

    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=True),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("include_pending", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(FEED_SCOPES, name=op.f("ck_calendar_feeds_scope")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_calendar_feeds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
    )
    op.create_index("uq_calendar_feeds_token_hash", "calendar_feeds", ["token_hash"], unique=True)
    op.create_index("ix_calendar_feeds_user_id", "calendar_feeds", ["user_id"])


def downgrade():
    op.drop_index("ix_calendar_feeds_user_id", table_name="calendar_feeds")
    op.drop_index("uq_calendar_feeds_token_hash", table_name="calendar_feeds")
    op.drop_table("calendar_feeds")
    op.drop_index("ix_employees_updated_at", table_name="employees")
    op.drop_index("ix_pto_entries_updated_at", table_name="pto_entries")
    with rebuilding("users") as batch:
        batch.drop_column("updated_at")
    with rebuilding("pto_entries") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("revision")
