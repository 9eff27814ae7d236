"""Who's out: the days people are off in a range, as each viewer may see them.

Admins see everyone in full; managers themselves and their direct reports; employees themselves. Anyone
linked to an employee also sees the colleagues who share their manager, but only that they are out and
which part of the day: no type, no note, no hours, no pending requests (sick leave is private). A day off
is a booked day with hours (weekends and holidays inside a request are not); an entry dated before days
were kept (migration 0009) is out on each of its dates. Archived employees are left out, as in lists.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from sqlalchemy import and_, bindparam, case, cast, exists, false, func, null, or_, select, true, type_coerce
from sqlalchemy.orm import aliased

from database import execute, stacked
from domain import holiday_calendars
from domain.permissions import VIEWER, viewer_params, visibility, visible_to
from models import Employee, HolidayCalendar, HolidayCalendarDay, Hours, PtoDay, PtoEntry, today

DEFAULT_DAYS = 14
FILTERS = ("employee_id", "manager_id", "type")


def date_range(filters):
    """(first, last) day the caller asks for: ``from`` (default today) to ``to`` (default 14 days on; the
    query's shape bounds it)."""
    first = filters.get("from_") or today()
    days_on = min(DEFAULT_DAYS - 1, (date.max - first).days)  # no further than the last date there is
    return first, filters.get("to") or first + timedelta(days=days_on)


def select_people_out(user, filters, first, last):
    """The statement listing the employees out at least one day from ``first`` to ``last`` that ``user``
    may see, narrowed by ``filters`` (employee_id, manager_id: their team, themselves included; type;
    include_pending), by name; and its bind parameters. Each row says whether ``user`` sees them in full."""
    statement = _people_out(visibility(user), *_shape(filters))
    return statement, _params(user, filters, first, last)


def days_out(user, filters, first, last, people):
    """Each day from ``first`` to ``last``: its holidays (of the calendars the employees in view follow)
    and who of ``people`` (rows of ``select_people_out``) is out, as ``user`` may see them."""
    scope, shape, params = visibility(user), _shape(filters), _params(user, filters, first, last)
    out = defaultdict(list)
    in_full = {person.id: person.in_full for person in people}
    if people:
        params["people"] = list(in_full)
        rows = execute(_days_of(scope, *shape), params).all()
        for row in sorted(rows, key=lambda row: (row.first, row.employee_id)):
            seen = _shown(row, in_full[row.employee_id])
            # A booked day is one row; an entry without days (dated before 0009) is out each of its dates.
            for day in _each_day(max(row.first, first), min(row.last, last)):
                out[day].append(seen)
    order = {person.id: index for index, person in enumerate(people)}
    names = {person.id: person.name for person in people}
    holidays = _holidays(scope, shape, params, first, last)
    days = []
    for day in _each_day(first, last):
        shown = sorted(out.get(day, ()), key=lambda seen: order[seen["employee_id"]])
        for seen in shown:
            seen["name"] = names[seen["employee_id"]]
        days.append(Day(day, holidays.get(day, []), shown))
    return days


def _each_day(first, last):
    """The days from ``first`` to ``last`` (never a day past the last date there is)."""
    return (first + timedelta(days=offset) for offset in range((last - first).days + 1))


def entries_out(user, filters, first, last, cancelled_since):
    """The dated entries that put the employees ``user`` may see (narrowed by ``filters``) on the calendar
    from ``first`` to ``last``, one row each with the first and last of its days off, its hours and, for a
    single day, its part; and those cancelled since ``cancelled_since`` (to who sees the employee only as
    out, those that had been approved), so that subscribers drop them: what a calendar feed sends."""
    params = {**_params(user, filters, first, last), "cancelled_since": cancelled_since}
    return execute(_entries_out(visibility(user), *_shape(filters)), params).all()


def holidays_in_view(user, filters, first, last):
    """{day: [holiday, ...]} from ``first`` to ``last`` of the calendars the employees in view follow."""
    return _holidays(visibility(user), _shape(filters), _params(user, filters, first, last), first, last)


@dataclass
class Day:
    """One day of the calendar: the holidays on it and who is out."""

    date: object
    holidays: list
    out: list


def _shape(filters):
    """What a calendar statement depends on besides the caller: which filters apply, pending or not."""
    return (*(name in filters for name in FILTERS), bool(filters.get("include_pending")))


def _params(user, filters, first, last):
    params = {**viewer_params(user), "first": first, "last": last}
    params.update({name: filters[name] for name in FILTERS if name in filters})
    return params


def _shown(row, in_full):
    """A day out as the viewer sees it: in full, or only that the employee is out (and when in the day)."""
    seen = {"employee_id": row.employee_id, "part": row.part}
    if in_full:
        seen.update(entry_id=row.entry_id, type=row.type, status=row.status, hours=row.hours, note=row.note)
    return seen


# The caller's colleagues: employees who share the caller's manager.
_VIEWER = aliased(Employee, name="viewer")
_VIEWERS_MANAGER = select(_VIEWER.manager_id).where(_VIEWER.id == VIEWER).scalar_subquery()


def _in_view(scope, by_employee, by_manager):
    """SQL: the active employees the caller sees at all (in full, or as a colleague), narrowed by the
    employee and manager filters."""
    conditions = [
        Employee.archived_at.is_(None),
        or_(visible_to(scope), Employee.manager_id == _VIEWERS_MANAGER),
    ]
    if by_employee:
        conditions.append(Employee.id == bindparam("employee_id"))
    if by_manager:
        team = bindparam("manager_id")
        conditions.append(or_(Employee.manager_id == team, Employee.id == team))
    return and_(*conditions)


def _in_full(scope):
    """The column "in_full": whether the caller sees the row's employee in full (else as a colleague)."""
    return (true() if scope == "all" else case((visible_to(scope), true()), else_=false())).label("in_full")


def _counted(scope, by_type, pending):
    """SQL: the entries that put their employee on the calendar. A type, and pending requests, only for
    employees the caller sees in full: a colleague's type is private, even as a filter."""
    in_full = visible_to(scope)
    status = PtoEntry.status == "approved"
    if pending:
        status = or_(status, and_(PtoEntry.status == "pending", in_full))
    conditions = [PtoEntry.employee_id == Employee.id, status]
    if by_type:
        conditions += [PtoEntry.type == bindparam("type"), in_full]
    return and_(*conditions)


# Days with hours booked in the range, and entries dated before days were kept (they have none at all).
def _booked_days(counted):
    return (
        select(
            PtoDay.employee_id,
            PtoDay.day.label("first"),
            PtoDay.day.label("last"),
            PtoDay.hours,
            PtoDay.part,
            PtoEntry.id.label("entry_id"),
            PtoEntry.type,
            PtoEntry.status,
            PtoEntry.note,
        )
        .join(PtoEntry, PtoEntry.id == PtoDay.pto_entry_id)
        .where(PtoDay.day.between(bindparam("first"), bindparam("last")), PtoDay.hours > 0, counted)
    )


def _undivided_entries(counted):
    return select(
        PtoEntry.employee_id,
        PtoEntry.start_date.label("first"),
        PtoEntry.end_date.label("last"),
        cast(null(), Hours).label("hours"),
        cast(null(), PtoDay.part.type).label("part"),
        PtoEntry.id.label("entry_id"),
        PtoEntry.type,
        PtoEntry.status,
        PtoEntry.note,
    ).where(
        counted,
        PtoEntry.overlapping(bindparam("first"), bindparam("last")),
        ~exists().where(PtoDay.pto_entry_id == PtoEntry.id),
    )


@cache
def _people_out(scope, by_employee, by_manager, by_type, pending):
    """SELECT of ``select_people_out``, built once per kind of caller and filters."""
    counted = _counted(scope, by_type, pending)
    off = or_(
        exists(_booked_days(counted).where(PtoDay.employee_id == Employee.id)),
        exists(_undivided_entries(counted).where(PtoEntry.employee_id == Employee.id)),
    )
    return (
        select(Employee.id, Employee.name, _in_full(scope))
        .where(_in_view(scope, by_employee, by_manager), off)
        .order_by(Employee.name, Employee.id)
    )


@cache
def _days_of(scope, by_employee, by_manager, by_type, pending):
    """The days out of the page's employees (:people), one statement: booked days, and entries without."""
    counted = _counted(scope, by_type, pending)
    of_people = Employee.id.in_(bindparam("people", expanding=True))
    return stacked(
        booked=_booked_days(counted).join(Employee, Employee.id == PtoDay.employee_id).where(of_people),
        undivided=_undivided_entries(counted)
        .join(Employee, Employee.id == PtoEntry.employee_id)
        .where(of_people),
    )


@cache
def _entries_out(scope, by_employee, by_manager, by_type, pending):
    """SELECT of ``entries_out``, built once per kind of caller and filters."""
    in_full = visible_to(scope)
    cancelled = [
        PtoEntry.employee_id == Employee.id,
        PtoEntry.status == "cancelled",
        PtoEntry.cancelled_at >= bindparam("cancelled_since"),
        or_(in_full, PtoEntry.decided_at.is_not(None)),  # it was approved (a denial is no cancellation)
    ]
    if by_type:
        cancelled += [PtoEntry.type == bindparam("type"), in_full]
    single_part = case((func.count(PtoDay.day) == 1, func.max(PtoDay.part)))
    return (
        select(
            Employee.id.label("employee_id"),
            Employee.name,
            _in_full(scope),
            PtoEntry.id.label("entry_id"),
            PtoEntry.type,
            PtoEntry.status,
            PtoEntry.note,
            PtoEntry.revision,
            PtoEntry.updated_at,
            func.coalesce(func.min(PtoDay.day), PtoEntry.start_date).label("first"),
            func.coalesce(func.max(PtoDay.day), PtoEntry.end_date).label("last"),
            single_part.label("part"),
            type_coerce(func.round(func.sum(PtoDay.hours), 2), Hours).label("hours"),
        )
        .select_from(PtoEntry)
        .join(Employee, Employee.id == PtoEntry.employee_id)
        .outerjoin(PtoDay, and_(PtoDay.pto_entry_id == PtoEntry.id, PtoDay.hours > 0))
        .where(
            _in_view(scope, by_employee, by_manager),
            or_(_counted(scope, by_type, pending), and_(*cancelled)),
            PtoEntry.overlapping(bindparam("first"), bindparam("last")),
        )
        .group_by(PtoEntry.id, Employee.id)
        .order_by(PtoEntry.id)
    )


def _holidays(scope, shape, params, first, last):
    """{day: [holiday, ...]} of the calendars the employees in view follow, in calendar order."""
    by_employee, by_manager, _by_type, _pending = shape
    calendars = execute(_calendars_in_use(scope, by_employee, by_manager), params).all()
    if not calendars:
        return {}
    own_days = defaultdict(list)
    days_params = {"calendars": [calendar.id for calendar in calendars], "first": first, "last": last}
    for row in execute(_OWN_DAYS, days_params):
        own_days[row.calendar_id].append(row)
    found = defaultdict(list)
    for calendar in calendars:
        held = holiday_calendars.holidays_between(
            calendar.country, calendar.subdivision, own_days[calendar.id], first, last
        )
        for day, holiday in held.items():
            found[day].append(
                {
                    "calendar_id": calendar.id,
                    "calendar": calendar.name,
                    "name": holiday.name,
                    "hours": holiday.hours,
                }
            )
    return found


@cache
def _calendars_in_use(scope, by_employee, by_manager):
    """The calendars an employee in view follows (the default for those who name none), default first."""
    follows = or_(
        Employee.holiday_calendar_id == HolidayCalendar.id,
        and_(Employee.holiday_calendar_id.is_(None), HolidayCalendar.is_default),
    )
    return (
        select(HolidayCalendar.id, HolidayCalendar.name, HolidayCalendar.country, HolidayCalendar.subdivision)
        .where(exists().where(follows, _in_view(scope, by_employee, by_manager)))
        .order_by(HolidayCalendar.is_default.desc(), HolidayCalendar.name)
    )


_OWN_DAYS = select(HolidayCalendarDay).where(
    HolidayCalendarDay.calendar_id.in_(bindparam("calendars", expanding=True)),
    HolidayCalendarDay.day.between(bindparam("first"), bindparam("last")),
)
