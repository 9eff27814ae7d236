"""Changing a time-off type while it is in use: a filing and a type change never slip past each other.

Each test holds one side open in a transaction of its own on the test's database (on PostgreSQL with the
row or table lock the app itself takes; on SQLite with the write lock every writer takes), sends the
other side to the app from a thread, checks that the request waits, then commits and reads the answer.
"""

import pytest

from helpers import create_employee, create_pto_type, in_a_thread, transaction, waits


def lock_type_row(key, mode):
    return f"SELECT key FROM pto_types WHERE key = '{key}' FOR {mode}"


def test_a_filing_waits_for_a_change_of_its_type_and_honours_it(client, admin, database_url):
    """An admin archives a type while an employee's request of it is on its way: it is refused (409)."""
    create_pto_type(client, admin, "training")
    employee = create_employee(client, admin, hours_balance=40)
    statements = ["UPDATE pto_types SET archived_at = CURRENT_TIMESTAMP WHERE key = 'training'"]
    if not database_url.startswith("sqlite"):
        statements.insert(0, lock_type_row("training", "UPDATE"))  # as type changes read it

    with (
        transaction(database_url, *statements) as commit,
        in_a_thread(
            lambda: client.post(
                "/pto", json={"employee_id": employee["id"], "hours": 1, "type": "training"}, headers=admin
            )
        ) as answer,
    ):
        assert waits(answer)
        commit()

    assert answer["response"].status_code == 409, answer["response"].json
    assert "archived" in answer["response"].json["message"]


def test_a_change_of_how_a_type_treats_balances_waits_for_its_first_entry(client, admin, database_url):
    """A request of a new type is being filed when an admin makes it draw on vacation: the change sees the
    entry and is refused (409), so no hours are held on a balance the type no longer has."""
    create_pto_type(client, admin, "training")
    employee = create_employee(client, admin, hours_balance=40)
    file_an_entry = (
        "INSERT INTO pto_entries (employee_id, hours, type, balance_type, status, created_at) "
        f"VALUES ({employee['id']}, 1, 'training', 'training', 'denied', CURRENT_TIMESTAMP)"
    )
    statements = [file_an_entry]
    if not database_url.startswith("sqlite"):
        statements.insert(0, lock_type_row("training", "SHARE"))  # as POST /pto reads its type

    with (
        transaction(database_url, *statements) as commit,
        in_a_thread(
            lambda: client.patch(
                "/pto-types/training", json={"balance": "shared", "draws_on": "vacation"}, headers=admin
            )
        ) as answer,
    ):
        assert waits(answer)
        commit()

    assert answer["response"].status_code == 409, answer["response"].json
    assert client.get("/pto-types/training", headers=admin).json["balance"] == "own"


@pytest.mark.parametrize("archive", ["DELETE", "PATCH"])
def test_archiving_a_type_made_the_default_meanwhile_is_refused(client, admin, database_url, archive):
    """Another admin makes a type the default while it is being archived: the archive waits, sees it is
    the default now, and answers 409 (not a 500 from the database's check)."""
    create_pto_type(client, admin, "pto")
    statements = [
        "UPDATE pto_types SET is_default = false WHERE is_default",
        "UPDATE pto_types SET is_default = true WHERE key = 'pto'",
    ]
    if not database_url.startswith("sqlite"):
        statements.insert(0, "LOCK TABLE pto_types IN SHARE ROW EXCLUSIVE MODE")  # as type changes do

    def archive_pto():
        if archive == "DELETE":
            return client.delete("/pto-types/pto", headers=admin)
        return client.patch("/pto-types/pto", json={"archived": True}, headers=admin)

    with transaction(database_url, *statements) as commit, in_a_thread(archive_pto) as answer:
        assert waits(answer)
        commit()

    assert answer["response"].status_code == 409, answer["response"].json
    assert client.get("/pto-types/pto", headers=admin).json["archived"] is False


def test_a_filing_without_a_type_while_the_default_moves_files_under_the_new_default(
    client, admin, database_url
):
    """POST /pto without a type while an admin makes 'pto' the default: the filing waits, then files under
    the new default (201). Not a 404 'No employee with that id.' for an employee that exists."""
    create_pto_type(client, admin, "pto", overdraft_hours=100)
    employee = create_employee(client, admin, hours_balance=40)
    statements = [
        "UPDATE pto_types SET is_default = false WHERE is_default",
        "UPDATE pto_types SET is_default = true WHERE key = 'pto'",
    ]
    if not database_url.startswith("sqlite"):
        statements.insert(0, "LOCK TABLE pto_types IN SHARE ROW EXCLUSIVE MODE")  # as type changes do

    with (
        transaction(database_url, *statements) as commit,
        in_a_thread(
            lambda: client.post("/pto", json={"employee_id": employee["id"], "hours": 1}, headers=admin)
        ) as answer,
    ):
        assert waits(answer)
        commit()

    response = answer["response"]
    assert response.status_code == 201, (response.status_code, response.json)
    assert response.json["type"] == "pto"
