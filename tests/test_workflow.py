"""The request workflow (PRODUCT.md §5): employees ask, their manager or an admin decides, and hours
move only when a request is approved, or refunded when an approved one is cancelled.

What may be asked for (available hours, overlapping days) is in test_availability.py."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpers import (
    Person,
    create_employee,
    decide,
    file_pto,
    get_entry,
    hire,
    hours_of,
    ledger,
    ledger_kinds,
    link_user,
    request_pto,
    request_with_status,
    sqlalchemy_url,
    user_id_of,
)


def link_admin_to_an_employee(client, admin):
    """Make the admin an employee too (HR staff take PTO as well)."""
    employee = create_employee(client, admin, "Hr Lead", 40)
    admin_id = user_id_of(client, admin)
    link_user(client, admin, admin_id, employee["id"])
    return Person(admin, admin_id, employee["id"])


# Filing and deciding


def test_an_employee_asking_for_themselves_files_a_pending_request(client, admin, report):
    response = file_pto(client, report.headers, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "pending"
    assert response.json["requested_by"] == report.user_id
    assert response.json["decided_by"] is None
    assert hours_of(client, admin, report.employee_id) == (40, 8, 32)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_approving_takes_the_hours_with_one_ledger_line(client, admin, manager, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, manager.headers, pending["id"], "approve")

    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert hours_of(client, admin, report.employee_id) == (32, 0, 32)
    taken = [line for line in ledger(client, admin, report.employee_id).lines if line["kind"] == "pto_taken"]
    assert [(line["delta"], line["balance_after"], line["pto_entry_id"]) for line in taken] == [
        (-8, 32, pending["id"])
    ]
    assert taken[0]["actor_id"] == manager.user_id


def test_the_decision_is_recorded_and_visible_to_the_employee(client, manager, report):
    pending = request_pto(client, report, report.employee_id, 8)

    decide(client, manager.headers, pending["id"], "approve", note="Enjoy the break")

    seen = get_entry(client, report.headers, pending["id"])
    assert seen["decided_by"] == manager.user_id
    assert seen["decision_note"] == "Enjoy the break"
    decided_at = datetime.fromisoformat(seen["decided_at"])
    assert decided_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - decided_at) < timedelta(minutes=1)


def test_a_decision_needs_no_body(client, manager, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = client.post(f"/pto/{pending['id']}/approve", headers=manager.headers)

    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert response.json["decision_note"] is None


def test_a_decision_with_an_unknown_field_is_422_and_decides_nothing(client, manager, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, manager.headers, pending["id"], "approve", reason="Sure")

    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    assert get_entry(client, report.headers, pending["id"])["status"] == "pending"


def test_denying_moves_no_hours_and_keeps_the_note(client, admin, manager, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, manager.headers, pending["id"], "deny", note="Release week")

    assert response.status_code == 200
    assert response.json["status"] == "denied"
    assert response.json["decision_note"] == "Release week"
    assert response.json["decided_by"] == manager.user_id
    assert response.json["decided_at"] is not None
    assert hours_of(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_cancelling_a_pending_request_moves_no_hours(client, admin, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, report.headers, pending["id"], "cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert response.json["cancelled_by"] == report.user_id
    assert hours_of(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_cancelling_an_approved_request_refunds_it_through_the_ledger(client, admin, manager, report):
    pending = request_pto(client, report, report.employee_id, 8, start_date="2099-03-02")
    decide(client, manager.headers, pending["id"], "approve")

    response = decide(client, report.headers, pending["id"], "cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert hours_of(client, admin, report.employee_id) == (40, 0, 40)
    lines = ledger(client, admin, report.employee_id).lines
    assert [(line["kind"], line["delta"], line["pto_entry_id"]) for line in lines] == [
        ("opening", 40, None),
        ("pto_taken", -8, pending["id"]),
        ("refund", 8, pending["id"]),
    ]
    # History is kept: the decision survives the cancellation.
    assert get_entry(client, admin, pending["id"])["decided_by"] == manager.user_id


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("approved", "approve", "The entry is approved; only a pending entry can be approved."),
        ("denied", "approve", "The entry is denied; only a pending entry can be approved."),
        ("cancelled", "approve", "The entry is cancelled; only a pending entry can be approved."),
        ("approved", "deny", "The entry is approved; only a pending entry can be denied."),
        ("denied", "deny", "The entry is denied; only a pending entry can be denied."),
        ("cancelled", "deny", "The entry is cancelled; only a pending entry can be denied."),
        ("denied", "cancel", "The entry is denied; only a pending or approved entry can be cancelled."),
        ("cancelled", "cancel", "The entry is cancelled; only a pending or approved entry can be cancelled."),
    ],
)
def test_illegal_transitions_are_409_and_change_nothing(
    client, admin, manager, report, status, action, message
):
    entry_id = request_with_status(client, manager, report, status)
    before = (get_entry(client, admin, entry_id), ledger(client, admin, report.employee_id).lines)

    response = decide(client, admin, entry_id, action, note="Second thoughts")

    assert response.status_code == 409
    assert response.json["message"] == message
    assert (get_entry(client, admin, entry_id), ledger(client, admin, report.employee_id).lines) == before


def test_a_cancellation_keeps_its_note(client, admin, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, report.headers, pending["id"], "cancel", note="Plans changed")

    assert response.status_code == 200
    assert get_entry(client, admin, pending["id"])["cancellation_note"] == "Plans changed"


def test_a_cancellation_with_unknown_fields_is_422_and_changes_nothing(client, admin, report):
    pending = request_pto(client, report, report.employee_id, 8)

    response = decide(client, report.headers, pending["id"], "cancel", note="Plans changed", bogus=1)

    assert response.status_code == 422
    assert get_entry(client, admin, pending["id"])["status"] == "pending"


def test_employees_cancel_approved_time_off_only_before_it_starts(client, admin, manager, report):
    started = request_with_status(client, manager, report, "approved", start_date="2020-01-06")
    undated = request_with_status(client, manager, report, "approved")

    refused = [decide(client, report.headers, entry_id, "cancel") for entry_id in (started, undated)]
    by_manager = decide(client, manager.headers, started, "cancel")

    assert [response.status_code for response in refused] == [403, 403]
    assert get_entry(client, admin, undated)["status"] == "approved"
    assert by_manager.status_code == 200


def test_delete_of_a_denied_request_is_409(client, admin, manager, report):
    entry_id = request_with_status(client, manager, report, "denied")

    response = client.delete(f"/pto/{entry_id}", headers=report.headers)

    assert response.status_code == 409
    assert get_entry(client, admin, entry_id)["status"] == "denied"


# Who files decides where a request starts


def test_an_admin_filing_for_someone_else_approves_it_at_once(client, admin, report):
    response = file_pto(client, admin, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "approved"
    assert response.json["decided_by"] == user_id_of(client, admin)
    assert hours_of(client, admin, report.employee_id) == (32, 0, 32)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening", "pto_taken"]


def test_a_manager_filing_for_their_report_approves_it_at_once(client, admin, manager, report):
    response = file_pto(client, manager.headers, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "approved"
    assert response.json["decided_by"] == manager.user_id
    assert hours_of(client, admin, report.employee_id) == (32, 0, 32)


@pytest.fixture(params=["employee", "manager", "admin"])
def filer(request, client, admin, report):
    """Someone with each role, linked to their own employee record."""
    if request.param == "employee":
        return report
    if request.param == "manager":
        return request.getfixturevalue("manager")
    return link_admin_to_an_employee(client, admin)


def test_anyone_filing_for_themselves_files_a_pending_request(client, admin, filer):
    response = file_pto(client, filer.headers, filer.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "pending"
    assert hours_of(client, admin, filer.employee_id) == (40, 8, 32)


@pytest.mark.parametrize("action", ["approve", "deny"])
def test_nobody_decides_their_own_request(client, admin, filer, action):
    pending = request_pto(client, filer, filer.employee_id, 8)

    response = decide(client, filer.headers, pending["id"], action)

    assert response.status_code == 403
    assert get_entry(client, admin, pending["id"])["status"] == "pending"
    assert hours_of(client, admin, filer.employee_id) == (40, 8, 32)


def test_a_managers_own_request_is_decided_by_an_admin(client, admin, manager):
    pending = request_pto(client, manager, manager.employee_id, 8)

    response = decide(client, admin, pending["id"], "approve")

    assert response.status_code == 200
    assert hours_of(client, admin, manager.employee_id) == (32, 0, 32)


def test_an_employee_cannot_decide_a_colleagues_request(client, admin, manager, report):
    colleague = hire(client, admin, "doggett", manager=manager)
    pending = request_pto(client, colleague, colleague.employee_id, 8)

    response = decide(client, report.headers, pending["id"], "approve")

    assert response.status_code == 404
    assert get_entry(client, admin, pending["id"])["status"] == "pending"


# Archived employees


@pytest.mark.parametrize("action", ["approve", "deny", "cancel"])
def test_an_archived_employees_requests_are_frozen(client, admin, report, action):
    pending = request_pto(client, report, report.employee_id, 8)
    client.delete(f"/employees/{report.employee_id}", headers=admin)

    response = decide(client, admin, pending["id"], action)

    assert response.status_code == 409
    assert response.json["message"] == (
        "The employee is archived: their balance and entries can no longer change."
    )
    assert get_entry(client, admin, pending["id"])["status"] == "pending"
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


# Races with an archive


@pytest.mark.parametrize("action", ["file", "approve"])
def test_an_archive_committed_while_a_request_waits_counts(
    client, admin, manager, report, database_url, action
):
    """The archive check runs after the request has queued on the employee's row, not before."""
    pending = request_pto(client, report, report.employee_id, 8)
    send = {
        "file": lambda: file_pto(client, admin, report.employee_id, 4),
        "approve": lambda: decide(client, manager.headers, pending["id"], "approve"),
    }[action]
    engine = sa.create_engine(sqlalchemy_url(database_url))
    answers = []
    with engine.connect() as other_session:
        archive = other_session.begin()
        other_session.execute(
            sa.text("UPDATE employees SET archived_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": report.employee_id},
        )
        waiting = threading.Thread(target=lambda: answers.append(send()))
        waiting.start()
        time.sleep(0.5)  # let the request reach the employee's row and queue behind the archive
        archive.commit()
        waiting.join(timeout=20)
    engine.dispose()

    assert [answer.status_code for answer in answers] == [409]
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]
