"""The accrual arithmetic alone (domain/accrual_rules.py): the lines a policy posts, table by table.

Each case names a policy (a monthly 8 h one, prorated, keeping everything, unless it says otherwise), a
hire date, a stint and the ledger so far, and lists the lines due as (effective_on, kind, delta). Every
case also checks that posting those lines and asking again posts nothing more.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.accrual_rules import (
    Posted,
    Rules,
    Stint,
    Worked,
    anniversary,
    due_lines,
    history_from,
    next_year_start,
    opening_line,
    period_containing,
    tenure_years,
    year_start_on,
)

POLICY = 7
HOURS_FIELDS = ("max_balance", "max_per_year", "carry_over_hours", "per_hours_worked")
# Policy years starting on a fixed day.
APRIL = {"policy_year": "fixed", "year_start_month": 4, "year_start_day": 1}
JULY = {"policy_year": "fixed", "year_start_month": 7, "year_start_day": 1}


def rules(**changes):
    """A monthly policy earning 8 h on each month's last day, prorated, keeping everything; hours as text."""
    fields = {"id": POLICY, "name": "Vacation", "tiers": ((0, "8"),)} | changes
    fields["tiers"] = tuple((years, Decimal(hours)) for years, hours in fields["tiers"])
    for name in HOURS_FIELDS:
        if fields.get(name) is not None:
            fields[name] = Decimal(fields[name])
    return Rules(**fields)


def day(text):
    return date.fromisoformat(text)


def line(on, hours, kind="pto_taken"):
    """A line of the ledger that no policy posted (PTO taken, a refund, an opening or an adjustment)."""
    return Posted(day(on), Decimal(hours), kind)


def worked(first, last, hours):
    return Worked(day(first), day(last), Decimal(hours))


def fed(lines):
    """``lines`` as the ledger holds them once posted."""
    return [posted.as_posted() for posted in lines]


def shown(lines):
    return [(x.effective_on.isoformat(), x.kind, str(x.delta)) for x in lines]


def run(policy, hire, through, *, start=None, end=None, history=(), hours=()):
    stint = Stint(policy, day(start or hire), day(end) if end else None)
    return due_lines(stint, day(hire), list(history), day(through), hours)


def case(name, policy, hire, through, expected, *, marks=(), **stint):
    return pytest.param(policy, hire, through, stint, expected, id=name, marks=marks)


def check(policy, hire, through, stint, expected):
    """The lines due are ``expected``; once posted, nothing more is due."""
    lines = run(policy, hire, through, **stint)
    assert shown(lines) == expected
    history = [*stint.get("history", ()), *fed(lines)]
    assert run(policy, hire, through, **{**stint, "history": history}) == []


# Calendar arithmetic


@pytest.mark.parametrize(
    ("policy", "on", "period"),
    [
        pytest.param(rules(frequency="weekly"), "2026-01-01", ("2025-12-29", "2026-01-04"), id="weekly-thu"),
        pytest.param(rules(frequency="weekly"), "2026-01-05", ("2026-01-05", "2026-01-11"), id="weekly-mon"),
        pytest.param(
            rules(frequency="biweekly"), "2000-12-31", ("2000-12-18", "2000-12-31"), id="biweekly-before"
        ),
        pytest.param(
            rules(frequency="biweekly"), "2026-01-05", ("2025-12-29", "2026-01-11"), id="biweekly-2026"
        ),
        pytest.param(
            rules(frequency="semimonthly"), "2026-02-16", ("2026-02-16", "2026-02-28"), id="semi-16th"
        ),
        pytest.param(
            rules(frequency="semimonthly"), "2028-02-29", ("2028-02-16", "2028-02-29"), id="semi-leap"
        ),
        pytest.param(rules(), "2028-02-10", ("2028-02-01", "2028-02-29"), id="monthly-leap-feb"),
        pytest.param(
            rules(frequency="quarterly"), "2026-11-15", ("2026-10-01", "2026-12-31"), id="quarter-4"
        ),
        pytest.param(
            rules(frequency="yearly"), "2026-06-15", ("2026-01-01", "2026-12-31"), id="yearly-calendar"
        ),
        pytest.param(
            rules(frequency="yearly", **APRIL),
            "2026-03-31",
            ("2025-04-01", "2026-03-31"),
            id="yearly-fixed-eve",
        ),
        pytest.param(
            rules(frequency="yearly", **APRIL),
            "2026-04-01",
            ("2026-04-01", "2027-03-31"),
            id="yearly-fixed-first-day",
        ),
        pytest.param(
            rules(frequency="yearly", policy_year="hire_anniversary"),
            "2029-03-01",
            ("2029-02-28", "2030-02-27"),
            id="yearly-anniversary-feb-29-hire",
        ),
    ],
)
def test_period_containing(policy, on, period):
    hire = day("2028-02-29")
    assert period_containing(policy, hire, day(on)) == tuple(map(day, period))


@pytest.mark.parametrize(
    ("hire", "years", "expected"),
    [
        ("2028-02-29", 1, "2029-02-28"),
        ("2028-02-29", 4, "2032-02-29"),
        ("2026-01-31", 1, "2027-01-31"),
    ],
)
def test_anniversary(hire, years, expected):
    assert anniversary(day(hire), years) == day(expected)


@pytest.mark.parametrize(
    ("hire", "on", "years"),
    [
        ("2026-03-15", "2027-03-14", 0),
        ("2026-03-15", "2027-03-15", 1),
        ("2028-02-29", "2029-02-27", 0),
        ("2028-02-29", "2029-02-28", 1),
        ("2028-02-29", "2032-02-28", 3),
        ("2028-02-29", "2032-02-29", 4),
    ],
)
def test_tenure_years(hire, on, years):
    assert tenure_years(day(hire), day(on)) == years


@pytest.mark.parametrize(
    ("policy", "hire", "on", "year"),
    [
        (rules(), "2026-03-15", "2026-07-04", ("2026-01-01", "2027-01-01")),
        (rules(), "2026-03-15", "2026-01-01", ("2026-01-01", "2027-01-01")),
        (
            rules(**APRIL),
            "2026-03-15",
            "2026-03-31",
            ("2025-04-01", "2026-04-01"),
        ),
        (
            rules(**APRIL),
            "2026-03-15",
            "2026-04-01",
            ("2026-04-01", "2027-04-01"),
        ),
        (rules(policy_year="hire_anniversary"), "2026-03-15", "2027-03-14", ("2026-03-15", "2027-03-15")),
        (rules(policy_year="hire_anniversary"), "2028-02-29", "2031-12-01", ("2031-02-28", "2032-02-29")),
    ],
    ids=[
        "calendar",
        "calendar-first-day",
        "fixed-eve",
        "fixed-first-day",
        "anniversary-eve",
        "anniversary-feb-29",
    ],
)
def test_policy_year(policy, hire, on, year):
    first, following = year
    assert year_start_on(policy, day(hire), day(on)) == day(first)
    assert next_year_start(policy, day(hire), day(on)) == day(following)


# Per-period policies


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "weekly-end",
            rules(frequency="weekly", tiers=((0, "1.54"),)),
            "2026-01-05",
            "2026-01-25",
            [
                ("2026-01-11", "accrual", "1.54"),
                ("2026-01-18", "accrual", "1.54"),
                ("2026-01-25", "accrual", "1.54"),
            ],
        ),
        case(
            "weekly-start",
            rules(frequency="weekly", accrue_at="start", tiers=((0, "1.54"),)),
            "2026-01-05",
            "2026-01-19",
            [
                ("2026-01-05", "accrual", "1.54"),
                ("2026-01-12", "accrual", "1.54"),
                ("2026-01-19", "accrual", "1.54"),
            ],
        ),
        case(
            "biweekly-end",
            rules(frequency="biweekly", tiers=((0, "3.08"),)),
            "2026-01-12",
            "2026-02-08",
            [("2026-01-25", "accrual", "3.08"), ("2026-02-08", "accrual", "3.08")],
        ),
        case(
            "biweekly-start-across-new-year",
            rules(frequency="biweekly", accrue_at="start", tiers=((0, "3.08"),)),
            "2025-12-29",
            "2026-01-12",
            [("2025-12-29", "accrual", "3.08"), ("2026-01-12", "accrual", "3.08")],
        ),
        case(
            "semimonthly-end",
            rules(frequency="semimonthly", tiers=((0, "4"),)),
            "2026-02-01",
            "2026-03-15",
            [
                ("2026-02-15", "accrual", "4.00"),
                ("2026-02-28", "accrual", "4.00"),
                ("2026-03-15", "accrual", "4.00"),
            ],
        ),
        case(
            "semimonthly-end-feb-29",
            rules(frequency="semimonthly", tiers=((0, "4"),)),
            "2028-02-01",
            "2028-02-29",
            [("2028-02-15", "accrual", "4.00"), ("2028-02-29", "accrual", "4.00")],
        ),
        case(
            "monthly-end",
            rules(),
            "2026-01-01",
            "2026-03-31",
            [
                ("2026-01-31", "accrual", "8.00"),
                ("2026-02-28", "accrual", "8.00"),
                ("2026-03-31", "accrual", "8.00"),
            ],
        ),
        case(
            "monthly-end-period-not-over",
            rules(),
            "2026-01-01",
            "2026-03-30",
            [("2026-01-31", "accrual", "8.00"), ("2026-02-28", "accrual", "8.00")],
        ),
        case(
            "monthly-end-feb-29",
            rules(),
            "2028-01-01",
            "2028-02-29",
            [("2028-01-31", "accrual", "8.00"), ("2028-02-29", "accrual", "8.00")],
        ),
        case(
            "monthly-start-full-hours-mid-period",
            rules(accrue_at="start"),
            "2026-01-01",
            "2026-02-27",
            [("2026-01-01", "accrual", "8.00"), ("2026-02-01", "accrual", "8.00")],
        ),
        case(
            "quarterly-start",
            rules(frequency="quarterly", accrue_at="start", tiers=((0, "24"),)),
            "2026-01-01",
            "2026-10-01",
            [
                ("2026-01-01", "accrual", "24.00"),
                ("2026-04-01", "accrual", "24.00"),
                ("2026-07-01", "accrual", "24.00"),
                ("2026-10-01", "accrual", "24.00"),
            ],
        ),
        case(
            "yearly-end-calendar",
            rules(frequency="yearly", tiers=((0, "96"),)),
            "2026-01-01",
            "2027-12-31",
            [("2026-12-31", "accrual", "96.00"), ("2027-12-31", "accrual", "96.00")],
        ),
        case(
            "yearly-start-fixed-april",
            rules(frequency="yearly", accrue_at="start", tiers=((0, "96"),), **APRIL),
            "2026-04-01",
            "2027-04-01",
            [("2026-04-01", "accrual", "96.00"), ("2027-04-01", "accrual", "96.00")],
        ),
        case(
            "yearly-end-hire-anniversary",
            rules(frequency="yearly", policy_year="hire_anniversary", tiers=((0, "96"),)),
            "2026-03-15",
            "2027-03-14",
            [("2027-03-14", "accrual", "96.00")],
        ),
    ],
)
def test_frequencies(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "hire-mid-month-end",
            rules(),
            "2026-01-16",
            "2026-02-28",
            [("2026-01-31", "accrual", "4.13"), ("2026-02-28", "accrual", "8.00")],
        ),
        case(
            "hire-mid-month-start",
            rules(accrue_at="start"),
            "2026-01-16",
            "2026-02-01",
            [("2026-01-16", "accrual", "4.13"), ("2026-02-01", "accrual", "8.00")],
        ),
        case(
            "hire-on-period-last-day-end",
            rules(),
            "2026-01-31",
            "2026-01-31",
            [("2026-01-31", "accrual", "0.26")],
        ),
        case(
            "hire-on-period-last-day-start",
            rules(accrue_at="start"),
            "2026-05-31",
            "2026-06-01",
            [("2026-05-31", "accrual", "0.26"), ("2026-06-01", "accrual", "8.00")],
        ),
        case(
            "hire-on-period-first-day",
            rules(),
            "2026-02-01",
            "2026-02-28",
            [("2026-02-28", "accrual", "8.00")],
        ),
        case("hire-feb-29", rules(), "2028-02-29", "2028-02-29", [("2028-02-29", "accrual", "0.28")]),
        case("hire-mid-leap-feb", rules(), "2028-02-15", "2028-02-29", [("2028-02-29", "accrual", "4.14")]),
        case("hire-30th", rules(), "2026-03-30", "2026-03-31", [("2026-03-31", "accrual", "0.52")]),
        case(
            "hire-29th-semimonthly",
            rules(frequency="semimonthly", tiers=((0, "5"),)),
            "2026-01-29",
            "2026-01-31",
            [("2026-01-31", "accrual", "0.94")],
        ),
        case(
            "hire-30th-semimonthly-half-up",
            rules(frequency="semimonthly", tiers=((0, "5"),)),
            "2026-01-30",
            "2026-01-31",
            [("2026-01-31", "accrual", "0.63")],
        ),
        case(
            "stint-ends-mid-period-end",
            rules(),
            "2026-01-01",
            "2026-06-30",
            [
                ("2026-01-31", "accrual", "8.00"),
                ("2026-02-28", "accrual", "8.00"),
                ("2026-03-10", "accrual", "2.58"),
            ],
            end="2026-03-10",
        ),
        case(
            "stint-ends-mid-period-start",
            rules(accrue_at="start"),
            "2026-01-01",
            "2026-06-30",
            [
                ("2026-01-01", "accrual", "8.00"),
                ("2026-02-01", "accrual", "8.00"),
                ("2026-03-01", "accrual", "2.58"),
            ],
            end="2026-03-10",
        ),
        case(
            "no-proration-hire-mid-period-end",
            rules(prorate=False),
            "2026-01-16",
            "2026-02-28",
            [("2026-01-31", "accrual", "8.00"), ("2026-02-28", "accrual", "8.00")],
        ),
        case(
            "no-proration-hire-mid-period-start",
            rules(prorate=False, accrue_at="start"),
            "2026-01-16",
            "2026-02-01",
            [("2026-02-01", "accrual", "8.00")],
        ),
        case(
            "no-proration-stint-ends-mid-period-end",
            rules(prorate=False),
            "2026-01-01",
            "2026-06-30",
            [("2026-01-31", "accrual", "8.00"), ("2026-02-28", "accrual", "8.00")],
            end="2026-03-10",
        ),
        case(
            "no-proration-stint-ends-mid-period-start",
            rules(prorate=False, accrue_at="start"),
            "2026-01-01",
            "2026-06-30",
            [
                ("2026-01-01", "accrual", "8.00"),
                ("2026-02-01", "accrual", "8.00"),
                ("2026-03-01", "accrual", "8.00"),
            ],
            end="2026-03-10",
        ),
        case(
            "policy-assigned-mid-period-after-years",
            rules(tiers=((0, "8"), (1, "10"))),
            "2024-06-01",
            "2026-01-31",
            [("2026-01-31", "accrual", "5.16")],
            start="2026-01-16",
        ),
        case(
            "weekly-hire-wednesday",
            rules(frequency="weekly", tiers=((0, "1.54"),)),
            "2026-01-07",
            "2026-01-11",
            [("2026-01-11", "accrual", "1.10")],
        ),
        case(
            "quarterly-hire-mid-quarter",
            rules(frequency="quarterly", tiers=((0, "24"),)),
            "2026-02-15",
            "2026-03-31",
            [("2026-03-31", "accrual", "12.00")],
        ),
        case(
            "yearly-hire-mid-year",
            rules(frequency="yearly", tiers=((0, "96"),)),
            "2026-07-01",
            "2026-12-31",
            [("2026-12-31", "accrual", "48.39")],
        ),
        case(
            "biweekly-stint-ends-friday",
            rules(frequency="biweekly", tiers=((0, "3.08"),)),
            "2026-01-12",
            "2026-02-28",
            [("2026-01-25", "accrual", "3.08"), ("2026-01-30", "accrual", "1.10")],
            end="2026-01-30",
        ),
        # 3.50 h x 3/28 days is 0.375 exactly; 1.75 h x 5/14 days is 0.625 exactly.
        case(
            "half-up-prorated-feb",
            rules(tiers=((0, "3.50"),)),
            "2027-02-26",
            "2027-02-28",
            [("2027-02-28", "accrual", "0.38")],
        ),
        case(
            "half-up-prorated-biweekly",
            rules(frequency="biweekly", tiers=((0, "1.75"),)),
            "2026-01-21",
            "2026-01-25",
            [("2026-01-25", "accrual", "0.63")],
        ),
    ],
)
def test_proration(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "anniversary-mid-period-landing-day-decides",
            rules(tiers=((0, "8"), (1, "10"), (2, "12"))),
            "2025-03-15",
            "2026-04-30",
            [
                ("2026-02-28", "accrual", "8.00"),
                ("2026-03-31", "accrual", "10.00"),
                ("2026-04-30", "accrual", "10.00"),
            ],
            start="2026-02-01",
        ),
        case(
            "anniversary-on-landing-day",
            rules(accrue_at="start", tiers=((0, "8"), (1, "10"))),
            "2026-03-01",
            "2027-04-01",
            [
                ("2027-01-01", "accrual", "8.00"),
                ("2027-02-01", "accrual", "8.00"),
                ("2027-03-01", "accrual", "10.00"),
                ("2027-04-01", "accrual", "10.00"),
            ],
            start="2027-01-01",
        ),
        case(
            "feb-29-hire-anniversary-feb-28",
            rules(tiers=((0, "8"), (1, "10"))),
            "2028-02-29",
            "2029-02-28",
            [("2029-01-31", "accrual", "8.00"), ("2029-02-28", "accrual", "10.00")],
            start="2029-01-01",
        ),
        case(
            "feb-29-hire-anniversary-in-leap-year",
            rules(tiers=((0, "8"), (3, "10"), (4, "12"))),
            "2028-02-29",
            "2032-02-29",
            [("2032-01-31", "accrual", "10.00"), ("2032-02-29", "accrual", "12.00")],
            start="2032-01-01",
        ),
        case(
            "hire-31st-anniversary",
            rules(tiers=((0, "8"), (1, "10"))),
            "2026-01-31",
            "2027-01-31",
            [("2026-12-31", "accrual", "8.00"), ("2027-01-31", "accrual", "10.00")],
            start="2026-12-01",
        ),
    ],
)
def test_tiers(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "dropped",
            rules(waiting_days=45),
            "2026-01-01",
            "2026-03-31",
            [("2026-02-28", "accrual", "8.00"), ("2026-03-31", "accrual", "8.00")],
        ),
        case(
            "credited",
            rules(waiting_days=45, credit_waiting=True),
            "2026-01-01",
            "2026-03-31",
            [
                ("2026-02-15", "accrual", "8.00"),
                ("2026-02-28", "accrual", "8.00"),
                ("2026-03-31", "accrual", "8.00"),
            ],
        ),
        case("credited-not-yet", rules(waiting_days=45, credit_waiting=True), "2026-01-01", "2026-02-14", []),
        case(
            "credited-on-the-day",
            rules(waiting_days=45, credit_waiting=True),
            "2026-01-01",
            "2026-02-15",
            [("2026-02-15", "accrual", "8.00")],
        ),
        case(
            "landing-on-waiting-end",
            rules(waiting_days=30),
            "2026-01-01",
            "2026-01-31",
            [("2026-01-31", "accrual", "8.00")],
        ),
        case("landing-day-before-waiting-end", rules(waiting_days=31), "2026-01-01", "2026-02-27", []),
        case(
            "credited-prorated",
            rules(waiting_days=90, credit_waiting=True),
            "2026-01-16",
            "2026-04-30",
            [
                ("2026-04-16", "accrual", "4.13"),
                ("2026-04-16", "accrual", "8.00"),
                ("2026-04-16", "accrual", "8.00"),
                ("2026-04-30", "accrual", "8.00"),
            ],
        ),
        case(
            "credited-after-year-start-does-not-expire",
            rules(waiting_days=60, credit_waiting=True, carry_over="none"),
            "2026-12-01",
            "2027-01-31",
            [("2027-01-30", "accrual", "8.00"), ("2027-01-31", "accrual", "8.00")],
        ),
    ],
)
def test_waiting_period(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "max-balance-reached-exactly",
            rules(max_balance="20"),
            "2026-01-01",
            "2026-04-30",
            [
                ("2026-01-31", "accrual", "8.00"),
                ("2026-02-28", "accrual", "8.00"),
                ("2026-03-31", "accrual", "4.00"),
                ("2026-04-30", "accrual", "0.00"),
            ],
        ),
        case(
            "max-balance-counts-history",
            rules(max_balance="20"),
            "2026-01-01",
            "2026-02-28",
            [("2026-01-31", "accrual", "5.00"), ("2026-02-28", "accrual", "0.00")],
            history=[line("2026-01-01", "15", "opening")],
        ),
        case(
            "max-balance-counts-pto-on-landing-day",
            rules(max_balance="20"),
            "2026-01-01",
            "2026-02-28",
            [("2026-01-31", "accrual", "5.00"), ("2026-02-28", "accrual", "8.00")],
            history=[line("2026-01-01", "15", "opening"), line("2026-02-28", "-8")],
        ),
        case(
            "max-balance-ignores-later-pto",
            rules(max_balance="20"),
            "2026-01-01",
            "2026-02-28",
            [("2026-01-31", "accrual", "5.00"), ("2026-02-28", "accrual", "0.00")],
            history=[line("2026-01-01", "15", "opening"), line("2026-03-01", "-8")],
        ),
        case(
            "max-balance-caps-prorated",
            rules(max_balance="20"),
            "2026-01-16",
            "2026-01-31",
            [("2026-01-31", "accrual", "2.00")],
            history=[line("2026-01-16", "18", "opening")],
        ),
        case(
            "max-balance-then-year-end-none",
            rules(frequency="quarterly", tiers=((0, "12"),), max_balance="20", carry_over="none"),
            "2026-01-01",
            "2027-03-31",
            [
                ("2026-03-31", "accrual", "12.00"),
                ("2026-06-30", "accrual", "8.00"),
                ("2026-09-30", "accrual", "0.00"),
                ("2026-12-31", "accrual", "0.00"),
                ("2027-01-01", "expiry", "-20.00"),
                ("2027-03-31", "accrual", "12.00"),
            ],
        ),
        case(
            "max-per-year-calendar",
            rules(frequency="quarterly", max_per_year="20"),
            "2026-01-01",
            "2027-03-31",
            [
                ("2026-03-31", "accrual", "8.00"),
                ("2026-06-30", "accrual", "8.00"),
                ("2026-09-30", "accrual", "4.00"),
                ("2026-12-31", "accrual", "0.00"),
                ("2027-03-31", "accrual", "8.00"),
            ],
        ),
        case(
            "max-per-year-ignores-other-policies",
            rules(frequency="quarterly", max_per_year="20"),
            "2026-01-01",
            "2026-06-30",
            [("2026-03-31", "accrual", "8.00"), ("2026-06-30", "accrual", "8.00")],
            history=[Posted(day("2026-02-01"), Decimal("8"), "accrual", POLICY + 1, day("2026-02-01"))],
        ),
        case(
            "max-per-year-fixed-july",
            rules(frequency="quarterly", max_per_year="20", **JULY),
            "2026-01-01",
            "2027-09-30",
            [
                ("2026-03-31", "accrual", "8.00"),
                ("2026-06-30", "accrual", "8.00"),
                ("2026-09-30", "accrual", "8.00"),
                ("2026-12-31", "accrual", "8.00"),
                ("2027-03-31", "accrual", "4.00"),
                ("2027-06-30", "accrual", "0.00"),
                ("2027-09-30", "accrual", "8.00"),
            ],
        ),
    ],
)
def test_caps(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "cap"),
    [
        (rules(max_balance="8"), "capped at the 8.00 h maximum balance"),
        (rules(max_per_year="8"), "capped at 8.00 h a year"),
    ],
    ids=["max-balance", "max-per-year"],
)
def test_a_capped_period_says_so(policy, cap):
    first, capped = run(policy, "2026-01-01", "2026-02-28")
    assert (first.delta, capped.delta) == (Decimal("8.00"), Decimal("0.00"))
    assert cap not in first.reason
    assert cap in capped.reason


QUARTERS_2026 = [
    ("2026-03-31", "accrual", "10.00"),
    ("2026-06-30", "accrual", "10.00"),
    ("2026-09-30", "accrual", "10.00"),
    ("2026-12-31", "accrual", "10.00"),
]


def quarterly(**changes):
    """10 h on each calendar quarter's last day."""
    return rules(**{"frequency": "quarterly", "tiers": ((0, "10"),)} | changes)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "none",
            quarterly(carry_over="none"),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-01-01", "expiry", "-40.00"), ("2027-03-31", "accrual", "10.00")],
        ),
        case(
            "none-after-usage",
            quarterly(carry_over="none"),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-01-01", "expiry", "-28.00"), ("2027-03-31", "accrual", "10.00")],
            history=[line("2026-07-15", "-12")],
        ),
        case(
            "none-of-a-negative-balance",
            quarterly(carry_over="none"),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-03-31", "accrual", "10.00")],
            history=[line("2026-07-15", "-50")],
        ),
        case(
            "up-to",
            quarterly(carry_over="up_to", carry_over_hours="16"),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-01-01", "expiry", "-24.00"), ("2027-03-31", "accrual", "10.00")],
        ),
        case(
            "up-to-balance-within-limit",
            quarterly(carry_over="up_to", carry_over_hours="16"),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-03-31", "accrual", "10.00")],
            history=[line("2026-12-01", "-24")],
        ),
        case(
            "all",
            quarterly(),
            "2026-01-01",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-03-31", "accrual", "10.00")],
        ),
        case(
            "fixed-april-up-to",
            quarterly(carry_over="up_to", carry_over_hours="16", **APRIL),
            "2026-01-01",
            "2026-06-30",
            [
                ("2026-03-31", "accrual", "10.00"),
                ("2026-04-01", "expiry", "-24.00"),
                ("2026-06-30", "accrual", "10.00"),
            ],
            history=[line("2026-01-01", "30", "opening")],
        ),
        case(
            "hire-anniversary-up-to",
            quarterly(
                carry_over="up_to", carry_over_hours="16", policy_year="hire_anniversary", prorate=False
            ),
            "2026-03-15",
            "2027-03-31",
            [*QUARTERS_2026, ("2027-03-15", "expiry", "-24.00"), ("2027-03-31", "accrual", "10.00")],
        ),
        case(
            "feb-29-hire-anniversary-up-to",
            quarterly(
                carry_over="up_to", carry_over_hours="16", policy_year="hire_anniversary", prorate=False
            ),
            "2028-02-29",
            "2029-03-31",
            [
                ("2028-03-31", "accrual", "10.00"),
                ("2028-06-30", "accrual", "10.00"),
                ("2028-09-30", "accrual", "10.00"),
                ("2028-12-31", "accrual", "10.00"),
                ("2029-02-28", "expiry", "-24.00"),
                ("2029-03-31", "accrual", "10.00"),
            ],
        ),
        case(
            "policy-taken-on-a-year-start",
            quarterly(carry_over="none"),
            "2026-06-01",
            "2027-03-31",
            [("2027-01-01", "expiry", "-20.00"), ("2027-03-31", "accrual", "10.00")],
            start="2027-01-01",
            history=[line("2026-06-01", "20", "opening")],
        ),
        case(
            "stint-ended-before-year-start",
            quarterly(carry_over="none"),
            "2026-01-01",
            "2027-03-31",
            QUARTERS_2026,
            end="2026-12-31",
        ),
    ],
)
def test_carry_over(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


def yearly(**changes):
    """24 h on each calendar year's last day, all carried over, what is carried lost unused after 90 days."""
    return rules(
        **{"frequency": "yearly", "tiers": ((0, "24"),), "carry_over_expires_after_days": 90} | changes
    )


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "unused",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-04-01", "expiry", "-24.00")],
        ),
        case("not-yet", yearly(), "2026-01-01", "2027-03-31", [("2026-12-31", "accrual", "24.00")]),
        case(
            "some-used-some-refunded",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-04-01", "expiry", "-20.00")],
            history=[line("2027-02-10", "-6"), line("2027-02-20", "2", "refund")],
        ),
        case(
            "used-on-first-and-last-day",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-04-01", "expiry", "-16.00")],
            history=[line("2027-01-01", "-3"), line("2027-03-31", "-5")],
        ),
        case(
            "all-used",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00")],
            history=[line("2027-02-01", "-30")],
        ),
        case(
            "never-more-than-the-balance",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-04-01", "expiry", "-4.00")],
            history=[line("2027-02-01", "-20", "adjustment")],
        ),
        case(
            "up-to-then-unused",
            yearly(carry_over="up_to", carry_over_hours="16"),
            "2026-01-01",
            "2027-04-01",
            [
                ("2026-12-31", "accrual", "24.00"),
                ("2027-01-01", "expiry", "-8.00"),
                ("2027-04-01", "expiry", "-6.00"),
            ],
            history=[line("2027-03-01", "-10")],
        ),
        case(
            "none-expires-once",
            yearly(carry_over="none"),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-01-01", "expiry", "-24.00")],
        ),
        case(
            "fixed-april",
            yearly(**APRIL, carry_over_expires_after_days=30),
            "2026-01-01",
            "2026-05-01",
            [("2026-03-31", "accrual", "5.92"), ("2026-05-01", "expiry", "-3.92")],
            history=[line("2026-04-15", "-2")],
        ),
        case(
            "front-loaded-hire-anniversary",
            rules(
                method="front_loaded",
                tiers=((0, "40"),),
                policy_year="hire_anniversary",
                carry_over="up_to",
                carry_over_hours="16",
                carry_over_expires_after_days=30,
            ),
            "2026-03-15",
            "2027-04-14",
            [
                ("2026-03-15", "accrual", "40.00"),
                ("2027-03-15", "expiry", "-24.00"),
                ("2027-03-15", "accrual", "40.00"),
                ("2027-04-14", "expiry", "-6.00"),
            ],
            history=[line("2027-04-01", "-10")],
        ),
        # Under the engine, PTO taken on the expiry day itself is not "used" and the cap reads the balance
        # before that day, so the expiry takes the balance to -6.00.
        case(
            "never-more-than-the-balance-that-day",
            yearly(),
            "2026-01-01",
            "2027-04-01",
            [("2026-12-31", "accrual", "24.00"), ("2027-04-01", "expiry", "-18.00")],
            history=[line("2027-04-01", "-6")],
        ),
    ],
)
def test_carried_over_hours_expire_unused(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


def front_loaded(**changes):
    """80 h granted on each calendar year's first day."""
    return rules(**{"method": "front_loaded", "tiers": ((0, "80"),)} | changes)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "hired-on-year-start",
            front_loaded(),
            "2026-01-01",
            "2027-01-01",
            [("2026-01-01", "accrual", "80.00"), ("2027-01-01", "accrual", "80.00")],
        ),
        case(
            "expiry-before-grant",
            front_loaded(carry_over="none"),
            "2026-01-01",
            "2027-01-01",
            [
                ("2026-01-01", "accrual", "80.00"),
                ("2027-01-01", "expiry", "-80.00"),
                ("2027-01-01", "accrual", "80.00"),
            ],
        ),
        case(
            "joiner-prorated",
            front_loaded(),
            "2026-07-01",
            "2026-12-31",
            [("2026-07-01", "accrual", "40.33")],
        ),
        case(
            "joiner-not-prorated",
            front_loaded(prorate=False),
            "2026-07-01",
            "2026-12-31",
            [("2026-07-01", "accrual", "80.00")],
        ),
        case(
            "joiner-feb-29", front_loaded(), "2028-02-29", "2028-12-31", [("2028-02-29", "accrual", "67.10")]
        ),
        case(
            "joiner-dec-31",
            front_loaded(),
            "2026-12-31",
            "2027-01-01",
            [("2026-12-31", "accrual", "0.22"), ("2027-01-01", "accrual", "80.00")],
        ),
        case(
            "joiner-fixed-april",
            front_loaded(**APRIL),
            "2026-10-01",
            "2027-04-01",
            [("2026-10-01", "accrual", "39.89"), ("2027-04-01", "accrual", "80.00")],
        ),
        case(
            "hire-anniversary-tiers",
            front_loaded(policy_year="hire_anniversary", tiers=((0, "80"), (2, "120"))),
            "2026-03-15",
            "2028-03-15",
            [
                ("2026-03-15", "accrual", "80.00"),
                ("2027-03-15", "accrual", "80.00"),
                ("2028-03-15", "accrual", "120.00"),
            ],
        ),
        case(
            "policy-assigned-mid-year-after-years",
            front_loaded(tiers=((0, "80"), (2, "120"))),
            "2024-05-01",
            "2026-12-31",
            [("2026-07-01", "accrual", "60.49")],
            start="2026-07-01",
        ),
        case(
            "waiting-credited",
            front_loaded(waiting_days=90, credit_waiting=True),
            "2026-01-01",
            "2027-01-01",
            [("2026-04-01", "accrual", "80.00"), ("2027-01-01", "accrual", "80.00")],
        ),
        case(
            "waiting-dropped",
            front_loaded(waiting_days=90),
            "2026-01-01",
            "2027-01-01",
            [("2027-01-01", "accrual", "80.00")],
        ),
        case(
            "max-balance",
            front_loaded(max_balance="100"),
            "2026-01-01",
            "2027-01-01",
            [("2026-01-01", "accrual", "80.00"), ("2027-01-01", "accrual", "20.00")],
        ),
        case(
            "max-per-year",
            front_loaded(max_per_year="60"),
            "2026-01-01",
            "2027-01-01",
            [("2026-01-01", "accrual", "60.00"), ("2027-01-01", "accrual", "60.00")],
        ),
    ],
)
def test_front_loaded(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


def per_hour(**changes):
    """1 h per 40 h worked."""
    return rules(**{"method": "per_hours_worked", "per_hours_worked": "40", "tiers": ((0, "1"),)} | changes)


def fortnights(first, count, hours):
    """``hours`` worked in each of ``count`` two-week periods from ``first``."""
    starts = [day(first) + timedelta(days=14 * n) for n in range(count)]
    return [Worked(start, start + timedelta(days=13), Decimal(hours)) for start in starts]


FORTNIGHTS = [
    worked("2025-12-22", "2026-01-04", "80"),
    worked("2026-01-05", "2026-01-18", "80"),
    worked("2026-01-19", "2026-02-01", "70"),
    worked("2026-02-02", "2026-02-15", "80"),
]


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "within-stint-and-through",
            per_hour(),
            "2026-01-05",
            "2026-02-14",
            [("2026-01-18", "accrual", "2.00"), ("2026-02-01", "accrual", "1.75")],
            hours=FORTNIGHTS,
        ),
        case(
            "stint-ended",
            per_hour(),
            "2026-01-05",
            "2026-02-28",
            [("2026-01-18", "accrual", "2.00")],
            end="2026-01-25",
            hours=FORTNIGHTS,
        ),
        case(
            "rounded-to-the-cent",
            per_hour(per_hours_worked="30"),
            "2026-01-05",
            "2026-02-01",
            [("2026-01-18", "accrual", "0.33"), ("2026-02-01", "accrual", "0.17")],
            hours=[worked("2026-01-05", "2026-01-18", "10"), worked("2026-01-19", "2026-02-01", "5")],
        ),
        case(
            "half-up",
            per_hour(),
            "2026-01-05",
            "2026-01-18",
            [("2026-01-18", "accrual", "0.01")],
            hours=[worked("2026-01-05", "2026-01-18", "0.2")],
        ),
        case(
            "tier-by-period-end",
            per_hour(tiers=((0, "1"), (1, "1.5"))),
            "2025-01-19",
            "2026-02-01",
            [("2026-01-18", "accrual", "2.00"), ("2026-02-01", "accrual", "3.00")],
            start="2026-01-05",
            hours=[worked("2026-01-05", "2026-01-18", "80"), worked("2026-01-19", "2026-02-01", "80")],
        ),
        case(
            "waiting-credited",
            per_hour(waiting_days=30, credit_waiting=True),
            "2026-01-05",
            "2026-02-15",
            [
                ("2026-02-04", "accrual", "2.00"),
                ("2026-02-04", "accrual", "1.75"),
                ("2026-02-15", "accrual", "2.00"),
            ],
            hours=FORTNIGHTS,
        ),
        case(
            "waiting-dropped",
            per_hour(waiting_days=30),
            "2026-01-05",
            "2026-02-15",
            [("2026-02-15", "accrual", "2.00")],
            hours=FORTNIGHTS,
        ),
        # 31 h x 0.45 h / 30 h is 0.465 exactly.
        case(
            "half-up-after-division",
            per_hour(per_hours_worked="30", tiers=((0, "0.45"),)),
            "2026-01-05",
            "2026-01-18",
            [("2026-01-18", "accrual", "0.47")],
            hours=[worked("2026-01-05", "2026-01-18", "31")],
        ),
    ],
)
def test_per_hours_worked(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "year-start-expiry-before-accrual",
            rules(accrue_at="start", carry_over="none"),
            "2026-12-01",
            "2027-01-01",
            [
                ("2026-12-01", "accrual", "8.00"),
                ("2027-01-01", "expiry", "-8.00"),
                ("2027-01-01", "accrual", "8.00"),
            ],
        ),
        case(
            "accrual-before-carried-over-expiry",
            rules(accrue_at="start", carry_over_expires_after_days=31),
            "2026-12-01",
            "2027-02-01",
            [
                ("2026-12-01", "accrual", "8.00"),
                ("2027-01-01", "accrual", "8.00"),
                ("2027-02-01", "accrual", "8.00"),
                ("2027-02-01", "expiry", "-8.00"),
            ],
        ),
    ],
)
def test_order_within_a_day(policy, hire, through, stint, expected):
    check(policy, hire, through, stint, expected)


@pytest.mark.parametrize(
    ("policy", "hire", "through", "stint", "expected"),
    [
        case(
            "prorated-accrual",
            rules(),
            "2026-01-16",
            "2026-01-31",
            [("2026-01-31", "2026-01-01", "accrual")],
        ),
        case(
            "prorated-accrual-at-start",
            rules(accrue_at="start"),
            "2026-01-16",
            "2026-01-31",
            [("2026-01-16", "2026-01-01", "accrual")],
        ),
        case(
            "credited-after-waiting",
            rules(waiting_days=45, credit_waiting=True),
            "2026-01-01",
            "2026-02-15",
            [("2026-02-15", "2026-01-01", "accrual")],
        ),
        case(
            "expiries",
            yearly(carry_over="up_to", carry_over_hours="16"),
            "2026-01-01",
            "2027-04-01",
            [
                ("2026-12-31", "2026-01-01", "accrual"),
                ("2027-01-01", "2027-01-01", "expiry"),
                ("2027-04-01", "2027-04-01", "expiry"),
            ],
        ),
        case(
            "front-loaded-joiner",
            front_loaded(),
            "2026-07-01",
            "2026-07-01",
            [("2026-07-01", "2026-01-01", "accrual")],
        ),
        case(
            "hours-worked",
            per_hour(),
            "2026-01-05",
            "2026-01-18",
            [("2026-01-18", "2026-01-05", "accrual")],
            hours=FORTNIGHTS,
        ),
    ],
)
def test_period_start(policy, hire, through, stint, expected):
    lines = run(policy, hire, through, **stint)
    assert [(x.effective_on.isoformat(), x.period_start.isoformat(), x.kind) for x in lines] == expected
    assert {x.policy_id for x in lines} == {POLICY}


# Idempotency


def test_lines_of_another_policy_do_not_count_as_posted():
    other = Posted(day("2026-01-31"), Decimal("8"), "accrual", POLICY + 1, day("2026-01-01"))

    assert shown(run(rules(), "2026-01-01", "2026-01-31", history=[other])) == [
        ("2026-01-31", "accrual", "8.00")
    ]


def test_a_period_posted_is_not_posted_again_whatever_its_hours():
    posted = Posted(day("2026-01-31"), Decimal("3"), "accrual", POLICY, day("2026-01-01"))

    assert shown(run(rules(), "2026-01-01", "2026-02-28", history=[posted])) == [
        ("2026-02-28", "accrual", "8.00")
    ]


def test_nothing_is_due_before_the_stint_starts():
    assert run(rules(), "2026-01-01", "2026-03-31", start="2026-04-01") == []


CATCH_UP = [
    pytest.param(
        rules(max_balance="40", carry_over="up_to", carry_over_hours="16", carry_over_expires_after_days=60),
        "2026-01-16",
        {"history": [line("2026-05-05", "-16"), line("2027-02-10", "-8"), line("2027-03-02", "-2")]},
        "2027-06-30",
        id="caps-and-year-ends",
    ),
    pytest.param(
        rules(
            frequency="semimonthly",
            accrue_at="start",
            tiers=((0, "4"), (1, "6")),
            policy_year="hire_anniversary",
            carry_over="none",
        ),
        "2027-02-28",
        {"start": "2027-03-10", "end": "2028-03-10"},
        "2028-04-30",
        id="tiers-proration-stint-end",
    ),
    pytest.param(
        rules(
            frequency="weekly",
            tiers=((0, "1.54"),),
            waiting_days=60,
            credit_waiting=True,
            max_per_year="40",
            carry_over="up_to",
            carry_over_hours="8",
        ),
        "2026-11-18",
        {"history": [line("2026-11-18", "20", "opening"), line("2027-03-03", "-4")]},
        "2027-06-30",
        id="waiting-credited-across-year-end",
    ),
    pytest.param(
        rules(
            method="front_loaded",
            tiers=((0, "40"), (1, "60")),
            policy_year="hire_anniversary",
            carry_over="up_to",
            carry_over_hours="20",
            carry_over_expires_after_days=30,
            max_balance="70",
        ),
        "2028-02-29",
        {"history": [line("2028-06-01", "-16"), line("2029-03-05", "-4"), line("2029-03-29", "2", "refund")]},
        "2030-03-31",
        id="front-loaded-feb-29",
    ),
    pytest.param(
        rules(
            method="per_hours_worked",
            per_hours_worked="30",
            tiers=((0, "1"), (1, "1.25")),
            waiting_days=30,
            credit_waiting=True,
            max_per_year="50",
            carry_over="none",
        ),
        "2026-01-20",
        {"hours": fortnights("2026-01-05", 40, "75")},
        "2027-06-30",
        id="hours-worked",
    ),
    pytest.param(
        rules(
            frequency="biweekly",
            tiers=((0, "3.08"), (2, "4.62")),
            max_per_year="50",
            **JULY,
            carry_over="up_to",
            carry_over_hours="10",
            carry_over_expires_after_days=45,
        ),
        "2024-08-14",
        {"start": "2026-01-07", "end": "2027-09-17", "history": [line("2026-08-03", "-12")]},
        "2027-10-31",
        id="biweekly-fixed-year-stint-end",
    ),
]


@pytest.mark.parametrize(("policy", "hire", "stint", "last"), CATCH_UP)
def test_daily_runs_post_what_one_catch_up_run_posts(policy, hire, stint, last):
    """Running every day, each run fed what the ones before posted, posts the lines one run would."""
    stint = dict(stint)
    history = stint.pop("history", ())
    at_once = run(policy, hire, last, history=history, **stint)

    daily = []
    through = day(hire) - timedelta(days=1)
    while through < day(last):
        through += timedelta(days=1)
        daily += run(policy, hire, through.isoformat(), history=[*history, *fed(daily)], **stint)

    assert daily == at_once
    assert {x.kind for x in at_once} == {"accrual", "expiry"}
    assert run(policy, hire, last, history=[*history, *fed(at_once)], **stint) == []


@pytest.mark.parametrize(("policy", "hire", "stint", "last"), CATCH_UP)
def test_daily_runs_reading_only_what_they_need_post_the_same_lines(policy, hire, stint, last):
    """As the run reads a balance: from where the policy's last line leaves off (``history_from``), the
    lines before summed in one opening line. Every day of it posts what one run through the end would."""
    stint = dict(stint)
    history = stint.pop("history", ())
    worked_hours = stint.pop("hours", ())
    at_once = run(policy, hire, last, history=history, hours=worked_hours, **stint)
    start, end = day(stint.get("start", hire)), day(stint["end"]) if "end" in stint else None
    the_stint = Stint(policy, start, end)

    posted = []
    through = day(hire) - timedelta(days=1)
    while through < day(last):
        through += timedelta(days=1)
        ledger = [*history, *fed(posted)]
        since = max((x.effective_on for x in posted), default=None)
        floor = history_from(the_stint, day(hire), since)
        read = [x for x in ledger if x.effective_on >= floor]
        read.append(opening_line(floor, sum((x.delta for x in ledger if x.effective_on < floor), Decimal(0))))
        posted += due_lines(the_stint, day(hire), read, through, worked_hours, since)

    assert posted == at_once
