"""Engine setup, transactions and locks: SQLite behaving like PostgreSQL under concurrent writers, reads
without transaction round trips on PostgreSQL, a session end that survives a database gone away
mid-request, and the one way to lock an employee."""

from functools import partial

from flask import has_request_context, request
from sqlalchemy import bindparam, cast, event, literal_column, null, select, text, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import defer

from models import Employee, db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOCK_EMPLOYEE = (
    select(Employee.manager_id, Employee.archived_at)
    .where(Employee.id == bindparam("employee_id"))
    .with_for_update()
)


def init_app(app):
    """Attach SQLite's connection settings and write locking to the app's engine, and end each
    request's session safely (this teardown runs before Flask-SQLAlchemy's own)."""
    app.teardown_appcontext(_end_session)
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        busy_timeout_ms = round(app.config["DATABASE_LOCK_TIMEOUT_SECONDS"] * 1000)
        event.listen(engine, "connect", partial(_configure_sqlite_connection, busy_timeout_ms))
        event.listen(engine, "begin", _begin_sqlite_transaction)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _autocommit_reads)
        event.listen(engine, "checkin", _restore_transactions)


def _end_session(_error):
    """Roll back and release the request's connection, or discard it if the database dropped it.

    Teardown runs after the response is built, so an error here would replace it with an HTML 500
    (even a 201 whose commit went through) whenever the database restarts between a request's last
    statement and this rollback. The server has already rolled back a lost connection's transaction:
    dropping the connection is all that is left to do.
    """
    try:
        db.session.close()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        db.session().invalidate()


def _configure_sqlite_connection(busy_timeout_ms, dbapi_connection, _record):
    # The driver's own BEGIN is deferred; turning it off lets _begin_sqlite_transaction choose.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
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


def _autocommit_reads(connection):
    """Reads run in autocommit: no BEGIN and ROLLBACK round trips around their SELECTs.

    A read request writes nothing and takes no lock, and under READ COMMITTED each statement sees
    its own snapshot anyway, so the transaction gave it nothing. (No GET, HEAD or OPTIONS view
    writes; tests/test_query_budget.py checks that read requests send only SELECTs.)
    """
    if has_request_context() and request.method in READ_ONLY_METHODS:
        connection.connection.dbapi_connection.autocommit = True


def _restore_transactions(dbapi_connection, _record):
    # Back in the pool, the connection is transactional again for whichever request takes it next.
    if dbapi_connection is not None and not dbapi_connection.closed and dbapi_connection.autocommit:
        dbapi_connection.autocommit = False


def execute(statement, params=None):
    """Run a Core statement (a prebuilt SELECT, INSERT or UPDATE of a table) in the request's transaction,
    straight on its connection: the ORM session's layer costs more than the statement's own work on the
    hot paths. It does not flush the session's pending changes first: use it only for statements that
    depend on none (the balance moves, ledger lines and entries written as rows)."""
    return db.session.connection().execute(statement, params)


def end_read_transaction():
    """End the request's transaction, which has only read so far, before slow work that needs no lock
    (hashing a password): on SQLite, a write request's transaction holds the database's write lock
    from its first statement. The next statement begins a new transaction.

    It refuses when the session holds unflushed ORM changes; statements already executed (Core
    UPDATEs) it cannot see, so call it only where nothing has been written yet.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("The transaction holds changes: end_read_transaction() would drop them.")
    session.rollback()


def commit_keeping_loaded_objects():
    """Commit, keeping the objects this request loaded as they are instead of reloading them.

    SQLAlchemy expires every object on commit, so serializing one afterwards costs a connection,
    a transaction and a SELECT. A view may skip that when it answers with objects whose every
    change it made itself (a PTO entry it just filed or moved): they already hold what was written.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def lock_employee(employee_id):
    """Hold the employee's row until commit; return its ``manager_id`` and ``archived_at`` as the
    lock's holder sees them, or None when there is no such employee.

    Every change to one employee's hours, entries, name or manager queues on this row lock, taken here
    or by ``select_employees_locked``, which reads the row with it. Lock order: the employee, then the
    time-off type a filing holds FOR SHARE (in the same statement), then rows of theirs (entries,
    balances). Type changes lock only types, never an employee, so no cycle can form; but while a type
    change holds a type's row, a filing of that type holds its employee waiting for it. A change of
    holidays takes the calendar's row, then the lock on reporting lines, then every employee's at once
    (``hold_off_employee_locks``).

    Read anything else of the employee with a statement begun after this one: PostgreSQL's READ
    COMMITTED gives a statement the snapshot it started with, so only a later statement sees the
    state the previous holder left (balances, entries). On SQLite the request's BEGIN IMMEDIATE has
    already serialised writers.
    """
    return db.session.execute(_LOCK_EMPLOYEE, {"employee_id": employee_id}).first()


# What an employee read under the lock leaves out: their balances, which subqueries would read from the
# snapshot taken before the lock was granted (see lock_employee). Rules that need them read them after.
_READ_AFTER_THE_LOCK = (Employee.hours_balance, Employee.pending_hours)


def select_employees_locked(statement, loaded_by=None, rows=False):
    """``statement``, a SELECT of employees (or one that loads them with the loader option ``loaded_by``,
    e.g. ``contains_eager(PtoEntry.employee)``), reading each employee's row with its lock (see
    ``lock_employee``): the rows' own columns as the lock's holder sees them, replacing what the session
    held. ``rows``: a SELECT of columns instead, which reads only what it names (never the balances).
    Other tables' rows it reads are not locked."""
    locked = statement.with_for_update(of=Employee)
    if rows:
        return locked
    unread = [defer(column) for column in _READ_AFTER_THE_LOCK]
    options = unread if loaded_by is None else [loaded_by.options(*unread)]
    return locked.options(*options).execution_options(populate_existing=True)


# Any fixed number: the key of the PostgreSQL advisory lock that lock_reporting_lines takes.
_REPORTING_LINES_LOCK_KEY = 7_301_001
_LOCK_REPORTING_LINES = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_REPORTING_LINES_LOCK_KEY)


def dialect_name():
    """The name of the database the request's session talks to: "postgresql" or "sqlite"."""
    return db.session.get_bind().dialect.name


def lock_reporting_lines():
    """Hold every change of managers off until commit (SQLite's BEGIN IMMEDIATE already does).

    Checking a new manager for a loop locks each employee up the chain, starting from one the
    request already holds. Two changes in opposite directions (A reports to B, B to A) would take
    those locks in opposite orders and deadlock; taking this lock before any employee's makes them
    queue instead, so the second sees the first's change and answers 422.
    """
    if dialect_name() == "postgresql":
        db.session.execute(_LOCK_REPORTING_LINES)


def hold_off_employee_locks():
    """Wait for every transaction that holds an employee's lock (filings, decisions, accrual runs) to
    end, and keep new ones from taking one until commit; plain reads go on. For a change that filings
    must see whole: a filing reads what it depends on after its employee's lock. Take the lock on
    reporting lines first, the order accrual runs and manager changes take their locks in. (SQLite's
    BEGIN IMMEDIATE already serialises writers.)"""
    if dialect_name() == "postgresql":
        db.session.execute(_HOLD_OFF_EMPLOYEE_LOCKS)


# EXCLUSIVE conflicts with the ROW SHARE mode every SELECT ... FOR UPDATE takes on the table, not with
# the ACCESS SHARE of a plain SELECT.
_HOLD_OFF_EMPLOYEE_LOCKS = text(f"LOCK TABLE {Employee.__tablename__} IN EXCLUSIVE MODE")


def stacked(**parts):
    """One SELECT of several reads (UNION ALL), for reads that need no order between them: one round trip
    instead of one each. ``parts`` maps a tag to a SELECT whose columns are named (labelled); each row
    says its read in "source", and holds NULL in the columns other reads name. Parts may not be ordered
    (SQLite refuses ORDER BY inside a UNION): their readers sort."""
    types = {}
    for part in parts.values():
        for column in part.selected_columns:
            named = types.setdefault(column.key, column.type)
            if column.key == "source" or type(named) is not type(column.type):
                raise ValueError(f"Parts of a stacked read share the column {column.key!r} differently.")
    return union_all(
        *(
            part.with_only_columns(
                literal_column(f"'{tag}'").label("source"),
                *(
                    part.selected_columns[name]
                    if name in part.selected_columns
                    else cast(null(), type_).label(name)
                    for name, type_ in types.items()
                ),
            )
            for tag, part in parts.items()
        )
    )


def lock_table_for_writes(model):
    """Hold off other writers of ``model``'s table until commit (SQLite's BEGIN IMMEDIATE already does)."""
    if dialect_name() == "postgresql":
        db.session.execute(text(f"LOCK TABLE {model.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))
