"""The floors the API is measured against: the least a correct Flask app does to answer the same requests.

bench/run.py serves it with the API's gunicorn.conf.py and workers, on the same database, and sends it
the API's own access tokens. Each floor is hand-written SQL, built once at module level:

- framework ceiling, ``GET /bare/employees/<id>``: verify the JWT, one primary-key SELECT of the employee,
  JSON out (no session check: what Flask, the JWT check and one round trip cost at least);
- read floor, ``GET /employees/<id>``: verify the JWT; one statement that checks the token's session is
  live and loads its user (401 if not); one primary-key SELECT of the employee with its default
  balance; JSON out;
- list floor, ``GET /employees``: the same session check; a page of 50 active employees with their
  default balance, then their entries in a second query; ``json.dumps`` of the nested result;
- write floor, ``POST /pto {"employee_id", "hours"}``: the same session check, then in one
  transaction: lock the employee row, insert the approved entry, take its hours from the vacation
  balance (409 if it does not cover them), insert the ledger line; JSON out, 201.

It checks nothing else (no role, visibility or validation): it is a measuring stick, not an API. The
SQL is portable but for RETURNING and FOR UPDATE.
"""

import json
import os
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, Response, abort, request
from flask_jwt_extended import JWTManager, get_jwt, get_jwt_identity, jwt_required

PAGE_SIZE = 50

BARE_EMPLOYEE = sa.text("SELECT id, name, manager_id, archived_at FROM employees WHERE id = :id")
# Is the token's session live, and who is its user: one statement, as the API's session check.
SESSION_USER = sa.text(
    "SELECT u.id, u.role, u.employee_id, u.must_change_password "
    "FROM login_sessions s JOIN users u ON u.id = s.user_id "
    "WHERE s.id = :session_id AND s.revoked_at IS NULL AND u.is_active = TRUE"
)
EMPLOYEE_COLUMNS = (
    "e.id, e.name, e.manager_id, e.archived_at, e.created_at, e.updated_at, "
    "COALESCE(b.hours_balance, 0) AS hours_balance, COALESCE(b.pending_hours, 0) AS pending_hours "
    # Migration 0005's default type: the balance the API's employee JSON shows (bench/dataset.py seeds it).
    "FROM employees e LEFT JOIN balances b ON b.employee_id = e.id AND b.type = 'vacation'"
)
EMPLOYEE = sa.text(f"SELECT {EMPLOYEE_COLUMNS} WHERE e.id = :id")
EMPLOYEE_PAGE = sa.text(
    f"SELECT {EMPLOYEE_COLUMNS} WHERE e.archived_at IS NULL ORDER BY e.id LIMIT {PAGE_SIZE}"
)
ENTRIES_OF = sa.text(
    "SELECT id, employee_id, hours, start_date, end_date, type, balance_type, note, status, requested_by, "
    "created_at, decided_by, decided_at, decision_note, cancelled_by, cancelled_at, cancellation_note "
    "FROM pto_entries WHERE employee_id IN :employee_ids ORDER BY id"
).bindparams(sa.bindparam("employee_ids", expanding=True))
LOCK_EMPLOYEE = sa.text("SELECT id FROM employees WHERE id = :id FOR UPDATE")
INSERT_ENTRY = sa.text(
    "INSERT INTO pto_entries (employee_id, hours, type, balance_type, status, requested_by, created_at, "
    "decided_by, decided_at, revision, updated_at) "
    "VALUES (:id, :hours, 'vacation', 'vacation', 'approved', :actor, CURRENT_TIMESTAMP, :actor, "
    "CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP) RETURNING id"
)
# Available hours (the balance less those pending) must cover the request, as the API's ledger asks.
TAKE = sa.text(
    "UPDATE balances SET hours_balance = hours_balance - :hours "
    "WHERE employee_id = :id AND type = 'vacation' AND hours_balance - pending_hours - :hours >= 0 "
    "RETURNING hours_balance"
)
LINE = sa.text(
    "INSERT INTO ledger_lines (employee_id, type, kind, delta, balance_after, reason, actor_id, "
    "pto_entry_id, created_at, effective_on) "
    "VALUES (:id, 'vacation', 'pto_taken', -:hours, :balance, 'write floor', :actor, :entry_id, "
    "CURRENT_TIMESTAMP, CURRENT_DATE)"
)

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY=os.environ["JWT_SECRET_KEY"], JWT_TOKEN_LOCATION=["headers"])
JWTManager(app)
engine = sa.create_engine(
    sa.engine.make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg2"), pool_size=1
)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/bare/employees/<int:employee_id>")
@jwt_required()
def framework_ceiling(employee_id):
    with engine.connect() as connection:
        row = connection.execute(BARE_EMPLOYEE, {"id": employee_id}).mappings().first()
    if row is None:
        abort(404)
    return json_response(dict(row))


@app.get("/employees/<int:employee_id>")
@jwt_required()
def read_floor(employee_id):
    with engine.connect() as connection:
        if (refused := check_session(connection)) is not None:
            return refused
        row = connection.execute(EMPLOYEE, {"id": employee_id}).mappings().first()
    if row is None:
        abort(404)
    return json_response(dict(row))


@app.get("/employees")
@jwt_required()
def list_floor():
    with engine.connect() as connection:
        if (refused := check_session(connection)) is not None:
            return refused
        employees = [{**row, "pto_entries": []} for row in connection.execute(EMPLOYEE_PAGE).mappings()]
        by_id = {employee["id"]: employee for employee in employees}
        if by_id:
            for entry in connection.execute(ENTRIES_OF, {"employee_ids": list(by_id)}).mappings():
                by_id[entry["employee_id"]]["pto_entries"].append(dict(entry))
    return json_response(employees)


@app.post("/pto")
@jwt_required()
def write_floor():
    body = request.get_json()
    params = {"id": int(body["employee_id"]), "hours": Decimal(str(body["hours"]))}
    with engine.begin() as connection:
        if (refused := check_session(connection)) is not None:
            return refused
        params["actor"] = int(get_jwt_identity())
        if connection.execute(LOCK_EMPLOYEE, params).first() is None:
            abort(404)
        entry_id = connection.execute(INSERT_ENTRY, params).scalar()
        balance = connection.execute(TAKE, params).scalar()
        if balance is None:
            abort(409)  # the transaction rolls back: no entry, no line
        connection.execute(LINE, {**params, "balance": balance, "entry_id": entry_id})
    entry = {"id": entry_id, "employee_id": params["id"], "hours": params["hours"], "status": "approved"}
    return json_response({**entry, "type": "vacation", "hours_balance": balance}, 201)


def check_session(connection):
    """None when the token's session is live and its user active and free to act, else the answer."""
    user = connection.execute(SESSION_USER, {"session_id": get_jwt()["sid"]}).first()
    if user is None:
        return json_response({"message": "This session has ended; log in again."}, 401)
    if user.must_change_password:
        return json_response({"message": "Choose a new password first."}, 403)
    return None


def json_response(data, status=200):
    return Response(json.dumps(data, default=encode), status=status, mimetype="application/json")


def encode(value):
    """What json.dumps cannot write itself: dates and timestamps in ISO 8601, hours as numbers."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
