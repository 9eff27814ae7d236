"""Who's out: GET /calendar, each day of a range with who is out and the holidays, as each caller may see it.

The company: Vera manages Boss and Pam; Boss (a manager) manages Ann and Bob; Olga manages Carl. The week of
2027-06-07 (Monday to Friday): Ann is on vacation Monday and Tuesday ("Trip"), Bob is sick on Wednesday
("Flu") and asks for Thursday (pending), Carl is off on Monday, Pam on Friday, Boss on Friday afternoon.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from helpers import (
    create_employee,
    decide,
    hire,
    request_pto,
    text_of,
    with_engine,
)
from tests.helpers import company_today

WEEK = "from=2027-06-07&to=2027-06-11"
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (f"2027-06-{day:02d}" for day in range(7, 12))


@pytest.fixture
def company(client, admin):
    """The people above, each able to log in, with their week booked."""
    vera = create_employee(client, admin, "Vera", 80)
    olga = create_employee(client, admin, "Olga", 80)
    people = {
        "boss": hire(client, admin, "boss", role="manager", hours_balance=80, manager=vera["id"]),
        "pam": hire(client, admin, "pam", hours_balance=80, manager=vera["id"]),
        "carl": hire(client, admin, "carl", hours_balance=80, manager=olga["id"]),
    }
    people["ann"] = hire(client, admin, "ann", hours_balance=80, manager=people["boss"])
    people["bob"] = hire(client, admin, "bob", hours_balance=80, manager=people["boss"])
    ids = {name: person.employee_id for name, person in people.items()}

    def book(name, start, end=None, **fields):
        return request_pto(client, admin, ids[name], None, start_date=start, end_date=end or start, **fields)

    book("ann", MONDAY, TUESDAY, note="Trip")
    book("bob", WEDNESDAY, type="sick", note="Flu")
    request_pto(client, people["bob"], ids["bob"], None, start_date=THURSDAY, end_date=THURSDAY)  # pending
    book("carl", MONDAY)
    book("pam", FRIDAY)
    book("boss", FRIDAY, start_part="afternoon")
    return {"people": people, "ids": ids}


def calendar(client, who, query=WEEK, status=200):
    response = client.get(f"/calendar?{query}", headers=who)
    assert response.status_code == status, text_of(response)
    return response


def out_by_day(response):
    """{date: [name, ...]} of a calendar's days."""
    return {day["date"]: [seen["name"] for seen in day["out"]] for day in response.json}


def seen(response, date, name):
    """What the calendar shows of ``name`` on ``date``."""
    day = next(day for day in response.json if day["date"] == date)
    return next(seen for seen in day["out"] if seen["name"] == name)


def test_an_admin_sees_everyone_out_each_day_in_full(client, admin, company):
    response = calendar(client, admin)

    assert out_by_day(response) == {
        MONDAY: ["Ann", "Carl"],
        TUESDAY: ["Ann"],
        WEDNESDAY: ["Bob"],
        THURSDAY: [],  # Bob's request is pending
        FRIDAY: ["Boss", "Pam"],
    }
    assert response.headers["X-Total-Count"] == "5"
    ann = seen(response, MONDAY, "Ann")
    assert ann == {
        "employee_id": company["ids"]["ann"],
        "name": "Ann",
        "part": None,
        "entry_id": ann["entry_id"],
        "type": "vacation",
        "status": "approved",
        "hours": 8,
        "note": "Trip",
    }
    assert (seen(response, FRIDAY, "Boss")["part"], seen(response, FRIDAY, "Boss")["hours"]) == (
        "afternoon",
        4,
    )


def test_a_manager_sees_their_team_in_full_and_their_peers_only_as_out(client, company):
    response = calendar(client, company["people"]["boss"].headers)

    assert out_by_day(response) == {  # not Carl: another team
        MONDAY: ["Ann"],
        TUESDAY: ["Ann"],
        WEDNESDAY: ["Bob"],
        THURSDAY: [],
        FRIDAY: ["Boss", "Pam"],
    }
    assert seen(response, WEDNESDAY, "Bob")["type"] == "sick"
    assert seen(response, WEDNESDAY, "Bob")["note"] == "Flu"
    assert seen(response, FRIDAY, "Pam") == {
        "employee_id": company["ids"]["pam"],
        "name": "Pam",
        "part": None,
    }


def test_an_employee_sees_colleagues_who_share_their_manager_only_as_out(client, company):
    ann = company["people"]["ann"].headers

    response = calendar(client, ann, f"{WEEK}&include_pending=true")

    assert out_by_day(response) == {  # not Boss (her manager), Pam or Carl; not Bob's pending Thursday
        MONDAY: ["Ann"],
        TUESDAY: ["Ann"],
        WEDNESDAY: ["Bob"],
        THURSDAY: [],
        FRIDAY: [],
    }
    assert seen(response, MONDAY, "Ann")["note"] == "Trip"
    # Sick leave is private: no type, no note, no hours, not even under a filter by type.
    assert seen(response, WEDNESDAY, "Bob") == {
        "employee_id": company["ids"]["bob"],
        "name": "Bob",
        "part": None,
    }
    assert out_by_day(calendar(client, ann, f"{WEEK}&type=sick"))[WEDNESDAY] == []


def test_someone_linked_to_no_employee_sees_no_one(client, admin, company):
    hire(client, admin, "temp")  # a record of their own, then unlinked below
    stranger = hire(client, admin, "stranger")
    client.patch(f"/users/{stranger.user_id}", json={"employee_id": None}, headers=admin)

    response = calendar(client, stranger.headers)

    assert all(day["out"] == [] and day["holidays"] == [] for day in response.json)
    assert response.headers["X-Total-Count"] == "0"


def test_pending_requests_show_when_asked_to_who_sees_them_in_full(client, company):
    boss = company["people"]["boss"].headers

    response = calendar(client, boss, f"{WEEK}&include_pending=true")

    assert out_by_day(response)[THURSDAY] == ["Bob"]
    assert seen(response, THURSDAY, "Bob")["status"] == "pending"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("employee_id={carl}", {MONDAY: ["Carl"]}),
        ("manager_id={boss}", {MONDAY: ["Ann"], TUESDAY: ["Ann"], WEDNESDAY: ["Bob"], FRIDAY: ["Boss"]}),
        ("type=sick", {WEDNESDAY: ["Bob"]}),
    ],
)
def test_filters_narrow_to_an_employee_a_team_or_a_type(client, admin, company, query, expected):
    response = calendar(client, admin, f"{WEEK}&{query.format(**company['ids'])}")

    assert {day: names for day, names in out_by_day(response).items() if names} == expected


def test_days_off_are_booked_days_with_hours_not_weekends_or_holidays(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    client.put(
        "/holiday-calendars/1/days/2027-06-16", json={"kind": "closure", "name": "Flood"}, headers=admin
    )
    request_pto(client, admin, dana["id"], None, start_date="2027-06-11", end_date="2027-06-17")

    response = calendar(client, admin, "from=2027-06-11&to=2027-06-17")

    assert [day for day, names in out_by_day(response).items() if names] == [
        "2027-06-11",
        "2027-06-14",
        "2027-06-15",
        "2027-06-17",
    ]
    flood = next(day for day in response.json if day["date"] == "2027-06-16")
    assert flood["holidays"] == [{"calendar_id": 1, "calendar": "Company", "name": "Flood", "hours": 0}]


def test_each_calendar_in_use_shows_its_holidays(client, admin):
    california = client.post(
        "/holiday-calendars", json={"name": "California", "country": "US", "subdivision": "CA"}, headers=admin
    ).json
    new_york = client.post(
        "/holiday-calendars", json={"name": "New York", "country": "US", "subdivision": "NY"}, headers=admin
    ).json
    for name, office in (("Cal", california), ("Nina", new_york)):
        person = create_employee(client, admin, name, 80)
        client.patch(f"/employees/{person['id']}", json={"holiday_calendar_id": office["id"]}, headers=admin)

    response = calendar(client, admin, "from=2027-02-12&to=2027-02-12")  # Lincoln's Birthday: New York's

    assert response.json == [
        {
            "date": "2027-02-12",
            "holidays": [
                {
                    "calendar_id": new_york["id"],
                    "calendar": "New York",
                    "name": "Lincoln's Birthday",
                    "hours": 0,
                }
            ],
            "out": [],
        }
    ]
    cesar_chavez = calendar(client, admin, "from=2027-03-31&to=2027-03-31").json[0]["holidays"]
    assert [holiday["calendar"] for holiday in cesar_chavez] == ["California"]


def test_pages_go_by_the_employees_out(client, admin, company):
    first = calendar(client, admin, f"{WEEK}&per_page=2")
    second = calendar(client, admin, f"{WEEK}&per_page=2&page=2")

    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "5"
    assert 'rel="next"' in first.headers["Link"]
    pages = [{name for names in out_by_day(page).values() for name in names} for page in (first, second)]
    assert pages == [{"Ann", "Bob"}, {"Boss", "Carl"}]  # by name
    assert [day["date"] for day in second.json] == [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY]


def test_the_range_defaults_to_two_weeks_from_today_and_spans_at_most_a_year(client, admin):
    today = company_today()

    days = calendar(client, admin, "").json

    assert [day["date"] for day in days] == [(today + timedelta(days=n)).isoformat() for n in range(14)]
    assert len(calendar(client, admin, "from=2027-01-01&to=2027-12-31").json) == 365
    too_long = calendar(client, admin, "from=2027-01-01&to=2028-01-02", status=422)
    assert too_long.json["errors"] == {"to": ["The range spans at most a year (366 days)."]}
    backwards = calendar(client, admin, "from=2027-01-02&to=2027-01-01", status=422)
    assert backwards.json["errors"] == {"to": ["Must be on or after from."]}


def test_archived_employees_are_left_out(client, admin, company):
    assert client.delete(f"/employees/{company['ids']['carl']}", headers=admin).status_code == 204

    assert out_by_day(calendar(client, admin))[MONDAY] == ["Ann"]


def test_an_entry_dated_before_days_were_kept_is_out_on_each_of_its_dates(client, admin, database_url):
    dana = create_employee(client, admin, "Dana", 80)
    entry = request_pto(client, admin, dana["id"], 8, start_date="2027-06-12", end_date="2027-06-14")
    # As migration 0009 left entries filed before it: dated, without days.
    with_engine(database_url, lambda connection: connection.execute(sa.text("DELETE FROM pto_days")))

    response = calendar(client, admin, "from=2027-06-13&to=2027-06-15")

    assert out_by_day(response) == {"2027-06-13": ["Dana"], "2027-06-14": ["Dana"], "2027-06-15": []}
    assert seen(response, "2027-06-13", "Dana")["hours"] is None
    assert seen(response, "2027-06-13", "Dana")["entry_id"] == entry["id"]
    assert decide(client, admin, entry["id"], "cancel").status_code == 200
    assert out_by_day(calendar(client, admin, "from=2027-06-13&to=2027-06-15"))["2027-06-13"] == []
