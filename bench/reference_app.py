"""The floor the API is measured against: the least a Flask app does to answer the same requests.

bench/run.py serves it with the API's gunicorn.conf.py and workers, on the same database, and
sends it the API's own access tokens:

- read floor, ``GET /employees/<id>``: verify the JWT, one primary-key SELECT of the employee, JSON out;
- write floor, ``POST /pto {"employee_id", "hours"}``: verify the JWT, then in one transaction one
  conditional UPDATE of the employee's vacation balance row (the default type, bench/dataset.py) and
  one INSERT of its ledger line, JSON out.

It checks nothing else (no session, role or validation): it is a measuring stick, not an API.
"""

import os
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

TYPE = "vacation"
READ = sa.text("SELECT id, name, manager_id, archived_at FROM employees WHERE id = :id")
# Available hours (the balance less those pending) must cover the request, as the API's ledger asks.
TAKE = sa.text(
    "UPDATE balances SET hours_balance = hours_balance - :hours "
    "WHERE employee_id = :id AND type = :type AND hours_balance - pending_hours - :hours >= 0 "
    "RETURNING hours_balance"
)
LINE = sa.text(
    "INSERT INTO ledger_lines (employee_id, type, kind, delta, balance_after, reason, actor_id, created_at) "
    "VALUES (:id, :type, 'adjustment', -:hours, :balance, 'write floor', :actor, now()) RETURNING id"
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


@app.get("/employees/<int:employee_id>")
@jwt_required()
def read_floor(employee_id):
    with engine.connect() as connection:
        row = connection.execute(READ, {"id": employee_id}).mappings().first()
    if row is None:
        abort(404)
    return dict(row)


@app.post("/pto")
@jwt_required()
def write_floor():
    body = request.get_json()
    params = {"id": int(body["employee_id"]), "type": TYPE, "hours": Decimal(str(body["hours"]))}
    with engine.begin() as connection:
        balance = connection.execute(TAKE, params).scalar()
        if balance is None:
            abort(409)
        line_id = connection.execute(
            LINE, {**params, "balance": balance, "actor": int(get_jwt_identity())}
        ).scalar()
    return {"ledger_line_id": line_id, "hours_balance": float(balance)}, 201
