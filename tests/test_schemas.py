"""Response shapes: the fast dump of schemas.OutSchema answers exactly what marshmallow's own would."""

import pytest
from marshmallow import Schema, fields, missing

from conftest import create_employee, file_pto, register_and_login
from schemas import fields as schemas


@pytest.fixture
def records(client, admin):
    """An employee with an entry in every state and a ledger, and their own user account."""
    employee_id = create_employee(client, admin, "Fox Mulder", 80)["id"]
    user = register_and_login(client, "fox")
    user_id = client.get("/me", headers=user).json["id"]
    linked = client.patch(f"/users/{user_id}", json={"employee_id": employee_id}, headers=admin)
    assert linked.status_code == 200, linked.json

    def filed(headers, hours, **fields):
        response = file_pto(client, headers, employee_id, hours, **fields)
        assert response.status_code == 201, response.json
        return response.json["id"]

    cancelled = filed(admin, 1.25, start_date="2031-03-02", note="Dentist")
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

    monkeypatch.setattr(schemas.OutSchema, "_serialize", Schema._serialize)
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

    monkeypatch.setattr(schemas.OutSchema, "_serialize", Schema._serialize)

    assert filed.json == client.get(f"/pto/{filed.json['id']}", headers=admin).json
    assert approved.json == client.get(f"/pto/{records['entry_id']}", headers=admin).json


def test_a_mapping_is_dumped_by_key():
    assert schemas.HealthOut().dump({"status": "ok", "database": "ok"}) == {"status": "ok", "database": "ok"}


def test_an_object_without_a_field_leaves_it_out_as_marshmallow_does():
    class Partial:
        status = "ok"

    assert schemas.HealthOut().dump(Partial()) == {"status": "ok"}


def test_an_indexable_object_is_read_by_key_as_marshmallow_reads_it():
    class Indexable:
        status = database = "attribute"

        def __getitem__(self, key):
            return "item"

    assert schemas.HealthOut().dump(Indexable()) == {"status": "item", "database": "item"}


def test_a_field_with_its_own_lookup_keeps_it():
    class Upper(fields.String):
        def get_value(self, obj, attr, accessor=None, default=missing):
            return super().get_value(obj, attr, accessor, default).upper()

    class Shouted(schemas.OutSchema):
        status = Upper()

    class Health:
        status = "ok"

    assert Shouted().dump(Health()) == {"status": "OK"}
