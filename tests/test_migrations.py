"""The migrations are the schema's only author: they match the models and run both ways."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from models import db

# SQLite cannot reflect the lower(username) index; PostgreSQL compares it.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
]


def schema_differences(app):
    with app.app_context(), db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), db.metadata)


def test_migrated_schema_matches_the_models(app):
    assert schema_differences(app) == []


def test_migrations_downgrade_and_upgrade_cleanly(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()

    assert schema_differences(app) == []


def test_migrations_run_without_the_request_statement_timeout(database_url):
    """A release's `flask db upgrade` may take longer than a request may: the timeout is for requests."""
    if not database_url.startswith("postgresql"):
        pytest.skip("statement_timeout is PostgreSQL's")
    from app import create_app
    from helpers import app_settings

    # 1 ms: under it neither the DDL nor the driver's own first queries on a new connection finish.
    app = create_app(app_settings(database_url, DATABASE_STATEMENT_TIMEOUT_SECONDS=0.001))
    with app.app_context():
        downgrade(revision="base")
        upgrade()


def test_accounts_made_before_password_resets_existed_need_no_change(app, client):
    """0004 adds must_change_password: accounts that exist then chose their own passwords."""
    from werkzeug.security import generate_password_hash

    from helpers import PASSWORD, login

    with app.app_context():
        downgrade(revision="0003")
        db.session.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, is_active, created_at) "
                "VALUES ('veteran', :hash, 'admin', :active, :now)"
            ),
            {"hash": generate_password_hash(PASSWORD), "active": True, "now": datetime.now(UTC)},
        )
        db.session.commit()
        upgrade()

    me = client.get("/me", headers=login(client, "veteran")).json
    assert (me["username"], me["must_change_password"]) == ("veteran", False)
    assert client.get("/employees", headers=login(client, "veteran")).status_code == 200
