"""Nobody can file without limit or make a record unreadable: the embedded entries are bounded,
hours must fit their days, open entries per employee and changes per user are capped."""

import pytest

from app import create_app
from helpers import Api, app_settings, create_employee, dispose, file_pto, get_employee, json_of, request_pto
from models import EMBEDDED_PTO_ENTRIES

OPEN_LIMIT = 3
WRITE_LIMIT = 5


@pytest.fixture
def app(database_url):
    app = create_app(app_settings(database_url, PTO_MAX_OPEN_ENTRIES=OPEN_LIMIT))
    yield app
    dispose(app)


@pytest.fixture
def unlimited_api(database_url):
    """The API without the per-user write limit, for tests that file many entries."""
    app = create_app(app_settings(database_url, RATELIMIT_WRITES="100000 per minute"))
    yield Api(app.test_client())
    dispose(app)


# The embedded entries


def test_an_employee_embeds_only_their_latest_entries(unlimited_api, admin, report):
    api = unlimited_api
    filed = [request_pto(api, admin, report.employee_id, 0.5)["id"] for _ in range(EMBEDDED_PTO_ENTRIES + 2)]

    employee = get_employee(api, admin, report.employee_id)
    listed = api.ok("GET", "/employees", headers=admin)

    assert [entry["id"] for entry in employee["pto_entries"]] == filed[-EMBEDDED_PTO_ENTRIES:]
    assert employee["more_pto_entries"] is True
    assert employee["hours_balance"] == 40 - 0.5 * len(filed)
    in_list = next(e for e in listed if e["id"] == report.employee_id)
    assert [entry["id"] for entry in in_list["pto_entries"]] == filed[-EMBEDDED_PTO_ENTRIES:]
    assert in_list["more_pto_entries"] is True
    everything = api.ok("GET", f"/pto?employee_id={report.employee_id}&per_page=100", headers=admin)
    assert [entry["id"] for entry in everything] == filed


def test_a_short_history_is_embedded_whole(api, admin, report):
    entry = request_pto(api, admin, report.employee_id, 1)

    employee = get_employee(api, admin, report.employee_id)

    assert [e["id"] for e in employee["pto_entries"]] == [entry["id"]]
    assert employee["more_pto_entries"] is False


# Hours must fit their days: the employee's schedule (the company's, Monday to Friday, 8 hours)


@pytest.mark.parametrize(
    ("dates", "hours", "field", "message"),
    [
        (
            {"start_date": "2027-03-08"},
            8.01,
            "hours",
            "2027-03-08 holds 8.00 hours for the employee; 8.01 were asked: 0.01 would overflow 2027-03-08, "
            "its last working day.",
        ),
        (
            {"start_date": "2027-03-08", "end_date": "2027-03-09"},
            16.5,
            "hours",
            "2027-03-08 to 2027-03-09 holds 16.00 hours for the employee; 16.50 were asked: 0.50 would "
            "overflow 2027-03-09, its last working day.",
        ),
        (
            {"start_date": "2027-03-06", "end_date": "2027-03-07"},
            8,
            "start_date",
            "2027-03-06 to 2027-03-07 holds no working hours for the employee (days off and holidays).",
        ),
        (
            {"start_date": "2027-01-01", "end_date": "2028-01-02"},
            8,
            "end_date",
            "An entry may span at most 366 days; this one spans 367.",
        ),
        ({}, 8784.01, "hours", "At most 8784 hours fit an undated entry (PTO_MAX_DAYS: 366)."),
    ],
)
def test_hours_must_fit_the_days(api, admin, report, dates, hours, field, message):
    response = file_pto(api, admin, report.employee_id, hours, type="unpaid", **dates)

    assert response.status_code == 422
    assert json_of(response)["errors"] == {field: [message]}
    assert get_employee(api, admin, report.employee_id)["pto_entries"] == []


@pytest.mark.parametrize(
    ("dates", "hours"),
    [({"start_date": "2027-03-08"}, 8), ({"start_date": "2027-01-01", "end_date": "2027-12-31"}, 261 * 8)],
)
def test_hours_that_fit_are_accepted(api, admin, report, dates, hours):
    assert file_pto(api, admin, report.employee_id, hours, type="unpaid", **dates).status_code == 201


# Open entries per employee


def test_an_employee_holds_a_bounded_number_of_open_entries(api, admin, report):
    day = iter(["2099-01-05", "2099-01-06", "2099-01-07"])  # weekdays
    request_pto(api, report.headers, report.employee_id, 1)  # pending
    request_pto(api, admin, report.employee_id, 1, start_date=next(day))  # approved, not yet started
    request_pto(api, admin, report.employee_id, 1)  # approved, undated: taken, so not open
    request_pto(api, admin, report.employee_id, 1, start_date="2020-01-06")  # approved, in the past
    third = request_pto(api, report.headers, report.employee_id, 1, start_date=next(day))

    refused = file_pto(api, admin, report.employee_id, 1, start_date=next(day))

    assert refused.status_code == 409
    assert json_of(refused)["message"] == (
        f"The employee already has {OPEN_LIMIT} open entries (pending, or approved and not yet started), "
        "the most allowed: decide or cancel some first."
    )
    api.ok("POST", f"/pto/{third['id']}/cancel", headers=report.headers)
    assert file_pto(api, report.headers, report.employee_id, 1).status_code == 201


# Changes per user


@pytest.fixture
def limited_api(database_url):
    """The API as a second app whose per-user budget is WRITE_LIMIT changes a minute."""
    app = create_app(app_settings(database_url, RATELIMIT_WRITES=f"{WRITE_LIMIT} per minute"))
    yield Api(app.test_client())
    dispose(app)


def test_each_user_has_a_budget_of_changes(limited_api, admin, manager, report):
    api = limited_api
    for _ in range(WRITE_LIMIT - 1):
        assert file_pto(api, report.headers, report.employee_id, 0.25).status_code == 201
    # Requests refused for their shape are not counted: one change is still left.
    assert file_pto(api, report.headers, report.employee_id, "x").status_code == 422
    assert file_pto(api, report.headers, report.employee_id, 0.25).status_code == 201

    refused = file_pto(api, report.headers, report.employee_id, 0.25)

    assert refused.status_code == 429
    assert json_of(refused)["message"] == "Too many changes from this account; retry later."
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # a minute, rounded up
    # Reads and other users are not counted either.
    assert len(get_employee(api, report.headers, report.employee_id)["pto_entries"]) == WRITE_LIMIT
    assert file_pto(api, manager.headers, report.employee_id, 0.25).status_code == 201


def test_every_kind_of_change_draws_on_one_budget(limited_api, admin, report):
    api = limited_api
    path = f"/employees/{report.employee_id}"
    api.ok("PUT", path, json={"hours_balance": 8}, headers=admin)
    api.ok("PATCH", path, json={"name": "Eli B."}, headers=admin)
    api.ok("PATCH", f"/users/{report.user_id}", json={"role": "employee"}, headers=admin)
    entry = request_pto(api, admin, report.employee_id, 1)
    api.ok("POST", f"/pto/{entry['id']}/cancel", headers=admin)

    assert api.request("POST", "/employees", json={"name": "X"}, headers=admin).status_code == 429
    assert api.request("DELETE", path, headers=admin).status_code == 429


def test_a_page_embeds_each_employees_own_latest_entries(unlimited_api, admin):
    # A page's entries are read in one statement for all its employees: each must get their own latest,
    # whatever the others have, and exactly the newest EMBEDDED_PTO_ENTRIES of them.
    api = unlimited_api
    busy = [create_employee(api, admin, name, hours_balance=100)["id"] for name in ("Ann", "Bo")]
    full = create_employee(api, admin, "Cy", hours_balance=100)["id"]
    idle = create_employee(api, admin, "Di")["id"]
    filed = {employee_id: [] for employee_id in (*busy, full)}
    for _ in range(EMBEDDED_PTO_ENTRIES + 2):
        for employee_id in busy:  # in turn, so their entries' ids interleave
            filed[employee_id].append(request_pto(api, admin, employee_id, 0.5)["id"])
    for _ in range(EMBEDDED_PTO_ENTRIES):
        filed[full].append(request_pto(api, admin, full, 0.5)["id"])

    page = api.ok("GET", "/employees?per_page=100", headers=admin)
    listed = {employee["id"]: employee for employee in page}

    expected = {
        busy[0]: (filed[busy[0]][-EMBEDDED_PTO_ENTRIES:], True),
        busy[1]: (filed[busy[1]][-EMBEDDED_PTO_ENTRIES:], True),
        full: (filed[full], False),
        idle: ([], False),
    }
    for employee_id, (entry_ids, more) in expected.items():
        for shown in (listed[employee_id], get_employee(api, admin, employee_id)):
            assert [entry["id"] for entry in shown["pto_entries"]] == entry_ids
            assert shown["more_pto_entries"] is more
