"""Query budgets: the SQL statements each endpoint runs, and that their number does not grow with rows.

Each endpoint is measured in a small company (3 employees, entries and users) and again in one
grown to 30 of each: the two counts must be equal (no statement per row: no N+1), and within the
budget recorded here, so a change that adds a statement fails until its budget is raised on
purpose. Both companies are built once per database kind; each measurement runs on a copy.
Transaction control (SQLite's BEGIN, sent by database.py) is not counted, so one budget holds on
both databases.
"""

import copy
import re
from datetime import date, timedelta

import pytest

from app import create_app
from helpers import (
    DATABASES,
    PASSWORD,
    SavedDatabase,
    app_settings,
    assert_ledger_matches_balances,
    counting_statements,
    create_employee,
    dispose,
    file_pto,
    hire,
    register,
    register_and_login,
    request_pto,
)
from tests.helpers import company_today as today

SMALL, LARGE = 3, 30
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


class Company:
    """An admin, a subject employee whose own account files requests, and others around them."""

    def __init__(self, client, admin):
        self.client, self.admin = client, admin
        # Every employee accrues from their first day (weekly, at the start): a run posts a line for each.
        policy = {"name": "Weekly", "type": "vacation", "frequency": "weekly", "accrue_at": "start"}
        policy |= {"tiers": [{"after_years": 0, "hours": 1.54}], "for_new_hires": True}
        assert client.post("/accrual-policies", json=policy, headers=admin).status_code == 201
        subject = hire(client, admin, "subject", hours_balance=10_000)
        self.subject, self.staff = subject.employee_id, subject.headers
        self.employees = 1
        self.others = []
        self.latest_entry = None
        feed = client.post("/calendar-feeds", json={"scope": "company"}, headers=admin).json
        self.feed = feed["url"].removeprefix("http://localhost")

    def feed_etag(self):
        """The feed's ETag as a calendar app last read it."""
        return self.client.get(self.feed).headers["ETag"]

    def grow(self, size):
        """Grow to ``size`` employees (one entry each), users, and approved and pending subject entries."""
        while self.employees < size:
            self.employees += 1
            other = create_employee(self.client, self.admin, f"Employee {self.employees}", hours_balance=40)
            self.others.append(other["id"])
            # On the first Monday of the calendar's two weeks (below), inside a calendar feed's window.
            filed = file_pto(self.client, self.admin, other["id"], 1, start_date=soon().isoformat())
            assert filed.status_code == 201
            register(self.client, f"user{self.employees}")
            self.latest_entry = self.file(self.admin)  # approved at once
            self.file(self.staff)  # pending

    def file(self, headers, **fields):
        """File 1 hour for the subject: approved when the admin files it, pending when the subject does."""
        return request_pto(self.client, headers, self.subject, 1, **fields)["id"]


def soon():
    """A Monday four to five weeks from today."""
    start = today() + timedelta(weeks=4)
    return start + timedelta(days=7 - start.weekday())


def monday(weeks):
    """A Monday ``weeks`` after the first of 2030: a working day on the company's schedule."""
    return (date(2030, 1, 7) + timedelta(weeks=weeks)).isoformat()


def two_weeks(employee_id, weeks):
    """A request for two weeks from ``monday(weeks)``, charged the hours of its days."""
    start = date.fromisoformat(monday(weeks))
    return {
        "employee_id": employee_id,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=11)).isoformat(),
    }


# A list's page that holds every row is the last page, which tells the total itself; a full page
# needs a count. Each list is measured on the first kind, and the main two on the second too.
LAST_PAGE, FULL_PAGE = "per_page=100", "per_page=2"

# Each endpoint: given the company, prepare what the request needs (uncounted) and return the request
# as (method, path, headers, JSON body, expected status).
ENDPOINTS = {
    "GET /employees": lambda c: ("GET", f"/employees?{LAST_PAGE}", c.admin, None, 200),
    "GET /employees (a full page)": lambda c: ("GET", f"/employees?{FULL_PAGE}", c.admin, None, 200),
    "GET /employees/<id>": lambda c: ("GET", f"/employees/{c.subject}", c.admin, None, 200),
    "GET /employees/<id>/ledger": lambda c: (
        "GET", f"/employees/{c.subject}/ledger?{LAST_PAGE}", c.admin, None, 200,
    ),
    "GET /employees/<id>/balance": lambda c: ("GET", f"/employees/{c.subject}/balance", c.admin, None, 200),
    "GET /employees/<id>/balances": lambda c: ("GET", f"/employees/{c.subject}/balances", c.admin, None, 200),
    "PUT /employees/<id>/balances/<type>": lambda c: (
        "PUT", f"/employees/{c.subject}/balances/vacation", c.admin, {"hours_balance": 9_000 + c.employees},
        200,
    ),
    "GET /pto-types": lambda c: ("GET", f"/pto-types?{LAST_PAGE}", c.staff, None, 200),
    "GET /pto-types/<key>": lambda c: ("GET", "/pto-types/sick", c.staff, None, 200),
    "POST /employees": lambda c: ("POST", "/employees", c.admin, {"name": "New", "hours_balance": 8}, 201),
    "PUT /employees/<id>": lambda c: (
        "PUT", f"/employees/{c.subject}", c.admin, {"hours_balance": 9_000 + c.employees}, 200,
    ),
    "PATCH /employees/<id> (manager)": lambda c: (
        "PATCH", f"/employees/{c.subject}", c.admin, {"manager_id": c.others[0]}, 200,
    ),
    "GET /pto": lambda c: ("GET", f"/pto?{LAST_PAGE}", c.admin, None, 200),
    "GET /pto (a full page)": lambda c: ("GET", f"/pto?{FULL_PAGE}", c.admin, None, 200),
    "GET /pto?employee_id=": lambda c: (
        "GET", f"/pto?employee_id={c.subject}&{LAST_PAGE}", c.admin, None, 200,
    ),
    "GET /pto/<id>": lambda c: ("GET", f"/pto/{c.latest_entry}", c.admin, None, 200),
    "POST /pto (admin: approved)": lambda c: (
        "POST", "/pto", c.admin, {"employee_id": c.subject, "hours": 1}, 201,
    ),
    "POST /pto (employee: pending)": lambda c: (
        "POST", "/pto", c.staff, {"employee_id": c.subject, "hours": 1}, 201,
    ),
    "POST /pto (a type drawing on another's balance)": lambda c: (
        "POST", "/pto", c.admin, {"employee_id": c.subject, "hours": 1, "type": "sick"}, 201,
    ),
    "POST /pto (dated: overlap check)": lambda c: (
        "POST", "/pto", c.admin,
        {"employee_id": c.subject, "hours": 8, "start_date": monday(c.employees)}, 201,
    ),
    "POST /pto (two weeks, hours from the days)": lambda c: (
        "POST", "/pto", c.admin, two_weeks(c.subject, 100 + 2 * c.employees), 201,
    ),
    "POST /pto/quote (two weeks)": lambda c: ("POST", "/pto/quote", c.staff, two_weeks(c.subject, 0), 200),
    "GET /calendar (everyone, two weeks)": lambda c: (
        "GET", f"/calendar?from={soon()}&{LAST_PAGE}", c.admin, None, 200,
    ),
    "GET /calendar (a full page)": lambda c: (
        "GET", f"/calendar?from={soon()}&{FULL_PAGE}", c.admin, None, 200,
    ),
    "GET /calendar (an employee: themselves and colleagues)": lambda c: (
        "GET", f"/calendar?from={soon()}", c.staff, None, 200,
    ),
    "POST /calendar-feeds": lambda c: ("POST", "/calendar-feeds", c.staff, {"scope": "me"}, 201),
    "GET /calendar-feeds": lambda c: ("GET", f"/calendar-feeds?{LAST_PAGE}", c.admin, None, 200),
    "GET /calendar-feeds/<token>.ics (the company)": lambda c: ("GET", c.feed, {}, None, 200),
    "GET /calendar-feeds/<token>.ics (unchanged: 304)": lambda c: (
        "GET", c.feed, {"If-None-Match": c.feed_etag()}, None, 304,
    ),
    "DELETE /pto/<id> (refund)": lambda c: ("DELETE", f"/pto/{c.file(c.admin)}", c.admin, None, 204),
    "POST /pto/<id>/approve": lambda c: ("POST", f"/pto/{c.file(c.staff)}/approve", c.admin, None, 200),
    "POST /pto/<id>/deny": lambda c: ("POST", f"/pto/{c.file(c.staff)}/deny", c.admin, None, 200),
    "POST /pto/<id>/cancel (pending)": lambda c: (
        "POST", f"/pto/{c.file(c.staff)}/cancel", c.staff, None, 200,
    ),
    "GET /me (linked employee)": lambda c: ("GET", "/me", c.staff, None, 200),
    "GET /accrual-policies": lambda c: ("GET", f"/accrual-policies?{LAST_PAGE}", c.staff, None, 200),
    "GET /employees/<id>/accruals": lambda c: ("GET", f"/employees/{c.subject}/accruals", c.staff, None, 200),
    "GET /employees/<id>/balances?as_of= (a projection)": lambda c: (
        "GET", f"/employees/{c.subject}/balances?as_of={today() + timedelta(days=1000)}", c.staff, None, 200,
    ),
    "POST /accrual-runs": lambda c: ("POST", "/accrual-runs", c.admin, None, 201),
    "GET /users": lambda c: ("GET", f"/users?{LAST_PAGE}", c.admin, None, 200),
    "POST /login": lambda c: (
        "POST", "/login", None, {"username": "subject", "password": PASSWORD}, 200,
    ),
}  # fmt: skip

# The statements each endpoint runs today (the first is always the session-and-user lookup). Raise a
# budget only on purpose; lower it when a change saves a statement.
BUDGETS = {
    "GET /employees": 3,  # session, the page (the last: it tells the total), the page's entries
    "GET /employees (a full page)": 4,  # and the count
    # session, employee with their latest entries (bounded, without their history): the read floor's two
    "GET /employees/<id>": 2,
    "GET /employees/<id>/ledger": 3,  # session, employee, the page
    "GET /employees/<id>/balance": 3,  # session, employee, the type with the balance
    "GET /employees/<id>/balances": 3,  # session, employee, every type with the employee's balance in it
    # session, type, employee (locked), balance, UPDATE, line; the balance as it now stands
    "PUT /employees/<id>/balances/<type>": 7,
    "GET /pto-types": 2,
    "GET /pto-types/<key>": 2,
    # session, INSERT employee, default type, INSERTs of balance and line, the policies new hires get and
    # the INSERT of their assignment; reload employee and entries
    "POST /employees": 8,
    # session, employee (locked), default balance, UPDATE, line; after the commit: employee with entries
    "PUT /employees/<id>": 6,
    # session, (PostgreSQL: lock reporting lines), employee (locked), lock the manager, UPDATE; after the
    # commit: employee with entries
    "PATCH /employees/<id> (manager)": 6,
    "GET /pto": 2,  # session, the page
    "GET /pto (a full page)": 3,  # and the count
    "GET /pto?employee_id=": 2,
    "GET /pto/<id>": 3,  # session, entry with its employee, its days
    # session, employee (locked) with the type (held), INSERT entry if under the open-entries limit, UPDATE
    # balance, INSERT line; no reload: the write floor's statements (bench/reference_app.py)
    "POST /pto (admin: approved)": 5,
    "POST /pto (employee: pending)": 4,  # the UPDATE holds the hours; no line
    "POST /pto (a type drawing on another's balance)": 5,
    # and one read of the calendar with its own days in the range, the schedules and the booked days it
    # could overlap; its days are written with the entry (PostgreSQL) or after it (SQLite): however many
    # days it spans
    "POST /pto (dated: overlap check)": {"postgresql": 6, "sqlite": 7},
    "POST /pto (two weeks, hours from the days)": {"postgresql": 6, "sqlite": 7},
    # session, employee with the type, the days' one read, balance, open entries; the balance on the first
    # day: the ledger to that day, the projection's reads (7)
    "POST /pto/quote (two weeks)": 13,
    # session, the page of employees out, their days (booked, and entries without days: one statement),
    # the calendars in use, their own days in the range
    "GET /calendar (everyone, two weeks)": 5,
    "GET /calendar (a full page)": 6,  # and the count
    "GET /calendar (an employee: themselves and colleagues)": 5,
    "POST /calendar-feeds": 2,  # session, INSERT
    "GET /calendar-feeds": 2,
    # the feed with its owner and the latest changes (no session: its address is the credential), its
    # entries with their days, the calendars in use, their own days
    "GET /calendar-feeds/<token>.ics (the company)": 4,
    "GET /calendar-feeds/<token>.ics (unchanged: 304)": 1,  # what a poll that finds nothing new costs
    # session, entry with its type and its employee (locked), UPDATE entry, UPDATE balance, line
    "DELETE /pto/<id> (refund)": 5,
    "POST /pto/<id>/approve": 5,
    "POST /pto/<id>/deny": 4,
    "POST /pto/<id>/cancel (pending)": 4,
    "GET /me (linked employee)": 2,  # session, linked employee
    "GET /accrual-policies": 2,
    # session, employee; what the policies need, read for a batch (see the run): employee, assignments,
    # policies, corrections owed, the policies' last lines, balances, lines
    "GET /employees/<id>/accruals": 9,
    # and the balances of every type (the projection adds the lines to come)
    "GET /employees/<id>/balances?as_of= (a projection)": 10,
    # session, INSERT run, who accrues; for each batch of up to 1,000 employees: (PostgreSQL: lock reporting
    # lines), lock them, read what the policies need (7), INSERT lines, UPDATE balances, UPDATE corrections
    # owed, UPDATE run; end the run; after the commit, the run
    "POST /accrual-runs": 18,
    "GET /users": 2,
    # user, claims per account and address and per account, both forgiven, session
    "POST /login": 6,
}


@pytest.fixture(scope="module", params=DATABASES)
def companies(request, tmp_path_factory, new_database):
    """The company grown to SMALL and to LARGE, built once per database kind: {size: (saved, Company)}."""
    directory = tmp_path_factory.mktemp("query-budget")
    url = new_database(request.param, directory)
    app = create_app(app_settings(url))
    client = app.test_client()
    company = Company(client, register_and_login(client, "admin"))
    companies = {}
    for size in (SMALL, LARGE):
        company.grow(size)
        dispose(app)
        companies[size] = (SavedDatabase.save(url, f"query_budget_{size}", directory), copy.copy(company))
    yield companies
    for saved, _company in companies.values():
        saved.drop()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_statements_per_request_stay_within_budget_and_do_not_grow_with_rows(companies, tmp_path, endpoint):
    def statements(size):
        saved, company = companies[size]
        url = saved.copy_to(tmp_path / str(size))
        app = create_app(app_settings(url))
        company = copy.copy(company)
        company.client = app.test_client()
        method, path, headers, body, status = ENDPOINTS[endpoint](company)
        with counting_statements(app) as executed:
            response = company.client.open(path, method=method, headers=headers, json=body)
        dispose(app)
        assert_ledger_matches_balances(url)
        assert response.status_code == status, response.json
        return [statement for statement in executed if not TRANSACTION_CONTROL.match(statement)]

    small = statements(SMALL)
    large = statements(LARGE)

    budget = BUDGETS[endpoint]
    if isinstance(budget, dict):  # {database kind: budget}, where one statement does more on PostgreSQL
        budget = budget[companies[SMALL][0].url.split(":")[0].split("+")[0]]
    assert len(large) == len(small), "\n\n".join(large)
    assert len(large) <= budget, "\n\n".join(large)
    if endpoint.startswith("GET"):  # reads run in autocommit on PostgreSQL: they may neither write nor lock
        writes = [sql for sql in large if not sql.lstrip().startswith("SELECT") or "FOR UPDATE" in sql]
        assert writes == []
