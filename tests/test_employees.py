"""Employees as the tutorial knows them (list, create, set the balance, archive) and their reporting lines."""

import threading
import time
from datetime import UTC, datetime
from itertools import pairwise

import pytest
import sqlalchemy as sa

from helpers import create_employee, file_pto, sqlalchemy_url


def test_create_employee_returns_it_with_a_location(client, admin):
    response = client.post("/employees", json={"name": "Fox Mulder", "hours_balance": 80}, headers=admin)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/employees/{response.json['id']}"
    assert response.json["name"] == "Fox Mulder"
    assert response.json["hours_balance"] == 80
    assert response.json["pto_entries"] == []
    assert response.json["archived"] is False


def test_new_employee_starts_at_zero_hours_by_default(client, admin):
    response = client.post("/employees", json={"name": "Walter Skinner"}, headers=admin)

    assert response.json["hours_balance"] == 0


def test_list_is_a_json_array_of_employees_with_their_entries(client, admin):
    dana = create_employee(client, admin, "Dana", 40)
    create_employee(client, admin, "Fox", 20)
    file_pto(client, admin, dana["id"], 8)

    response = client.get("/employees", headers=admin)

    assert response.status_code == 200
    assert [e["name"] for e in response.json] == ["Dana", "Fox"]
    assert response.json[0]["hours_balance"] == 32
    assert [entry["hours"] for entry in response.json[0]["pto_entries"]] == [8]
    assert response.headers["X-Total-Count"] == "2"


def test_list_paginates_with_headers(client, admin):
    for number in range(5):
        create_employee(client, admin, f"Employee {number}")

    response = client.get("/employees?page=2&per_page=2", headers=admin)

    assert [e["name"] for e in response.json] == ["Employee 2", "Employee 3"]
    assert response.headers["X-Total-Count"] == "5"
    links = response.headers["Link"]
    assert 'page=1&per_page=2>; rel="first"' in links
    assert 'page=1&per_page=2>; rel="prev"' in links
    assert 'page=3&per_page=2>; rel="next"' in links
    assert 'page=3&per_page=2>; rel="last"' in links


@pytest.mark.parametrize(
    ("query", "names", "total"),
    [
        ("page=1&per_page=2", ["Employee 0", "Employee 1"], "5"),  # a full page: counted
        ("page=3&per_page=2", ["Employee 4"], "5"),  # the last page, part full
        ("page=1&per_page=5", [f"Employee {n}" for n in range(5)], "5"),  # the last page, just full
        ("page=4&per_page=2", [], "5"),  # past the end
        ("page=1&archived=true", [], "0"),  # nothing at all
        ("page=2&archived=true", [], "0"),
    ],
)
def test_every_page_tells_the_total(client, admin, query, names, total):
    for number in range(5):
        create_employee(client, admin, f"Employee {number}")

    response = client.get(f"/employees?{query}", headers=admin)

    assert [e["name"] for e in response.json] == names
    assert response.headers["X-Total-Count"] == total


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=abc", "colour=blue"])
def test_bad_list_parameters_are_422(client, admin, query):
    response = client.get(f"/employees?{query}", headers=admin)

    assert response.status_code == 422
    assert response.json["errors"]


def test_listing_employees_does_not_query_per_employee(client, admin, count_queries):
    def statements_for_list():
        with count_queries() as statements:
            assert client.get("/employees", headers=admin).status_code == 200
        return len(statements)

    employee = create_employee(client, admin, "First")
    file_pto(client, admin, employee["id"], 1)
    few = statements_for_list()
    for number in range(10):
        employee = create_employee(client, admin, f"Employee {number}")
        file_pto(client, admin, employee["id"], 1)

    assert statements_for_list() == few


@pytest.mark.parametrize("path", ["/employees/{id}", "/employees/{id}/"])
def test_put_sets_the_balance_with_or_without_trailing_slash(client, admin, path):
    employee = create_employee(client, admin, hours_balance=40)

    response = client.put(path.format(id=employee["id"]), json={"hours_balance": 56.5}, headers=admin)

    assert response.status_code == 200
    assert response.json["hours_balance"] == 56.5


def test_put_records_the_difference_in_the_ledger(client, admin):
    employee = create_employee(client, admin, hours_balance=40)

    client.put(f"/employees/{employee['id']}", json={"hours_balance": 30, "reason": "Audit"}, headers=admin)

    lines = client.get(f"/employees/{employee['id']}/ledger", headers=admin).json
    assert [(line["kind"], line["delta"], line["balance_after"]) for line in lines] == [
        ("opening", 40, 40),
        ("adjustment", -10, 30),
    ]
    assert lines[1]["reason"] == "Audit"


def test_put_to_the_same_balance_writes_nothing(client, admin):
    employee = create_employee(client, admin, hours_balance=40)

    client.put(f"/employees/{employee['id']}", json={"hours_balance": 40}, headers=admin)

    assert client.get(f"/employees/{employee['id']}/ledger", headers=admin).headers["X-Total-Count"] == "1"


def test_patch_renames_and_can_set_the_balance(client, admin):
    employee = create_employee(client, admin, "Dana", 40)

    response = client.patch(
        f"/employees/{employee['id']}",
        json={"name": "Dana Katherine Scully", "hours_balance": 41.25},
        headers=admin,
    )

    assert response.status_code == 200
    assert response.json["name"] == "Dana Katherine Scully"
    assert response.json["hours_balance"] == 41.25


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 121},
        {"name": None},
        {"hours_balance": -1},
        {"id": 7},
        {"reason": "a reason without a balance"},
    ],
)
def test_patch_validates_fields(client, admin, body):
    employee = create_employee(client, admin)

    response = client.patch(f"/employees/{employee['id']}", json=body, headers=admin)

    assert response.status_code == 422


def test_put_requires_hours_balance(client, admin):
    employee = create_employee(client, admin)

    response = client.put(f"/employees/{employee['id']}", json={"name": "New"}, headers=admin)

    assert response.status_code == 422
    assert set(response.json["errors"]) == {"hours_balance", "name"}


def test_delete_archives_the_employee_and_keeps_their_history(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    file_pto(client, admin, employee["id"], 8)

    response = client.delete(f"/employees/{employee['id']}", headers=admin)

    assert response.status_code == 204
    assert response.data == b""
    assert client.get("/employees", headers=admin).json == []
    archived = client.get("/employees?archived=true", headers=admin).json
    assert [e["id"] for e in archived] == [employee["id"]]
    kept = client.get(f"/employees/{employee['id']}", headers=admin).json
    assert kept["archived"] is True
    assert len(kept["pto_entries"]) == 1
    assert client.get(f"/employees/{employee['id']}/ledger", headers=admin).headers["X-Total-Count"] == "2"


def test_archived_employees_are_frozen(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    entry = file_pto(client, admin, employee["id"], 8).json
    client.delete(f"/employees/{employee['id']}", headers=admin)

    assert file_pto(client, admin, employee["id"], 1).status_code == 409
    assert client.delete(f"/pto/{entry['id']}", headers=admin).status_code == 409
    assert (
        client.put(f"/employees/{employee['id']}", json={"hours_balance": 1}, headers=admin).status_code
        == 409
    )
    assert client.delete(f"/employees/{employee['id']}", headers=admin).status_code == 204


@pytest.mark.parametrize("path", ["/employees/999", "/employees/99999999999999999999", "/employees/0"])
def test_unknown_employee_is_404(client, admin, path):
    response = client.get(path, headers=admin)

    assert response.status_code == 404
    assert response.json["code"] == 404


# Reporting lines


def create_with_manager(client, admin, name, manager_id):
    return client.post("/employees", json={"name": name, "manager_id": manager_id}, headers=admin)


def set_manager(client, admin, employee_id, manager_id):
    return client.patch(f"/employees/{employee_id}", json={"manager_id": manager_id}, headers=admin)


def test_an_employee_is_created_with_a_manager(client, admin):
    boss = create_employee(client, admin, "Boss")

    response = create_with_manager(client, admin, "Worker", boss["id"])

    assert response.status_code == 201
    assert response.json["manager_id"] == boss["id"]


def test_an_unknown_manager_is_422(client, admin):
    response = create_with_manager(client, admin, "Worker", 999)

    assert response.status_code == 422
    assert response.json["errors"] == {"manager_id": ["No active employee with that id."]}
    assert client.get("/employees", headers=admin).json == []


def test_an_archived_manager_is_422(client, admin):
    boss = create_employee(client, admin, "Boss")
    worker = create_employee(client, admin, "Worker")
    client.delete(f"/employees/{boss['id']}", headers=admin)

    response = set_manager(client, admin, worker["id"], boss["id"])

    assert response.status_code == 422
    assert "manager_id" in response.json["errors"]
    assert client.get(f"/employees/{worker['id']}", headers=admin).json["manager_id"] is None


def test_an_employee_cannot_be_their_own_manager(client, admin):
    worker = create_employee(client, admin, "Worker")

    response = set_manager(client, admin, worker["id"], worker["id"])

    assert response.status_code == 422
    assert "manager_id" in response.json["errors"]


@pytest.mark.parametrize("chain_length", [2, 3])
def test_a_reporting_cycle_is_422(client, admin, chain_length):
    # chain[0] reports to chain[1], which reports to chain[2]...
    chain = [create_employee(client, admin, f"Person {n}")["id"] for n in range(chain_length)]
    for lower, upper in pairwise(chain):
        assert set_manager(client, admin, lower, upper).status_code == 200

    response = set_manager(client, admin, chain[-1], chain[0])

    assert response.status_code == 422
    assert "manager_id" in response.json["errors"]
    assert client.get(f"/employees/{chain[-1]}", headers=admin).json["manager_id"] is None


def test_null_clears_the_manager_and_their_view_of_the_employee(client, admin, manager, report):
    response = set_manager(client, admin, report.employee_id, None)

    assert response.status_code == 200
    assert response.json["manager_id"] is None
    assert client.get(f"/employees/{report.employee_id}", headers=manager.headers).status_code == 404


@pytest.mark.parametrize("name", ["\u200b", "\u2060\u200b", " \u00a0 ", "\u200e", "\ufeff"])
def test_a_name_of_only_invisible_characters_is_422(client, admin, name):
    created = client.post("/employees", json={"name": name}, headers=admin)
    renamed = client.patch(
        f"/employees/{create_employee(client, admin)['id']}", json={"name": name}, headers=admin
    )

    assert (created.status_code, renamed.status_code) == (422, 422), (created.json, renamed.json)
    assert created.json["errors"] == {"name": ["Must not be blank."]}


def test_a_name_with_invisible_characters_around_visible_ones_is_kept(client, admin):
    response = client.post("/employees", json={"name": "\u200bDana\u00a0Scully"}, headers=admin)

    assert response.status_code == 201, response.json
    assert response.json["name"] == "\u200bDana\u00a0Scully"


def test_opposite_manager_changes_at_once_queue_instead_of_deadlocking(client, admin, database_url):
    """A reports to B and B to A, sent together: one is applied, the other is a loop (422), never a 503."""
    a, b = (create_employee(client, admin, name)["id"] for name in ("Ann", "Bob"))
    engine = sa.create_engine(sqlalchemy_url(database_url))
    answers = {}

    def set_manager_of(employee_id, manager_id):
        answers[employee_id] = set_manager(client, admin, employee_id, manager_id)

    with engine.connect() as other_session:
        hold = other_session.begin()  # both requests queue on these rows, then start together
        other_session.execute(
            sa.text("UPDATE employees SET name = name WHERE id IN (:a, :b)"), {"a": a, "b": b}
        )
        requests = [threading.Thread(target=set_manager_of, args=pair) for pair in ((a, b), (b, a))]
        for request in requests:
            request.start()
        time.sleep(0.5)
        hold.commit()
        for request in requests:
            request.join(timeout=30)
    engine.dispose()

    assert sorted(answer.status_code for answer in answers.values()) == [200, 422], {
        employee_id: answer.json for employee_id, answer in answers.items()
    }
    managers = {e["id"]: e["manager_id"] for e in client.get("/employees", headers=admin).json}
    assert managers in ({a: b, b: None}, {a: None, b: a})


# Hire and leave dates


def utc_today():
    return datetime.now(UTC).date().isoformat()


def test_an_employee_is_hired_today_unless_a_hire_date_is_given(client, admin):
    today = create_employee(client, admin, "Today")
    planned = client.post("/employees", json={"name": "Planned", "hire_date": "2027-03-01"}, headers=admin)

    assert (today["hire_date"], today["left_on"]) == (utc_today(), None)
    assert planned.status_code == 201, planned.json
    assert planned.json["hire_date"] == "2027-03-01"
    shown = client.get(f"/employees/{planned.json['id']}", headers=admin).json
    listed = next(e for e in client.get("/employees", headers=admin).json if e["id"] == planned.json["id"])
    assert shown["hire_date"] == listed["hire_date"] == "2027-03-01"


def test_a_hire_date_can_be_corrected_until_the_employee_is_archived(client, admin):
    employee = create_employee(client, admin)
    path = f"/employees/{employee['id']}"

    corrected = client.patch(path, json={"hire_date": "2019-09-02"}, headers=admin)
    client.delete(path, headers=admin)
    frozen = client.patch(path, json={"hire_date": "2019-09-03"}, headers=admin)

    assert corrected.status_code == 200, corrected.json
    assert corrected.json["hire_date"] == "2019-09-02"
    assert frozen.status_code == 409
    assert client.get(path, headers=admin).json["hire_date"] == "2019-09-02"


def test_archiving_records_the_last_day_of_work(client, admin):
    employee = create_employee(client, admin)
    future_hire = client.post(
        "/employees", json={"name": "Never started", "hire_date": "2099-01-04"}, headers=admin
    )

    for archived in (employee, future_hire.json):
        assert client.delete(f"/employees/{archived['id']}", headers=admin).status_code == 204

    assert client.get(f"/employees/{employee['id']}", headers=admin).json["left_on"] == utc_today()
    # Archived before their first day: they left on it, never before they were hired.
    assert client.get(f"/employees/{future_hire.json['id']}", headers=admin).json["left_on"] == "2099-01-04"


@pytest.mark.parametrize("hire_date", ["2027-02-30", "20270301", "2027-W09-1", 20270301, None, ""])
def test_a_hire_date_that_is_not_a_calendar_date_is_422(client, admin, hire_date):
    created = client.post("/employees", json={"name": "Dana", "hire_date": hire_date}, headers=admin)
    employee = create_employee(client, admin)
    patched = client.patch(f"/employees/{employee['id']}", json={"hire_date": hire_date}, headers=admin)

    for response in (created, patched):
        assert response.status_code == 422
        assert list(response.json["errors"]) == ["hire_date"]
