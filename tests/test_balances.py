"""Balances per time-off type: an employee holds one per type with a balance of its own, shared types draw
on their bank (pending requests of every sharer counted), and each decision moves the balance the entry
drew on, exactly once."""

from datetime import UTC, datetime, timedelta

import pytest

from helpers import (
    balance,
    balances,
    create_employee,
    create_pto_type,
    decide,
    file_pto,
    hire,
    hours_of,
    ledger,
    request_pto,
)

TODAY = datetime.now(UTC).date()  # as_of days are UTC days


def new_employee(client, admin, name="Dana", **fields):
    """POST /employees as the admin with ``fields`` (hours_balance, opening_balances…); the reply."""
    return client.post("/employees", json={"name": name, **fields}, headers=admin)


def set_type_balance(client, who, employee_id, type_key, hours, reason=None):
    """PUT /employees/<id>/balances/<type>; the reply."""
    body = {"hours_balance": hours} | ({"reason": reason} if reason else {})
    return client.put(f"/employees/{employee_id}/balances/{type_key}", json=body, headers=who)


def lines_of(client, who, employee_id, query=""):
    """The ledger lines of an employee (``query``: ?type=…) as (type, kind, delta, balance_after)."""
    response = client.get(f"/employees/{employee_id}/ledger{query}", headers=who)
    assert response.status_code == 200, response.json
    return [(line["type"], line["kind"], line["delta"], line["balance_after"]) for line in response.json]


@pytest.fixture
def sick_leave(client, admin):
    """A time-off type with its own balance, separate from vacation (two buckets)."""
    return create_pto_type(client, admin, "sick-leave", name="Sick leave")


# Reading balances


def test_an_employee_has_one_balance_per_type_keeping_its_own(client, admin, sick_leave):
    create_pto_type(client, admin, "comp-time")
    employee = create_employee(client, admin, hours_balance=40)

    response = client.get(f"/employees/{employee['id']}/balances", headers=admin)

    assert response.status_code == 200
    assert response.json == [
        {
            "type": "vacation",
            "name": "Vacation",
            "hours_balance": 40,
            "pending_hours": 0,
            "available_hours": 40,
            "archived": False,
            "drawn_on_by": ["vacation", "bereavement", "personal", "sick"],
            "as_of": None,
            "projected_lines": [],
        },
        {
            "type": "comp-time",
            "name": "Comp time",
            "hours_balance": 0,
            "pending_hours": 0,
            "available_hours": 0,
            "archived": False,
            "drawn_on_by": ["comp-time"],
            "as_of": None,
            "projected_lines": [],
        },
        {
            "type": "sick-leave",
            "name": "Sick leave",
            "hours_balance": 0,
            "pending_hours": 0,
            "available_hours": 0,
            "archived": False,
            "drawn_on_by": ["sick-leave"],
            "as_of": None,
            "projected_lines": [],
        },
    ]


def test_drawn_on_by_follows_the_active_sharers(client, admin, sick_leave):
    create_pto_type(client, admin, "doctor", balance="shared", draws_on="sick-leave")
    client.delete("/pto-types/bereavement", headers=admin)
    employee = create_employee(client, admin)

    shown = client.get(f"/employees/{employee['id']}/balances", headers=admin).json

    assert {b["type"]: b["drawn_on_by"] for b in shown} == {
        "vacation": ["vacation", "personal", "sick"],
        "sick-leave": ["sick-leave", "doctor"],
    }


def test_an_archived_type_shows_only_where_it_holds_hours(client, admin, sick_leave):
    holder = create_employee(client, admin, "Holder")
    other = create_employee(client, admin, "Other")
    set_type_balance(client, admin, holder["id"], "sick-leave", 8)
    client.delete("/pto-types/sick-leave", headers=admin)

    held = client.get(f"/employees/{holder['id']}/balances", headers=admin).json

    assert [(b["type"], b["hours_balance"], b["archived"]) for b in held] == [
        ("vacation", 40, False),
        ("sick-leave", 8, True),
    ]
    assert list(balances(client, admin, other["id"])) == ["vacation"]


def test_an_employee_sees_only_their_own_balances(client, admin, manager, report):
    stranger = hire(client, admin, "skinner")

    assert list(balances(client, report, report.employee_id)) == ["vacation"]
    assert list(balances(client, manager, report.employee_id)) == ["vacation"]
    for who, employee_id in [(report, manager.employee_id), (report, stranger.employee_id)]:
        assert client.get(f"/employees/{employee_id}/balances", headers=who.headers).status_code == 404
    assert client.get("/employees/999/balances", headers=admin).status_code == 404


# Setting a balance


def test_setting_a_types_balance_is_an_adjustment_with_its_reason(client, admin, sick_leave):
    employee = create_employee(client, admin, hours_balance=40)

    response = set_type_balance(client, admin, employee["id"], "sick-leave", 16, "2027 allowance")
    unchanged = set_type_balance(client, admin, employee["id"], "sick-leave", 16, "Again")

    assert response.status_code == unchanged.status_code == 200
    assert response.json == {
        "type": "sick-leave",
        "name": "Sick leave",
        "hours_balance": 16,
        "pending_hours": 0,
        "available_hours": 16,
        "archived": False,
        "drawn_on_by": ["sick-leave"],
        "as_of": None,
        "projected_lines": [],
    }
    lines = ledger(client, admin, employee["id"]).lines
    assert [(line["type"], line["kind"], line["delta"], line["reason"]) for line in lines] == [
        ("vacation", "opening", 40, "Opening balance"),
        ("sick-leave", "adjustment", 16, "2027 allowance"),
    ]
    assert balance(client, admin, employee["id"]) == 40


def test_setting_the_balance_of_an_unknown_type_is_404(client, admin):
    employee = create_employee(client, admin)

    response = set_type_balance(client, admin, employee["id"], "holiday", 8)

    assert response.status_code == 404
    assert len(ledger(client, admin, employee["id"]).lines) == 1


@pytest.mark.parametrize(("type_key", "named"), [("sick", "'vacation'"), ("unpaid", "keeps no balance")])
def test_a_type_without_its_own_balance_has_none_to_set(client, admin, type_key, named):
    employee = create_employee(client, admin, hours_balance=40)

    response = set_type_balance(client, admin, employee["id"], type_key, 8)

    assert response.status_code == 422
    assert named in " ".join(response.json["errors"]["type_key"])
    assert balances(client, admin, employee["id"]) == {"vacation": (40, 0, 40)}
    assert len(ledger(client, admin, employee["id"]).lines) == 1


def test_only_admins_set_balances(client, admin, manager, report):
    for who in (manager, report):
        response = set_type_balance(client, who.headers, report.employee_id, "vacation", 100)
        assert response.status_code == 403
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40)}


def test_an_archived_employees_balances_are_frozen(client, admin, sick_leave):
    employee = create_employee(client, admin, hours_balance=40)
    client.delete(f"/employees/{employee['id']}", headers=admin)

    response = set_type_balance(client, admin, employee["id"], "sick-leave", 8)

    assert response.status_code == 409
    assert balances(client, admin, employee["id"]) == {"vacation": (40, 0, 40), "sick-leave": (0, 0, 0)}


# Opening balances


def test_opening_balances_become_opening_lines(client, admin, sick_leave):
    body = {"hours_balance": 40, "opening_balances": [{"type": "sick-leave", "hours_balance": 16}]}

    response = new_employee(client, admin, **body)

    assert response.status_code == 201, response.json
    assert response.json["hours_balance"] == 40
    employee_id = response.json["id"]
    assert balances(client, admin, employee_id) == {"vacation": (40, 0, 40), "sick-leave": (16, 0, 16)}
    assert lines_of(client, admin, employee_id) == [
        ("vacation", "opening", 40, 40),
        ("sick-leave", "opening", 16, 16),
    ]


def test_the_default_opens_at_zero_when_not_given(client, admin, sick_leave):
    body = {"opening_balances": [{"type": "sick-leave", "hours_balance": 16}]}

    response = new_employee(client, admin, **body)

    assert response.json["hours_balance"] == 0
    assert balances(client, admin, response.json["id"]) == {"vacation": (0, 0, 0), "sick-leave": (16, 0, 16)}


@pytest.mark.parametrize(
    "fields",
    [
        {"hours_balance": 40, "opening_balances": [{"type": "vacation", "hours_balance": 8}]},
        {"opening_balances": [{"type": "vacation", "hours_balance": 8}] * 2},
        {"opening_balances": [{"type": "sick", "hours_balance": 8}]},
        {"opening_balances": [{"type": "unpaid", "hours_balance": 8}]},
        {"opening_balances": [{"type": "holiday", "hours_balance": 8}]},
        {"opening_balances": [{"type": "sick-leave", "hours_balance": -8}]},
        {"opening_balances": [{"hours_balance": 8}]},
    ],
)
def test_bad_opening_balances_are_422_and_add_no_one(client, admin, sick_leave, fields):
    response = new_employee(client, admin, **fields)

    assert response.status_code == 422, response.json
    assert "opening_balances" in response.json["errors"]
    assert client.get("/employees", headers=admin).json == []


def test_an_archived_type_opens_no_balance(client, admin, sick_leave):
    assert client.delete("/pto-types/sick-leave", headers=admin).status_code == 204

    response = new_employee(client, admin, opening_balances=[{"type": "sick-leave", "hours_balance": 8}])

    assert response.status_code == 409, response.json
    assert "archived" in response.json["message"]
    assert client.get("/employees", headers=admin).json == []


# Two buckets: sick leave with a balance of its own


def test_sick_leave_of_its_own_does_not_touch_vacation(client, admin, manager, report, sick_leave):
    set_type_balance(client, admin, report.employee_id, "sick-leave", 16)

    sick = request_pto(client, report, report.employee_id, 8, type="sick-leave")

    assert sick["balance_type"] == "sick-leave"
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40), "sick-leave": (16, 8, 8)}
    refused = file_pto(client, report, report.employee_id, 8.01, type="sick-leave")
    assert refused.status_code == 409
    assert refused.json["message"] == "Only 8.00 hours are available (balance 16.00, 8.00 pending)."
    assert decide(client, manager, sick["id"], "approve").status_code == 200
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40), "sick-leave": (8, 0, 8)}
    assert hours_of(client, admin, report.employee_id) == (40, 0, 40)
    assert lines_of(client, admin, report.employee_id, "?type=sick-leave") == [
        ("sick-leave", "adjustment", 16, 16),
        ("sick-leave", "pto_taken", -8, 8),
    ]


# A PTO bank: personal and bereavement draw on vacation


def test_pending_requests_of_every_sharer_count_against_the_bank(client, admin, report):
    set_type_balance(client, admin, report.employee_id, "vacation", 16)
    personal = request_pto(client, report, report.employee_id, 8, type="personal")
    bereavement = request_pto(client, report, report.employee_id, 8, type="bereavement")

    refused = [file_pto(client, report, report.employee_id, 1, type=key) for key in ("vacation", "sick")]

    assert (personal["balance_type"], bereavement["balance_type"]) == ("vacation", "vacation")
    assert [response.status_code for response in refused] == [409, 409]
    assert refused[0].json["message"] == "Only 0.00 hours are available (balance 16.00, 16.00 pending)."
    assert balances(client, admin, report.employee_id) == {"vacation": (16, 16, 0)}
    assert hours_of(client, report, report.employee_id) == (16, 16, 0)


# Decisions move the balance the entry drew on, once


@pytest.mark.parametrize(
    ("type_key", "drawn_on"),
    [("personal", "vacation"), ("vacation", "vacation"), ("sick-leave", "sick-leave")],
)
def test_approving_takes_the_held_hours_once(client, admin, manager, report, sick_leave, type_key, drawn_on):
    set_type_balance(client, admin, report.employee_id, "sick-leave", 40)
    entry = request_pto(client, report, report.employee_id, 8, type=type_key)

    first = decide(client, manager, entry["id"], "approve")
    second = decide(client, manager, entry["id"], "approve")

    assert (first.status_code, second.status_code) == (200, 409)
    shown = balances(client, admin, report.employee_id)
    assert shown[drawn_on] == (32, 0, 32)
    assert [hours for key, hours in shown.items() if key != drawn_on] == [(40, 0, 40)]
    taken = [line for line in lines_of(client, admin, report.employee_id) if line[1] == "pto_taken"]
    assert taken == [(drawn_on, "pto_taken", -8, 32)]


@pytest.mark.parametrize("action", ["deny", "cancel"])
@pytest.mark.parametrize("type_key", ["bereavement", "sick-leave"])
def test_denying_or_cancelling_a_request_frees_its_hours_once(
    client, admin, manager, report, sick_leave, type_key, action
):
    set_type_balance(client, admin, report.employee_id, "sick-leave", 40)
    entry = request_pto(client, report, report.employee_id, 8, type=type_key)
    who = report if action == "cancel" else manager

    first = decide(client, who, entry["id"], action)
    second = decide(client, who, entry["id"], action)

    assert (first.status_code, second.status_code) == (200, 409)
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40), "sick-leave": (40, 0, 40)}
    kinds = [kind for _type, kind, *_ in lines_of(client, admin, report.employee_id)]
    assert kinds == ["opening", "adjustment"]


@pytest.mark.parametrize(("type_key", "drawn_on"), [("sick", "vacation"), ("sick-leave", "sick-leave")])
def test_cancelling_an_approved_entry_refunds_its_balance_once(client, admin, sick_leave, type_key, drawn_on):
    employee = create_employee(client, admin, hours_balance=40)
    set_type_balance(client, admin, employee["id"], "sick-leave", 40)
    entry = file_pto(client, admin, employee["id"], 8, type=type_key).json

    first = decide(client, admin, entry["id"], "cancel")
    second = decide(client, admin, entry["id"], "cancel")

    assert (first.status_code, second.status_code) == (200, 409)
    assert balances(client, admin, employee["id"]) == {"vacation": (40, 0, 40), "sick-leave": (40, 0, 40)}
    assert lines_of(client, admin, employee["id"], f"?type={drawn_on}")[-2:] == [
        (drawn_on, "pto_taken", -8, 32),
        (drawn_on, "refund", 8, 40),
    ]


def test_a_refund_goes_back_to_the_balance_the_entry_drew_on(client, admin, manager, report):
    approved = file_pto(client, admin, report.employee_id, 8).json  # the default type then: vacation
    pending = request_pto(client, report, report.employee_id, 8)
    create_pto_type(client, admin, "pto", is_default=True)

    assert decide(client, admin, approved["id"], "cancel").status_code == 200
    assert decide(client, manager, pending["id"], "approve").status_code == 200

    assert (approved["balance_type"], pending["balance_type"]) == ("vacation", "vacation")
    assert balances(client, admin, report.employee_id) == {"pto": (0, 0, 0), "vacation": (32, 0, 32)}
    assert lines_of(client, admin, report.employee_id, "?type=pto") == []


def test_unpaid_leave_moves_no_balance(client, admin, manager, report):
    approved = request_pto(client, report, report.employee_id, 80, type="unpaid")
    pending = request_pto(client, report, report.employee_id, 80, type="unpaid")

    assert (approved["balance_type"], approved["status"]) == (None, "pending")
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40)}
    assert decide(client, manager, approved["id"], "approve").status_code == 200
    assert decide(client, manager, approved["id"], "cancel").status_code == 200
    assert decide(client, manager, pending["id"], "deny").status_code == 200
    assert balances(client, admin, report.employee_id) == {"vacation": (40, 0, 40)}
    assert lines_of(client, admin, report.employee_id) == [("vacation", "opening", 40, 40)]


# The ledger and the balance of one type


def test_the_ledger_lists_one_types_lines_when_asked(client, admin, sick_leave):
    employee = create_employee(client, admin, hours_balance=40)
    set_type_balance(client, admin, employee["id"], "sick-leave", 16)
    file_pto(client, admin, employee["id"], 8, type="personal")
    file_pto(client, admin, employee["id"], 4, type="sick-leave")
    path = f"/employees/{employee['id']}/ledger"

    vacation = client.get(f"{path}?type=vacation", headers=admin)

    assert vacation.headers["X-Total-Count"] == "2"
    assert lines_of(client, admin, employee["id"], "?type=vacation") == [
        ("vacation", "opening", 40, 40),
        ("vacation", "pto_taken", -8, 32),
    ]
    assert lines_of(client, admin, employee["id"], "?type=sick-leave") == [
        ("sick-leave", "adjustment", 16, 16),
        ("sick-leave", "pto_taken", -4, 12),
    ]
    assert len(lines_of(client, admin, employee["id"])) == 4


@pytest.mark.parametrize(
    ("query", "named"),
    [("type=sick", "'vacation'"), ("type=unpaid", "keeps no balance"), ("type=holiday", "'holiday'")],
)
@pytest.mark.parametrize("endpoint", ["ledger", "balance"])
def test_asking_for_a_type_without_its_own_balance_is_422(client, admin, endpoint, query, named):
    employee = create_employee(client, admin)

    response = client.get(f"/employees/{employee['id']}/{endpoint}?{query}", headers=admin)

    assert response.status_code == 422
    assert named in " ".join(response.json["errors"]["type"])


def test_the_balance_of_a_type_now_and_as_of_a_day(client, admin, sick_leave):
    employee = create_employee(client, admin, hours_balance=40)
    set_type_balance(client, admin, employee["id"], "sick-leave", 16)
    file_pto(client, admin, employee["id"], 4, type="sick-leave")
    path = f"/employees/{employee['id']}/balance"

    def shown(query):
        response = client.get(f"{path}?{query}", headers=admin)
        assert response.status_code == 200, response.json
        return response.json["type"], response.json["hours_balance"]

    assert shown("type=sick-leave") == ("sick-leave", 12)
    assert shown(f"type=sick-leave&as_of={TODAY}") == ("sick-leave", 12)
    assert shown(f"type=sick-leave&as_of={TODAY - timedelta(days=1)}") == ("sick-leave", 0)
    assert shown("type=vacation") == shown("") == ("vacation", 40)
    create_pto_type(client, admin, "pto", is_default=True)
    assert shown("") == ("pto", 0)
    assert shown(f"as_of={TODAY}") == ("pto", 0)


# The tutorial's one balance


def test_the_tutorial_flow_uses_the_default_type(client, admin):
    created = new_employee(client, admin, "Dana Scully", hours_balance=40)
    employee_id = created.json["id"]

    put = client.put(f"/employees/{employee_id}", json={"hours_balance": 50}, headers=admin)
    filed = client.post("/pto", json={"employee_id": employee_id, "hours": 8}, headers=admin)

    assert (created.status_code, created.json["hours_balance"]) == (201, 40)
    assert (put.status_code, put.json["hours_balance"]) == (200, 50)
    assert filed.status_code == 201
    assert (filed.json["type"], filed.json["balance_type"]) == ("vacation", "vacation")
    assert hours_of(client, admin, employee_id) == (42, 0, 42)
    assert balances(client, admin, employee_id) == {"vacation": (42, 0, 42)}
    assert lines_of(client, admin, employee_id) == [
        ("vacation", "opening", 40, 40),
        ("vacation", "adjustment", 10, 50),
        ("vacation", "pto_taken", -8, 42),
    ]
