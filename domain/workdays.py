"""Hours from dates: what each day of a request holds for one employee, and what it charges.

Pure arithmetic over the employee's work schedules and holidays, which domain/schedules.py and
domain/holiday_calendars.py read; no I/O, so a quote and a filing charge the same hours by construction.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from errors import InvalidField

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PARTS = ("morning", "afternoon")


class NothingToTake(InvalidField):
    description = "The dates hold no working hours for the employee: days off and holidays only."


class DayOverflow(InvalidField):
    description = "The hours asked of a day are more than the employee's schedule holds that day."


@dataclass(frozen=True, slots=True)
class Schedule:
    """Hours per weekday from ``effective_from`` on: 7 (Monday first), or 14 for a two-week rotation
    whose first week is the one ``effective_from`` falls in."""

    effective_from: date
    hours: tuple

    def hours_on(self, day):
        week_start = self.effective_from - timedelta(days=self.effective_from.weekday())
        return self.hours[(day - week_start).days % len(self.hours)]


@dataclass(frozen=True, slots=True)
class Holiday:
    """A day off for everyone on a calendar: ``hours`` is what may still be worked (a partial day)."""

    name: str
    hours: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Day:
    """One day of a request: the hours it holds for the employee (its holiday counted), and those charged."""

    day: date
    scheduled: Decimal
    holiday: str | None
    hours: Decimal
    part: str | None = None


def schedule_on(day, own, company):
    """The schedule in force on ``day``: the employee's latest from on or before it, else the company's.
    ``own`` and ``company`` are sorted by ``effective_from``."""
    for schedules in (own, company):
        current = None
        for schedule in schedules:
            if schedule.effective_from > day:
                break
            current = schedule
        if current is not None:
            return current
    return None


def held_on(day, own, company, holidays):
    """(hours, holiday name or None): what ``day`` holds for the employee."""
    schedule = schedule_on(day, own, company)
    hours = ZERO if schedule is None else schedule.hours_on(day)
    holiday = holidays.get(day)
    if holiday is None:
        return hours, None
    return min(hours, holiday.hours), holiday.name


def half(hours, part):
    """The morning's or the afternoon's share of a day: the morning takes the odd cent."""
    morning = (hours / 2).quantize(CENT, rounding=ROUND_HALF_UP)
    return morning if part == "morning" else hours - morning


def charge(start, end, own, company, holidays, hours=None, start_part=None, end_part=None, day_hours=None):
    """The days from ``start`` to ``end`` with the hours each charges (``require_hours`` checks them).

    By default each day charges what it holds; ``start_part``/``end_part`` take half of the first or last
    day; ``day_hours`` ({day: hours}) sets days by hand, each within what it holds (422 naming the day
    otherwise). Given ``hours``, those fill the days in order, each up to what it holds.
    """
    day_hours = day_hours or {}
    days = []
    remaining = hours
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        scheduled, holiday = held_on(day, own, company, holidays)
        part = start_part if day == start else end_part if day == end else None
        capacity = half(scheduled, part) if part else scheduled
        if day in day_hours:
            capacity = day_hours[day]
            if capacity > scheduled:
                raise DayOverflow("day_hours", _overflow(day, scheduled, holiday, capacity))
        if remaining is not None:
            capacity = min(capacity, remaining)
            remaining -= capacity
        days.append(Day(day, scheduled, holiday, capacity, part if capacity else None))
    return days


def require_hours(days, hours=None):
    """422 unless ``days`` (from ``charge``) charge something, and all of ``hours`` when given: a range of
    days off and holidays only, or more hours than its days hold, names the days."""
    start, end = days[0].day, days[-1].day
    charged = total(days)
    if not charged:
        raise NothingToTake(
            "start_date",
            f"{_span(start, end)} holds no working hours for the employee (days off and holidays).",
        )
    if hours is not None and hours > charged:
        last_working = max(day.day for day in days if day.hours)
        raise DayOverflow(
            "hours",
            f"{_span(start, end)} holds {charged:.2f} hours for the employee; {hours:.2f} were asked: "
            f"{hours - charged:.2f} would overflow {last_working.isoformat()}, its last working day.",
        )


def _overflow(day, scheduled, holiday, asked):
    why = f" ({holiday})" if holiday else ""
    return f"{day.isoformat()}{why} holds {scheduled:.2f} hours for the employee; {asked:.2f} were asked."


def _span(start, end):
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def total(days):
    """The hours the days charge."""
    return sum((day.hours for day in days), ZERO)
