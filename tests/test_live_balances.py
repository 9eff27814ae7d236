"""Live tests of balances under load (issue 12): a real gunicorn, many simultaneous requests.

Each change to a balance is one conditional UPDATE of its row, so simultaneous requests on one balance
queue and none is lost, requests of two types sharing a bank never overdraw it together, and requests on
two balances of one employee leave each exactly right. After each test every balance equals its ledger
and its pending hours those of the pending entries drawing on it. No answer may be a 5xx (``call``).
"""

import time
from collections import Counter
from decimal import Decimal

import pytest

from helpers import (
    Person,
    assert_ledger_matches_balances,
    call,
    decide,
    file_pto,
    hire,
    ledger,
    login,
    register,
)
from live import assert_json_error, hammer, statuses


def hours_in(shown):
    """Hours as the API shows them (a JSON number), as a Decimal."""
    return Decimal(str(shown))


def balance_of(base, who, employee_id, type_key):
    """(hours_balance, pending_hours, available_hours) of one of an employee's balances, as Decimals."""
    response = call("GET", f"{base}/employees/{employee_id}/balances", who.token)
    (shown,) = [row for row in response.json() if row["type"] == type_key]
    return tuple(hours_in(shown[name]) for name in ("hours_balance", "pending_hours", "available_hours"))


def timed(send_all):
    """Run ``send_all()``; return what it returns and the seconds it took."""
    started = time.monotonic()
    result = send_all()
    return result, time.monotonic() - started


def admin_and_employee(base, hours_balance):
    """The admin, and an employee (user ``scully``) with ``hours_balance`` hours of vacation."""
    admin_id = register(base, "admin")["id"]
    admin = Person(login(base, "admin"), admin_id, None)
    return admin, hire(base, admin, "scully", hours_balance=hours_balance, name="Dana Scully")


def assert_pending_entries_held(base, admin, employee_id, type_key, pending_ids):
    """The pending entries drawing on a balance are ``pending_ids``, and it holds exactly their hours."""
    params = {"employee_id": employee_id, "status": "pending", "per_page": 100}
    pending = call("GET", f"{base}/pto", admin.token, params=params).json()
    drawing = [entry for entry in pending if entry["balance_type"] == type_key]
    assert sorted(entry["id"] for entry in drawing) == sorted(pending_ids)
    held = sum((hours_in(entry["hours"]) for entry in drawing), Decimal(0))
    assert balance_of(base, admin, employee_id, type_key)[1] == held


def assert_ledger_explains(base, admin, employee_id, type_key):
    """A balance equals the sum of its ledger lines, the last of which shows it; return the lines."""
    lines, _ = ledger(base, admin.token, employee_id)
    lines = [line for line in lines if line["type"] == type_key]
    held = balance_of(base, admin, employee_id, type_key)[0]
    assert sum((hours_in(line["delta"]) for line in lines), Decimal(0)) == held
    assert hours_in(lines[-1]["balance_after"]) == held
    return lines


@pytest.mark.live
def test_200_simultaneous_requests_on_one_balance_take_200_hours(live_server, database_url):
    """200 simultaneous 1-hour requests the admin files (approved at once) on 1,000 hours: all taken, 800
    left, one ledger line each, and each line saw a different balance (none read a stale one)."""
    base = live_server.base_url
    admin, employee = admin_and_employee(base, hours_balance=1000)
    me = employee.employee_id

    responses, seconds = timed(lambda: hammer(200, lambda i: file_pto(base, admin, me, 1, note=f"day {i}")))

    print(f"200 simultaneous approved requests on one balance: {seconds:.1f} s")
    assert statuses(responses) == {201: 200}
    assert {response.json()["status"] for response in responses} == {"approved"}
    assert balance_of(base, admin, me, "vacation") == (800, 0, 800)
    lines = assert_ledger_explains(base, admin, me, "vacation")
    taken = [line for line in lines if line["kind"] == "pto_taken"]
    assert len(taken) == 200
    assert sorted(line["pto_entry_id"] for line in taken) == sorted(r.json()["id"] for r in responses)
    assert sorted(hours_in(line["balance_after"]) for line in taken) == list(range(800, 1000))
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_two_types_sharing_a_bank_never_overdraw_it(live_server, database_url):
    """Personal and bereavement draw on vacation: 40 simultaneous 1-hour requests on 20 hours, half filed by
    the employee (pending), half by the admin (approved at once). Exactly 20 succeed, whatever the mix, and
    nothing is left; approving the pending ones, all at once, then takes exactly what they held."""
    base = live_server.base_url
    admin, employee = admin_and_employee(base, hours_balance=20)
    me = employee.employee_id
    requests_ = [
        (who, kind) for who in (employee, admin) for kind in ("personal", "bereavement") for _ in range(10)
    ]

    def send(i):
        who, kind = requests_[(i * 7) % len(requests_)]  # the four kinds of request interleaved
        return who, kind, file_pto(base, who, me, 1, type=kind)

    results, seconds = timed(lambda: hammer(len(requests_), send))

    print(f"40 simultaneous requests of two types on one 20-hour bank: {seconds:.1f} s")
    assert statuses(response for _, _, response in results) == {201: 20, 409: 20}
    filed = [response.json() for _, _, response in results if response.status_code == 201]
    for _, _, response in results:
        if response.status_code == 409:
            assert_json_error(response, 409)
    assert {(entry["type"], entry["balance_type"]) for entry in filed} <= {
        ("personal", "vacation"),
        ("bereavement", "vacation"),
    }
    pending = [entry["id"] for entry in filed if entry["status"] == "pending"]
    approved = [entry for entry in filed if entry["status"] == "approved"]
    assert all(entry["requested_by"] == employee.user_id for entry in filed if entry["id"] in pending)
    assert all(entry["requested_by"] == admin.user_id for entry in approved)
    print(f"succeeded: {dict(Counter((entry['type'], entry['status']) for entry in filed))}")
    held, waiting, available = balance_of(base, admin, me, "vacation")
    assert (held, waiting, available) == (20 - len(approved), len(pending), 0)
    assert held >= 0 and available >= 0
    assert_pending_entries_held(base, admin, me, "vacation", pending)
    assert_ledger_explains(base, admin, me, "vacation")
    # Nothing more fits, of either type or vacation itself.
    for kind in ("personal", "bereavement", "vacation"):
        assert_json_error(file_pto(base, admin, me, 1, type=kind), 409)

    approvals = hammer(len(pending), lambda i: decide(base, admin, pending[i], "approve"))

    assert statuses(approvals) == {200: len(pending)}
    assert balance_of(base, admin, me, "vacation") == (0, 0, 0)
    lines = assert_ledger_explains(base, admin, me, "vacation")
    assert Counter(line["kind"] for line in lines) == {"opening": 1, "pto_taken": 20}
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_requests_on_two_balances_of_one_employee_leave_each_right(live_server, database_url):
    """An employee's vacation (100 hours) and training (12 hours, a type of its own) balances, 60 simultaneous
    1-hour requests, 30 on each, half pending, half approved at once: every vacation request succeeds,
    exactly 12 training ones do, and each balance ends exactly right."""
    base = live_server.base_url
    admin, employee = admin_and_employee(base, hours_balance=100)
    me = employee.employee_id
    training = {"key": "training", "name": "Training", "balance": "own"}
    assert call("POST", f"{base}/pto-types", admin.token, json=training).status_code == 201
    response = call(
        "PUT", f"{base}/employees/{me}/balances/training", admin.token, json={"hours_balance": 12}
    )
    assert response.status_code == 200, response.text
    requests_ = [
        (who, kind) for kind in ("vacation", "training") for who in (employee, admin) for _ in range(15)
    ]

    def send(i):
        who, kind = requests_[(i * 7) % len(requests_)]
        return kind, file_pto(base, who, me, 1, type=kind)

    results, seconds = timed(lambda: hammer(len(requests_), send))

    print(f"60 simultaneous requests on two balances of one employee: {seconds:.1f} s")
    outcomes = Counter((kind, response.status_code) for kind, response in results)
    assert outcomes == {("vacation", 201): 30, ("training", 201): 12, ("training", 409): 18}
    for kind in ("vacation", "training"):
        filed = [response.json() for k, response in results if k == kind and response.status_code == 201]
        assert {entry["balance_type"] for entry in filed} == {kind}
        pending = [entry["id"] for entry in filed if entry["status"] == "pending"]
        approved = len(filed) - len(pending)
        start = {"vacation": 100, "training": 12}[kind]
        expected = (start - approved, len(pending), start - len(filed))
        assert balance_of(base, admin, me, kind) == expected, kind
        assert_pending_entries_held(base, admin, me, kind, pending)
        lines = assert_ledger_explains(base, admin, me, kind)
        assert Counter(line["kind"] for line in lines) == {
            {"vacation": "opening", "training": "adjustment"}[kind]: 1,
            "pto_taken": approved,
        }
    assert_ledger_matches_balances(database_url)
