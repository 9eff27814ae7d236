"""The tutorial's flow and a request's workflow, through a client generated from /openapi.json alone.

tests/test_generated_client.py runs it with the generated package importable and PTO_API naming a live
server. Every answer is read through its typed model (an Error, or a field the document left untyped,
stops the script), and what was read is printed as one JSON object for the test to check.
"""

import json
import os
import sys
from datetime import date

from pto_tracker_api_client import AuthenticatedClient, Client
from pto_tracker_api_client.api.auth import login, me, register
from pto_tracker_api_client.api.employees import create_employee, list_balances, list_employees
from pto_tracker_api_client.api.pto import approve, cancel, create_pto
from pto_tracker_api_client.api.pto_types import list_pto_types
from pto_tracker_api_client.api.users import patch_user
from pto_tracker_api_client.models import (
    EmployeeIn,
    EmployeeOut,
    LoginIn,
    MeOut,
    NoteIn,
    PtoDetailOut,
    PtoIn,
    PtoOut,
    RegisterIn,
    TokenOut,
    UserOut,
    UserPatchIn,
)

BASE = os.environ["PTO_API"]
PASSWORD = "correct horse battery"


def expect(model, answer):
    """``answer``, which must be a ``model``: anything else (an Error, None) stops the script."""
    if not isinstance(answer, model):
        sys.exit(f"expected a {model.__name__}, got {answer!r}")
    return answer


def sign_up(client, username):
    """Register ``username`` and log in: their account, and a client that sends their access token."""
    credentials = {"username": username, "password": PASSWORD}
    user = expect(UserOut, register.sync(client=client, body=RegisterIn(**credentials)))
    tokens = expect(TokenOut, login.sync(client=client, body=LoginIn(**credentials)))
    return user, AuthenticatedClient(
        base_url=BASE, token=tokens.access_token, raise_on_unexpected_status=True
    )


def main():
    # Any status the document does not list for an operation raises.
    anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)

    # The tutorial: register, log in, list the employees.
    admin_user, admin = sign_up(anonymous, "admin")
    listed_at_first = expect(list, list_employees.sync(client=admin))

    # A request's workflow: an employee with an account files, the admin approves, then cancels.
    fox = expect(
        EmployeeOut, create_employee.sync(client=admin, body=EmployeeIn(name="Fox Mulder", hours_balance=40))
    )
    fox_user, fox_client = sign_up(anonymous, "fox")
    expect(UserOut, patch_user.sync(fox_user.id, client=admin, body=UserPatchIn(employee_id=fox.id)))
    filed = create_pto.sync_detailed(
        client=fox_client, body=PtoIn(employee_id=fox.id, hours=7.25, start_date=date(2027, 3, 1))
    )
    request = expect(PtoDetailOut, filed.parsed)
    assert [(day.date, day.hours) for day in request.days] == [(date(2027, 3, 1), 7.25)]
    approved = expect(PtoOut, approve.sync(request.id, client=admin, body=NoteIn(note="Enjoy")))
    fox_after_approval = expect(MeOut, me.sync(client=fox_client))
    cancelled = expect(PtoOut, cancel.sync(request.id, client=admin, body=NoteIn(note="Plans changed")))
    fox_after_cancel = expect(MeOut, me.sync(client=fox_client))
    admin_me = expect(MeOut, me.sync(client=admin))
    listed_at_last = expect(list, list_employees.sync(client=admin))
    types = expect(list, list_pto_types.sync(client=fox_client))
    fox_balances = expect(list, list_balances.sync(fox.id, client=fox_client))

    print(
        json.dumps(
            {
                "admin_role": admin_user.role.value,
                "listed_at_first": [employee.name for employee in listed_at_first],
                "location": filed.headers["Location"],
                "statuses": [entry.status.value for entry in (request, approved, cancelled)],
                "type": approved.type_,
                "balance_type": approved.balance_type,
                "start_date": approved.start_date.isoformat(),
                "decided_by": approved.decided_by,
                "decision_note": approved.decision_note,
                "cancellation_note": cancelled.cancellation_note,
                "fox_balances": [
                    fox.hours_balance,
                    fox_after_approval.employee.hours_balance,
                    fox_after_cancel.employee.hours_balance,
                ],
                "fox_available_after_approval": fox_after_approval.employee.available_hours,
                "admin_employee": admin_me.employee,
                "types": {pto_type.key: [pto_type.balance.value, pto_type.draws_on] for pto_type in types},
                "fox_balance_by_type": {
                    balance.type_: [balance.hours_balance, balance.drawn_on_by] for balance in fox_balances
                },
                "listed_at_last": {
                    employee.name: [entry.status.value for entry in employee.pto_entries]
                    for employee in listed_at_last
                },
            }
        )
    )


if __name__ == "__main__":
    main()
