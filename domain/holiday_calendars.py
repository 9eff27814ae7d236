"""Holiday calendars: a country's public holidays (the ``holidays`` package, offline) and the company's own
days (closures, partial days, public holidays it works), per office; employees use one, or the default.

A day that becomes a holiday inside booked time off gives its hours back (``give_back``), each with a
ledger line naming the holiday. Removing a holiday or changing a schedule never changes booked entries:
they keep the hours they were booked with, so no hour moves silently.

A filing reads its employee's holidays after taking the employee's lock; a change of holidays first holds
filings off (``hold_off_filings``): it waits for those under way, whose entries its give-back then sees,
and those that come after wait for it and see its days.
"""

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import groupby

import holidays as holiday_data
from sqlalchemy import and_, bindparam, or_, select
from werkzeug.exceptions import Conflict, NotFound

from database import hold_off_employee_locks, lock_reporting_lines
from domain import ledger
from domain.workdays import ZERO, Holiday, half
from errors import InvalidField
from models import (
    Employee,
    HolidayCalendar,
    HolidayCalendarDay,
    PtoDay,
    PtoEntry,
    db,
    today,
    utcnow,
)


class UnknownCountry(InvalidField):
    description = "The country, or its subdivision, is not one the holidays package knows."


class CalendarNameTaken(Conflict):
    description = "Another holiday calendar has that name."


class UnknownCalendar(InvalidField):
    description = "holiday_calendar_id names no holiday calendar."

    def __init__(self):
        super().__init__("holiday_calendar_id", "No holiday calendar with that id.")


class RangeTooLong(InvalidField):
    description = "The range spans more than two years."


# A calendar's holidays are listed for at most two years at once.
LONGEST_LISTED_RANGE = timedelta(days=731)


class DayNotSet(NotFound):
    description = "The calendar has no day of its own on that date."


# Calendars


def select_calendars():
    """The statement listing the calendars, the default first, then by name."""
    return select(HolidayCalendar).order_by(HolidayCalendar.is_default.desc(), HolidayCalendar.name)


def get_calendar_or_404(calendar_id, locked=False):
    """The calendar with ``calendar_id``, or 404. ``locked``: for a change, held until commit."""
    if locked:
        calendar = db.session.scalars(_CALENDAR_FOR_CHANGE, {"calendar": calendar_id}).one_or_none()
    else:
        calendar = db.session.get(HolidayCalendar, calendar_id)
    if calendar is None:
        raise NotFound("No holiday calendar with that id.")
    return calendar


def calendar_for(calendar_id):
    """The calendar an employee's ``holiday_calendar_id`` names (the default for None); 422 for none."""
    if calendar_id is None:
        return db.session.scalars(select(HolidayCalendar).where(HolidayCalendar.is_default)).one()
    calendar = db.session.get(HolidayCalendar, calendar_id)
    if calendar is None:
        raise UnknownCalendar()
    return calendar


def add_calendar(data, actor_id):
    """Add a calendar (the new default if ``is_default``: days from today on that become holidays for the
    employees following the default give back the hours booked on them)."""
    _require_known_place(data.get("country"), data.get("subdivision"))
    _require_free_name(data["name"])
    calendar = HolidayCalendar(**{**data, "is_default": False})
    db.session.add(calendar)
    db.session.flush()
    if data.get("is_default"):
        _make_default(calendar)
        db.session.flush()
        give_back(calendar, actor_id, since=today())
    return calendar


def change_calendar(calendar, changes, actor_id):
    """Rename a calendar, make it the default, or change its country or subdivision. When its holidays
    change for someone, days from today on that become holidays give back the hours booked on them."""
    country = changes.get("country", calendar.country)
    subdivision = changes.get("subdivision", calendar.subdivision if "country" not in changes else None)
    _require_known_place(country, subdivision)
    if "name" in changes and changes["name"] != calendar.name:
        _require_free_name(changes["name"])
        calendar.name = changes["name"]
    holidays_change = (country, subdivision) != (calendar.country, calendar.subdivision)
    calendar.country, calendar.subdivision = country, subdivision
    if changes.get("is_default") and not calendar.is_default:
        _make_default(calendar)
        holidays_change = True  # the default's employees follow it now
    db.session.flush()
    if holidays_change:
        give_back(calendar, actor_id, since=today())
    return calendar


def _make_default(calendar):
    # The old default stops being one (flushed) before the new one starts: the unique index allows one.
    for other in db.session.scalars(select(HolidayCalendar).where(HolidayCalendar.is_default)):
        other.is_default = False
    db.session.flush()
    calendar.is_default = True


def _require_free_name(name):
    if db.session.scalar(select(HolidayCalendar.id).where(HolidayCalendar.name == name)) is not None:
        raise CalendarNameTaken(f"A holiday calendar is named {name!r} already.")


def _require_known_place(country, subdivision):
    if country is None:
        if subdivision is not None:
            raise UnknownCountry("subdivision", "Give the country of the subdivision.")
        return
    supported = holiday_data.list_supported_countries()
    if country not in supported:
        raise UnknownCountry("country", f"{country!r} is not a country code the holidays package knows.")
    if subdivision is not None and subdivision not in supported[country]:
        known = ", ".join(supported[country][:20])
        raise UnknownCountry(
            "subdivision", f"{country} has no subdivision {subdivision!r} (known: {known}…)."
        )


# The company's own days


def select_days(calendar_id):
    """The statement listing a calendar's own days, by date."""
    return (
        select(HolidayCalendarDay)
        .where(HolidayCalendarDay.calendar_id == calendar_id)
        .order_by(HolidayCalendarDay.day)
    )


def set_day(calendar, day, kind, name, hours, actor_id):
    """Set the calendar's own day on ``day`` (replacing one set before): a closure, a partial day of
    ``hours`` at most, or a working day. Time off booked on a day that now holds less gives hours back."""
    existing = db.session.get(HolidayCalendarDay, (calendar.id, day))
    if existing is None:
        existing = HolidayCalendarDay(calendar_id=calendar.id, day=day)
        db.session.add(existing)
    existing.kind, existing.name, existing.hours, existing.created_by = kind, name, hours, actor_id
    existing.created_at = utcnow()
    db.session.flush()
    give_back(calendar, actor_id, on=day)
    return existing


def remove_day(calendar, day):
    """Remove the calendar's own day on ``day``; booked entries keep their hours (the module's rule)."""
    existing = db.session.get(HolidayCalendarDay, (calendar.id, day))
    if existing is None:
        raise DayNotSet(f"The calendar has no day of its own on {day}.")
    db.session.delete(existing)
    calendar.updated_at = utcnow()  # calendar feeds showed the day: they change


# Holidays on days


@lru_cache(maxsize=4096)
def _public_holidays(country, subdivision, year):
    """{day: name} of a country's public holidays in ``year``: generated once per worker, country and year
    (the package's data is pinned, so they never change while it runs)."""
    return dict(holiday_data.country_holidays(country, subdiv=subdivision, years=year))


def holidays_between(country, subdivision, own_days, start, end):
    """{day: workdays.Holiday} from ``start`` to ``end``: the country's public holidays, then the company's
    ``own_days`` (HolidayCalendarDay-like rows) over them."""
    found = {}
    if country is not None:
        for year in range(start.year, end.year + 1):
            for day, name in _public_holidays(country, subdivision, year).items():
                if start <= day <= end:
                    found[day] = Holiday(name)
    for own in own_days:
        if own.kind == "working":
            found.pop(own.day, None)
        else:
            found[own.day] = Holiday(own.name, ZERO if own.kind == "closure" else Decimal(own.hours))
    return found


# The calendar an employee follows (theirs, else the default) and its own days from :start to :end, one
# row each (one row with no day when it has none there): a part of a filing's one read (``stacked``), so
# its columns are named for it.
_SETTING = select(Employee.holiday_calendar_id).where(Employee.id == bindparam("employee")).scalar_subquery()
CALENDAR_DAYS = (
    select(
        HolidayCalendar.country,
        HolidayCalendar.subdivision,
        HolidayCalendarDay.day,
        HolidayCalendarDay.kind,
        HolidayCalendarDay.name,
        HolidayCalendarDay.hours,
    )
    .outerjoin(
        HolidayCalendarDay,
        and_(
            HolidayCalendarDay.calendar_id == HolidayCalendar.id,
            HolidayCalendarDay.day.between(bindparam("start"), bindparam("end")),
        ),
    )
    .where(or_(HolidayCalendar.id == _SETTING, and_(_SETTING.is_(None), HolidayCalendar.is_default)))
)
# A change takes the calendar's row before anything else: two changes of one calendar queue. FOR NO KEY
# UPDATE: moving an employee onto the calendar (its foreign key's check) does not wait for it, so the
# change can take the lock on reporting lines after it without a deadlock.
_CALENDAR_FOR_CHANGE = (
    select(HolidayCalendar)
    .where(HolidayCalendar.id == bindparam("calendar"))
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)


def holidays_from_rows(rows, start, end):
    """{day: Holiday} from ``start`` to ``end`` of the calendar ``CALENDAR_DAYS`` read (its rows)."""
    if not rows:
        return {}
    own_days = [row for row in rows if row.day is not None]
    return holidays_between(rows[0].country, rows[0].subdivision, own_days, start, end)


def _holidays_of(calendar, start, end):
    """{day: Holiday} of ``calendar`` from ``start`` to ``end``."""
    own_days = db.session.scalars(
        select(HolidayCalendarDay).where(
            HolidayCalendarDay.calendar_id == calendar.id, HolidayCalendarDay.day.between(start, end)
        )
    ).all()
    return own_days, holidays_between(calendar.country, calendar.subdivision, own_days, start, end)


def listed_holidays(calendar, start=None, end=None):
    """The calendar's holidays from ``start`` (default: January 1 this year) to ``end`` (default: the end
    of ``start``'s year) as the API lists them: by day, each with its name, where it comes from, and the
    hours that may still be worked."""
    start = start or date(today().year, 1, 1)
    end = end or date(start.year, 12, 31)
    if end - start > LONGEST_LISTED_RANGE:
        raise RangeTooLong("to", "The range spans at most two years.", "query")
    own_days, found = _holidays_of(calendar, start, end)
    own = {row.day: row for row in own_days}
    return [
        {
            "date": day,
            "name": holiday.name,
            "source": own[day].kind if day in own else "public",
            "hours": holiday.hours,
        }
        for day, holiday in sorted(found.items())
    ]


# Booked days that become holidays


def _uses(calendar):
    """SQL: employees whose days follow ``calendar``."""
    if calendar.is_default:
        return or_(Employee.holiday_calendar_id == calendar.id, Employee.holiday_calendar_id.is_(None))
    return Employee.holiday_calendar_id == calendar.id


def give_back(calendar, actor_id, on=None, since=None, employee_id=None):
    """Give back the hours of booked days (of live entries of employees on ``calendar``, or of
    ``employee_id`` alone) that now hold less than they charge because of a holiday: the day ``on``, or
    every day from ``since``. An approved entry's hours come back with a "day_refund" line naming the
    holiday; a pending one's are held no more. An entry left with no hours is cancelled.

    For a whole calendar it first holds filings off (``hold_off_filings``), after the calendar rows the
    change locked: the order every change of holidays takes its locks in. For one employee, the caller
    holds their lock (and the lock on reporting lines, as here)."""
    if employee_id is None:
        hold_off_filings()
    days = (
        select(PtoDay)
        .join(Employee, Employee.id == PtoDay.employee_id)
        .join(PtoEntry, PtoEntry.id == PtoDay.pto_entry_id)
        .where(_uses(calendar), PtoDay.hours > 0, PtoEntry.status.in_(("pending", "approved")))
    )
    days = days.where(PtoDay.day == on) if on is not None else days.where(PtoDay.day >= since)
    if employee_id is not None:
        days = days.where(PtoDay.employee_id == employee_id)
    # Under the caller's locks: what is booked now, one day at a time, oldest entry first.
    booked_days = db.session.scalars(days.order_by(PtoDay.employee_id, PtoDay.day, PtoDay.pto_entry_id)).all()
    if not booked_days:
        return
    first, last = min(d.day for d in booked_days), max(d.day for d in booked_days)
    _own_days, holidays = _holidays_of(calendar, first, last)
    # Their entries, read at once (``_give_back_day`` finds them in the session).
    entry_ids = {booked.pto_entry_id for booked in booked_days}
    db.session.scalars(select(PtoEntry).where(PtoEntry.id.in_(entry_ids))).all()
    for (_employee, day), booked_that_day in groupby(
        booked_days, key=lambda booked: (booked.employee_id, booked.day)
    ):
        holiday = holidays.get(day)
        if holiday is None:
            continue
        room = holiday.hours  # what the day holds now, shared by its entries as a new filing would charge
        for booked in booked_that_day:
            holds = min(booked.scheduled, holiday.hours)
            kept = min(booked.hours, half(holds, booked.part) if booked.part else holds, room)
            room -= kept
            if kept < booked.hours:
                _give_back_day(booked, holiday, kept, actor_id)


def hold_off_filings():
    """Keep filings out until this change of holidays commits, once those under way have committed: a
    filing reads its employee's holidays after taking the employee's lock, so it then sees the change,
    and ``give_back`` sees the entries filed before it. (Everything else that takes an employee's lock
    waits too: decisions, accrual runs, employee changes.)"""
    lock_reporting_lines()  # first, as accrual runs and manager changes take it
    hold_off_employee_locks()


def _give_back_day(booked, holiday, kept, actor_id):
    """Charge ``kept`` hours for a booked day that became ``holiday``; the rest comes back."""
    entry = db.session.get(PtoEntry, booked.pto_entry_id)
    returned = booked.hours - kept
    booked.scheduled = min(booked.scheduled, holiday.hours)
    booked.hours, booked.holiday = kept, holiday.name
    if not kept:
        booked.part = None
    reason = f"{booked.day.isoformat()} became a holiday ({holiday.name}): {returned:.2f} hours given back"
    entry.revision += 1
    if entry.hours - returned <= 0:
        _cancel_emptied(entry, reason, actor_id)
        return
    if entry.balance_type is not None:
        if entry.status == "approved":
            ledger.give_back_day(entry, returned, actor_id, reason)
        else:
            ledger.release_some(entry, returned)
    entry.hours -= returned


def _cancel_emptied(entry, reason, actor_id):
    """An entry whose every charged day became a holiday is cancelled: its hours all come back."""
    ledger.return_hours(entry, entry.status == "approved", actor_id, reason)
    entry.status, entry.cancelled_by, entry.cancelled_at = "cancelled", actor_id, utcnow()
    entry.cancellation_note = f"Cancelled: {reason}."
