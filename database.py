"""Engine setup that makes SQLite behave like PostgreSQL under concurrent writers."""

from flask import has_request_context, request
from sqlalchemy import event, text

from models import db

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app):
    """Attach SQLite's connection settings and write locking to the app's engine."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)


def _configure_sqlite_connection(dbapi_connection, _record):
    # The driver's own BEGIN is deferred; turning it off lets _begin_sqlite_transaction choose.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _begin_sqlite_transaction(connection):
    """Reads begin deferred; anything that may write takes the write lock before its first read.

    A deferred transaction that reads a balance and then writes can find its snapshot stale
    and fail at once with "database is locked"; BEGIN IMMEDIATE makes concurrent writers
    queue on the busy timeout instead, and makes a read-then-write as safe as a row lock.
    """
    reading = has_request_context() and request.method in READ_ONLY_METHODS
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def lock_table_for_writes(model):
    """Hold off other writers of ``model``'s table until commit (SQLite's BEGIN IMMEDIATE already does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"LOCK TABLE {model.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))
