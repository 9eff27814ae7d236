"""Days off: work schedules, holiday calendars, requests charged from their dates, quotes before filing, and
the company's "today".

Every employee starts on the company's schedule (Monday to Friday, 8 hours, from the migrations) and the
default calendar (no country until an admin sets one).
"""

from datetime import UTC, date, datetime

import psycopg2
import pytest

import database
import models
from app import create_app
from config import ConfigError
from helpers import (
    app_settings,
    create_employee,
    decide,
    dispose,
    file_pto,
    hire,
    hours_of,
    in_a_thread,
    ledger,
    register_and_login,
    request_pto,
    text_of,
    transaction,
    waits,
)

DEFAULT_CALENDAR = 1
PART_TIME = {
    "monday": 6,
    "tuesday": 6,
    "wednesday": 6,
    "thursday": 0,
    "friday": 0,
    "saturday": 0,
    "sunday": 0,
}


def ok(response, status=200):
    assert response.status_code == status, text_of(response)
    return response.json


def days_of(entry):
    """(date, hours charged, holiday) per day of an entry or a quote."""
    return [(day["date"], day["hours"], day["holiday"]) for day in entry["days"]]


def set_country(client, admin, country, subdivision=None, calendar=DEFAULT_CALENDAR):
    body = {"country": country, "subdivision": subdivision}
    return ok(client.patch(f"/holiday-calendars/{calendar}", json=body, headers=admin))


def quote(client, who, employee_id, **fields):
    return ok(client.post("/pto/quote", json={"employee_id": employee_id, **fields}, headers=who))


# Schedules


def test_everyone_starts_on_the_company_schedule(client, admin):
    schedules = ok(client.get("/work-schedules", headers=admin))

    assert [(s["employee_id"], s["effective_from"]) for s in schedules] == [(None, "0001-01-01")]
    assert schedules[0]["weeks"] == [
        {"monday": 8, "tuesday": 8, "wednesday": 8, "thursday": 8, "friday": 8, "saturday": 0, "sunday": 0}
    ]


def test_a_part_timer_is_charged_the_hours_of_their_own_week(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    schedule = {"effective_from": "2027-01-04", "weeks": [PART_TIME]}
    created = client.post(f"/employees/{dana['id']}/work-schedules", json=schedule, headers=admin)
    assert created.status_code == 201
    assert created.headers["Location"].endswith(
        f"/employees/{dana['id']}/work-schedules/{created.json['id']}"
    )

    entry = request_pto(client, admin, dana["id"], None, start_date="2027-01-04", end_date="2027-01-10")

    assert entry["hours"] == 18
    assert [hours for _day, hours, _holiday in days_of(entry)] == [6, 6, 6, 0, 0, 0, 0]
    assert ok(client.get(f"/pto/{entry['id']}", headers=admin))["days"] == entry["days"]
    # Before their own schedule starts, they work the company's.
    before = quote(client, admin, dana["id"], start_date="2026-12-28", end_date="2027-01-03")
    assert before["hours"] == 40


def test_a_two_week_rotation_alternates_its_weeks(client, admin):
    dana = create_employee(client, admin, "Dana", 200)
    nine_eighty = [
        {"monday": 9, "tuesday": 9, "wednesday": 9, "thursday": 9, "friday": 8, "saturday": 0, "sunday": 0},
        {"monday": 9, "tuesday": 9, "wednesday": 9, "thursday": 9, "friday": 0, "saturday": 0, "sunday": 0},
    ]
    body = {"effective_from": "2027-01-06", "weeks": nine_eighty}  # a Wednesday: week 1 began that Monday
    ok(client.post(f"/employees/{dana['id']}/work-schedules", json=body, headers=admin), 201)

    fridays = [
        quote(client, admin, dana["id"], start_date=day)["hours"]
        for day in ("2027-01-08", "2027-01-15", "2027-01-22")
    ]

    assert fridays == [8, 0, 8]


def test_a_schedule_that_started_stays_and_one_to_come_can_be_removed(client, admin):
    dana = create_employee(client, admin, "Dana")
    past = ok(
        client.post(
            f"/employees/{dana['id']}/work-schedules",
            json={"effective_from": "2020-01-01", "weeks": [PART_TIME]},
            headers=admin,
        ),
        201,
    )
    future = ok(
        client.post(
            f"/employees/{dana['id']}/work-schedules",
            json={"effective_from": "2099-01-01", "weeks": [PART_TIME]},
            headers=admin,
        ),
        201,
    )
    twice = client.post(
        f"/employees/{dana['id']}/work-schedules",
        json={"effective_from": "2099-01-01", "weeks": [PART_TIME]},
        headers=admin,
    )

    assert twice.status_code == 409
    assert (
        client.delete(f"/employees/{dana['id']}/work-schedules/{past['id']}", headers=admin).status_code
        == 409
    )
    assert (
        client.delete(f"/employees/{dana['id']}/work-schedules/{future['id']}", headers=admin).status_code
        == 204
    )
    listed = ok(client.get(f"/employees/{dana['id']}/work-schedules", headers=admin))
    assert [s["id"] for s in listed] == [past["id"]]


@pytest.mark.parametrize(
    ("weeks", "field"),
    [
        ([], "weeks"),
        ([PART_TIME] * 3, "weeks"),
        ([{**PART_TIME, "monday": 24.01}], "weeks"),
        ([{key: value for key, value in PART_TIME.items() if key != "sunday"}], "weeks"),
    ],
    ids=["no week", "three weeks", "more than a day", "a day missing"],
)
def test_a_schedule_must_be_one_or_two_whole_weeks(client, admin, weeks, field):
    response = client.post(
        "/work-schedules", json={"effective_from": "2099-01-01", "weeks": weeks}, headers=admin
    )

    assert response.status_code == 422
    assert field in response.json["errors"]


# Holidays


def test_a_request_across_a_public_holiday_charges_the_working_days_only(client, admin):
    set_country(client, admin, "US", "CA")
    dana = create_employee(client, admin, "Dana", 80)

    entry = request_pto(client, admin, dana["id"], None, start_date="2026-12-21", end_date="2026-12-27")

    assert entry["hours"] == 32
    assert days_of(entry)[3:5] == [("2026-12-24", 8, None), ("2026-12-25", 0, "Christmas Day")]
    assert hours_of(client, admin, dana["id"]) == (48, 0, 48)


def test_offices_in_two_states_follow_their_own_calendars(client, admin):
    set_country(client, admin, "US", "CA")
    new_york = ok(
        client.post(
            "/holiday-calendars",
            json={"name": "New York", "country": "US", "subdivision": "NY"},
            headers=admin,
        ),
        201,
    )
    sacramento = create_employee(client, admin, "Sacramento")
    albany = create_employee(client, admin, "Albany")
    ok(
        client.patch(
            f"/employees/{albany['id']}", json={"holiday_calendar_id": new_york["id"]}, headers=admin
        )
    )

    charged = {
        (person["name"], day): quote(client, admin, person["id"], start_date=day)["hours"]
        for person in (sacramento, albany)
        for day in ("2027-02-12", "2027-03-31")  # Lincoln's Birthday (NY), Cesar Chavez Day (CA)
    }

    assert charged == {
        ("Sacramento", "2027-02-12"): 8,
        ("Sacramento", "2027-03-31"): 0,
        ("Albany", "2027-02-12"): 0,
        ("Albany", "2027-03-31"): 8,
    }
    listed = ok(
        client.get(
            f"/holiday-calendars/{new_york['id']}/holidays?from=2027-02-01&to=2027-02-28", headers=admin
        )
    )
    assert [(h["date"], h["source"]) for h in listed] == [("2027-02-12", "public"), ("2027-02-15", "public")]


def test_the_company_s_own_days_close_shorten_or_open_a_day(client, admin):
    set_country(client, admin, "US")
    own = {
        "2027-12-24": {"kind": "partial", "name": "Christmas Eve", "hours": 4},
        "2027-12-31": {"kind": "closure", "name": "Year-end close"},
        "2027-11-11": {"kind": "working", "name": "Veterans Day: we work"},
    }
    for day, body in own.items():
        ok(client.put(f"/holiday-calendars/{DEFAULT_CALENDAR}/days/{day}", json=body, headers=admin))
    dana = create_employee(client, admin, "Dana")

    charged = {day: quote(client, admin, dana["id"], start_date=day)["hours"] for day in own}

    assert charged == {"2027-12-24": 4, "2027-12-31": 0, "2027-11-11": 8}
    listed = ok(
        client.get(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/holidays?from=2027-11-01&to=2027-12-31", headers=admin
        )
    )
    assert ("2027-11-11", "public") not in [(h["date"], h["source"]) for h in listed]
    assert [(h["date"], h["source"], h["hours"]) for h in listed if h["source"] != "public"] == [
        ("2027-12-24", "partial", 4),
        ("2027-12-31", "closure", 0),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision"),
        ({"subdivision": "CA", "country": None}, "subdivision"),
    ],
    ids=["unknown country", "unknown subdivision", "subdivision without a country"],
)
def test_a_calendar_names_a_place_the_holidays_package_knows(client, admin, body, field):
    response = client.patch(f"/holiday-calendars/{DEFAULT_CALENDAR}", json=body, headers=admin)

    assert response.status_code == 422
    assert field in response.json["errors"]


# Hours from dates


def test_a_range_with_no_working_day_is_refused_saying_so(client, admin):
    dana = create_employee(client, admin, "Dana")

    response = file_pto(client, admin, dana["id"], None, start_date="2027-03-06", end_date="2027-03-07")

    assert response.status_code == 422
    assert response.json["errors"] == {
        "start_date": [
            "2027-03-06 to 2027-03-07 holds no working hours for the employee (days off and holidays)."
        ]
    }


def test_two_half_days_share_a_day_but_not_a_half(client, admin):
    dana = create_employee(client, admin, "Dana")
    morning = request_pto(client, admin, dana["id"], None, start_date="2027-03-08", start_part="morning")
    afternoon = request_pto(client, admin, dana["id"], None, start_date="2027-03-08", start_part="afternoon")

    again = file_pto(client, admin, dana["id"], None, start_date="2027-03-08", start_part="morning")

    assert (morning["hours"], afternoon["hours"]) == (4, 4)
    assert again.status_code == 409
    assert "on 2027-03-08 (it holds 8.00 hours; 8.00 are booked)" in again.json["message"]


def test_half_days_start_and_end_a_longer_absence(client, admin):
    dana = create_employee(client, admin, "Dana")

    entry = request_pto(
        client,
        admin,
        dana["id"],
        None,
        start_date="2027-03-08",
        end_date="2027-03-10",
        start_part="afternoon",
        end_part="morning",
    )

    assert entry["hours"] == 16
    assert [(day["hours"], day["part"]) for day in entry["days"]] == [
        (4, "afternoon"),
        (8, None),
        (4, "morning"),
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start_date": "2027-03-08", "end_date": "2027-03-09", "start_part": "morning"}, "start_part"),
        ({"start_date": "2027-03-08", "end_date": "2027-03-09", "end_part": "afternoon"}, "end_part"),
        ({"start_part": "morning", "hours": 4}, "start_part"),
        (
            {"start_date": "2027-03-08", "hours": 4, "day_hours": [{"date": "2027-03-08", "hours": 4}]},
            "day_hours",
        ),
        ({"start_date": "2027-03-08", "day_hours": [{"date": "2027-03-09", "hours": 4}]}, "day_hours"),
    ],
    ids=[
        "a morning starting days",
        "an afternoon ending them",
        "a half without dates",
        "hours twice",
        "a day outside",
    ],
)
def test_parts_of_days_must_make_sense(client, admin, fields, field):
    dana = create_employee(client, admin, "Dana")

    response = client.post("/pto", json={"employee_id": dana["id"], **fields}, headers=admin)

    assert response.status_code == 422
    assert field in response.json["errors"], response.json


def test_hours_by_hand_must_fit_the_day_they_name(client, admin):
    set_country(client, admin, "US")
    dana = create_employee(client, admin, "Dana")

    response = file_pto(
        client,
        admin,
        dana["id"],
        None,
        start_date="2026-12-24",
        end_date="2026-12-25",
        day_hours=[{"date": "2026-12-25", "hours": 2}],
    )

    assert response.status_code == 422
    assert response.json["errors"] == {
        "day_hours": ["2026-12-25 (Christmas Day) holds 0.00 hours for the employee; 2.00 were asked."]
    }


def test_the_tutorial_s_undated_request_still_takes_its_hours(client, admin):
    dana = create_employee(client, admin, "Dana", 1000)

    entry = request_pto(client, admin, dana["id"], 900)

    assert (entry["hours"], entry["days"], entry["start_date"]) == (900, [], None)


# Holidays and schedules that change after booking


def test_a_holiday_added_inside_approved_time_off_gives_its_hours_back_with_a_line(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    entry = request_pto(client, admin, dana["id"], None, start_date="2027-06-07", end_date="2027-06-11")

    ok(
        client.put(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-09",
            json={"kind": "closure", "name": "Flood"},
            headers=admin,
        )
    )

    shown = ok(client.get(f"/pto/{entry['id']}", headers=admin))
    assert (entry["hours"], shown["hours"]) == (40, 32)
    assert days_of(shown)[2] == ("2027-06-09", 0, "Flood")
    line = ledger(client, admin, dana["id"]).lines[-1]
    assert (line["kind"], line["delta"], line["pto_entry_id"], line["reason"]) == (
        "day_refund",
        8,
        entry["id"],
        "2027-06-09 became a holiday (Flood): 8.00 hours given back",
    )
    assert hours_of(client, admin, dana["id"]) == (48, 0, 48)
    # Cancelling refunds what the entry still holds: the day is never refunded twice.
    assert decide(client, admin, entry["id"], "cancel").status_code == 200
    assert hours_of(client, admin, dana["id"]) == (80, 0, 80)


def test_a_holiday_set_while_a_filing_is_under_way_waits_for_it(client, admin, database_url):
    """The filing holds its employee's lock (PostgreSQL) or the write lock (SQLite): the new day waits for
    it to commit, so that its give-back sees what the filing booked."""
    dana = create_employee(client, admin, "Dana", 80)
    filing = (
        []
        if database_url.startswith("sqlite")
        else [f"SELECT id FROM employees WHERE id = {dana['id']} FOR UPDATE"]
    )
    closure = {"kind": "closure", "name": "Flood"}

    with (
        transaction(database_url, *filing) as commit,
        in_a_thread(
            lambda: client.put(
                f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-09", json=closure, headers=admin
            )
        ) as answer,
    ):
        assert waits(answer)
        commit()

    assert answer["response"].status_code == 200, answer["response"].json


def test_a_filing_made_while_a_holiday_is_being_set_waits_and_charges_it_nothing(client, admin, database_url):
    dana = create_employee(client, admin, "Dana", 80)
    holiday = [
        "INSERT INTO holiday_calendar_days (calendar_id, day, kind, name, created_at) "
        f"VALUES ({DEFAULT_CALENDAR}, '2027-06-09', 'closure', 'Flood', CURRENT_TIMESTAMP)"
    ]
    if not database_url.startswith("sqlite"):  # as a change of holidays does (hold_off_filings)
        holiday.insert(0, "LOCK TABLE employees IN EXCLUSIVE MODE")
    week = {"employee_id": dana["id"], "start_date": "2027-06-07", "end_date": "2027-06-11"}

    with (
        transaction(database_url, *holiday) as commit,
        in_a_thread(lambda: client.post("/pto", json=week, headers=admin)) as answer,
    ):
        assert waits(answer)
        commit()

    entry = ok(answer["response"], 201)
    assert entry["hours"] == 32
    assert days_of(entry)[2] == ("2027-06-09", 0, "Flood")


def test_moving_an_employee_onto_a_calendar_as_it_changes_does_not_deadlock(client, admin, database_url):
    """The move (PATCH /employees) holds the lock on reporting lines and its employee; the change takes
    the calendar's row, then waits for that lock. The move's foreign key check on the calendar's row must
    not wait for the change in turn."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's writers queue whole (BEGIN IMMEDIATE): no order of locks to get wrong")
    dana = create_employee(client, admin, "Dana", 80)
    office = ok(client.post("/holiday-calendars", json={"name": "Office"}, headers=admin), 201)
    move = psycopg2.connect(database_url.replace("postgresql+psycopg2://", "postgresql://"))
    try:
        cursor = move.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (database._REPORTING_LINES_LOCK_KEY,))
        cursor.execute("SELECT id FROM employees WHERE id = %s FOR UPDATE", (dana["id"],))
        change = {"country": "US"}
        with in_a_thread(
            lambda: client.patch(f"/holiday-calendars/{office['id']}", json=change, headers=admin)
        ) as answer:
            assert waits(answer)
            cursor.execute(
                "UPDATE employees SET holiday_calendar_id = %s WHERE id = %s", (office["id"], dana["id"])
            )
            move.commit()
    finally:
        move.close()

    assert answer["response"].status_code == 200, answer["response"].json


def test_a_holiday_inside_a_pending_request_holds_fewer_hours_and_writes_no_line(
    client, admin, manager, report
):
    pending = request_pto(
        client, report, report.employee_id, None, start_date="2027-06-07", end_date="2027-06-08"
    )
    lines = len(ledger(client, admin, report.employee_id).lines)

    ok(
        client.put(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-08",
            json={"kind": "partial", "name": "Half day", "hours": 4},
            headers=admin,
        )
    )

    assert ok(client.get(f"/pto/{pending['id']}", headers=admin))["hours"] == 12
    assert hours_of(client, admin, report.employee_id) == (40, 12, 28)
    assert len(ledger(client, admin, report.employee_id).lines) == lines


def test_an_entry_whose_every_day_becomes_a_holiday_is_cancelled_and_refunded(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    entry = request_pto(client, admin, dana["id"], None, start_date="2027-06-09")

    ok(
        client.put(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-09",
            json={"kind": "closure", "name": "Flood"},
            headers=admin,
        )
    )

    shown = ok(client.get(f"/pto/{entry['id']}", headers=admin))
    assert (shown["status"], shown["cancellation_note"]) == (
        "cancelled",
        "Cancelled: 2027-06-09 became a holiday (Flood): 8.00 hours given back.",
    )
    assert hours_of(client, admin, dana["id"]) == (80, 0, 80)
    assert [line["kind"] for line in ledger(client, admin, dana["id"]).lines][-1] == "refund"


def test_removed_holidays_and_changed_schedules_leave_booked_entries_as_booked(client, admin):
    set_country(client, admin, "US")
    dana = create_employee(client, admin, "Dana", 80)
    ok(
        client.put(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-09",
            json={"kind": "closure", "name": "Flood"},
            headers=admin,
        )
    )
    entry = request_pto(client, admin, dana["id"], None, start_date="2027-06-07", end_date="2027-06-11")
    lines = ledger(client, admin, dana["id"])

    assert (
        client.delete(f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-09", headers=admin).status_code
        == 204
    )
    ok(
        client.post(
            f"/employees/{dana['id']}/work-schedules",
            json={"effective_from": "2027-06-01", "weeks": [PART_TIME]},
            headers=admin,
        ),
        201,
    )

    assert ok(client.get(f"/pto/{entry['id']}", headers=admin))["hours"] == entry["hours"] == 32
    assert ledger(client, admin, dana["id"]) == lines


def test_moving_an_employee_to_another_calendar_gives_back_days_from_today_on(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    entry = request_pto(client, admin, dana["id"], None, start_date="2099-12-24", end_date="2099-12-25")
    us = ok(client.post("/holiday-calendars", json={"name": "US", "country": "US"}, headers=admin), 201)

    ok(client.patch(f"/employees/{dana['id']}", json={"holiday_calendar_id": us["id"]}, headers=admin))

    assert ok(client.get(f"/pto/{entry['id']}", headers=admin))["hours"] == 8
    assert (
        ledger(client, admin, dana["id"]).lines[-1]["reason"]
        == "2099-12-25 became a holiday (Christmas Day): 8.00 hours given back"
    )
    unknown = client.patch(f"/employees/{dana['id']}", json={"holiday_calendar_id": 999}, headers=admin)
    assert unknown.status_code == 422


# Quotes


def test_a_quote_shows_the_days_the_balance_and_writes_nothing(client, admin):
    set_country(client, admin, "US", "NY")
    dana = create_employee(client, admin, "Dana", 40)
    before = (ok(client.get("/pto", headers=admin)), ledger(client, admin, dana["id"]))

    answer = quote(client, admin, dana["id"], start_date="2026-12-23", end_date="2026-12-29")

    assert answer["ok"] is True
    assert (answer["status"], answer["hours"], answer["problems"]) == ("approved", 32, [])
    assert ("2026-12-25", 0, "Christmas Day") in days_of(answer)
    assert answer["balance"] == {
        "type": "vacation",
        "hours_balance": 40,
        "pending_hours": 0,
        "available_hours": 40,
        "first_day": "2026-12-23",
        "projected_hours_balance": 40,
        "hours_balance_after": 8,
    }
    assert (ok(client.get("/pto", headers=admin)), ledger(client, admin, dana["id"])) == before


def test_a_quote_projects_the_balance_on_the_first_day_with_accruals(client, admin):
    dana = create_employee(client, admin, "Dana", 0)
    ok(client.patch(f"/employees/{dana['id']}", json={"hire_date": "2026-01-01"}, headers=admin))
    policy = {
        "name": "Monthly",
        "type": "vacation",
        "frequency": "monthly",
        "tiers": [{"after_years": 0, "hours": 8}],
    }
    policy_id = ok(client.post("/accrual-policies", json=policy, headers=admin), 201)["id"]
    assignment = {"policy_id": policy_id, "effective_from": "2026-01-01"}
    ok(client.post(f"/employees/{dana['id']}/accrual-assignments", json=assignment, headers=admin), 201)

    answer = quote(client, admin, dana["id"], start_date="2027-06-07")

    projected = ok(client.get(f"/employees/{dana['id']}/balance?as_of=2027-06-07", headers=admin))
    assert answer["balance"]["projected_hours_balance"] == projected["hours_balance"] > 0
    assert answer["balance"]["hours_balance_after"] == projected["hours_balance"] - 8
    # Filing checks today's balance, and so does the quote.
    assert [problem["code"] for problem in answer["problems"]] == ["insufficient_balance"]


def test_a_quote_lists_every_problem_in_the_order_filing_meets_them(client, admin):
    dana = create_employee(client, admin, "Dana", 8)
    clash = request_pto(client, admin, dana["id"], None, start_date="2027-03-08")
    client.delete(f"/employees/{dana['id']}", headers=admin)

    answer = quote(client, admin, dana["id"], start_date="2027-03-08", end_date="2027-03-09")

    assert answer["ok"] is False and answer["status"] is None
    assert [(p["code"], p["status"]) for p in answer["problems"]] == [
        ("employee_archived", 409),
        ("overlapping_request", 409),
    ]
    assert f"PTO entry {clash['id']}" in answer["problems"][1]["message"]


# Each: a body for POST /pto, as an admin files it for Dana (16 hours, part-time Mondays to Wednesdays
# from 2027-01-04, on the US calendar), or as Scully files it for herself.
QUOTED_BODIES = [
    {"start_date": "2027-01-04", "end_date": "2027-01-08"},
    {"start_date": "2027-01-04", "end_date": "2027-01-05", "end_part": "morning"},
    {"start_date": "2027-01-04", "hours": 6},
    {"start_date": "2027-01-04", "hours": 7},
    {"start_date": "2027-01-07", "end_date": "2027-01-10"},
    {"start_date": "2026-12-24", "end_date": "2026-12-25"},
    {"start_date": "2026-12-25"},
    {"start_date": "2027-01-11", "end_date": "2027-01-20"},
    {"start_date": "2027-01-04", "end_date": "2028-01-06"},
    {"start_date": "2027-01-04", "day_hours": [{"date": "2027-01-04", "hours": 2}]},
    {"start_date": "2027-01-04", "day_hours": [{"date": "2027-01-04", "hours": 7}]},
    {"hours": 4},
    {"hours": 40},
    {"start_date": "2027-01-05", "type": "sick"},
    {"start_date": "2027-01-05", "type": "no-such-type"},
    {"start_date": "2027-01-05", "type": "unpaid", "hours": 6},
]


@pytest.mark.parametrize("body", QUOTED_BODIES, ids=[str(i) for i in range(len(QUOTED_BODIES))])
@pytest.mark.parametrize("filer", ["admin", "employee"])
def test_a_quote_tells_what_filing_the_same_body_does(client, admin, manager, report, body, filer):
    set_country(client, admin, "US")
    if filer == "admin":
        who, employee_id = admin, create_employee(client, admin, "Dana", 16)["id"]
    else:
        who, employee_id = report.headers, report.employee_id
    ok(
        client.post(
            f"/employees/{employee_id}/work-schedules",
            json={"effective_from": "2027-01-04", "weeks": [PART_TIME]},
            headers=admin,
        ),
        201,
    )
    request_pto(client, admin, employee_id, None, start_date="2027-01-13")  # an approved Wednesday
    full = {"employee_id": employee_id, **body}

    answer = client.post("/pto/quote", json=full, headers=who)
    filed = client.post("/pto", json=full, headers=who)

    assert answer.status_code == 200, answer.json
    if answer.json["ok"]:
        assert filed.status_code == 201, (answer.json, filed.json)
        assert (filed.json["hours"], filed.json["status"]) == (answer.json["hours"], answer.json["status"])
        assert filed.json["days"] == answer.json["days"]
    else:
        first = answer.json["problems"][0]
        assert filed.status_code == first["status"], (answer.json, filed.json)
        if "field" in first:
            assert filed.json["errors"] == {first["field"]: [first["message"]]}
        else:
            assert filed.json["message"] == first["message"]


def test_a_quote_for_someone_you_may_not_see_is_404(client, admin, report):
    stranger = create_employee(client, admin, "Stranger")

    response = client.post(
        "/pto/quote", json={"employee_id": stranger["id"], "hours": 1}, headers=report.headers
    )

    assert response.status_code == 404


# The company's today


@pytest.mark.parametrize(
    ("utc", "zone", "day"),
    [
        ("2026-03-08T07:59:00", "America/Los_Angeles", "2026-03-07"),  # 23:59 PST
        ("2026-03-08T08:00:00", "America/Los_Angeles", "2026-03-08"),  # midnight PST, DST starts at 2:00
        ("2026-03-09T06:59:00", "America/Los_Angeles", "2026-03-08"),  # 23:59 PDT: the day had 23 hours
        ("2026-03-09T07:00:00", "America/Los_Angeles", "2026-03-09"),
        ("2026-11-02T07:59:00", "America/Los_Angeles", "2026-11-01"),  # 23:59 PST: the day had 25 hours
        ("2026-11-02T08:00:00", "America/Los_Angeles", "2026-11-02"),
        ("2026-03-28T23:30:00", "Europe/Berlin", "2026-03-29"),  # 00:30 CET
        ("2026-12-31T23:30:00", "Pacific/Kiritimati", "2027-01-01"),  # UTC+14
        ("2026-12-31T23:30:00", "UTC", "2026-12-31"),
    ],
)
def test_today_is_the_company_s_day(database_url, monkeypatch, utc, zone, day):
    app = create_app(app_settings(database_url, COMPANY_TIMEZONE=zone))
    monkeypatch.setattr(models, "utcnow", lambda: datetime.fromisoformat(utc).replace(tzinfo=UTC))
    try:
        with app.app_context():
            assert models.today() == date.fromisoformat(day)
    finally:
        dispose(app)


@pytest.mark.parametrize(("zone", "cancelled"), [("America/Los_Angeles", 200), ("UTC", 403)])
def test_time_off_has_started_by_the_company_s_clock(database_url, monkeypatch, zone, cancelled):
    """At 07:30 UTC on 2026-11-02 it is still November 1st in Los Angeles: Scully's approved Monday off
    has not started there, so she may still cancel it; in UTC it has."""
    app = create_app(app_settings(database_url, COMPANY_TIMEZONE=zone))
    client = app.test_client()
    try:
        admin = register_and_login(client, "admin")
        manager = hire(client, admin, "mulder", role="manager")
        report = hire(client, admin, "scully", manager=manager)
        entry = request_pto(client, manager.headers, report.employee_id, None, start_date="2026-11-02")
        monkeypatch.setattr(models, "utcnow", lambda: datetime(2026, 11, 2, 7, 30, tzinfo=UTC))

        assert decide(client, report, entry["id"], "cancel").status_code == cancelled
    finally:
        dispose(app)


def test_an_unknown_time_zone_is_refused_at_start(database_url):
    with pytest.raises(ConfigError, match="COMPANY_TIMEZONE must be an IANA time zone"):
        create_app(app_settings(database_url, COMPANY_TIMEZONE="Mars/Olympus_Mons"))


def test_a_partial_day_over_two_half_days_leaves_each_its_half(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    morning = request_pto(client, admin, dana["id"], None, start_date="2027-06-08", start_part="morning")
    afternoon = request_pto(client, admin, dana["id"], None, start_date="2027-06-08", start_part="afternoon")

    ok(
        client.put(
            f"/holiday-calendars/{DEFAULT_CALENDAR}/days/2027-06-08",
            json={"kind": "partial", "name": "Half day", "hours": 4},
            headers=admin,
        )
    )

    kept = [ok(client.get(f"/pto/{entry['id']}", headers=admin))["hours"] for entry in (morning, afternoon)]
    assert kept == [2, 2]
    assert [
        line["delta"] for line in ledger(client, admin, dana["id"]).lines if line["kind"] == "day_refund"
    ] == [2, 2]
    assert hours_of(client, admin, dana["id"]) == (76, 0, 76)


def test_a_new_default_calendar_gives_back_the_days_it_makes_holidays(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    entry = request_pto(client, admin, dana["id"], None, start_date="2099-12-24", end_date="2099-12-25")

    ok(
        client.post(
            "/holiday-calendars", json={"name": "US", "country": "US", "is_default": True}, headers=admin
        ),
        201,
    )

    assert ok(client.get(f"/pto/{entry['id']}", headers=admin))["hours"] == 8
    assert [c["name"] for c in ok(client.get("/holiday-calendars", headers=admin)) if c["is_default"]] == [
        "US"
    ]


def test_a_quote_answers_what_filing_answers_before_its_404(client, admin, report):
    stranger = create_employee(client, admin, "Stranger")
    body = {"employee_id": stranger["id"], "hours": 1, "type": "no-such-type"}

    quoted = client.post("/pto/quote", json=body, headers=report.headers)
    filed = client.post("/pto", json=body, headers=report.headers)

    assert filed.status_code == 422
    assert quoted.status_code == 200
    assert [(p["code"], p["status"]) for p in quoted.json["problems"]] == [("unknown_type", 422)]
    assert (quoted.json["days"], quoted.json["balance"]) == ([], None)


def test_a_quote_for_too_long_a_span_stops_there(client, admin):
    dana = create_employee(client, admin, "Dana")

    answer = quote(client, admin, dana["id"], start_date="2027-01-01", end_date="9999-12-31")

    assert [p["code"] for p in answer["problems"]] == ["hours_exceed_days"]
    assert answer["days"] == []


def test_holidays_are_listed_two_years_at_most(client, admin):
    response = client.get(f"/holiday-calendars/{DEFAULT_CALENDAR}/holidays?to=9999-12-31", headers=admin)

    assert response.status_code == 422
    assert response.json["errors"] == {"to": ["The range spans at most two years."]}
