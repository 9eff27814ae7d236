"""Time-off types: everyone sees the kinds of leave on offer, admins add and change them, one is the default,
archived ones take no new entries, and how a type treats balances is fixed once something has used it."""

from decimal import Decimal

import pytest

from helpers import (
    balance,
    balances,
    create_employee,
    create_pto_type,
    decide,
    file_pto,
    get_entry,
    ledger,
    post_pto_type,
    request_pto,
)

STARTER_KEYS = ["vacation", "bereavement", "personal", "sick", "unpaid"]  # the default first, then by key


def listed_keys(client, who, query=""):
    response = client.get(f"/pto-types{query}", headers=who)
    assert response.status_code == 200, response.json
    return [pto_type["key"] for pto_type in response.json]


def get_type(client, who, key):
    response = client.get(f"/pto-types/{key}", headers=who)
    assert response.status_code == 200, response.json
    return response.json


def patch_type(client, admin, type_key, **changes):
    return client.patch(f"/pto-types/{type_key}", json=changes, headers=admin)


# Listing


def test_everyone_with_a_token_lists_the_active_types_default_first(client, report):
    assert listed_keys(client, report.headers) == STARTER_KEYS
    assert client.get("/pto-types").status_code == 401
    assert client.get("/pto-types/sick").status_code == 401


def test_the_starter_types_keep_the_meaning_the_fixed_types_had(client, report):
    shown = {
        t["key"]: (t["balance"], t["draws_on"], t["paid"], t["requires_approval"], t["is_default"])
        for t in client.get("/pto-types", headers=report.headers).json
    }

    assert shown == {
        "vacation": ("own", None, True, True, True),
        "sick": ("shared", "vacation", True, True, False),
        "personal": ("shared", "vacation", True, True, False),
        "bereavement": ("shared", "vacation", True, True, False),
        "unpaid": ("none", None, False, True, False),
    }


def test_archived_types_are_listed_only_when_asked_for(client, admin, report):
    assert client.delete("/pto-types/bereavement", headers=admin).status_code == 204

    assert listed_keys(client, report.headers) == ["vacation", "personal", "sick", "unpaid"]
    assert listed_keys(client, report.headers, "?archived=true") == ["bereavement"]
    assert get_type(client, report.headers, "bereavement")["archived"] is True


def test_an_unknown_type_is_404(client, admin):
    assert client.get("/pto-types/holiday", headers=admin).status_code == 404
    assert patch_type(client, admin, "holiday", name="Holiday").status_code == 404
    assert client.delete("/pto-types/holiday", headers=admin).status_code == 404


# Creating


@pytest.mark.parametrize(
    ("fields", "treatment"),
    [
        ({}, ("own", None)),
        ({"balance": "shared", "draws_on": "vacation"}, ("shared", "vacation")),
        ({"balance": "none", "paid": False}, ("none", None)),
    ],
)
def test_an_admin_adds_a_type(client, admin, report, fields, treatment):
    response = post_pto_type(client, admin, "jury-duty", name="Jury duty", color="#112233", **fields)

    assert response.status_code == 201
    assert response.headers["Location"] == "/pto-types/jury-duty"
    created = response.json
    assert (created["balance"], created["draws_on"]) == treatment
    assert created["name"] == "Jury duty"
    assert created["color"] == "#112233"
    assert created["paid"] is fields.get("paid", True)
    assert created["requires_approval"] is True
    assert created["overdraft_hours"] is None
    assert created["is_default"] is False and created["archived"] is False
    assert get_type(client, report.headers, "jury-duty") == created
    assert "jury-duty" in listed_keys(client, report.headers)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "Jury Duty"}, "key"),
        ({"key": "jury--duty"}, "key"),
        ({"key": "1st-day"}, "key"),
        ({"key": "x" * 41}, "key"),
        ({"name": " "}, "name"),
        ({"balance": "bank"}, "balance"),
        ({"balance": "shared"}, "draws_on"),
        ({"balance": "shared", "draws_on": "sick"}, "draws_on"),
        ({"balance": "shared", "draws_on": "unpaid"}, "draws_on"),
        ({"balance": "shared", "draws_on": "holiday"}, "draws_on"),
        ({"draws_on": "vacation"}, "draws_on"),
        ({"balance": "none", "draws_on": "vacation"}, "draws_on"),
        ({"color": "#FFAA00"}, "color"),
        ({"color": "red"}, "color"),
        ({"overdraft_hours": -1}, "overdraft_hours"),
        ({"paid": "yes"}, "paid"),
        ({"archived_at": None}, "archived_at"),
        ({"allowance": 40}, "allowance"),
    ],
)
def test_invalid_types_are_422_and_add_nothing(client, admin, fields, field):
    body = {"key": "new-type", "name": "New type", **fields}

    response = client.post("/pto-types", json=body, headers=admin)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert listed_keys(client, admin) == STARTER_KEYS


def test_a_type_cannot_draw_on_an_archived_one(client, admin):
    create_pto_type(client, admin, "comp-time")
    client.delete("/pto-types/comp-time", headers=admin)

    response = post_pto_type(client, admin, "floating", balance="shared", draws_on="comp-time")

    assert response.status_code == 422
    assert "draws_on" in response.json["errors"]
    assert client.get("/pto-types/floating", headers=admin).status_code == 404


@pytest.mark.parametrize("key", ["sick", "archived-one"])
def test_a_taken_key_is_409_even_when_archived(client, admin, key):
    create_pto_type(client, admin, "archived-one", name="First")
    client.delete("/pto-types/archived-one", headers=admin)
    before = get_type(client, admin, key)

    response = post_pto_type(client, admin, key, name="Second")

    assert response.status_code == 409
    assert get_type(client, admin, key) == before


def test_only_admins_change_types(client, manager, report):
    changes = [
        ("POST", "/pto-types", {"key": "jury-duty", "name": "Jury duty"}),
        ("PATCH", "/pto-types/sick", {"requires_approval": False}),
        ("PATCH", "/pto-types/sick", {"is_default": True}),
        ("DELETE", "/pto-types/bereavement", None),
    ]
    before = client.get("/pto-types", headers=report.headers).json

    statuses = [
        client.open(path, method=method, json=body, headers=who.headers).status_code
        for who in (manager, report)
        for method, path, body in changes
    ]

    assert statuses == [403] * 8
    assert client.get("/pto-types", headers=manager.headers).json == before


# Changing


def test_a_key_never_changes(client, admin):
    response = patch_type(client, admin, "vacation", key="holidays")

    assert response.status_code == 422
    assert "key" in response.json["errors"]
    assert get_type(client, admin, "vacation")["is_default"] is True
    assert client.get("/pto-types/holidays", headers=admin).status_code == 404


def test_settings_change_even_on_a_used_type(client, admin, report):
    request_pto(client, report, report.employee_id, 8, type="personal")
    changes = {"name": "Personal day", "paid": False, "overdraft_hours": 4, "color": "#000000"}

    response = patch_type(client, admin, "personal", **changes)

    assert response.status_code == 200, response.json
    shown = get_type(client, admin, "personal")
    assert {name: shown[name] for name in changes} == changes
    assert (shown["balance"], shown["draws_on"]) == ("shared", "vacation")


def test_making_another_type_the_default_moves_the_default(client, admin):
    employee = create_employee(client, admin, hours_balance=40)
    create_pto_type(client, admin, "pto")

    response = patch_type(client, admin, "pto", is_default=True)

    assert response.status_code == 200
    assert response.json["is_default"] is True
    listed = client.get("/pto-types", headers=admin).json
    assert [t["key"] for t in listed if t["is_default"]] == ["pto"]
    assert listed[0]["key"] == "pto"
    assert get_type(client, admin, "vacation")["is_default"] is False
    # The employee's hours_balance is now the new default's balance, which nothing has moved yet.
    assert balance(client, admin, employee["id"]) == 0
    listed = next(e for e in client.get("/employees", headers=admin).json if e["id"] == employee["id"])
    assert (listed["hours_balance"], listed["pending_hours"]) == (0, 0)

    path = f"/employees/{employee['id']}"
    set_balance = client.put(path, json={"hours_balance": 24, "reason": "PTO bank"}, headers=admin)

    assert set_balance.status_code == 200
    assert set_balance.json["hours_balance"] == 24
    assert balances(client, admin, employee["id"]) == {"pto": (24, 0, 24), "vacation": (40, 0, 40)}
    assert file_pto(client, admin, employee["id"], 8).json["type"] == "pto"
    assert balance(client, admin, employee["id"]) == 16


def test_a_new_type_may_be_made_the_default_as_it_is_added(client, admin):
    created = create_pto_type(client, admin, "pto", is_default=True)

    assert created["is_default"] is True
    assert listed_keys(client, admin)[0] == "pto"
    assert get_type(client, admin, "vacation")["is_default"] is False


def test_the_default_cannot_be_unset_only_moved(client, admin):
    response = patch_type(client, admin, "vacation", name="Holidays", is_default=False)

    assert response.status_code == 409
    shown = get_type(client, admin, "vacation")
    assert (shown["name"], shown["is_default"]) == ("Vacation", True)  # the refused request changed nothing


@pytest.mark.parametrize("key", ["sick", "unpaid", "archived-own"])
def test_the_default_keeps_a_balance_of_its_own_and_is_active(client, admin, key):
    create_pto_type(client, admin, "archived-own")
    client.delete("/pto-types/archived-own", headers=admin)

    response = patch_type(client, admin, key, is_default=True)

    assert response.status_code == 409
    listed = client.get("/pto-types", headers=admin).json
    assert [t["key"] for t in listed if t["is_default"]] == ["vacation"]


def test_a_shared_type_cannot_be_added_as_the_default(client, admin):
    shared = {"balance": "shared", "draws_on": "vacation"}

    response = post_pto_type(client, admin, "floating", **shared, is_default=True)

    assert response.status_code == 409
    assert client.get("/pto-types/floating", headers=admin).status_code == 404
    assert get_type(client, admin, "vacation")["is_default"] is True


# Archiving


def test_an_archived_type_takes_no_new_entries_and_keeps_its_history(client, admin, report):
    old = request_pto(client, report, report.employee_id, 8, type="personal")

    archived = client.delete("/pto-types/personal", headers=admin)
    again = client.delete("/pto-types/personal", headers=admin)

    assert (archived.status_code, again.status_code) == (204, 204)
    refused = file_pto(client, admin, report.employee_id, 8, type="personal")
    assert refused.status_code == 409
    assert get_entry(client, report, old["id"])["type"] == "personal"
    listed = client.get("/pto?type=personal", headers=admin).json
    assert [entry["id"] for entry in listed] == [old["id"]]
    assert balances(client, admin, report.employee_id)["vacation"] == (40, 8, 32)


def test_a_pending_request_of_an_archived_type_can_still_be_decided(client, admin, manager, report):
    entry = request_pto(client, report, report.employee_id, 8, type="personal")
    client.delete("/pto-types/personal", headers=admin)

    response = decide(client, manager, entry["id"], "approve")

    assert response.status_code == 200
    assert balances(client, admin, report.employee_id)["vacation"] == (32, 0, 32)


def test_archiving_through_patch_and_restoring(client, admin, report):
    archived = patch_type(client, admin, "bereavement", archived=True)
    restored = patch_type(client, admin, "bereavement", archived=False)

    assert (archived.status_code, archived.json["archived"]) == (200, True)
    assert (restored.status_code, restored.json["archived"]) == (200, False)
    assert listed_keys(client, admin) == STARTER_KEYS
    assert file_pto(client, report, report.employee_id, 8, type="bereavement").status_code == 201


@pytest.mark.parametrize("archive", ["delete", "patch"])
def test_the_default_cannot_be_archived(client, admin, archive):
    if archive == "delete":
        response = client.delete("/pto-types/vacation", headers=admin)
    else:
        response = patch_type(client, admin, "vacation", archived=True)

    assert response.status_code == 409
    assert listed_keys(client, admin) == STARTER_KEYS


def test_a_bank_that_active_types_draw_on_cannot_be_archived(client, admin):
    create_pto_type(client, admin, "bank")
    create_pto_type(client, admin, "floating", balance="shared", draws_on="bank")

    refused = client.delete("/pto-types/bank", headers=admin)

    assert refused.status_code == 409
    assert "floating" in refused.json["message"]
    assert get_type(client, admin, "bank")["archived"] is False
    assert client.delete("/pto-types/floating", headers=admin).status_code == 204
    assert client.delete("/pto-types/bank", headers=admin).status_code == 204


def test_a_shared_type_is_not_restored_while_its_bank_is_archived(client, admin):
    create_pto_type(client, admin, "bank")
    create_pto_type(client, admin, "floating", balance="shared", draws_on="bank")
    client.delete("/pto-types/floating", headers=admin)
    client.delete("/pto-types/bank", headers=admin)

    response = patch_type(client, admin, "floating", archived=False)

    assert response.status_code == 409
    assert "'bank', which is archived" in response.json["message"]
    assert get_type(client, admin, "floating")["archived"] is True


# How a type treats balances


def test_an_unused_type_may_change_how_it_treats_balances(client, admin):
    create_pto_type(client, admin, "comp-time")

    shared = patch_type(client, admin, "comp-time", balance="shared", draws_on="vacation")
    unpaid = patch_type(client, admin, "comp-time", balance="none")

    assert (shared.status_code, unpaid.status_code) == (200, 200)
    assert (shared.json["balance"], shared.json["draws_on"]) == ("shared", "vacation")
    assert (unpaid.json["balance"], unpaid.json["draws_on"]) == ("none", None)
    employee = create_employee(client, admin, hours_balance=8)
    entry = file_pto(client, admin, employee["id"], 40, type="comp-time")
    assert (entry.status_code, entry.json["balance_type"]) == (201, None)
    assert balance(client, admin, employee["id"]) == 8


@pytest.mark.parametrize("changes", [{"balance": "none"}, {"balance": "shared", "draws_on": "vacation"}])
def test_the_default_keeps_its_own_balance_even_while_unused(client, admin, changes):
    create_pto_type(client, admin, "pto", is_default=True)

    response = patch_type(client, admin, "pto", **changes)

    assert response.status_code == 409
    shown = get_type(client, admin, "pto")
    assert (shown["balance"], shown["is_default"]) == ("own", True)


def test_a_type_other_types_draw_on_keeps_its_own_balance(client, admin):
    create_pto_type(client, admin, "bank")
    create_pto_type(client, admin, "floating", balance="shared", draws_on="bank")

    response = patch_type(client, admin, "bank", balance="none")

    assert response.status_code == 409
    assert get_type(client, admin, "bank")["balance"] == "own"


def use_by_entry(client, admin, key):
    """Use ``key`` with an entry of its own (an admin's, approved at once)."""
    employee = create_employee(client, admin, hours_balance=40)
    assert file_pto(client, admin, employee["id"], 8, type=key).status_code == 201


def use_by_opening_balance(client, admin, key):
    """Use ``key`` with an employee's opening balance in it (a ledger line, no entry)."""
    body = {"name": "Dana", "opening_balances": [{"type": key, "hours_balance": 8}]}
    assert client.post("/employees", json=body, headers=admin).status_code == 201


def use_by_adjustment(client, admin, key):
    """Use ``key`` with an adjustment of an employee's balance in it (a ledger line, no entry)."""
    employee = create_employee(client, admin)
    path = f"/employees/{employee['id']}/balances/{key}"
    assert client.put(path, json={"hours_balance": 8}, headers=admin).status_code == 200


@pytest.mark.parametrize(
    ("key", "use", "changes"),
    [
        ("personal", use_by_entry, {"balance": "none"}),
        ("personal", use_by_entry, {"draws_on": "bank"}),
        ("unpaid", use_by_entry, {"balance": "shared", "draws_on": "vacation"}),
        ("comp-time", use_by_entry, {"balance": "none"}),
        ("comp-time", use_by_opening_balance, {"balance": "shared", "draws_on": "vacation"}),
        ("comp-time", use_by_adjustment, {"balance": "none"}),
    ],
)
def test_a_used_type_keeps_how_it_treats_balances(client, admin, key, use, changes):
    create_pto_type(client, admin, "bank")
    create_pto_type(client, admin, "comp-time", overdraft_hours=8)
    use(client, admin, key)
    before = get_type(client, admin, key)

    response = patch_type(client, admin, key, **changes)

    assert response.status_code == 409
    assert "new type" in response.json["message"]
    assert get_type(client, admin, key) == before


def test_a_change_of_treatment_that_does_not_hold_together_is_422_even_on_a_used_type(client, admin):
    """The shape of the change is checked first: whether the type is used only matters for a real change."""
    create_pto_type(client, admin, "comp-time")
    opening = {"name": "Dana", "opening_balances": [{"type": "comp-time", "hours_balance": 8}]}
    assert client.post("/employees", json=opening, headers=admin).status_code == 201

    drawing = patch_type(client, admin, "comp-time", draws_on="vacation")  # an own type draws on none
    unchanged = patch_type(client, admin, "sick", balance="shared")  # sick is shared already

    assert drawing.status_code == 422, drawing.json
    assert "draws_on" in drawing.json["errors"]
    assert (unchanged.status_code, unchanged.json["draws_on"]) == (200, "vacation")


# Approval and overdraft, per type


def test_a_type_without_approval_approves_an_employees_own_request_at_once(client, admin, report):
    assert patch_type(client, admin, "sick", requires_approval=False).json["requires_approval"] is False

    sick = request_pto(client, report, report.employee_id, 8, type="sick")
    vacation = request_pto(client, report, report.employee_id, 8, type="vacation")

    assert (sick["status"], sick["decided_by"], sick["decided_at"] is not None) == ("approved", None, True)
    assert vacation["status"] == "pending"
    assert balances(client, admin, report.employee_id)["vacation"] == (32, 8, 24)
    taken = ledger(client, admin, report.employee_id).lines[-1]
    assert (taken["kind"], taken["delta"], taken["pto_entry_id"]) == ("pto_taken", -8, sick["id"])


def test_a_types_overdraft_lets_only_its_requests_go_below_zero(client, admin):
    patch_type(client, admin, "sick", overdraft_hours=16)
    employee = create_employee(client, admin, hours_balance=8)

    vacation = file_pto(client, admin, employee["id"], 8.01, type="vacation")
    sick = file_pto(client, admin, employee["id"], 24, type="sick")
    more_sick = file_pto(client, admin, employee["id"], 0.01, type="sick")

    assert [vacation.status_code, sick.status_code, more_sick.status_code] == [409, 201, 409]
    assert "overdraft 16.00" in more_sick.json["message"]
    assert balance(client, admin, employee["id"]) == -16
    assert file_pto(client, admin, employee["id"], 1, type="personal").status_code == 409


def test_without_an_overdraft_of_its_own_a_type_uses_the_setting(app, client, admin):
    app.config["PTO_OVERDRAFT_HOURS"] = Decimal("8")
    patch_type(client, admin, "personal", overdraft_hours=0)
    employee = create_employee(client, admin, hours_balance=8)

    assert file_pto(client, admin, employee["id"], 8.01, type="personal").status_code == 409
    assert file_pto(client, admin, employee["id"], 12, type="sick").status_code == 201
    assert balance(client, admin, employee["id"]) == -4

    assert patch_type(client, admin, "personal", overdraft_hours=None).json["overdraft_hours"] is None
    assert file_pto(client, admin, employee["id"], 4, type="personal").status_code == 201
    assert file_pto(client, admin, employee["id"], 0.01, type="personal").status_code == 409
    assert balance(client, admin, employee["id"]) == -8
