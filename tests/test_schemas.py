"""Response shapes: the fast dump of OutSchema answers exactly what marshmallow's own would."""

import pytest
from marshmallow import Schema, fields, missing, validate

from helpers import file_pto, hire, request_pto
from models import Balance, Employee, LedgerLine, PtoEntry, PtoType, User
from schemas import auth as auth_schemas
from schemas import employees as employee_schemas
from schemas import pto as pto_schemas
from schemas import pto_types as pto_type_schemas
from schemas import users as user_schemas
from schemas.fields import OutSchema
from schemas.health import HealthOut


@pytest.fixture
def records(client, admin):
    """An employee with an entry in every state and a ledger, and their own user account."""
    fox = hire(client, admin, "fox", hours_balance=80, name="Fox Mulder")
    employee_id, user, user_id = fox.employee_id, fox.headers, fox.user_id

    def filed(headers, hours, **fields):
        return request_pto(client, headers, employee_id, hours, **fields)["id"]

    cancelled = filed(admin, 1.25, start_date="2031-03-03", note="Dentist")
    filed(admin, 1)  # approved, undated
    denied = filed(user, 2, start_date="2031-03-03")
    pending = filed(user, 3, start_date="2031-03-04", end_date="2031-03-05", type="sick")
    assert (
        client.post(f"/pto/{denied}/deny", json={"note": "Short-staffed"}, headers=admin).status_code == 200
    )
    assert client.post(f"/pto/{cancelled}/cancel", json={"note": "Moved"}, headers=admin).status_code == 200
    return {"employee_id": employee_id, "entry_id": pending, "user": user, "user_id": user_id}


def test_every_response_is_what_marshmallow_would_dump(client, admin, records, monkeypatch):
    employee_id = records["employee_id"]
    reads = [
        ("/employees", admin),
        (f"/employees/{employee_id}", admin),
        (f"/employees/{employee_id}/ledger", admin),
        (f"/employees/{employee_id}/balance?as_of=2031-01-01", admin),
        ("/pto", admin),
        (f"/pto/{records['entry_id']}", admin),
        ("/users", admin),
        (f"/users/{records['user_id']}", admin),
        ("/me", admin),  # no employee record
        ("/me", records["user"]),  # a nested employee
        ("/health", None),
    ]
    fast = [client.get(path, headers=headers).json for path, headers in reads]

    monkeypatch.setattr(OutSchema, "_serialize", Schema._serialize)
    general = [client.get(path, headers=headers).json for path, headers in reads]

    assert fast == general
    # The records cover every kind of value: nulls, dates, timestamps, hours, nested lists.
    entries = fast[1]["pto_entries"]
    assert {entry["status"] for entry in entries} == {"approved", "pending", "denied", "cancelled"}
    assert any(entry["start_date"] is None for entry in entries)
    assert fast[9]["employee"]["id"] == employee_id


def test_a_written_entry_is_answered_as_marshmallow_would_show_it(client, admin, records, monkeypatch):
    filed = file_pto(client, admin, records["employee_id"], 2.5, start_date="2031-04-01", note="Fast")
    approved = client.post(f"/pto/{records['entry_id']}/approve", json={"note": "Fine"}, headers=admin)
    assert (filed.status_code, approved.status_code) == (201, 200)

    monkeypatch.setattr(OutSchema, "_serialize", Schema._serialize)

    assert filed.json == client.get(f"/pto/{filed.json['id']}", headers=admin).json
    shown = client.get(f"/pto/{records['entry_id']}", headers=admin).json
    assert approved.json == {name: value for name, value in shown.items() if name != "days"}


def test_a_mapping_is_dumped_by_key():
    assert HealthOut().dump({"status": "ok", "database": "ok"}) == {"status": "ok", "database": "ok"}


def test_an_object_without_a_field_leaves_it_out_as_marshmallow_does():
    class Partial:
        status = "ok"

    assert HealthOut().dump(Partial()) == {"status": "ok"}


def test_an_indexable_object_is_read_by_key_as_marshmallow_reads_it():
    class Indexable:
        status = database = "attribute"

        def __getitem__(self, key):
            return "item"

    assert HealthOut().dump(Indexable()) == {"status": "item", "database": "item"}


def test_a_field_with_its_own_lookup_keeps_it():
    class Upper(fields.String):
        def get_value(self, obj, attr, accessor=None, default=missing):
            return super().get_value(obj, attr, accessor, default).upper()

    class Shouted(OutSchema):
        status = Upper()

    class Health:
        status = "ok"

    assert Shouted().dump(Health()) == {"status": "OK"}


# Every length-limited text field of a request, and the column that stores it (None: never stored
# as given, e.g. passwords, which are hashed).
STORED_TEXT = {
    ("RegisterIn", "username"): User.username,
    ("RegisterIn", "password"): None,
    ("LoginIn", "username"): None,
    ("LoginIn", "password"): None,
    ("PasswordChangeIn", "current_password"): None,
    ("PasswordChangeIn", "new_password"): None,
    ("PasswordResetIn", "new_password"): None,
    ("EmployeeIn", "name"): Employee.name,
    ("EmployeePatchIn", "name"): Employee.name,
    ("BalanceIn", "reason"): LedgerLine.reason,
    ("EmployeePatchIn", "reason"): LedgerLine.reason,
    ("PtoIn", "note"): PtoEntry.note,
    ("PtoIn", "type"): PtoEntry.type,
    ("PtoQuery", "type"): PtoEntry.type,
    ("NoteIn", "note"): PtoEntry.decision_note,
    ("OpeningBalanceIn", "type"): Balance.type,
    ("LedgerQuery", "type"): LedgerLine.type,
    ("BalanceArgs", "type"): Balance.type,
    ("PtoTypeIn", "key"): PtoType.key,
    ("PtoTypeIn", "name"): PtoType.name,
    ("PtoTypeSettings", "name"): PtoType.name,
    ("PtoTypePatchIn", "name"): PtoType.name,
    ("PtoTypeTreatment", "draws_on"): PtoType.draws_on,
    ("PtoTypeIn", "draws_on"): PtoType.draws_on,
    ("PtoTypePatchIn", "draws_on"): PtoType.draws_on,
}


def request_text_fields():
    """(schema name, field name, longest length allowed) of every text field of every request schema."""
    for module in (auth_schemas, employee_schemas, pto_schemas, pto_type_schemas, user_schemas):
        for schema in vars(module).values():
            if isinstance(schema, type) and issubclass(schema, Schema) and not issubclass(schema, OutSchema):
                for name, field in schema._declared_fields.items():
                    lengths = [rule.max for rule in field.validators if isinstance(rule, validate.Length)]
                    if isinstance(field, fields.String) and lengths:
                        yield schema.__name__, name, lengths[0]


def test_every_text_field_is_as_long_as_its_column_allows():
    found = {(schema, name): longest for schema, name, longest in request_text_fields()}

    assert found.keys() == STORED_TEXT.keys(), "name the column of each new text field in STORED_TEXT"
    for key, column in STORED_TEXT.items():
        if column is not None:
            assert found[key] == column.type.length, (
                f"{key} allows {found[key]}, {column} holds {column.type.length}"
            )
    assert PtoEntry.cancellation_note.type.length == PtoEntry.decision_note.type.length
