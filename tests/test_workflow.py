"""The request workflow (PRODUCT.md §5): employees ask, their manager or an admin decides, and hours
move only when a request is approved, or refunded when an approved one is cancelled."""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
import sqlalchemy as sa

from conftest import create_employee, file_pto, register_and_login, sqlalchemy_url


@dataclass
class Person:
    """Someone who logs in and is an employee."""

    headers: dict
    user_id: int
    employee_id: int


def hire(client, admin, username, role="employee", hours_balance=40, manager=None):
    """Create an employee record, register ``username`` and link the two with ``role``."""
    body = {"name": username.title(), "hours_balance": hours_balance}
    if manager is not None:
        body["manager_id"] = manager.employee_id
    employee = client.post("/employees", json=body, headers=admin)
    assert employee.status_code == 201, employee.json
    headers = register_and_login(client, username)
    user_id = client.get("/me", headers=headers).json["id"]
    link = {"employee_id": employee.json["id"], "role": role}
    response = client.patch(f"/users/{user_id}", json=link, headers=admin)
    assert response.status_code == 200, response.json
    return Person(headers, user_id, employee.json["id"])


def link_admin_to_an_employee(client, admin):
    """Make the admin an employee too (HR staff take PTO as well)."""
    employee = create_employee(client, admin, "Hr Lead", 40)
    admin_id = client.get("/me", headers=admin).json["id"]
    response = client.patch(f"/users/{admin_id}", json={"employee_id": employee["id"]}, headers=admin)
    assert response.status_code == 200, response.json
    return Person(admin, admin_id, employee["id"])


@pytest.fixture
def manager(client, admin):
    return hire(client, admin, "mulder", role="manager")


@pytest.fixture
def report(client, admin, manager):
    """An employee who reports to ``manager``."""
    return hire(client, admin, "scully", manager=manager)


def hours(client, admin, employee_id):
    """The employee's balance, pending and available hours."""
    employee = client.get(f"/employees/{employee_id}", headers=admin).json
    return employee["hours_balance"], employee["pending_hours"], employee["available_hours"]


def ledger(client, admin, employee_id):
    return client.get(f"/employees/{employee_id}/ledger", headers=admin).json


def ledger_kinds(client, admin, employee_id):
    return [line["kind"] for line in ledger(client, admin, employee_id)]


def entry(client, headers, entry_id):
    return client.get(f"/pto/{entry_id}", headers=headers).json


def decide(client, headers, entry_id, action, **body):
    """POST /pto/<id>/<action>, with a JSON body only when one is given."""
    return client.post(f"/pto/{entry_id}/{action}", json=body or None, headers=headers)


def request_pto(client, person, hours, **fields):
    """``person`` asks for time off for themselves; the request must be accepted."""
    response = file_pto(client, person.headers, person.employee_id, hours, **fields)
    assert response.status_code == 201, response.json
    return response.json


def user_id_of(client, headers):
    return client.get("/me", headers=headers).json["id"]


# Filing and deciding


def test_an_employee_asking_for_themselves_files_a_pending_request(client, admin, report):
    response = file_pto(client, report.headers, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "pending"
    assert response.json["requested_by"] == report.user_id
    assert response.json["decided_by"] is None
    assert hours(client, admin, report.employee_id) == (40, 8, 32)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_approving_takes_the_hours_with_one_ledger_line(client, admin, manager, report):
    pending = request_pto(client, report, 8)

    response = decide(client, manager.headers, pending["id"], "approve")

    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert hours(client, admin, report.employee_id) == (32, 0, 32)
    taken = [line for line in ledger(client, admin, report.employee_id) if line["kind"] == "pto_taken"]
    assert [(line["delta"], line["balance_after"], line["pto_entry_id"]) for line in taken] == [
        (-8, 32, pending["id"])
    ]
    assert taken[0]["actor_id"] == manager.user_id


def test_the_decision_is_recorded_and_visible_to_the_employee(client, manager, report):
    pending = request_pto(client, report, 8)

    decide(client, manager.headers, pending["id"], "approve", note="Enjoy the break")

    seen = entry(client, report.headers, pending["id"])
    assert seen["decided_by"] == manager.user_id
    assert seen["decision_note"] == "Enjoy the break"
    decided_at = datetime.fromisoformat(seen["decided_at"])
    assert decided_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - decided_at) < timedelta(minutes=1)


def test_a_decision_needs_no_body(client, manager, report):
    pending = request_pto(client, report, 8)

    response = client.post(f"/pto/{pending['id']}/approve", headers=manager.headers)

    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert response.json["decision_note"] is None


def test_a_decision_with_an_unknown_field_is_422_and_decides_nothing(client, manager, report):
    pending = request_pto(client, report, 8)

    response = decide(client, manager.headers, pending["id"], "approve", reason="Sure")

    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    assert entry(client, report.headers, pending["id"])["status"] == "pending"


def test_denying_moves_no_hours_and_keeps_the_note(client, admin, manager, report):
    pending = request_pto(client, report, 8)

    response = decide(client, manager.headers, pending["id"], "deny", note="Release week")

    assert response.status_code == 200
    assert response.json["status"] == "denied"
    assert response.json["decision_note"] == "Release week"
    assert response.json["decided_by"] == manager.user_id
    assert response.json["decided_at"] is not None
    assert hours(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_cancelling_a_pending_request_moves_no_hours(client, admin, report):
    pending = request_pto(client, report, 8)

    response = decide(client, report.headers, pending["id"], "cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert response.json["cancelled_by"] == report.user_id
    assert hours(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_cancelling_an_approved_request_refunds_it_through_the_ledger(client, admin, manager, report):
    pending = request_pto(client, report, 8, start_date="2099-03-02")
    decide(client, manager.headers, pending["id"], "approve")

    response = decide(client, report.headers, pending["id"], "cancel")

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert hours(client, admin, report.employee_id) == (40, 0, 40)
    lines = ledger(client, admin, report.employee_id)
    assert [(line["kind"], line["delta"], line["pto_entry_id"]) for line in lines] == [
        ("opening", 40, None),
        ("pto_taken", -8, pending["id"]),
        ("refund", 8, pending["id"]),
    ]
    # History is kept: the decision survives the cancellation.
    assert entry(client, admin, pending["id"])["decided_by"] == manager.user_id


def move_to(client, manager, report, status, **fields):
    """File a request as ``report`` and bring it to ``status``; return its id."""
    entry_id = request_pto(client, report, 8, **fields)["id"]
    action = {"pending": None, "approved": "approve", "denied": "deny", "cancelled": "cancel"}[status]
    if action is not None:
        who = report if action == "cancel" else manager
        assert decide(client, who.headers, entry_id, action).status_code == 200
    return entry_id


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
    entry_id = move_to(client, manager, report, status)
    before = (entry(client, admin, entry_id), ledger(client, admin, report.employee_id))

    response = decide(client, admin, entry_id, action, note="Second thoughts")

    assert response.status_code == 409
    assert response.json["message"] == message
    assert (entry(client, admin, entry_id), ledger(client, admin, report.employee_id)) == before


def test_a_cancellation_keeps_its_note(client, admin, report):
    pending = request_pto(client, report, 8)

    response = decide(client, report.headers, pending["id"], "cancel", note="Plans changed")

    assert response.status_code == 200
    assert entry(client, admin, pending["id"])["cancellation_note"] == "Plans changed"


def test_a_cancellation_with_unknown_fields_is_422_and_changes_nothing(client, admin, report):
    pending = request_pto(client, report, 8)

    response = decide(client, report.headers, pending["id"], "cancel", note="Plans changed", bogus=1)

    assert response.status_code == 422
    assert entry(client, admin, pending["id"])["status"] == "pending"


def test_employees_cancel_approved_time_off_only_before_it_starts(client, admin, manager, report):
    started = move_to(client, manager, report, "approved", start_date="2020-01-06")
    undated = move_to(client, manager, report, "approved")

    refused = [decide(client, report.headers, entry_id, "cancel") for entry_id in (started, undated)]
    by_manager = decide(client, manager.headers, started, "cancel")

    assert [response.status_code for response in refused] == [403, 403]
    assert entry(client, admin, undated)["status"] == "approved"
    assert by_manager.status_code == 200


def test_delete_of_a_denied_request_is_409(client, admin, manager, report):
    entry_id = move_to(client, manager, report, "denied")

    response = client.delete(f"/pto/{entry_id}", headers=report.headers)

    assert response.status_code == 409
    assert entry(client, admin, entry_id)["status"] == "denied"


# Who files decides where a request starts


def test_an_admin_filing_for_someone_else_approves_it_at_once(client, admin, report):
    response = file_pto(client, admin, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "approved"
    assert response.json["decided_by"] == user_id_of(client, admin)
    assert hours(client, admin, report.employee_id) == (32, 0, 32)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening", "pto_taken"]


def test_a_manager_filing_for_their_report_approves_it_at_once(client, admin, manager, report):
    response = file_pto(client, manager.headers, report.employee_id, 8)

    assert response.status_code == 201
    assert response.json["status"] == "approved"
    assert response.json["decided_by"] == manager.user_id
    assert hours(client, admin, report.employee_id) == (32, 0, 32)


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
    assert hours(client, admin, filer.employee_id) == (40, 8, 32)


@pytest.mark.parametrize("action", ["approve", "deny"])
def test_nobody_decides_their_own_request(client, admin, filer, action):
    pending = request_pto(client, filer, 8)

    response = decide(client, filer.headers, pending["id"], action)

    assert response.status_code == 403
    assert entry(client, admin, pending["id"])["status"] == "pending"
    assert hours(client, admin, filer.employee_id) == (40, 8, 32)


def test_a_managers_own_request_is_decided_by_an_admin(client, admin, manager):
    pending = request_pto(client, manager, 8)

    response = decide(client, admin, pending["id"], "approve")

    assert response.status_code == 200
    assert hours(client, admin, manager.employee_id) == (32, 0, 32)


def test_an_employee_cannot_decide_a_colleagues_request(client, admin, manager, report):
    colleague = hire(client, admin, "doggett", manager=manager)
    pending = request_pto(client, colleague, 8)

    response = decide(client, report.headers, pending["id"], "approve")

    assert response.status_code == 404
    assert entry(client, admin, pending["id"])["status"] == "pending"


# What may be asked for


def test_a_request_beyond_the_available_hours_is_409_and_writes_nothing(client, admin, report):
    request_pto(client, report, 30)

    response = file_pto(client, report.headers, report.employee_id, 10.01)

    assert response.status_code == 409
    assert response.json["message"] == "Only 10.00 hours are available (balance 40.00, 30.00 pending)."
    assert len(client.get("/pto", headers=admin).json) == 1
    assert hours(client, admin, report.employee_id) == (40, 30, 10)


def test_a_request_for_exactly_the_available_hours_is_accepted(client, admin, report):
    request_pto(client, report, 30)

    response = file_pto(client, report.headers, report.employee_id, 10)

    assert response.status_code == 201
    assert hours(client, admin, report.employee_id) == (40, 40, 0)


def test_pending_hours_also_limit_what_an_admin_may_file(client, admin, report):
    request_pto(client, report, 30)

    response = file_pto(client, admin, report.employee_id, 16)

    assert response.status_code == 409
    assert hours(client, admin, report.employee_id) == (40, 30, 10)


def test_the_overdraft_stretches_the_available_hours(app, client, admin, manager, report):
    app.config["PTO_OVERDRAFT_HOURS"] = Decimal(8)
    first = request_pto(client, report, 30)
    second = request_pto(client, report, 18)

    beyond = file_pto(client, report.headers, report.employee_id, 0.01)
    decide(client, manager.headers, first["id"], "approve")
    decide(client, manager.headers, second["id"], "approve")

    assert beyond.status_code == 409
    assert hours(client, admin, report.employee_id) == (-8, 0, -8)


def test_unpaid_requests_take_no_hours_and_are_not_pending(client, admin, manager, report):
    unpaid = file_pto(client, report.headers, report.employee_id, 80, type="unpaid")
    pending = hours(client, admin, report.employee_id)

    decide(client, manager.headers, unpaid.json["id"], "approve")

    assert unpaid.status_code == 201
    assert unpaid.json["status"] == "pending"
    assert pending == (40, 0, 40)
    assert hours(client, admin, report.employee_id) == (40, 0, 40)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


def test_approving_beyond_a_lowered_balance_is_409_and_leaves_the_request_pending(
    client, admin, manager, report
):
    pending = request_pto(client, report, 16)
    client.put(f"/employees/{report.employee_id}", json={"hours_balance": 8}, headers=admin)

    response = decide(client, manager.headers, pending["id"], "approve", note="OK")

    assert response.status_code == 409
    kept = entry(client, admin, pending["id"])
    assert (kept["status"], kept["decided_by"], kept["decided_at"], kept["decision_note"]) == (
        "pending",
        None,
        None,
        None,
    )
    assert hours(client, admin, report.employee_id) == (8, 16, -8)
    assert ledger_kinds(client, admin, report.employee_id) == ["opening", "adjustment"]


# Overlapping dates

CHRISTMAS = {"start_date": "2026-12-24", "end_date": "2026-12-26"}


@pytest.mark.parametrize("status", ["pending", "approved"])
def test_a_request_overlapping_a_live_one_is_409_naming_it(client, admin, manager, report, status):
    clash = request_pto(client, report, 8, **CHRISTMAS)
    if status == "approved":
        decide(client, manager.headers, clash["id"], "approve")

    response = file_pto(
        client, report.headers, report.employee_id, 8, start_date="2026-12-26", end_date="2026-12-28"
    )

    assert response.status_code == 409
    assert response.json["message"] == (
        f"These dates overlap PTO entry {clash['id']} (2026-12-24 to 2026-12-26, {status})."
    )
    assert [e["id"] for e in client.get("/pto", headers=admin).json] == [clash["id"]]


def test_an_overlap_filed_by_an_admin_is_409_too(client, admin, report):
    clash = request_pto(client, report, 8, **CHRISTMAS)

    response = file_pto(client, admin, report.employee_id, 8, start_date="2026-12-23", end_date="2026-12-31")

    assert response.status_code == 409
    assert f"PTO entry {clash['id']} " in response.json["message"]
    assert hours(client, admin, report.employee_id) == (40, 8, 32)


@pytest.mark.parametrize("status", ["denied", "cancelled"])
def test_denied_and_cancelled_requests_free_their_days(client, manager, report, status):
    move_to(client, manager, report, status, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    assert response.status_code == 201


def test_the_day_after_an_entry_does_not_overlap_it(client, report):
    request_pto(client, report, 8, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, start_date="2026-12-27")

    assert response.status_code == 201


def test_other_employees_days_do_not_block(client, admin, manager, report):
    request_pto(client, manager, 8, **CHRISTMAS)

    response = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    assert response.status_code == 201


def test_undated_entries_never_overlap(client, report):
    request_pto(client, report, 4)
    dated = file_pto(client, report.headers, report.employee_id, 8, **CHRISTMAS)

    undated = file_pto(client, report.headers, report.employee_id, 4)

    assert dated.status_code == 201
    assert undated.status_code == 201


# Filters


def test_pending_is_a_managers_approval_queue(client, admin, manager, report):
    colleague = hire(client, admin, "doggett", manager=manager)
    outsider = hire(client, admin, "skinner")
    file_pto(client, admin, report.employee_id, 4)  # approved at once
    queue = [
        request_pto(client, report, 8)["id"],
        request_pto(client, colleague, 8)["id"],
        request_pto(client, manager, 8)["id"],
    ]
    request_pto(client, outsider, 8)

    response = client.get("/pto?status=pending", headers=manager.headers)

    assert response.status_code == 200
    assert [e["id"] for e in response.json] == queue
    assert response.headers["X-Total-Count"] == "3"


def test_an_employee_sees_only_their_own_pending_requests(client, admin, manager, report):
    own = request_pto(client, report, 8)
    request_pto(client, manager, 8)

    response = client.get("/pto?status=pending", headers=report.headers)

    assert [e["id"] for e in response.json] == [own["id"]]


def test_the_type_filter_picks_one_kind_of_leave(client, manager, report):
    request_pto(client, report, 8, type="vacation")
    sick = request_pto(client, report, 8, type="sick")

    response = client.get("/pto?type=sick", headers=manager.headers)

    assert [e["id"] for e in response.json] == [sick["id"]]


# Archived employees


@pytest.mark.parametrize("action", ["approve", "deny", "cancel"])
def test_an_archived_employees_requests_are_frozen(client, admin, report, action):
    pending = request_pto(client, report, 8)
    client.delete(f"/employees/{report.employee_id}", headers=admin)

    response = decide(client, admin, pending["id"], action)

    assert response.status_code == 409
    assert response.json["message"] == (
        "The employee is archived: their balance and entries can no longer change."
    )
    assert entry(client, admin, pending["id"])["status"] == "pending"
    assert ledger_kinds(client, admin, report.employee_id) == ["opening"]


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


@pytest.mark.parametrize("action", ["file", "approve"])
def test_an_archive_committed_while_a_request_waits_counts(
    client, admin, manager, report, database_url, action
):
    """The archive check runs after the request has queued on the employee's row, not before."""
    pending = request_pto(client, report, 8)
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
