"""Hours from dates: what a request's days charge by the employee's schedules and holidays.

Pure arithmetic (domain/workdays.py) and the holiday calendars it reads (domain/holiday_calendars.py's
``holidays_between``): no app, no database, no network. Every expected number below was worked out by
hand from the calendar (2027-03-01 is a Monday) and checked against the code; the public holidays are
the ``holidays`` package's (pinned 0.109), read from it rather than guessed.
"""

from collections import namedtuple
from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.holiday_calendars import holidays_between
from domain.workdays import (
    DayOverflow,
    Holiday,
    NothingToTake,
    Schedule,
    charge,
    half,
    require_hours,
    schedule_on,
    total,
)

# Builders


def week(*hours):
    """A schedule's hours, Monday first: 7 values, or 14 for a two-week rotation."""
    assert len(hours) in (7, 14), hours
    return tuple(Decimal(str(value)) for value in hours)


def amounts(*hours):
    """Expected hours per day, as Decimals (compared by value: 8 == 8.00)."""
    return [Decimal(str(value)) for value in hours]


def d(iso):
    return date.fromisoformat(iso)


def charged(start, end, own=(), company=None, holidays=None, **options):
    """The days a request from ``start`` to ``end`` (ISO dates) charges, checked as a filing checks them
    (``charge``, then ``require_hours``), for the full-time company schedule unless told otherwise."""
    company = [FULL_TIME] if company is None else list(company)
    days = charge(d(start), d(end), list(own), company, holidays or {}, **options)
    require_hours(days, options.get("hours"))
    return days


def us_holidays(start, end, subdivision=None, own_days=()):
    return holidays_between("US", subdivision, list(own_days), d(start), d(end))


def message_of(error):
    """(field, message) of a one-field 422."""
    assert error.code == 422
    [(field, messages)] = error.data["messages"]["json"].items()
    [message] = messages
    return field, message


OwnDay = namedtuple("OwnDay", "day kind name hours")

FULL_TIME = Schedule(d("2020-01-06"), week(8, 8, 8, 8, 8, 0, 0))
# 9/80: week one Monday-Thursday 9 and Friday 8, week two Monday-Thursday 9 and Friday off.
NINE_EIGHTY = week(9, 9, 9, 9, 8, 0, 0, 9, 9, 9, 9, 0, 0, 0)
EARLY_CLOSE = Holiday("Early close", Decimal("4"))


# 1. A Monday-Friday 8-hour company schedule


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2027-03-01", "2027-03-05", amounts(8, 8, 8, 8, 8), id="monday-to-friday"),
        pytest.param("2027-03-01", "2027-03-07", amounts(8, 8, 8, 8, 8, 0, 0), id="monday-to-sunday"),
        pytest.param("2027-03-05", "2027-03-08", amounts(8, 0, 0, 8), id="friday-over-weekend-to-monday"),
        pytest.param("2027-03-03", "2027-03-03", amounts(8), id="single-wednesday"),
    ],
)
def test_full_time_days_charge_their_schedule(start, end, expected):
    days = charged(start, end)
    assert [day.day for day in days] == [d(start) + timedelta(days=n) for n in range(len(expected))]
    assert [day.hours for day in days] == expected
    assert [day.scheduled for day in days] == expected
    assert total(days) == sum(expected)


def test_a_full_week_charges_forty_hours_and_lists_every_date():
    days = charged("2027-03-01", "2027-03-07")
    assert [day.day.isoformat() for day in days] == [f"2027-03-0{n}" for n in range(1, 8)]
    assert total(days) == Decimal("40.00")
    assert all(day.holiday is None and day.part is None for day in days)


@pytest.mark.parametrize(
    ("start", "end", "holidays", "expected"),
    [
        pytest.param(
            "2027-03-06",
            "2027-03-07",
            {},
            "2027-03-06 to 2027-03-07 holds no working hours for the employee (days off and holidays).",
            id="weekend-only",
        ),
        pytest.param(
            "2027-03-06",
            "2027-03-06",
            {},
            "2027-03-06 holds no working hours for the employee (days off and holidays).",
            id="single-saturday-names-one-date",
        ),
        pytest.param(
            "2027-01-01",
            "2027-01-03",
            us_holidays("2027-01-01", "2027-01-03"),
            "2027-01-01 to 2027-01-03 holds no working hours for the employee (days off and holidays).",
            id="new-years-friday-and-weekend",
        ),
    ],
)
def test_days_holding_no_hours_raise_nothing_to_take(start, end, holidays, expected):
    with pytest.raises(NothingToTake) as caught:
        charged(start, end, holidays=holidays)
    assert message_of(caught.value) == ("start_date", expected)


def test_charge_alone_lists_days_that_hold_nothing():
    days = charge(d("2027-03-06"), d("2027-03-07"), [], [FULL_TIME], {})
    assert [(day.day.isoformat(), day.scheduled, day.hours) for day in days] == [
        ("2027-03-06", 0, 0),
        ("2027-03-07", 0, 0),
    ]
    with pytest.raises(NothingToTake):
        require_hours(days)


def test_no_schedule_at_all_holds_nothing():
    with pytest.raises(NothingToTake):
        charged("2027-03-01", "2027-03-05", company=())


# 2. A part-timer's own schedules


PART_TIME_FROM_WEDNESDAY = Schedule(d("2027-03-03"), week(4, 4, 4, 4, 4, 0, 0))
THREE_DAYS_FROM_NEXT_WEDNESDAY = Schedule(d("2027-03-10"), week(6, 6, 6, 0, 0, 0, 0))


@pytest.mark.parametrize(
    ("start", "end", "own", "expected"),
    [
        pytest.param(
            "2027-02-22",
            "2027-02-26",
            [PART_TIME_FROM_WEDNESDAY],
            amounts(8, 8, 8, 8, 8),
            id="before-own-schedule-company-applies",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-05",
            [PART_TIME_FROM_WEDNESDAY],
            amounts(8, 8, 4, 4, 4),
            id="own-schedule-from-its-wednesday",
        ),
        pytest.param(
            "2027-03-08",
            "2027-03-12",
            [PART_TIME_FROM_WEDNESDAY, THREE_DAYS_FROM_NEXT_WEDNESDAY],
            amounts(4, 4, 6, 0, 0),
            id="own-schedule-changes-mid-request",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-12",
            [PART_TIME_FROM_WEDNESDAY, THREE_DAYS_FROM_NEXT_WEDNESDAY],
            amounts(8, 8, 4, 4, 4, 0, 0, 4, 4, 6, 0, 0),
            id="company-then-two-own-schedules",
        ),
    ],
)
def test_own_schedules_override_the_company_from_their_effective_date(start, end, own, expected):
    days = charged(start, end, own=own)
    assert [day.hours for day in days] == expected
    assert total(days) == sum(expected)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        pytest.param("2027-03-02", FULL_TIME, id="day-before-own-company"),
        pytest.param("2027-03-03", PART_TIME_FROM_WEDNESDAY, id="own-effective-day"),
        pytest.param("2027-03-09", PART_TIME_FROM_WEDNESDAY, id="day-before-second-own"),
        pytest.param("2027-03-10", THREE_DAYS_FROM_NEXT_WEDNESDAY, id="second-own-effective-day"),
        pytest.param("2030-01-01", THREE_DAYS_FROM_NEXT_WEDNESDAY, id="latest-own-stays-in-force"),
    ],
)
def test_schedule_on_picks_the_latest_in_force(on, expected):
    own = [PART_TIME_FROM_WEDNESDAY, THREE_DAYS_FROM_NEXT_WEDNESDAY]
    assert schedule_on(d(on), own, [FULL_TIME]) is expected


def test_company_schedule_change_applies_to_employees_without_their_own():
    four_day_week = Schedule(d("2027-03-08"), week(10, 10, 10, 10, 0, 0, 0))
    days = charged("2027-03-04", "2027-03-11", company=[FULL_TIME, four_day_week])
    assert [day.hours for day in days] == amounts(8, 8, 0, 0, 10, 10, 10, 10)


# 3. A two-week rotation (9/80)


ROTATION_FROM_MONDAY = Schedule(d("2027-03-01"), NINE_EIGHTY)
ROTATION_FROM_WEDNESDAY = Schedule(d("2027-03-03"), NINE_EIGHTY)


@pytest.mark.parametrize(
    ("start", "end", "own", "expected"),
    [
        pytest.param(
            "2027-03-01", "2027-03-05", [ROTATION_FROM_MONDAY], amounts(9, 9, 9, 9, 8), id="week-one"
        ),
        pytest.param(
            "2027-03-08", "2027-03-12", [ROTATION_FROM_MONDAY], amounts(9, 9, 9, 9, 0), id="week-two"
        ),
        pytest.param(
            "2027-05-24",  # 12 weeks on: week one of the seventh cycle
            "2027-06-04",
            [ROTATION_FROM_MONDAY],
            amounts(9, 9, 9, 9, 8, 0, 0, 9, 9, 9, 9, 0),
            id="later-cycle",
        ),
        pytest.param(
            "2027-03-05", "2027-03-08", [ROTATION_FROM_MONDAY], amounts(8, 0, 0, 9), id="week-one-into-two"
        ),
        pytest.param(
            "2027-03-12",
            "2027-03-19",
            [ROTATION_FROM_MONDAY],
            amounts(0, 0, 0, 9, 9, 9, 9, 8),
            id="across-rotation-boundary",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-19",
            [ROTATION_FROM_WEDNESDAY],
            # Monday and Tuesday are the company's; the rotation's week one is the week of 2027-03-01.
            amounts(8, 8, 9, 9, 8, 0, 0, 9, 9, 9, 9, 0, 0, 0, 9, 9, 9, 9, 8),
            id="effective-wednesday-anchors-on-its-monday",
        ),
    ],
)
def test_two_week_rotation(start, end, own, expected):
    days = charged(start, end, own=own)
    assert [day.hours for day in days] == expected
    assert total(days) == sum(expected)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        pytest.param("2027-03-05", Decimal(8), id="first-friday-week-one"),
        pytest.param("2027-03-12", Decimal(0), id="second-friday-week-two"),
        pytest.param("2027-03-19", Decimal(8), id="third-friday-week-one-again"),
        pytest.param("2028-01-07", Decimal(8), id="44-weeks-on-friday-week-one"),
        pytest.param("2028-01-14", Decimal(0), id="45-weeks-on-friday-week-two"),
    ],
)
def test_rotation_from_a_wednesday_counts_weeks_from_that_monday(on, expected):
    assert ROTATION_FROM_WEDNESDAY.hours_on(d(on)) == expected


# 4. Half days


SEVEN_QUARTER = Schedule(d("2020-01-06"), week(7.25, 7.25, 7.25, 7.25, 7.25, 0, 0))


@pytest.mark.parametrize(
    ("start", "end", "company", "options", "expected_hours", "expected_parts"),
    [
        pytest.param(
            "2027-03-01",
            "2027-03-03",
            [FULL_TIME],
            {"start_part": "afternoon"},
            amounts(4, 8, 8),
            ["afternoon", None, None],
            id="starts-in-the-afternoon",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-03",
            [FULL_TIME],
            {"end_part": "morning"},
            amounts(8, 8, 4),
            [None, None, "morning"],
            id="ends-in-the-morning",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-03",
            [FULL_TIME],
            {"start_part": "afternoon", "end_part": "morning"},
            amounts(4, 8, 4),
            ["afternoon", None, "morning"],
            id="both-halves",
        ),
        pytest.param(
            "2027-03-03",
            "2027-03-03",
            [SEVEN_QUARTER],
            {"start_part": "morning"},
            amounts(3.63),
            ["morning"],
            id="single-morning-of-7.25-takes-odd-cent",
        ),
        pytest.param(
            "2027-03-03",
            "2027-03-03",
            [SEVEN_QUARTER],
            {"start_part": "afternoon"},
            amounts(3.62),
            ["afternoon"],
            id="single-afternoon-of-7.25",
        ),
        pytest.param(
            "2027-03-06",
            "2027-03-08",
            [FULL_TIME],
            {"start_part": "afternoon"},
            amounts(0, 0, 8),
            [None, None, None],
            id="half-of-a-saturday-is-nothing",
        ),
        pytest.param(
            "2027-03-04",
            "2027-03-07",
            [FULL_TIME],
            {"end_part": "morning"},
            amounts(8, 8, 0, 0),
            [None, None, None, None],
            id="half-of-a-sunday-is-nothing",
        ),
    ],
)
def test_half_days(start, end, company, options, expected_hours, expected_parts):
    days = charged(start, end, company=company, **options)
    assert [day.hours for day in days] == expected_hours
    assert [day.part for day in days] == expected_parts


def test_half_day_on_a_partial_company_day_halves_what_it_holds():
    [day] = charged("2027-03-03", "2027-03-03", holidays={d("2027-03-03"): EARLY_CLOSE}, start_part="morning")
    assert (day.scheduled, day.hours, day.part, day.holiday) == (
        Decimal(4),
        Decimal(2),
        "morning",
        "Early close",
    )


@pytest.mark.parametrize(
    ("hours", "morning", "afternoon"),
    [
        pytest.param("8", "4.00", "4.00", id="eight"),
        pytest.param("7.25", "3.63", "3.62", id="seven-and-a-quarter"),
        pytest.param("7.5", "3.75", "3.75", id="seven-and-a-half"),
        pytest.param("0.01", "0.01", "0.00", id="one-cent"),
    ],
)
def test_half_splits_a_day_with_the_odd_cent_in_the_morning(hours, morning, afternoon):
    assert half(Decimal(hours), "morning") == Decimal(morning)
    assert half(Decimal(hours), "afternoon") == Decimal(afternoon)
    assert half(Decimal(hours), "morning") + half(Decimal(hours), "afternoon") == Decimal(hours)


# 5. Hours by hand (day_hours)


@pytest.mark.parametrize(
    ("day_hours", "expected"),
    [
        pytest.param({"2027-03-02": 2, "2027-03-04": 0}, amounts(8, 2, 8, 0, 8), id="two-days-set"),
        pytest.param({"2027-03-03": 8}, amounts(8, 8, 8, 8, 8), id="a-full-day-is-allowed"),
        pytest.param({"2027-03-05": 1.5}, amounts(8, 8, 8, 8, 1.5), id="last-day-fractional"),
    ],
)
def test_day_hours_set_days_by_hand(day_hours, expected):
    by_day = {d(day): Decimal(str(value)) for day, value in day_hours.items()}
    days = charged("2027-03-01", "2027-03-05", day_hours=by_day)
    assert [day.hours for day in days] == expected
    assert [day.scheduled for day in days] == amounts(8, 8, 8, 8, 8)


@pytest.mark.parametrize(
    ("start", "end", "holidays", "day", "asked", "expected"),
    [
        pytest.param(
            "2027-03-01",
            "2027-03-05",
            {},
            "2027-03-03",
            "9",
            "2027-03-03 holds 8.00 hours for the employee; 9.00 were asked.",
            id="above-a-working-day",
        ),
        pytest.param(
            "2027-03-05",
            "2027-03-08",
            {},
            "2027-03-06",
            "1",
            "2027-03-06 holds 0.00 hours for the employee; 1.00 were asked.",
            id="on-a-saturday",
        ),
        pytest.param(
            "2026-12-31",
            "2027-01-04",
            us_holidays("2026-12-31", "2027-01-04"),
            "2027-01-01",
            "1",
            "2027-01-01 (New Year's Day) holds 0.00 hours for the employee; 1.00 were asked.",
            id="on-a-public-holiday-names-it",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-05",
            {d("2027-03-03"): EARLY_CLOSE},
            "2027-03-03",
            "4.5",
            "2027-03-03 (Early close) holds 4.00 hours for the employee; 4.50 were asked.",
            id="above-a-partial-day-names-it",
        ),
    ],
)
def test_day_hours_above_what_the_day_holds_overflow(start, end, holidays, day, asked, expected):
    with pytest.raises(DayOverflow) as caught:
        charged(start, end, holidays=holidays, day_hours={d(day): Decimal(asked)})
    assert message_of(caught.value) == ("day_hours", expected)


# 6. A total of hours filling the days in order


@pytest.mark.parametrize(
    ("start", "end", "options", "hours", "expected"),
    [
        pytest.param("2027-03-01", "2027-03-05", {}, "40", amounts(8, 8, 8, 8, 8), id="exactly-the-week"),
        pytest.param("2027-03-01", "2027-03-05", {}, "20", amounts(8, 8, 4, 0, 0), id="fills-in-order"),
        pytest.param("2027-03-01", "2027-03-05", {}, "0.5", amounts(0.5, 0, 0, 0, 0), id="less-than-a-day"),
        pytest.param(
            "2027-03-05", "2027-03-09", {}, "12", amounts(8, 0, 0, 4, 0), id="weekend-days-take-none"
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-03",
            {"start_part": "afternoon"},
            "10",
            amounts(4, 6, 0),
            id="first-day-half-holds-half",
        ),
        pytest.param(
            "2027-03-01",
            "2027-03-05",
            {"holidays": {d("2027-03-02"): Holiday("Closure")}},
            "20",
            amounts(8, 0, 8, 4, 0),
            id="skips-a-holiday",
        ),
    ],
)
def test_total_hours_fill_the_days_in_order(start, end, options, hours, expected):
    days = charged(start, end, hours=Decimal(hours), **options)
    assert [day.hours for day in days] == expected
    assert total(days) == Decimal(hours)


@pytest.mark.parametrize(
    ("start", "end", "holidays", "hours", "expected"),
    [
        pytest.param(
            "2027-03-01",
            "2027-03-07",
            {},
            "41",
            "2027-03-01 to 2027-03-07 holds 40.00 hours for the employee; 41.00 were asked: "
            "1.00 would overflow 2027-03-05, its last working day.",
            id="one-hour-too-many-names-friday",
        ),
        pytest.param(
            "2026-12-28",
            "2027-01-01",
            us_holidays("2026-12-28", "2027-01-01"),
            "40",
            "2026-12-28 to 2027-01-01 holds 32.00 hours for the employee; 40.00 were asked: "
            "8.00 would overflow 2026-12-31, its last working day.",
            id="last-day-a-holiday-names-the-day-before",
        ),
        pytest.param(
            "2027-03-03",
            "2027-03-03",
            {},
            "8.25",
            "2027-03-03 holds 8.00 hours for the employee; 8.25 were asked: "
            "0.25 would overflow 2027-03-03, its last working day.",
            id="single-day",
        ),
    ],
)
def test_too_many_hours_overflow_the_last_working_day(start, end, holidays, hours, expected):
    with pytest.raises(DayOverflow) as caught:
        charged(start, end, holidays=holidays, hours=Decimal(hours))
    assert message_of(caught.value) == ("hours", expected)


# 7. Holidays on the days


PART_TIMER_THREE_HOURS = Schedule(d("2027-01-04"), week(3, 3, 3, 3, 3, 0, 0))


@pytest.mark.parametrize(
    ("own", "holiday", "expected_scheduled", "expected_name"),
    [
        pytest.param([], Holiday("Founders' Day"), Decimal(0), "Founders' Day", id="closure-full-timer"),
        pytest.param([], EARLY_CLOSE, Decimal(4), "Early close", id="partial-4h-full-timer-charges-4"),
        pytest.param(
            [PART_TIMER_THREE_HOURS], EARLY_CLOSE, Decimal(3), "Early close", id="partial-4h-part-timer-3h"
        ),
        pytest.param(
            [PART_TIMER_THREE_HOURS],
            Holiday("Founders' Day"),
            Decimal(0),
            "Founders' Day",
            id="closure-part-timer",
        ),
    ],
)
def test_a_holiday_holds_what_may_still_be_worked(own, holiday, expected_scheduled, expected_name):
    days = charged("2027-03-02", "2027-03-04", own=own, holidays={d("2027-03-03"): holiday})
    holiday_day = days[1]
    assert holiday_day.day == d("2027-03-03")
    assert (holiday_day.scheduled, holiday_day.hours, holiday_day.holiday) == (
        expected_scheduled,
        expected_scheduled,
        expected_name,
    )
    assert [day.holiday for day in (days[0], days[2])] == [None, None]


def test_a_public_holiday_charges_nothing_and_carries_its_name():
    days = charged("2027-05-28", "2027-06-01", holidays=us_holidays("2027-05-28", "2027-06-01"))
    assert [(day.day.isoformat(), day.hours, day.holiday) for day in days] == [
        ("2027-05-28", 8, None),
        ("2027-05-29", 0, None),
        ("2027-05-30", 0, None),
        ("2027-05-31", 0, "Memorial Day"),
        ("2027-06-01", 8, None),
    ]


# 8. Across a year, and a leap day


@pytest.mark.parametrize(
    ("start", "end", "expected_hours", "expected_holidays"),
    [
        pytest.param(
            "2026-12-28",
            "2027-01-04",
            amounts(8, 8, 8, 8, 0, 0, 0, 8),
            {"2027-01-01": "New Year's Day"},
            id="new-year-2027-on-a-friday",
        ),
        pytest.param(
            "2027-12-27",
            "2028-01-03",
            amounts(8, 8, 8, 8, 0, 0, 0, 8),
            {"2027-12-31": "New Year's Day (observed)", "2028-01-01": "New Year's Day"},
            id="new-year-2028-observed-on-friday-before",
        ),
        pytest.param("2028-02-29", "2028-02-29", amounts(8), {}, id="leap-day-is-a-working-tuesday"),
        pytest.param("2028-02-28", "2028-03-01", amounts(8, 8, 8), {}, id="across-leap-day"),
    ],
)
def test_requests_across_years_and_leap_days(start, end, expected_hours, expected_holidays):
    days = charged(start, end, holidays=us_holidays(start, end))
    assert len(days) == (d(end) - d(start)).days + 1
    assert [day.hours for day in days] == expected_hours
    assert {day.day.isoformat(): day.holiday for day in days if day.holiday} == expected_holidays


def test_leap_day_is_listed_between_february_28_and_march_1():
    days = charged("2028-02-28", "2028-03-01")
    assert [day.day.isoformat() for day in days] == ["2028-02-28", "2028-02-29", "2028-03-01"]
    assert total(days) == 24


# 9. Holiday calendars: public holidays and the company's own days


@pytest.mark.parametrize(
    ("day", "california", "new_york"),
    [
        pytest.param("2027-02-12", None, "Lincoln's Birthday", id="lincolns-birthday-ny-only"),
        pytest.param("2027-03-31", "Cesar Chavez Day", None, id="cesar-chavez-ca-only"),
        pytest.param("2027-10-11", None, "Columbus Day", id="columbus-day-ny-only"),
        pytest.param("2027-11-02", None, "Election Day", id="election-day-ny-only"),
        pytest.param("2027-11-26", "Day After Thanksgiving", None, id="day-after-thanksgiving-ca-only"),
        pytest.param(
            "2027-02-15",
            "Presidents' Day; Susan B. Anthony Day",
            "Susan B. Anthony Day; Washington's Birthday",
            id="same-day-different-names",
        ),
        pytest.param(
            "2027-07-05", "Independence Day (observed)", "Independence Day (observed)", id="july-5-both"
        ),
        pytest.param("2027-03-30", None, None, id="ordinary-tuesday-neither"),
    ],
)
def test_california_and_new_york_2027(day, california, new_york):
    for subdivision, expected in (("CA", california), ("NY", new_york)):
        found = us_holidays("2027-01-01", "2027-12-31", subdivision=subdivision)
        holiday = found.get(d(day))
        assert (holiday.name if holiday else None) == expected, subdivision
        if holiday:
            assert holiday.hours == 0


def test_california_and_new_york_2027_differ_on_exactly_these_days():
    california = us_holidays("2027-01-01", "2027-12-31", subdivision="CA")
    new_york = us_holidays("2027-01-01", "2027-12-31", subdivision="NY")
    assert sorted(day.isoformat() for day in california.keys() ^ new_york.keys()) == [
        "2027-02-12",
        "2027-03-31",
        "2027-10-11",
        "2027-10-29",
        "2027-11-02",
        "2027-11-26",
    ]


def test_holidays_between_keeps_to_the_range_across_years():
    found = us_holidays("2026-12-26", "2027-01-17")
    assert found == {d("2027-01-01"): Holiday("New Year's Day")}
    wider = us_holidays("2026-12-25", "2027-01-18")
    assert sorted(day.isoformat() for day in wider) == ["2026-12-25", "2027-01-01", "2027-01-18"]


@pytest.mark.parametrize(
    ("own_day", "expected"),
    [
        pytest.param(
            OwnDay(d("2027-07-05"), "working", None, None), None, id="working-removes-public-holiday"
        ),
        pytest.param(
            OwnDay(d("2027-07-06"), "closure", "Summer shutdown", None),
            Holiday("Summer shutdown"),
            id="closure-adds-a-day",
        ),
        pytest.param(
            OwnDay(d("2027-07-02"), "partial", "Early close", Decimal("4.00")),
            Holiday("Early close", Decimal("4")),
            id="partial-sets-hours",
        ),
        pytest.param(
            OwnDay(d("2027-07-05"), "partial", "Half day off", Decimal("4")),
            Holiday("Half day off", Decimal("4")),
            id="partial-over-public-holiday-replaces-it",
        ),
        pytest.param(
            OwnDay(d("2027-07-05"), "closure", "Company holiday", Decimal("3")),
            Holiday("Company holiday"),
            id="closure-ignores-hours",
        ),
    ],
)
def test_company_own_days_over_public_holidays(own_day, expected):
    found = us_holidays("2027-07-01", "2027-07-09", subdivision="CA", own_days=[own_day])
    assert found.get(own_day.day) == expected
    public_left = {day: holiday for day, holiday in found.items() if day != own_day.day}
    expected_public = {
        d("2027-07-04"): Holiday("Independence Day"),
        d("2027-07-05"): Holiday("Independence Day (observed)"),
    }
    expected_public.pop(own_day.day, None)
    assert public_left == expected_public


def test_without_a_country_only_the_companys_own_days_count():
    own_days = [
        OwnDay(d("2027-07-05"), "working", None, None),
        OwnDay(d("2027-07-06"), "closure", "Shutdown", None),
    ]
    assert holidays_between(None, None, own_days, d("2027-07-01"), d("2027-07-09")) == {
        d("2027-07-06"): Holiday("Shutdown")
    }


def test_calendar_feeds_charge_a_working_public_holiday_charges_its_schedule():
    own_days = [
        OwnDay(d("2027-07-05"), "working", None, None),
        OwnDay(d("2027-07-06"), "partial", "Early close", Decimal(4)),
    ]
    holidays = us_holidays("2027-07-02", "2027-07-06", subdivision="NY", own_days=own_days)
    days = charged("2027-07-02", "2027-07-06", holidays=holidays)
    assert [(day.hours, day.holiday) for day in days] == [
        (8, None),
        (0, None),
        (0, "Independence Day"),
        (8, None),
        (4, "Early close"),
    ]


# 10. Daylight saving time is not a factor for dates


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param("2027-03-13", "2027-03-15", amounts(0, 0, 8), id="saturday-to-monday-over-dst-start"),
        pytest.param(
            "2027-03-12", "2027-03-16", amounts(8, 0, 0, 8, 8), id="friday-to-tuesday-over-dst-start"
        ),
        pytest.param("2027-11-05", "2027-11-08", amounts(8, 0, 0, 8), id="friday-to-monday-over-dst-end"),
    ],
)
def test_daylight_saving_changes_do_not_change_the_hours(start, end, expected):
    days = charged(start, end, holidays=us_holidays(start, end, subdivision="NY"))
    assert [day.hours for day in days] == expected
    assert all(day.hours in (0, 8) for day in days)
