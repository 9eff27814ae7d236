"""A day of HR work through the API: people, accounts, a PTO request, its approval, the ledger.

    python examples/hr_workflow.py

1. The admin (HR) logs in and adds two employees: a manager and someone who reports to them.
2. The admin registers an account for each and links it: `PATCH /users/<id> {"role", "employee_id"}`.
3. The report files a vacation request for themselves: it starts `pending`.
4. The manager reads their approval queue (`GET /pto?status=pending`) and approves it with a note.
5. The report reads their ledger and balance: the approval took the hours, and says who and why.

Settings come from the environment:

    PTO_API             the API's base URL   (default http://127.0.0.1:5000)
    PTO_ADMIN_USERNAME  an admin account     (default admin)
    PTO_ADMIN_PASSWORD  its password         (default "correct horse battery")

On a fresh install the admin account is registered first (the first account becomes the admin);
with `REGISTRATION_OPEN=false` make it with `flask create-admin` instead. Every run adds new people
with a unique suffix, so the script can run again and again against the same server.
"""

import datetime
import os
import secrets
import sys

import requests

BASE = os.environ.get("PTO_API", "http://127.0.0.1:5000").rstrip("/")
ADMIN = {
    "username": os.environ.get("PTO_ADMIN_USERNAME", "admin"),
    "password": os.environ.get("PTO_ADMIN_PASSWORD", "correct horse battery"),
}
RUN = secrets.token_hex(3)  # makes this run's names unique, e.g. "skinner-1f2e3d"


class APIError(Exception):
    """An error answer of the API; its body is {"code", "name", "message", "errors"?}."""

    def __init__(self, method, path, response):
        try:
            body = response.json()
        except ValueError:  # not the API (a proxy's HTML page, say)
            body = {"message": response.text[:200]}
        self.status = response.status_code
        self.body = body
        message = f"{method} {path} -> {self.status}: {body.get('message')}"
        if body.get("errors"):  # which fields were at fault, and why
            message += f" {body['errors']}"
        super().__init__(message)


def api(method, path, token=None, **kwargs):
    """Send one request and return its JSON body (None for a 204); raise APIError on a 4xx/5xx."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, BASE + path, headers=headers, timeout=30, **kwargs)
    if not response.ok:
        raise APIError(method, path, response)
    return response.json() if response.content else None


def login(username, password):
    """Log in; return the access token (valid 15 minutes by default; POST /refresh renews it)."""
    return api("POST", "/login", json={"username": username, "password": password})["access_token"]


def admin_login():
    """Log in as the admin, registering the account first on a fresh install."""
    try:
        token = login(**ADMIN)
    except APIError as error:
        if error.status != 401:
            raise
        # No such account, or a wrong password. On a fresh install the first account becomes the admin.
        try:
            api("POST", "/register", json=ADMIN)
        except APIError as taken:
            if taken.status == 409:  # the account exists: the password was wrong
                raise error from None
            raise
        token = login(**ADMIN)
    me = api("GET", "/me", token)
    if me["role"] != "admin":
        sys.exit(f"{me['username']} is not an admin: set PTO_ADMIN_USERNAME / PTO_ADMIN_PASSWORD")
    return me, token


def add_user(admin_token, username, role, employee_id):
    """Register an account, then (as the admin) give it a role and link it to its employee record."""
    password = secrets.token_urlsafe(12)  # a real script would hand this to the person
    user = api("POST", "/register", json={"username": username, "password": password})
    api("PATCH", f"/users/{user['id']}", admin_token, json={"role": role, "employee_id": employee_id})
    print(f"  user {username} (#{user['id']}): {role}, linked to employee #{employee_id}")
    return user, password


def hours(value):
    return f"{value:.2f} h"


def main():
    # 1. The admin adds a manager and a report.
    admin, admin_token = admin_login()
    print(f"Logged in as {admin['username']} (admin)")
    manager = api(
        "POST", "/employees", admin_token, json={"name": f"Walter Skinner {RUN}", "hours_balance": 80}
    )
    report = api(
        "POST",
        "/employees",
        admin_token,
        json={"name": f"Dana Scully {RUN}", "hours_balance": 40, "manager_id": manager["id"]},
    )
    print("Employees:")
    for employee in (manager, report):
        boss = f", reports to #{employee['manager_id']}" if employee["manager_id"] else ""
        print(f"  #{employee['id']} {employee['name']}: {hours(employee['hours_balance'])}{boss}")

    # 2. Accounts for both, linked to their records.
    print("Users:")
    manager_user, manager_password = add_user(admin_token, f"skinner-{RUN}", "manager", manager["id"])
    report_user, report_password = add_user(admin_token, f"scully-{RUN}", "employee", report["id"])
    usernames = {user["id"]: user["username"] for user in (admin, manager_user, report_user)}

    # 3. The report files two days of vacation, a month from now: a pending request.
    report_token = login(report_user["username"], report_password)
    first_day = datetime.date.today() + datetime.timedelta(days=30)
    request = {
        "employee_id": report["id"],
        "hours": 16,
        "start_date": first_day.isoformat(),
        "end_date": (first_day + datetime.timedelta(days=1)).isoformat(),
        "type": "vacation",
        "note": "Family visit",
    }
    entry = api("POST", "/pto", report_token, json=request)
    print(
        f"{report_user['username']} filed PTO #{entry['id']}: {hours(entry['hours'])}, "
        f"{entry['start_date']} to {entry['end_date']}, status {entry['status']}"
    )

    # 4. The manager reads their queue and approves the request with a note.
    manager_token = login(manager_user["username"], manager_password)
    queue = api("GET", "/pto", manager_token, params={"status": "pending"})
    print(f"{manager_user['username']}'s approval queue:")
    for pending in queue:
        print(f"  PTO #{pending['id']}: employee #{pending['employee_id']}, {hours(pending['hours'])}")
    if all(pending["id"] != entry["id"] for pending in queue):
        sys.exit(f"PTO #{entry['id']} is not in the manager's queue")
    decided = api("POST", f"/pto/{entry['id']}/approve", manager_token, json={"note": "Enjoy"})
    print(
        f"PTO #{decided['id']} {decided['status']} by {usernames[decided['decided_by']]}: "
        f"{decided['decision_note']}"
    )

    # 5. The report reads the ledger behind their balance, and the balance itself.
    print(f"Ledger of {report['name']}:")
    for line in api("GET", f"/employees/{report['id']}/ledger", report_token):
        who = usernames.get(line["actor_id"], f"user #{line['actor_id']}")
        cause = f" (PTO #{line['pto_entry_id']})" if line["pto_entry_id"] else ""
        print(
            f"  {line['created_at'][:19]}  {line['kind']:<10} {line['delta']:+8.2f} -> "
            f"{line['balance_after']:7.2f}  by {who}{cause}"
        )
    balance = api("GET", f"/employees/{report['id']}/balance", report_token)
    employee = api("GET", f"/employees/{report['id']}", report_token)
    print(
        f"Balance of {report['name']}: {hours(balance['hours_balance'])} on {balance['as_of']} "
        f"(pending {hours(employee['pending_hours'])}, available {hours(employee['available_hours'])})"
    )


if __name__ == "__main__":
    try:
        main()
    except APIError as error:
        sys.exit(f"API error: {error}")
