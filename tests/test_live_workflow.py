"""Live tests of roles and the request workflow (PRODUCT.md §3, §5): a real gunicorn, many threads.

An employee, their manager and the admin each do a day's work through the API, and every
forbidden step changes nothing. Simultaneous decisions on one request move its hours once;
simultaneous requests never promise more than the available hours, nor the same day twice.
No answer may be a 5xx (``call`` checks every one).
"""

from collections import Counter
from dataclasses import dataclass

import pytest

from helpers import (
    Person,
    assert_ledger_matches_balances,
    call,
    decide,
    file_pto,
    get_employee,
    get_entry,
    hire,
    hours_of,
    ledger,
    login,
    register,
    request_pto,
)
from live import assert_json_error, hammer, statuses

DAY = "2031-07-14"


@dataclass
class Team:
    """The admin; a manager and their report; optionally an outsider whom nobody manages."""

    admin: Person
    manager: Person
    employee: Person
    outsider: Person | None


def build_team(base, employee_hours=40, with_outsider=False):
    """Set up the people of a small company through the API, as an admin would."""
    admin_user = register(base, "admin")
    assert admin_user["role"] == "admin"
    admin = Person(login(base, "admin"), admin_user["id"], None)
    manager = hire(base, admin, "skinner", role="manager", hours_balance=80, name="Walter Skinner")
    employee = hire(base, admin, "scully", hours_balance=employee_hours, manager=manager, name="Dana Scully")
    outsider = hire(base, admin, "krycek", name="Alex Krycek") if with_outsider else None
    return Team(admin, manager, employee, outsider)


def file_own(base, who, hours, **fields):
    """``who`` files PTO for their own employee record."""
    return file_pto(base, who, who.employee_id, hours, **fields)


def file_pending(base, who, hours, **fields):
    entry = request_pto(base, who, who.employee_id, hours, **fields)
    assert entry["status"] == "pending", entry
    return entry


def entry_lines(base, token, employee_id, entry_id):
    """The kinds of the ledger lines of one PTO entry, oldest first."""
    lines, _ = ledger(base, token, employee_id)
    return [line["kind"] for line in lines if line["pto_entry_id"] == entry_id]


def everything(base, admin_token):
    """What the admin sees of the whole database: users, employees with their entries, every ledger."""
    users = call("GET", f"{base}/users", admin_token, params={"per_page": 100})
    employees = call("GET", f"{base}/employees", admin_token, params={"per_page": 100})
    assert (users.status_code, employees.status_code) == (200, 200)
    ledgers = {employee["id"]: ledger(base, admin_token, employee["id"]) for employee in employees.json()}
    return users.json(), employees.json(), ledgers


def assert_all_refused(attempts):
    """Each of ``attempts`` (label, response, expected status) was refused with that status."""
    refused = {label: response.status_code for label, response, _ in attempts}
    assert refused == {label: code for label, _, code in attempts}, refused
    for _, response, code in attempts:
        assert_json_error(response, code)


@pytest.mark.live
def test_employee_manager_and_admin_do_a_days_work(live_server, database_url):
    """File, queue, approve and deny, read the ledger, cancel for a refund; forbidden steps change nothing."""
    base = live_server.base_url
    team = build_team(base, employee_hours=40, with_outsider=True)
    admin, manager, employee, outsider = team.admin, team.manager, team.employee, team.outsider
    me = employee.employee_id

    # The employee logs in and sees only themselves.
    response = call("GET", f"{base}/me", employee.token)
    assert response.json()["role"] == "employee"
    assert response.json()["employee"]["id"] == me
    listed = call("GET", f"{base}/employees", employee.token).json()
    assert [row["id"] for row in listed] == [me]
    assert hours_of(base, employee.token, me) == (40, 0, 40)

    # They file two requests: a dated vacation with a note, and an undated personal one.
    vacation = file_pending(
        base, employee, 16, start_date=DAY, end_date="2031-07-15", type="vacation", note="Beach"
    )
    assert (vacation["start_date"], vacation["end_date"]) == (DAY, "2031-07-15")
    assert (vacation["type"], vacation["note"], vacation["requested_by"]) == (
        "vacation",
        "Beach",
        employee.user_id,
    )
    assert vacation["decided_by"] is None
    errand = file_pending(base, employee, 4, type="personal")
    assert (errand["start_date"], errand["type"]) == (None, "personal")
    assert hours_of(base, employee.token, me) == (40, 20, 20)
    # A request the employee's manager may not see.
    foreign = file_pending(base, outsider, 2)

    # Everything the employee may not do is refused, and nothing changes.
    before = everything(base, admin.token)
    assert_all_refused(
        [
            ("approve own", decide(base, employee, vacation["id"], "approve"), 403),
            ("deny own", decide(base, employee, errand["id"], "deny", note="no"), 403),
            ("see outsider", call("GET", f"{base}/employees/{outsider.employee_id}", employee.token), 404),
            ("see manager", call("GET", f"{base}/employees/{manager.employee_id}", employee.token), 404),
            (
                "manager's ledger",
                call("GET", f"{base}/employees/{manager.employee_id}/ledger", employee.token),
                404,
            ),
            ("see foreign entry", call("GET", f"{base}/pto/{foreign['id']}", employee.token), 404),
            ("cancel foreign entry", decide(base, employee, foreign["id"], "cancel"), 404),
            ("delete foreign entry", call("DELETE", f"{base}/pto/{foreign['id']}", employee.token), 404),
            ("file for outsider", file_pto(base, employee, outsider.employee_id, 1), 404),
            (
                "PUT own balance",
                call("PUT", f"{base}/employees/{me}", employee.token, json={"hours_balance": 999}),
                403,
            ),
            (
                "PATCH own balance",
                call("PATCH", f"{base}/employees/{me}", employee.token, json={"hours_balance": 999}),
                403,
            ),
            ("archive self", call("DELETE", f"{base}/employees/{me}", employee.token), 403),
            ("list users", call("GET", f"{base}/users", employee.token), 403),
            (
                "promote self",
                call("PATCH", f"{base}/users/{employee.user_id}", employee.token, json={"role": "admin"}),
                403,
            ),
            ("create employee", call("POST", f"{base}/employees", employee.token, json={"name": "X"}), 403),
            ("manager approves outsider", decide(base, manager, foreign["id"], "approve"), 404),
            (
                "manager sets balance",
                call("PUT", f"{base}/employees/{me}", manager.token, json={"hours_balance": 999}),
                403,
            ),
        ]
    )
    assert everything(base, admin.token) == before
    pending_ids = [row["id"] for row in call("GET", f"{base}/pto?status=pending", employee.token).json()]
    assert pending_ids == [vacation["id"], errand["id"]]

    # The manager's queue holds their report's requests only; the admin's holds everyone's.
    queue = call("GET", f"{base}/pto", manager.token, params={"status": "pending"})
    assert queue.status_code == 200
    assert [(row["id"], row["employee_id"]) for row in queue.json()] == [
        (vacation["id"], me),
        (errand["id"], me),
    ]
    assert queue.headers["X-Total-Count"] == "2"
    everyone = call("GET", f"{base}/pto", admin.token, params={"status": "pending"}).json()
    assert [row["id"] for row in everyone] == [vacation["id"], errand["id"], foreign["id"]]

    # The manager approves the vacation with a note and denies the errand.
    response = decide(base, manager, vacation["id"], "approve", note="Enjoy")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["decided_by"]) == ("approved", manager.user_id)
    response = decide(base, manager, errand["id"], "deny", note="Busy week")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "denied"
    assert call("GET", f"{base}/pto?status=pending", manager.token).json() == []

    # The employee sees both decisions and the balance they leave.
    for entry_id, status, note in (
        (vacation["id"], "approved", "Enjoy"),
        (errand["id"], "denied", "Busy week"),
    ):
        entry = get_entry(base, employee.token, entry_id)
        assert (entry["status"], entry["decided_by"], entry["decision_note"]) == (
            status,
            manager.user_id,
            note,
        )
        assert entry["decided_at"] is not None
    assert hours_of(base, employee.token, me) == (24, 0, 24)

    # Deciding again, or deciding one's own approved entry, is refused and changes nothing.
    before = everything(base, admin.token)
    assert_all_refused(
        [
            ("approve own approved", decide(base, employee, vacation["id"], "approve"), 403),
            ("re-approve", decide(base, manager, vacation["id"], "approve"), 409),
            ("deny approved", decide(base, admin, vacation["id"], "deny"), 409),
            ("approve denied", decide(base, manager, errand["id"], "approve"), 409),
            ("cancel denied", decide(base, employee, errand["id"], "cancel"), 409),
        ]
    )
    assert everything(base, admin.token) == before

    # The admin reads the ledger: the hours left on the manager's approval.
    lines, total = ledger(base, admin.token, me)
    assert total == 2
    assert [(line["kind"], line["delta"], line["balance_after"]) for line in lines] == [
        ("opening", 40, 40),
        ("pto_taken", -16, 24),
    ]
    assert (lines[1]["actor_id"], lines[1]["pto_entry_id"]) == (manager.user_id, vacation["id"])

    # The employee cancels the approved vacation and gets the hours back.
    response = decide(base, employee, vacation["id"], "cancel")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["cancelled_by"]) == ("cancelled", employee.user_id)
    assert response.json()["decided_by"] == manager.user_id  # the decision stays on record
    assert hours_of(base, employee.token, me) == (40, 0, 40)
    lines, _ = ledger(base, employee.token, me)
    assert [(line["kind"], line["delta"], line["actor_id"]) for line in lines] == [
        ("opening", 40, admin.user_id),
        ("pto_taken", -16, manager.user_id),
        ("refund", 16, employee.user_id),
    ]
    assert_json_error(decide(base, employee, vacation["id"], "cancel"), 409)
    # History is never deleted: both entries are still there with their final status.
    entries = get_employee(base, employee.token, me)["pto_entries"]
    assert [(row["id"], row["status"]) for row in entries] == [
        (vacation["id"], "cancelled"),
        (errand["id"], "denied"),
    ]
    assert_ledger_matches_balances(database_url)


def approve_or_deny(base, team, entry_id):
    """The i-th of a crowd: the manager and the admin each approving and denying, in turn."""
    deciders = [
        (team.manager, "approve"),
        (team.admin, "approve"),
        (team.manager, "deny"),
        (team.admin, "deny"),
    ]

    def send(i):
        who, action = deciders[i % len(deciders)]
        return action, who, decide(base, who, entry_id, action, note=f"decision {i}")

    return send


@pytest.mark.live
def test_simultaneous_decisions_move_hours_once(live_server, database_url):
    """20 simultaneous approve/deny calls on one request: one 200, nineteen 409; then approve vs cancel."""
    base = live_server.base_url
    team = build_team(base, employee_hours=100)
    me, expected_balance = team.employee.employee_id, 100

    # Approve (manager, admin) against deny (manager, admin), three requests in a row.
    for _ in range(3):
        entry = file_pending(base, team.employee, 8)

        results = hammer(20, approve_or_deny(base, team, entry["id"]))

        assert statuses(response for _, _, response in results) == {200: 1, 409: 19}
        for _, _, response in results:
            if response.status_code == 409:
                assert_json_error(response, 409)
        ((action, winner, response),) = [result for result in results if result[2].status_code == 200]
        final = get_entry(base, team.admin.token, entry["id"])
        expected_status = "approved" if action == "approve" else "denied"
        assert (final["status"], final["decided_by"]) == (expected_status, winner.user_id)
        assert final["decision_note"] == response.json()["decision_note"]
        taken = entry_lines(base, team.admin.token, me, entry["id"])
        if action == "approve":
            expected_balance -= 8
            assert taken == ["pto_taken"]
        else:
            assert taken == []
        assert hours_of(base, team.admin.token, me) == (expected_balance, 0, expected_balance)

    # Approve (manager, admin) against the employee cancelling, three requests in a row. The days
    # are ahead, so the employee may still cancel the request once it is approved.
    outcomes = Counter()
    for race in range(3):
        entry = file_pending(base, team.employee, 8, start_date=f"2099-02-0{race + 2}")

        def send(i, entry_id=entry["id"]):
            if i % 2:
                return "cancel", decide(base, team.employee, entry_id, "cancel")
            who = team.manager if i % 4 == 0 else team.admin
            return "approve", decide(base, who, entry_id, "approve")

        results = hammer(20, send)

        assert all(response.status_code in (200, 409) for _, response in results), statuses(
            response for _, response in results
        )
        won = Counter(action for action, response in results if response.status_code == 200)
        # One of them wins the pending request. The only other success is a cancel that read the
        # entry after the approval had committed: a later, legal approved → cancelled, with a refund.
        assert won in ({"approve": 1}, {"cancel": 1}, {"approve": 1, "cancel": 1}), won
        outcomes[tuple(sorted(won))] += 1
        final = get_entry(base, team.admin.token, entry["id"])
        lines = entry_lines(base, team.admin.token, me, entry["id"])
        if won == {"approve": 1}:
            expected_balance -= 8
            assert (final["status"], lines) == ("approved", ["pto_taken"])
        elif won == {"cancel": 1}:
            assert (final["status"], final["decided_by"], lines) == ("cancelled", None, [])
        else:
            assert (final["status"], lines) == ("cancelled", ["pto_taken", "refund"])
        assert hours_of(base, team.admin.token, me) == (expected_balance, 0, expected_balance)
    print(f"approve vs cancel winners over 3 races: {dict(outcomes)}")
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_simultaneous_requests_never_promise_more_than_available(live_server, database_url):
    """30 simultaneous 1-hour pending requests on 10 hours: ten 201, twenty 409, nothing available.

    Three rounds, the manager denying each round's requests to free the hours: a race that
    overcommits only around the last available hour shows up in one round out of two or so.
    """
    base = live_server.base_url
    team = build_team(base, employee_hours=10)
    me = team.employee.employee_id

    for round_ in range(3):
        responses = hammer(30, lambda _: file_own(base, team.employee, 1))

        assert statuses(responses) == {201: 10, 409: 20}, f"round {round_}"
        for response in responses:
            if response.status_code == 201:
                assert response.json()["status"] == "pending"
            else:
                assert_json_error(response, 409)
        assert hours_of(base, team.employee.token, me) == (10, 10, 0)
        entries = get_employee(base, team.admin.token, me)["pto_entries"]
        assert Counter(entry["status"] for entry in entries) == Counter(pending=10, denied=10 * round_)

        for response in responses:
            if response.status_code == 201:
                denial = decide(base, team.manager, response.json()["id"], "deny", note="Too many")
                assert denial.status_code == 200, denial.text
        assert hours_of(base, team.employee.token, me) == (10, 0, 10)

    lines, total = ledger(base, team.admin.token, me)
    assert (total, [line["kind"] for line in lines]) == (1, ["opening"])
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_simultaneous_requests_for_one_day_file_one(live_server, database_url):
    """10 simultaneous pending requests for the same working day (charged its 8 hours): one 201, nine 409
    naming the one filed."""
    base = live_server.base_url
    team = build_team(base, employee_hours=40)
    me = team.employee.employee_id

    responses = hammer(10, lambda i: file_own(base, team.employee, None, start_date=DAY, note=f"try {i}"))

    assert statuses(responses) == {201: 1, 409: 9}
    (filed,) = [response.json() for response in responses if response.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            assert_json_error(response, 409)
            assert f"PTO entry {filed['id']} " in response.json()["message"], response.json()
    assert hours_of(base, team.employee.token, me) == (40, 8, 32)
    entries = get_employee(base, team.admin.token, me)["pto_entries"]
    assert [(entry["id"], entry["start_date"], entry["status"]) for entry in entries] == [
        (filed["id"], DAY, "pending")
    ]
    assert_ledger_matches_balances(database_url)
