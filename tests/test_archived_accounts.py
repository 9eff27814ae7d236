"""Powers end with the record: an account linked to an archived employee acts as a plain employee."""

import pytest

from helpers import decide, file_pto, get_employee, hire, json_of, request_pto


def archive(api, admin, employee_id):
    assert api.request("DELETE", f"/employees/{employee_id}", headers=admin).status_code == 204


def test_an_archived_manager_no_longer_sees_or_decides_for_their_reports(api, admin, manager, report):
    pending = request_pto(api, report.headers, report.employee_id, 4)
    approved = request_pto(api, admin, report.employee_id, 2)
    archive(api, admin, manager.employee_id)

    # Their session still works, but only for their own record and history.
    assert api.ok("GET", "/me", headers=manager.headers)["role"] == "employee"
    listed = api.ok("GET", "/employees?archived=true", headers=manager.headers)
    assert [e["id"] for e in listed] == [manager.employee_id]
    assert get_employee(api, manager.headers, manager.employee_id)["archived"] is True
    assert api.request("GET", f"/employees/{report.employee_id}", headers=manager.headers).status_code == 404
    assert api.ok("GET", "/pto", headers=manager.headers) == []
    assert file_pto(api, manager.headers, report.employee_id, 1).status_code == 404
    for entry, action in ((pending, "approve"), (pending, "deny"), (approved, "cancel")):
        assert decide(api, manager.headers, entry["id"], action).status_code == 404, action

    assert get_employee(api, admin, report.employee_id)["pto_entries"][0]["status"] == "pending"


def test_admins_find_the_reports_nobody_manages_any_more(api, admin, manager, report):
    other_manager = hire(api, admin, "skinner", role="manager")
    managed = hire(api, admin, "doggett", manager=other_manager)
    archive(api, admin, manager.employee_id)

    listed = api.ok("GET", "/employees?without_active_manager=true", headers=admin)

    # Scully's manager is archived; Skinner has none; Doggett is managed by Skinner.
    assert [e["id"] for e in listed] == [report.employee_id, other_manager.employee_id]
    assert managed.employee_id not in [e["id"] for e in listed]
    assert listed[0]["manager_id"] == manager.employee_id  # the link is kept, as history


def test_an_admin_linked_to_an_archived_employee_is_no_longer_an_admin(api, admin):
    hr = hire(api, admin, "kersh", role="admin")

    archive(api, admin, hr.employee_id)

    assert api.ok("GET", "/me", headers=hr.headers)["role"] == "employee"
    assert api.request("GET", "/users", headers=hr.headers).status_code == 403
    assert api.request("POST", "/employees", json={"name": "X"}, headers=hr.headers).status_code == 403
    assert api.ok("GET", f"/users/{hr.user_id}", headers=admin)["role"] == "admin"  # the stored role


@pytest.mark.parametrize("also_demote", [False, True])
def test_the_last_admins_record_cannot_be_archived(api, admin, also_demote):
    me = api.ok("GET", "/me", headers=admin)
    record = api.ok("POST", "/employees", 201, json={"name": "Hr"}, headers=admin)
    api.ok("PATCH", f"/users/{me['id']}", json={"employee_id": record["id"]}, headers=admin)
    if also_demote:
        # Another admin exists only while linked to an archived record: that one does not count.
        other = hire(api, admin, "kersh", role="admin")
        archive(api, admin, other.employee_id)

    response = api.request("DELETE", f"/employees/{record['id']}", headers=admin)

    assert response.status_code == 409
    assert json_of(response)["message"] == "At least one active admin must remain."
    assert api.ok("GET", "/me", headers=admin)["role"] == "admin"


def test_no_account_is_linked_to_an_archived_employee(api, admin):
    """Else the last admin could link themselves to one and leave no admin at all."""
    me = api.ok("GET", "/me", headers=admin)
    record = api.ok("POST", "/employees", 201, json={"name": "Gone"}, headers=admin)
    archive(api, admin, record["id"])

    response = api.request("PATCH", f"/users/{me['id']}", json={"employee_id": record["id"]}, headers=admin)

    assert response.status_code == 422
    assert json_of(response)["errors"] == {
        "employee_id": ["That employee is archived; link accounts to active employees."]
    }
    assert api.ok("GET", "/me", headers=admin)["role"] == "admin"
