"""The life of a PTO entry: filed, approved or denied, cancelled with an exact refund."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from flask import current_app
from sqlalchemy import (
    ARRAY,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    or_,
    select,
    true,
    type_coerce,
    update,
)
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import Conflict, HTTPException, NotFound

from database import dialect_name, execute, select_employees_locked, stacked
from domain import accrual_runs, holiday_calendars, ledger, pto_types, schedules, workdays
from domain.people import get_employee_or_404, require_active
from domain.permissions import (
    decides_for,
    require_canceller,
    require_decider,
    viewer_params,
    visibility,
    visible_to,
)
from errors import InvalidField
from models import (
    PTO_ENTRY_COLUMNS,
    Employee,
    EmployeeFigures,
    Hours,
    PtoDay,
    PtoEntry,
    PtoType,
    TypeTreatment,
    db,
    today,
    utcnow,
)

LIVE = ("pending", "approved")  # entries that hold days and hours
ENTRY_FILTERS = ("employee_id", "status", "type")


class IllegalTransition(Conflict):
    description = (
        "The entry cannot move to that status from where it is: only a pending request is approved or "
        "denied, only a pending or approved entry is cancelled (also when another request moved it first)."
    )


class OverlappingRequest(Conflict):
    description = "The dates overlap another pending or approved entry of the employee."


class TooManyOpenEntries(Conflict):
    description = (
        "The employee already holds the most open entries allowed (PTO_MAX_OPEN_ENTRIES: pending, or "
        "approved and not yet started)."
    )


class HoursExceedDays(InvalidField):
    description = (
        "The entry spans more than PTO_MAX_DAYS days, or asks more hours than its days hold (24 a day; an "
        "undated entry as many as the longest dated one)."
    )


HOURS_PER_DAY = 24


@dataclass
class Filing:
    """A request as filing it goes: for whom, under which type, its days and hours, the status it gets
    (the problems that stop it are its ``_Checks``')."""

    employee: object
    pto_type: object
    data: dict
    days: list | None = None
    hours: Decimal | None = None
    status: str | None = None


class _Checks:
    """Runs a filing's checks: raising the first problem (a filing), or collecting each (a quote)."""

    def __init__(self, collect):
        self.collect = collect
        self.problems = []

    def run(self, check, *args):
        """``check(*args)``'s result, or None when it found a problem (collected)."""
        try:
            return check(*args)
        except HTTPException as problem:
            if not self.collect:
                raise
            self.problems.append(problem)
            return None


def file_pto(user, employee_id, data):
    """File an entry: approved at once when the filer decides for the employee or its type needs no
    approval, else pending, its hours held against the balance it draws on. A dated entry without
    ``hours`` is charged the hours its days hold for the employee (``workdays.charge``), and keeps them
    day by day.

    Requests for one employee queue on their row, so the overlap and availability checks
    see every entry filed before them.
    """
    filing = _plan(user, employee_id, data, _Checks(collect=False), locked=True)
    employee, pto_type = filing.employee, filing.pto_type
    now = utcnow()
    values = {
        **dict.fromkeys(_FILED_COLUMNS),
        **filing.data,
        "employee_id": employee.id,
        "hours": filing.hours,
        "type": pto_type.key,
        "balance_type": pto_type.balance_type,
        "status": filing.status,
        "requested_by": user.id,
        "created_at": now,
        "revision": 0,
        "updated_at": now,
    }
    if filing.status == "approved":
        values.update(decided_by=user.id if decides_for(user, employee) else None, decided_at=now)
    entry = PtoEntry(id=_insert_unless_too_many_open(values, filing.days, today()), **values)
    if entry.balance_type is not None:
        overdraft = ledger.overdraft_of(pto_type)
        if entry.status == "approved":
            ledger.take_hours(entry, user.id, overdraft)
        else:
            ledger.hold_hours(entry, overdraft)
    entry.days = filing.days or []
    return entry


@dataclass
class Quote:
    """What filing a request would do, as POST /pto/quote answers it."""

    employee_id: int
    type: str | None
    status: str | None
    hours: Decimal | None
    start_date: date | None
    end_date: date | None
    days: list
    balance: dict | None
    problems: list

    @property
    def ok(self):
        return not self.problems


def quote_pto(user, employee_id, data):
    """What filing ``data`` would do, written nowhere: its days and hours, the status it would get, the
    balance it draws on now, on its first day (projected) and after, and every problem the filing would
    meet, in the order it meets them. The open-entry and balance checks are read here, where the filing
    makes them as it writes."""
    checks = _Checks(collect=True)
    filing = _plan(user, employee_id, data, checks, locked=False)
    employee, pto_type = filing.employee, filing.pto_type
    if employee is None:  # one the caller may not see: only the problems filing meets before its 404
        return Quote(employee_id, None, None, filing.hours, None, None, [], None, _problems(checks))
    balance = None
    if pto_type is not None and pto_type.balance_type is not None:
        balance = _quoted_balance(employee.id, pto_type.balance_type, filing)
    if pto_type is not None and not employee.archived:
        checks.run(_require_room_for_another, employee.id)
        if balance is not None and filing.hours is not None:
            held, pending = balance["hours_balance"], balance["pending_hours"]
            checks.run(ledger.require_covered, held, pending, pto_type, filing.hours)
    return Quote(
        employee_id=employee.id,
        type=pto_type.key if pto_type else None,
        status=filing.status if not checks.problems else None,
        hours=filing.hours,
        start_date=filing.data.get("start_date"),
        end_date=filing.data.get("end_date"),
        days=filing.days or [],
        balance=balance,
        problems=_problems(checks),
    )


def _quoted_balance(employee_id, balance_type, filing):
    _type, held, pending = ledger.find_balance(employee_id, balance_type)
    first_day = filing.data.get("start_date")
    projected = held
    if first_day is not None:
        try:
            projected = accrual_runs.projected_balance(employee_id, balance_type, first_day)
        except accrual_runs.TooFarAhead:
            projected = None
    after = None if projected is None or filing.hours is None else projected - filing.hours
    return {
        "type": balance_type,
        "hours_balance": held,
        "pending_hours": pending,
        "available_hours": held - pending,
        "first_day": first_day,
        "projected_hours_balance": projected,
        "hours_balance_after": after,
    }


def _problems(checks):
    return [_problem(problem) for problem in checks.problems]


def _problem(problem):
    """A problem as a quote lists it: a code (the rule's name), the status POST /pto answers, the message,
    and the field at fault where one is."""
    code = re.sub(r"(?<!^)(?=[A-Z])", "_", type(problem).__name__).lower()
    shown = {"code": code, "status": problem.code, "message": problem.description}
    messages = getattr(problem, "data", {}).get("messages", {}).get("json", {})
    if messages:
        shown["field"], [shown["message"]] = next(iter(messages.items()))
    return shown


def _plan(user, employee_id, data, checks, locked):
    """The ``Filing`` for ``data``: the checks that need no write, run by ``checks`` in the order a filing
    meets them. 404 (raised) for an employee ``user`` may not see, after the problems a filing meets first
    (its span, its type): a quote then answers those alone, as the filing would."""
    data = dict(data)
    type_key = data.pop("type", None)
    span_fits = checks.run(_require_span, data)
    try:
        employee, pto_type = _employee_and_type_for_filing(user, employee_id, type_key, locked)
    except (pto_types.UnknownType, pto_types.TypeArchived) as problem:
        if not checks.collect:
            raise
        checks.problems.append(problem)
        employee, pto_type = _visible_or_none(user, employee_id), None
    except NotFound:
        if not checks.problems:
            raise
        employee, pto_type = None, None
    filing = Filing(employee, pto_type, data, hours=data.pop("hours", None))
    if employee is None:
        return filing
    checks.run(require_active, employee)
    if data.get("start_date") and span_fits:
        # Read after the employee's lock: the entries filed before this one, and the holidays as a change
        # that holds filings off left them (holiday_calendars.hold_off_filings).
        known = _read_days_known(employee.id, data["start_date"], data["end_date"])
        filing.days = checks.run(_charged_days, data, filing.hours, known)
        if filing.days is not None:
            checks.run(workdays.require_hours, filing.days, filing.hours)
            filing.hours = workdays.total(filing.days)
        checks.run(_refuse_overlap, known["booked"], filing.days)
    for name in ("start_part", "end_part", "day_hours"):
        data.pop(name, None)
    if pto_type is not None:
        approved = decides_for(user, employee) or not pto_type.requires_approval
        filing.status = "approved" if approved else "pending"
    return filing


def _visible_or_none(user, employee_id):
    """The employee ``user`` may see (for a quote whose type is at fault), or None: the filing answers
    the type's 422 before any 404, and the quote lists it alone."""
    try:
        return get_employee_or_404(user, employee_id)
    except NotFound:
        return None


def _read_days_known(employee_id, start, end):
    """What the employee's days from ``start`` to ``end`` hold, in one statement: {"calendar": the rows of
    their holiday calendar's days, "schedules": their schedules' and the company's, "booked": the days
    their live entries book}."""
    known = {"calendar": [], "schedules": [], "booked": []}
    for row in execute(_DAYS_KNOWN, {"employee": employee_id, "start": start, "end": end}):
        known[row.source].append(row)
    return known


def _charged_days(data, hours, known):
    """The request's days with the hours each charges, by the employee's schedules and holidays
    (``known``, from ``_read_days_known``)."""
    start, end = data["start_date"], data["end_date"]
    own, company = schedules.schedules_from_rows(known["schedules"])
    day_hours = {item["date"]: item["hours"] for item in data.get("day_hours", ())}
    return workdays.charge(
        start,
        end,
        own,
        company,
        holiday_calendars.holidays_from_rows(known["calendar"], start, end),
        hours,
        data.get("start_part"),
        data.get("end_part"),
        day_hours,
    )


def entry_days(entry_id):
    """An entry's days, in order ([] for an undated entry, or one dated before schedules existed)."""
    return db.session.scalars(
        select(PtoDay).where(PtoDay.pto_entry_id == entry_id).order_by(PtoDay.day)
    ).all()


def _require_room_for_another(employee_id):
    """409 if the employee holds PTO_MAX_OPEN_ENTRIES open entries already (as the filing's INSERT checks)."""
    count = db.session.scalar(_COUNT_OPEN_ENTRIES, {"employee": employee_id, "today": today()})
    if count >= current_app.config["PTO_MAX_OPEN_ENTRIES"]:
        raise _too_many_open(count)


def _too_many_open(count):
    return TooManyOpenEntries(
        f"The employee already has {count} open entries (pending, or approved and not yet started), the "
        "most allowed: decide or cancel some first."
    )


def _insert_unless_too_many_open(values, days, today):
    """Write the entry ``values`` describe, with its ``days``, and return its id; 409 instead if the
    employee already holds PTO_MAX_OPEN_ENTRIES open entries (pending, or approved and not yet started).

    One statement does both, checking the count as it inserts: an INSERT rather than the session's unit of
    work, which cost more than every other step of a filing. On PostgreSQL the same statement writes the
    days; on SQLite they follow, one row each. The caller holds the employee's lock, so the count sees
    every entry filed before this one.
    """
    limit = current_app.config["PTO_MAX_OPEN_ENTRIES"]
    params = {f"new_{name}": value for name, value in values.items()}
    params.update(today=today, limit=limit)
    with_days = bool(days) and dialect_name() == "postgresql"
    if with_days:
        params.update({name: [getattr(day, name) for day in days] for name in _DAY_COLUMNS})
    entry_id = execute(_INSERT_WITH_DAYS if with_days else _INSERT_UNLESS_TOO_MANY_OPEN, params).scalar()
    if entry_id is None:
        raise _too_many_open(
            db.session.scalar(_COUNT_OPEN_ENTRIES, {"employee": values["employee_id"], "today": today})
        )
    if days and not with_days:
        owner = {"pto_entry_id": entry_id, "employee_id": values["employee_id"]}
        execute(_INSERT_DAYS, [owner | {name: getattr(day, name) for name in _DAY_COLUMNS} for day in days])
    return entry_id


def _count_open_entries(employee):
    """SELECT the number of ``employee``'s open entries: pending, or approved and starting after :today."""
    return select(func.count()).where(
        PtoEntry.employee_id == employee,
        or_(
            PtoEntry.status == "pending",
            # An entry starting after today also ends after it: that bound reads only upcoming entries on
            # the (employee_id, status, end_date) index, however many past ones the employee has.
            and_(
                PtoEntry.status == "approved",
                PtoEntry.end_date > bindparam("today"),
                PtoEntry.start_date > bindparam("today"),
            ),
        ),
    )


_COUNT_OPEN_ENTRIES = _count_open_entries(bindparam("employee"))
_FILED_COLUMNS = [column.key for column in PTO_ENTRY_COLUMNS if column.key != "id"]
# INSERT INTO pto_entries (...) SELECT :new_employee_id, ... WHERE (the count of their open entries) < :limit
_INSERT_UNLESS_TOO_MANY_OPEN = (
    insert(PtoEntry.__table__)
    .from_select(
        _FILED_COLUMNS,
        select(
            *(bindparam(f"new_{name}", type_=PtoEntry.__table__.c[name].type) for name in _FILED_COLUMNS)
        ).where(_count_open_entries(bindparam("new_employee_id")).scalar_subquery() < bindparam("limit")),
    )
    .returning(PtoEntry.__table__.c.id)
)
_INSERT_DAYS = insert(PtoDay.__table__)
_DAY_COLUMNS = ("day", "scheduled", "hours", "holiday", "part")
# PostgreSQL: the entry and its days in one statement. The INSERT above runs as a WITH; its days, sent as
# one array per column and unnested, are written for the id it returns (for none when it wrote nothing).
_NEW_ENTRY = _INSERT_UNLESS_TOO_MANY_OPEN.cte("new_entry")
_DAYS_AS_ARRAYS = (
    func.unnest(*(cast(bindparam(name), ARRAY(PtoDay.__table__.c[name].type)) for name in _DAY_COLUMNS))
    .table_valued(*_DAY_COLUMNS)
    .render_derived(name="booked")
)
_INSERT_WITH_DAYS = select(_NEW_ENTRY.c.id).add_cte(
    insert(PtoDay.__table__)
    .from_select(
        ["pto_entry_id", "employee_id", *_DAY_COLUMNS],
        select(
            _NEW_ENTRY.c.id,
            bindparam("new_employee_id", type_=Integer),
            *(_DAYS_AS_ARRAYS.c[name] for name in _DAY_COLUMNS),
        ).select_from(_NEW_ENTRY.join(_DAYS_AS_ARRAYS, true())),
    )
    .cte("new_days")
)


@dataclass(frozen=True, slots=True)
class _Filer(EmployeeFigures):
    """The employee a filing is for, as its checks need them."""

    id: int
    manager_id: int | None
    archived_at: datetime | None


@dataclass(frozen=True, slots=True)
class _FiledType(TypeTreatment):
    """The type an entry is filed under, as a filing needs it."""

    key: str
    balance: str
    draws_on: str | None
    requires_approval: bool
    overdraft_hours: Decimal | None
    archived_at: datetime | None


def _employee_and_type_for_filing(user, employee_id, type_key, locked=True):
    """The employee ``user`` files for, read with their lock, and the type filed under (``type_key``'s, or
    the default), held shared (``pto_types.held_for_filing``): one statement, read as a row. 404 for an
    employee the user may not see; 422 for an unknown type and 409 for an archived one, as
    ``pto_types.type_for_new_entry``. ``locked`` False (a quote): nothing is locked or held."""
    params = {"employee_id": employee_id, "key": type_key, **viewer_params(user)}
    row = execute(_select_for_filing(visibility(user), type_key is None, locked), params).first()
    if row is None:
        # The type's 422 or 409 comes before the employee's 404. Without a key, the default may have
        # moved while the statement waited for the old one's row: file under the new one, held the same way.
        pto_type = pto_types.type_for_new_entry(type_key)
        if type_key is None:
            params["key"] = pto_type.key
            row = execute(_select_for_filing(visibility(user), False, locked), params).first()
    if row is None:
        raise NotFound("No employee with that id.")
    filer = _Filer(*row[: len(_FILER_COLUMNS)])
    return filer, pto_types.require_active_type(_FiledType(*row[len(_FILER_COLUMNS) :]))


_FILER_COLUMNS = [Employee.__table__.c[name] for name in _Filer.__dataclass_fields__]
_FILED_TYPE_COLUMNS = [
    PtoType.__table__.c[name].label(f"type__{name}") for name in _FiledType.__dataclass_fields__
]


@cache
def _select_for_filing(scope, default_type, locked):
    """The SELECT of ``_employee_and_type_for_filing``, built once per kind of caller and of type, locked
    or not."""
    named = PtoType.is_default if default_type else PtoType.key == bindparam("key")
    statement = (
        select(*_FILER_COLUMNS, *_FILED_TYPE_COLUMNS)
        .select_from(Employee)
        .join(PtoType, true())
        .where(Employee.id == bindparam("employee_id"), visible_to(scope), named)
    )
    if not locked:
        return statement
    return pto_types.held_for_filing(select_employees_locked(statement, rows=True))


def approve_pto(user, entry_id, note=None):
    """Approve a pending request; its held hours leave the balance (409 if it no longer covers them).
    Returns the entry."""
    entry = _entry_for_change(user, entry_id, require_decider)
    _transition(entry, ("pending",), "approved", decided_by=user.id, decided_at=utcnow(), decision_note=note)
    if entry.balance_type is not None:
        ledger.take_held_hours(entry, user.id, ledger.overdraft_of(entry.pto_type))
    return entry


def deny_pto(user, entry_id, note=None):
    """Deny a pending request; the hours it held are free again, and the ledger does not move. Returns
    the entry."""
    entry = _entry_for_change(user, entry_id, require_decider)
    _transition(entry, ("pending",), "denied", decided_by=user.id, decided_at=utcnow(), decision_note=note)
    if entry.balance_type is not None:
        ledger.release_hours(entry)
    return entry


def cancel_pto(user, entry_id, note=None):
    """Cancel a pending or approved entry; an approved one gets its hours back, exactly once. Returns the
    entry."""
    now, day = utcnow(), today()
    entry = _entry_for_change(user, entry_id, lambda user, entry: require_canceller(user, entry, day))
    was_approved = entry.status == "approved"
    _transition(entry, LIVE, "cancelled", cancelled_by=user.id, cancelled_at=now, cancellation_note=note)
    ledger.return_hours(entry, was_approved, user.id)
    return entry


def get_entry_or_404(user, entry_id):
    """Load a PTO entry of an employee ``user`` may see, with its days (``days``), or raise 404."""
    entry = _found(db.session.scalar(_select_entry(visibility(user), False), _entry_params(user, entry_id)))
    entry.days = entry_days(entry.id)
    return entry


def _entry_for_change(user, entry_id, require_permission):
    """The entry to decide or cancel (404 if ``user`` may not see it), read with its employee's lock, then
    the caller's right and the employee's state checked as the lock's holder sees them: a manager change
    or an archive committed a moment ago counts. (The entry's own status is checked as it changes: see
    ``_transition``.)"""
    entry = _found(db.session.scalar(_select_entry(visibility(user), True), _entry_params(user, entry_id)))
    require_permission(user, entry)
    require_active(entry.employee)
    return entry


def _entry_params(user, entry_id):
    return {"entry_id": entry_id, **viewer_params(user)}


def _found(entry):
    if entry is None:
        raise NotFound("No PTO entry with that id.")
    return entry


@cache
def _select_entry(scope, locked):
    """An entry with its employee and type, if visible in ``scope``: built once per kind of caller.
    ``locked``: with the employee's lock (``database.select_employees_locked``)."""
    statement = (
        select(PtoEntry)
        .join(Employee)
        .join(PtoType, PtoType.key == PtoEntry.type)
        .where(PtoEntry.id == bindparam("entry_id"), visible_to(scope))
        .options(contains_eager(PtoEntry.pto_type))
    )
    employee = contains_eager(PtoEntry.employee)
    if locked:
        return select_employees_locked(statement, loaded_by=employee)
    return statement.options(employee)


def select_entries(user, filters):
    """The statement listing the entries ``user`` may see, as rows of ``PtoEntryRecord``'s columns,
    narrowed by ``filters`` (employee_id, status and type, and a ``from_``/``to`` window that keeps
    entries whose days overlap it); and its bind parameters."""
    filtered_by = tuple(field for field in ENTRY_FILTERS if field in filters)
    params = {**viewer_params(user), **{field: filters[field] for field in filtered_by}}
    # Undated entries have no days, so a window leaves them out.
    window = "from_" in filters or "to" in filters
    if window:
        params.update(window_start=filters.get("from_", date.min), window_end=filters.get("to", date.max))
    return _select_entries(visibility(user), filtered_by, window), params


@cache
def _select_entries(scope, filtered_by, window):
    """The SELECT of ``select_entries``, built once per kind of caller and set of filters."""
    statement = select(*PTO_ENTRY_COLUMNS).join(Employee).where(visible_to(scope)).order_by(PtoEntry.id)
    for name in filtered_by:
        statement = statement.where(getattr(PtoEntry, name) == bindparam(name))
    if window:
        statement = statement.where(PtoEntry.overlapping(bindparam("window_start"), bindparam("window_end")))
    return statement


def _transition(entry, allowed_from, to_status, **changes):
    """Move ``entry`` to ``to_status`` only if nobody moved it since we read it (compare-and-set).

    Concurrent requests on one entry queue on its row; the first wins, and every later one
    finds the status changed, matches no row and gets a 409, so hours move exactly once.
    """
    if entry.status not in allowed_from:
        raise IllegalTransition(
            f"The entry is {entry.status}; only a {' or '.join(allowed_from)} entry can be {to_status}."
        )
    changes["status"] = to_status
    params = {
        "entry": entry.id,
        "current": entry.status,
        **{f"new_{name}": value for name, value in changes.items()},
    }
    changed = execute(_compare_and_set(tuple(changes)), params).first()
    if changed is None:
        raise IllegalTransition("The entry was changed by another request; reload it.")
    for name, value in {**changes, **changed._mapping}.items():  # the object now shows what the row holds
        set_committed_value(entry, name, value)


@cache
def _compare_and_set(columns):
    """UPDATE an entry's ``columns`` (to :new_<column>) if it is still in the status it was read in
    (:current), built once per set of columns."""
    table = PtoEntry.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("entry"), table.c.status == bindparam("current"))
        .values({**{name: bindparam(f"new_{name}") for name in columns}, "revision": table.c.revision + 1})
        .returning(table.c.revision, table.c.updated_at)
    )


def _require_span(data):
    """True, or 422 unless the entry spans at most PTO_MAX_DAYS days; an undated entry may hold at most
    the hours the longest dated one may (24 a day)."""
    max_days = current_app.config["PTO_MAX_DAYS"]
    start, end = data.get("start_date"), data.get("end_date")
    if start is not None:
        days = (end - start).days + 1
        if days > max_days:
            raise HoursExceedDays(
                "end_date", f"An entry may span at most {max_days} days; this one spans {days}."
            )
    elif data["hours"] > HOURS_PER_DAY * max_days:
        raise HoursExceedDays(
            "hours",
            f"At most {HOURS_PER_DAY * max_days} hours fit an undated entry (PTO_MAX_DAYS: {max_days}).",
        )
    return True


def _booked_half(part):
    """SQL: 1 if a live entry takes ``part`` of the day (with hours), else 0."""
    return func.max(case((and_(PtoDay.part == part, PtoDay.hours > 0), 1), else_=0))


# An employee's live entries that meet a range, summed by day: the hours booked, the halves taken, and an
# entry booking hours that day. Entries dated before schedules existed have no days: they make one row,
# with no day. One row per day whatever the number of entries, so a busy employee costs no more.
_BOOKED_DAYS = (
    select(
        PtoDay.day,
        type_coerce(func.round(func.sum(PtoDay.hours), 2), Hours).label("booked_hours"),
        _booked_half("morning").label("morning"),
        _booked_half("afternoon").label("afternoon"),
        func.coalesce(func.min(case((PtoDay.hours > 0, PtoEntry.id))), func.min(PtoEntry.id)).label("entry"),
    )
    .select_from(PtoEntry)
    .outerjoin(
        PtoDay,
        and_(PtoDay.pto_entry_id == PtoEntry.id, PtoDay.day.between(bindparam("start"), bindparam("end"))),
    )
    .where(
        PtoEntry.employee_id == bindparam("employee"),
        PtoEntry.status.in_(LIVE),
        PtoEntry.overlapping(bindparam("start"), bindparam("end")),
    )
    .group_by(PtoDay.day)
)


# What a dated request's days need, read in one statement after the employee's lock.
_DAYS_KNOWN = stacked(
    calendar=holiday_calendars.CALENDAR_DAYS, schedules=schedules.SCHEDULES, booked=_BOOKED_DAYS
)


def _refuse_overlap(booked, days):
    """409 if the request's days clash with the employee's live entries (``booked``: ``_BOOKED_DAYS``'
    rows): a day may hold two entries only if its hours hold both and they are not the same half.
    Entries without days clash on any date; ``days`` None (not computed) clashes with any live entry in
    the range."""
    asked = {day.day: day for day in days or ()}
    for row in sorted(booked, key=lambda row: row.day or date.min):
        day = asked.get(row.day)
        if row.day is None or days is None:
            clash = ""
        elif day is None or not (day.hours and row.booked_hours):
            continue
        elif row.booked_hours + day.hours > day.scheduled or (day.part and getattr(row, day.part)):
            clash = f" on {day.day} (it holds {day.scheduled:.2f} hours; {row.booked_hours:.2f} are booked)"
        else:
            continue
        entry = db.session.get(PtoEntry, row.entry)
        dates = f"{entry.start_date} to {entry.end_date}"
        raise OverlappingRequest(
            f"These dates overlap PTO entry {entry.id} ({dates}, {entry.status}){clash}."
        )
