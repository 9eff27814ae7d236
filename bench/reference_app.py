"""The floor the API is measured against: the least a Flask app does to answer the same requests.

bench/run.py serves it with the API's gunicorn.conf.py and workers, on the same database, and
sends it the API's own access tokens:

- read floor, ``GET /employees/<id>``: verify the JWT, one primary-key SELECT, JSON out;
- write floor, ``POST /pto {"employee_id", "hours"}``: verify the JWT, then in one transaction one
  conditional UPDATE of the balance and one INSERT of its ledger line, JSON out.

It checks nothing else (no session, role or validation): it is a measuring stick, not an API.
"""

import os
from decimal import Decimal

import sqlalchemy as sa
from flask import Flask, abort, request
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

READ = sa.text("SELECT id, name, hours_balance, manager_id, archived_at FROM employees WHERE id = :id")
TAKE = sa.text(
    "UPDATE employees SET hours_balance = hours_balance - :hours "
    "WHERE id = :id AND hours_balance - :hours >= 0 RETURNING hours_balance"
)
LINE = sa.text(
    "INSERT INTO ledger_lines (employee_id, kind, delta, balance_after, reason, actor_id, created_at) "
    "VALUES (:id, 'adjustment', -:hours, :balance, 'write floor', :actor, now()) RETURNING id"
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
    return {**row, "hours_balance": float(row["hours_balance"])}


@app.post("/pto")
@jwt_required()
def write_floor():
    body = request.get_json()
    params = {"id": int(body["employee_id"]), "hours": Decimal(str(body["hours"]))}
    with engine.begin() as connection:
        balance = connection.execute(TAKE, params).scalar()
        if balance is None:
            abort(409)
        line_id = connection.execute(
            LINE, {**params, "balance": balance, "actor": int(get_jwt_identity())}
        ).scalar()
    return {"ledger_line_id": line_id, "hours_balance": float(balance)}, 201
