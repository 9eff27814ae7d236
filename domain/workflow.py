"""The life of a PTO entry: filed, approved or denied, cancelled with an exact refund."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, insert, or_, select, true, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import Conflict, NotFound

from database import execute, select_employees_locked
from domain import ledger, pto_types
from domain.people import require_active
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
    PtoEntry,
    PtoType,
    TypeTreatment,
    db,
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


def file_pto(user, employee_id, data):
    """File an entry: approved at once when the filer decides for the employee or its type needs no
    approval, else pending, its hours held against the balance it draws on.

    Requests for one employee queue on their row, so the overlap and availability checks
    see every entry filed before them.
    """
    _require_hours_fit_days(data["hours"], data.get("start_date"), data.get("end_date"))
    employee, pto_type = _employee_and_type_for_filing(user, employee_id, data.pop("type", None))
    require_active(employee)
    now = utcnow()
    if data.get("start_date"):
        _refuse_overlap(employee.id, data["start_date"], data["end_date"])
    values = {
        **dict.fromkeys(_FILED_COLUMNS),
        "employee_id": employee.id,
        "type": pto_type.key,
        "balance_type": pto_type.balance_type,
        "status": "pending",
        "requested_by": user.id,
        "created_at": now,
        **data,
    }
    if decides_for(user, employee):
        values.update(status="approved", decided_by=user.id, decided_at=now)
    elif not pto_type.requires_approval:
        # The type's policy decides (sick leave, say): approved, with no one named as the decider.
        values.update(status="approved", decided_at=now)
    entry = PtoEntry(id=_insert_unless_too_many_open(values, now.date()), **values)
    if entry.balance_type is not None:
        overdraft = ledger.overdraft_of(pto_type)
        if entry.status == "approved":
            ledger.take_hours(entry, user.id, overdraft)
        else:
            ledger.hold_hours(entry, overdraft)
    return entry


def _insert_unless_too_many_open(values, today):
    """Write the entry ``values`` describe and return its id; 409 instead if the employee already holds
    PTO_MAX_OPEN_ENTRIES open entries (pending, or approved and not yet started).

    One statement does both, checking the count as it inserts: an INSERT rather than the session's unit of
    work, which cost more than every other step of a filing. The caller holds the employee's lock, so the
    count sees every entry filed before this one.
    """
    limit = current_app.config["PTO_MAX_OPEN_ENTRIES"]
    params = {f"new_{name}": value for name, value in values.items()}
    params.update(today=today, limit=limit)
    entry_id = execute(_INSERT_UNLESS_TOO_MANY_OPEN, params).scalar()
    if entry_id is None:
        count = {"employee": values["employee_id"], "today": today}
        raise TooManyOpenEntries(
            f"The employee already has {db.session.scalar(_COUNT_OPEN_ENTRIES, count)} open entries "
            "(pending, or approved and not yet started), the most allowed: decide or cancel some first."
        )
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


def _employee_and_type_for_filing(user, employee_id, type_key):
    """The employee ``user`` files for, read with their lock, and the type filed under (``type_key``'s, or
    the default), held shared (``pto_types.held_for_filing``): one statement, read as a row. 404 for an
    employee the user may not see; 422 for an unknown type and 409 for an archived one, as
    ``pto_types.type_for_new_entry``."""
    params = {"employee_id": employee_id, "key": type_key, **viewer_params(user)}
    row = execute(_select_for_filing(visibility(user), type_key is None), params).first()
    if row is None:
        # The type's 422 or 409 comes before the employee's 404. Without a key, the default may have
        # moved while the statement waited for the old one's row: file under the new one, held the same way.
        pto_type = pto_types.type_for_new_entry(type_key)
        if type_key is None:
            params["key"] = pto_type.key
            row = execute(_select_for_filing(visibility(user), False), params).first()
    if row is None:
        raise NotFound("No employee with that id.")
    filer = _Filer(*row[: len(_FILER_COLUMNS)])
    return filer, pto_types.require_active_type(_FiledType(*row[len(_FILER_COLUMNS) :]))


_FILER_COLUMNS = [Employee.__table__.c[name] for name in _Filer.__dataclass_fields__]
_FILED_TYPE_COLUMNS = [
    PtoType.__table__.c[name].label(f"type__{name}") for name in _FiledType.__dataclass_fields__
]


@cache
def _select_for_filing(scope, default_type):
    """The SELECT of ``_employee_and_type_for_filing``, built once per kind of caller and of type."""
    named = PtoType.is_default if default_type else PtoType.key == bindparam("key")
    statement = (
        select(*_FILER_COLUMNS, *_FILED_TYPE_COLUMNS)
        .select_from(Employee)
        .join(PtoType, true())
        .where(Employee.id == bindparam("employee_id"), visible_to(scope), named)
    )
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
    now = utcnow()
    entry = _entry_for_change(user, entry_id, lambda user, entry: require_canceller(user, entry, now.date()))
    was_approved = entry.status == "approved"
    _transition(entry, LIVE, "cancelled", cancelled_by=user.id, cancelled_at=now, cancellation_note=note)
    if entry.balance_type is not None:
        if was_approved:
            ledger.refund_hours(entry, user.id)
        else:
            ledger.release_hours(entry)
    return entry


def get_entry_or_404(user, entry_id):
    """Load a PTO entry of an employee ``user`` may see, or raise 404."""
    return _found(db.session.scalar(_select_entry(visibility(user), False), _entry_params(user, entry_id)))


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
    for field in filtered_by:
        statement = statement.where(getattr(PtoEntry, field) == bindparam(field))
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
    result = execute(_compare_and_set(tuple(changes)), params)
    if result.rowcount != 1:
        raise IllegalTransition("The entry was changed by another request; reload it.")
    for name, value in changes.items():  # the object now shows what the row holds
        set_committed_value(entry, name, value)


@cache
def _compare_and_set(columns):
    """UPDATE an entry's ``columns`` (to :new_<column>) if it is still in the status it was read in
    (:current), built once per set of columns."""
    table = PtoEntry.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("entry"), table.c.status == bindparam("current"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )


def _require_hours_fit_days(hours, start, end):
    """Raise 422 unless the entry spans at most PTO_MAX_DAYS days and its hours fit them (24 a day).
    An undated entry may hold what the longest dated one may."""
    max_days = current_app.config["PTO_MAX_DAYS"]
    days = max_days if start is None else (end - start).days + 1
    if days > max_days:
        raise HoursExceedDays(
            "end_date", f"An entry may span at most {max_days} days; this one spans {days}."
        )
    if hours > HOURS_PER_DAY * days:
        span = f"{days} day{'s' if days > 1 else ''}" if start else f"an undated entry (PTO_MAX_DAYS: {days})"
        raise HoursExceedDays("hours", f"At most {HOURS_PER_DAY * days} hours fit {span}.")


def _refuse_overlap(employee_id, start, end):
    clash = db.session.scalar(
        select(PtoEntry)
        .where(
            PtoEntry.employee_id == employee_id,
            PtoEntry.status.in_(LIVE),
            PtoEntry.overlapping(start, end),
        )
        .order_by(PtoEntry.start_date)
        .limit(1)
    )
    if clash is not None:
        days = f"{clash.start_date} to {clash.end_date}"
        raise OverlappingRequest(f"These dates overlap PTO entry {clash.id} ({days}, {clash.status}).")
