"""The ledger explains every balance: each change is a line, and the balance on any day can be asked for."""

from datetime import UTC, datetime, timedelta

import pytest

from app import create_app
from helpers import app_settings, create_employee, dispose, file_pto

TODAY = datetime.now(UTC).date()  # as_of days are UTC days


def test_every_change_is_a_line_with_its_cause(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    entry = file_pto(client, admin, employee["id"], 8).json
    client.delete(f"/pto/{entry['id']}", headers=admin)
    client.put(
        f"/employees/{employee['id']}", json={"hours_balance": 50, "reason": "Carry-over"}, headers=admin
    )

    lines = client.get(f"/employees/{employee['id']}/ledger", headers=admin).json

    me = client.get("/me", headers=admin).json
    assert [(line["kind"], line["delta"], line["balance_after"], line["pto_entry_id"]) for line in lines] == [
        ("opening", 40, 40, None),
        ("pto_taken", -8, 32, entry["id"]),
        ("refund", 8, 40, entry["id"]),
        ("adjustment", 10, 50, None),
    ]
    assert {line["actor_id"] for line in lines} == {me["id"]}
    assert lines[-1]["reason"] == "Carry-over"
    assert all(line["created_at"].endswith("+00:00") for line in lines)


def test_ledger_of_an_unknown_employee_is_404(client, admin):
    assert client.get("/employees/404/ledger", headers=admin).status_code == 404


def test_as_of_shows_the_balance_at_the_end_of_a_day(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    file_pto(client, admin, employee["id"], 8)
    path = f"/employees/{employee['id']}"

    yesterday = client.get(f"{path}/balance?as_of={TODAY - timedelta(days=1)}", headers=admin).json
    today = client.get(f"{path}/balance?as_of={TODAY}", headers=admin).json
    now = client.get(f"{path}/balance", headers=admin).json

    assert yesterday == {
        "employee_id": employee["id"],
        "type": "vacation",
        "as_of": str(TODAY - timedelta(days=1)),
        "hours_balance": 0,
    }
    assert today["hours_balance"] == now["hours_balance"] == 32


def test_ledger_as_of_lists_the_lines_up_to_that_day(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    path = f"/employees/{employee['id']}/ledger"

    assert client.get(f"{path}?as_of={TODAY - timedelta(days=1)}", headers=admin).json == []
    assert len(client.get(f"{path}?as_of={TODAY}", headers=admin).json) == 1


def test_balance_as_of_is_exact_after_many_tenths(client, admin):
    employee = create_employee(client, admin, hours_balance=1)
    for _ in range(7):
        file_pto(client, admin, employee["id"], 0.1)

    response = client.get(f"/employees/{employee['id']}/balance?as_of={TODAY}", headers=admin)

    assert response.json["hours_balance"] == 0.3


def test_bad_as_of_is_422(client, admin):
    employee = create_employee(client, admin)

    response = client.get(f"/employees/{employee['id']}/balance?as_of=yesterday", headers=admin)

    assert response.status_code == 422
    assert "as_of" in response.json["errors"]


def test_the_ledger_as_of_the_last_representable_day_works(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    path = f"/employees/{employee['id']}"

    lines = client.get(f"{path}/ledger?as_of=9999-12-31", headers=admin)
    balance = client.get(f"{path}/balance?as_of=9999-12-31", headers=admin)

    assert len(lines.json) == 1
    assert balance.status_code == 422  # a balance on a day to come is a projection: 5 years ahead at most
    assert "as_of" in balance.json["errors"]


@pytest.fixture
def long_entries(database_url):
    """A client of the API where one undated entry may hold 100,000 hours (24 h a day of PTO_MAX_DAYS)."""
    app = create_app(app_settings(database_url, PTO_MAX_DAYS=5000))
    yield app.test_client()
    dispose(app)


def test_refunds_cannot_push_a_balance_beyond_the_ledgers_range(long_entries, admin):
    client = long_entries
    employee = create_employee(client, admin, hours_balance=100_000)
    path = f"/employees/{employee['id']}"
    entries = []
    for _ in range(10):
        entries.append(file_pto(client, admin, employee["id"], 100_000).json["id"])
        client.put(path, json={"hours_balance": 100_000}, headers=admin)

    cancels = [client.delete(f"/pto/{entry}", headers=admin).status_code for entry in entries]

    assert cancels == [204] * 9 + [409]
    assert client.get(path, headers=admin).json["hours_balance"] == 1_000_000
