"""What may be asked for (PRODUCT.md §4, §5): the available hours (balance less pending requests,
plus the allowed overdraft) and days that no other live request of the employee holds."""

from decimal import Decimal

import pytest

from helpers import (
    decide,
    file_pto,
    get_entry,
    hours_of,
    ledger_kinds,
    request_pto,
    request_with_status,
)

# What may be asked for


def test_a_request_beyond_the_available_hours_is_409_and_writes_nothing(client, admin, report):
    request_pto(client, report, report.employee_id, 30)

    response = file_pto(client, report.headers, report.employee_id, 10.01)

    assert response.status_code == 409
    assert response.json["message"] == "Only 10.00 hours are available (balance 40.00, 30.00 pending)."
    assert len(client.get("/pto", headers=admin).json) == 1
    assert hours_of(client, admin, report.employee_id) == (40, 30, 10)


def test_a_request_for_exactly_the_available_hours_is_accepted(client, admin, report):
    request_pto(client, report, report.employee_id, 30)

    response = file_pto(client, report.headers, report.employee_id, 10)

    assert response.status_code == 201
    assert hours_of(client, admin, report.employee_id) == (40, 40, 0)


def test_pending_hours_also_limit_what_an_admin_may_file(client, admin, report):
    request_pto(client, report, report.employee_id, 30)

    response = file_pto(client, admin, report.employee_id, 16)

    assert response.status_code == 409
    assert hours_of(client, admin, report.employee_id) == (40, 30, 10)


def test_the_overdraft_stretches_the_available_hours(app, client, admin, manager, report):
    app.config["PTO_OVERDRAFT_HOURS"] = Decimal(8)
    first = request_pto(client, report, report.employee_id, 30)
    second = request_pto(client, report, report.employee_id, 18)

    beyond = file_pto(client, report.headers, report.employee_id, 0.01)
    decide(client, manager.headers, first["id"], "approve")
    decide(client, manager.headers, second["id"], "approve")

    assert beyond.status_code == 409
    assert hours_of(client, admin, report.employee_id) == (-8, 0, -8)


def test_unpaid_requests_take_no_hours_and_are_not_pending(client, admin, manager, report):
    unpaid = file_pto(client, report.headers, report.employee_id, 80, type="unpaid")
    pending = hours_of(client, admin, report.employee_id)

    decide(client, manager.headers, unpaid.json["id"], "approve")

    assert unpaid.status_code == 201
    assert unpaid.json["status"] == "pending"
    assert pending == (40, 0, 40)
    assert hours_of(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_approving_beyond_a_lowered_balance_is_409_and_leaves_the_request_pending(
    client, admin, manager, report
):
    pending = request_pto(client, report, report.employee_id, 16)
    client.put(f"/employees/{report.employee_id}", json={"hours_balance": 8}, headers=admin)

    response = decide(client, manager.headers, pending["id"], "approve", note="OK")

    assert response.status_code == 409
    kept = get_entry(client, admin, pending["id"])
    assert (kept["status"], kept["decided_by"], kept["decided_at"], kept["decision_note"]) == (
        "pending",
        None,
        None,
        None,
    )
    assert hours_of(client, admin, report.employee_id) == (8, 16, -8)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening", "adjustment"]


# Overlapping dates

# A working day (Wednesday) on the default schedule: 8 hours.
CHRISTMAS = {"start_date": "2026-12-23", "end_date": "2026-12-23"}


@pytest.mark.parametrize("status", ["pending", "approved"])
def test_a_request_overlapping_a_live_one_is_409_naming_it(client, admin, manager, report, status):
    clash = request_pto(client, report, report.employee_id, 8, **CHRISTMAS)
    if status == "approved":
        decide(client, manager.headers, clash["id"], "approve")

    response = file_pto(
        client, report.headers, report.employee_id, 8, start_date="2026-12-23", end_date="2026-12-24"
    )

    assert response.status_code == 409
    assert response.json["message"] == (
        f"These dates overlap PTO entry {clash['id']} (2026-12-23 to 2026-12-23, {status}) on 2026-12-23 "
        "(it holds 8.00 hours; 8.00 are booked)."
    )
    assert [e["id"] for e in client.get("/pto", headers=admin).json] == [clash["id"]]


def test_an_overlap_filed_by_an_admin_is_409_too(client, admin, report):
    clash = request_pto(client, report, report.employee_id, 8, **CHRISTMAS)

    response = file_pto(client, admin, report.employee_id, 8, start_date="2026-12-23", end_date="2026-12-31")

    assert response.status_code == 409
    assert f"PTO entry {clash['id']} " in response.json["message"]
    assert hours_of(client, admin, report.employee_id) == (40, 8, 32)


@pytest.mark.parametrize("status", ["denied", "cancelled"])
def test_denied_and_cancelled_requests_free_their_days(client, manager, report, status):
    request_with_status(client, manager, report, status, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    assert response.status_code == 201


def test_the_day_after_an_entry_does_not_overlap_it(client, report):
    request_pto(client, report, report.employee_id, 8, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, start_date="2026-12-24")

    assert response.status_code == 201


def test_other_employees_days_do_not_block(client, admin, manager, report):
    request_pto(client, manager, manager.employee_id, 8, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    assert response.status_code == 201


def test_undated_entries_never_overlap(client, report):
    request_pto(client, report, report.employee_id, 4)
    dated = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    undated = file_pto(client, report.headers, report.employee_id, 4)

    assert dated.status_code == 201
    assert undated.status_code == 201
