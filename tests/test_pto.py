"""PTO entries: recording takes hours, cancelling refunds them once, bad requests change nothing, and
lists filter what the caller sees."""

import pytest

from helpers import balance, create_employee, file_pto, hire, ledger_kinds, request_pto


def test_recording_pto_takes_the_hours(client, admin):
    employee = create_employee(client, admin, hours_balance=40)

    response = file_pto(client, admin, employee["id"], 7.5)

    assert response.status_code == 201
    assert response.headers["Location"] == f"/pto/{response.json['id']}"
    assert response.json["status"] == "approved"
    assert response.json["type"] == "vacation"
    assert response.json["hours"] == 7.5
    assert balance(client, admin, employee["id"]) == 32.5


def test_tenths_of_an_hour_add_up_exactly(client, admin):
    employee = create_employee(client, admin, hours_balance=0.3)

    responses = [file_pto(client, admin, employee["id"], 0.1).status_code for _ in range(4)]

    assert responses == [201, 201, 201, 409]
    assert balance(client, admin, employee["id"]) == 0


def test_pto_beyond_the_balance_is_409_and_changes_nothing(client, admin):
    employee = create_employee(client, admin, hours_balance=8)

    response = file_pto(client, admin, employee["id"], 8.01)

    assert response.status_code == 409
    assert response.json["message"] == "Only 8.00 hours are available (balance 8.00, 0.00 pending)."
    assert balance(client, admin, employee["id"]) == 8
    assert client.get("/pto", headers=admin).json == []
    assert ledger_kinds(client, admin, employee["id"]) == ["opening"]


def test_the_allowed_overdraft_is_configurable(app, client, admin):
    app.config["PTO_OVERDRAFT_HOURS"] = app.config["PTO_OVERDRAFT_HOURS"] + 16
    employee = create_employee(client, admin, hours_balance=8)

    assert file_pto(client, admin, employee["id"], 24).status_code == 201
    assert file_pto(client, admin, employee["id"], 0.01).status_code == 409
    assert balance(client, admin, employee["id"]) == -16


def test_unpaid_leave_is_recorded_without_taking_hours(client, admin):
    employee = create_employee(client, admin, hours_balance=8)

    response = file_pto(client, admin, employee["id"], 40, type="unpaid")

    assert response.status_code == 201
    assert balance(client, admin, employee["id"]) == 8
    assert ledger_kinds(client, admin, employee["id"]) == ["opening"]


def test_dates_type_and_note_are_kept(client, admin):
    employee = create_employee(client, admin)

    response = file_pto(
        client,
        admin,
        employee["id"],
        16,
        start_date="2026-12-24",
        end_date="2026-12-25",
        type="personal",
        note="Xmas",
    )

    assert response.json["start_date"] == "2026-12-24"
    assert response.json["end_date"] == "2026-12-25"
    assert response.json["type"] == "personal"
    assert response.json["note"] == "Xmas"


def test_a_start_date_alone_is_a_single_day(client, admin):
    employee = create_employee(client, admin)

    response = file_pto(client, admin, employee["id"], 8, start_date="2026-12-24")

    assert response.json["end_date"] == "2026-12-24"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": "2026-12-24", "end_date": "2026-12-23"}, "end_date"),
        ({"end_date": "2026-12-23"}, "start_date"),
        ({"start_date": "24/12/2026"}, "start_date"),
        ({"type": "holiday"}, "type"),
        ({"note": "x" * 1001}, "note"),
        ({"status": "approved"}, "status"),
    ],
)
def test_invalid_entries_are_422(client, admin, fields, field):
    employee = create_employee(client, admin)

    response = file_pto(client, admin, employee["id"], 8, **fields)

    assert response.status_code == 422
    assert field in response.json["errors"]


@pytest.mark.parametrize("employee_id", [999, 2**31 - 1])
def test_pto_for_an_unknown_employee_is_404(client, admin, employee_id):
    response = file_pto(client, admin, employee_id, 8)

    assert response.status_code == 404


@pytest.mark.parametrize("employee_id", ["1", 1.5, True, None, 0, 2**31])
def test_employee_id_must_be_a_plain_id(client, admin, employee_id):
    create_employee(client, admin)

    response = file_pto(client, admin, employee_id, 8)

    assert response.status_code == 422
    assert "employee_id" in response.json["errors"]


def test_delete_cancels_and_refunds_exactly_once(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    entry = file_pto(client, admin, employee["id"], 8).json

    first = client.delete(f"/pto/{entry['id']}", headers=admin)
    second = client.delete(f"/pto/{entry['id']}", headers=admin)

    assert first.status_code == 204
    assert second.status_code == 409
    assert (
        second.json["message"] == "The entry is cancelled; only a pending or approved entry can be cancelled."
    )
    assert balance(client, admin, employee["id"]) == 40
    assert ledger_kinds(client, admin, employee["id"]) == ["opening", "pto_taken", "refund"]
    kept = client.get(f"/pto/{entry['id']}", headers=admin).json
    assert kept["status"] == "cancelled"
    assert kept["cancelled_by"] is not None and kept["cancelled_at"] is not None


def test_cancel_returns_the_cancelled_entry(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    entry = file_pto(client, admin, employee["id"], 8).json

    response = client.post(f"/pto/{entry['id']}/cancel", headers=admin)

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert balance(client, admin, employee["id"]) == 40


def test_cancelling_unpaid_leave_refunds_nothing(client, admin):
    employee = create_employee(client, admin, hours_balance=8)
    entry = file_pto(client, admin, employee["id"], 40, type="unpaid").json

    client.delete(f"/pto/{entry['id']}", headers=admin)

    assert balance(client, admin, employee["id"]) == 8


def test_unknown_entry_is_404(client, admin):
    assert client.get("/pto/12345", headers=admin).status_code == 404
    assert client.delete("/pto/12345", headers=admin).status_code == 404


def test_list_filters(client, admin):
    dana = create_employee(client, admin, "Dana", 100)
    fox = create_employee(client, admin, "Fox", 100)
    christmas = file_pto(client, admin, dana["id"], 8, start_date="2026-12-24").json
    sick = file_pto(client, admin, dana["id"], 8, start_date="2027-01-11", type="sick").json
    new_year = file_pto(client, admin, fox["id"], 8, start_date="2026-12-31", end_date="2027-01-02").json
    undated = file_pto(client, admin, fox["id"], 4).json
    client.delete(f"/pto/{undated['id']}", headers=admin)

    def ids(query):
        response = client.get(f"/pto?{query}", headers=admin)
        assert response.status_code == 200, response.json
        return [entry["id"] for entry in response.json]

    assert ids(f"employee_id={fox['id']}") == [new_year["id"], undated["id"]]
    assert ids("status=cancelled") == [undated["id"]]
    assert ids(f"type=sick&employee_id={dana['id']}") == [sick["id"]]
    assert ids("from=2026-12-01&to=2026-12-31") == [christmas["id"], new_year["id"]]
    assert ids("from=2027-01-02") == [sick["id"], new_year["id"]]


@pytest.mark.parametrize(
    "query", ["status=done", "from=2026-12-31&to=2026-12-01", "employee_id=abc", "to=tomorrow"]
)
def test_bad_filters_are_422(client, admin, query):
    assert client.get(f"/pto?{query}", headers=admin).status_code == 422


# Filters


def test_pending_is_a_managers_approval_queue(client, admin, manager, report):
    colleague = hire(client, admin, "doggett", manager=manager)
    outsider = hire(client, admin, "skinner")
    file_pto(client, admin, report.employee_id, 4)  # approved at once
    queue = [
        request_pto(client, report, report.employee_id, 8)["id"],
        request_pto(client, colleague, colleague.employee_id, 8)["id"],
        request_pto(client, manager, manager.employee_id, 8)["id"],
    ]
    request_pto(client, outsider, outsider.employee_id, 8)

    response = client.get("/pto?status=pending", headers=manager.headers)

    assert response.status_code == 200
    assert [e["id"] for e in response.json] == queue
    assert response.headers["X-Total-Count"] == "3"


def test_an_employee_sees_only_their_own_pending_requests(client, admin, manager, report):
    own = request_pto(client, report, report.employee_id, 8)
    request_pto(client, manager, manager.employee_id, 8)

    response = client.get("/pto?status=pending", headers=report.headers)

    assert [e["id"] for e in response.json] == [own["id"]]


def test_the_type_filter_picks_one_kind_of_leave(client, manager, report):
    request_pto(client, report, report.employee_id, 8, type="vacation")
    sick = request_pto(client, report, report.employee_id, 8, type="sick")

    response = client.get("/pto?type=sick", headers=manager.headers)

    assert [e["id"] for e in response.json] == [sick["id"]]


@pytest.mark.parametrize("note", ["", " ", "\u200b", "\u2063"])
def test_a_note_of_only_invisible_characters_is_422(client, admin, note):
    employee = create_employee(client, admin)
    approved = file_pto(client, admin, employee["id"], 1).json  # an admin's filing is approved at once

    filed = file_pto(client, admin, employee["id"], 1, note=note)
    cancelled = client.post(f"/pto/{approved['id']}/cancel", json={"note": note}, headers=admin)
    reason = {"hours_balance": 8, "reason": note}
    balance_set = client.put(f"/employees/{employee['id']}", json=reason, headers=admin)

    assert [filed.status_code, cancelled.status_code, balance_set.status_code] == [422, 422, 422]
    assert set(filed.json["errors"]) == set(cancelled.json["errors"]) == {"note"}
    assert set(balance_set.json["errors"]) == {"reason"}
    assert ledger_kinds(client, admin, employee["id"]) == ["opening", "pto_taken"]


def test_page_links_keep_the_filters_and_name_each_page(client, admin):
    employee_id = create_employee(client, admin)["id"]
    for _ in range(3):
        request_pto(client, admin, employee_id, 1)

    response = client.get(f"/pto?employee_id={employee_id}&status=approved&per_page=1&page=2", headers=admin)

    links = dict(reversed(link.split("; ")) for link in response.headers["Link"].split(", "))
    base = f"http://localhost/pto?employee_id={employee_id}&status=approved"
    assert links == {
        'rel="first"': f"<{base}&page=1&per_page=1>",
        'rel="prev"': f"<{base}&page=1&per_page=1>",
        'rel="next"': f"<{base}&page=3&per_page=1>",
        'rel="last"': f"<{base}&page=3&per_page=1>",
    }
