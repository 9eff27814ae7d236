"""Work schedules: the hours people work on each weekday, the company's by default, effective-dated.

A schedule counts from its ``effective_from`` until the next one of the same owner (an employee, or the
company). An employee without a schedule of their own on a day works the company's. Schedules are history:
a new one is added from a day on; only one that has not started yet may be removed. Entries booked before a
change keep the hours they were booked with (see the README's "Days, schedules and holidays").
"""

from decimal import Decimal

from sqlalchemy import bindparam, or_, select
from werkzeug.exceptions import Conflict, NotFound

from domain.workdays import Schedule
from models import WEEKDAYS, WorkSchedule, db, today


class ScheduleExists(Conflict):
    description = (
        "A schedule already starts on that day: remove it first (if it has not started), or pick another day."
    )


class ScheduleStarted(Conflict):
    description = (
        "The schedule has started: it is history now, and stays. Add a new one from a later day instead."
    )


def select_schedules(employee_id=None):
    """The statement listing the company's schedules (``employee_id`` None) or an employee's own, oldest
    first."""
    owner = (
        WorkSchedule.employee_id.is_(None) if employee_id is None else WorkSchedule.employee_id == employee_id
    )
    return select(WorkSchedule).where(owner).order_by(WorkSchedule.effective_from)


def get_schedule_or_404(employee_id, schedule_id):
    """A schedule of the company (``employee_id`` None) or of that employee, or 404."""
    schedule = db.session.get(WorkSchedule, schedule_id)
    if schedule is None or schedule.employee_id != employee_id:
        raise NotFound("No work schedule with that id.")
    return schedule


def add_schedule(employee_id, effective_from, weeks, actor_id):
    """Add a schedule for the company (``employee_id`` None) or an employee from ``effective_from`` on;
    ``weeks`` is one or two {weekday: hours} (two: a rotation). 409 if one starts that day already."""
    owner = (
        WorkSchedule.employee_id.is_(None) if employee_id is None else WorkSchedule.employee_id == employee_id
    )
    taken = db.session.scalar(
        select(WorkSchedule.id).where(owner, WorkSchedule.effective_from == effective_from)
    )
    if taken is not None:
        raise ScheduleExists(f"Work schedule {taken} already starts on {effective_from}.")
    hours = [f"{week[weekday]:.2f}" for week in weeks for weekday in WEEKDAYS]
    schedule = WorkSchedule(
        employee_id=employee_id, effective_from=effective_from, hours=hours, created_by=actor_id
    )
    db.session.add(schedule)
    db.session.flush()
    return schedule


def remove_schedule(schedule):
    """Remove a schedule that has not started yet; 409 for one that has (it is history)."""
    if schedule.effective_from <= today():
        raise ScheduleStarted(f"The schedule started on {schedule.effective_from}; it stays as history.")
    db.session.delete(schedule)


# The employee's schedules and the company's starting by :end: what hours from dates need. A part of a
# filing's one read (``database.stacked``), so its columns are named for it.
SCHEDULES = select(
    WorkSchedule.employee_id.label("owner"),
    WorkSchedule.effective_from,
    WorkSchedule.hours.label("week"),
).where(
    or_(WorkSchedule.employee_id == bindparam("employee"), WorkSchedule.employee_id.is_(None)),
    WorkSchedule.effective_from <= bindparam("end"),
)


def schedules_from_rows(rows):
    """(own, company): the employee's schedules and the company's that ``SCHEDULES`` read (its rows), as
    ``workdays.Schedule``s sorted by the day they start."""
    own, company = [], []
    for row in sorted(rows, key=lambda row: row.effective_from):
        schedule = Schedule(row.effective_from, tuple(Decimal(value) for value in row.week))
        (company if row.owner is None else own).append(schedule)
    return own, company
