"""Employees: who they are, who manages them, and reading one as a given caller may see them."""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter

from sqlalchemy import ARRAY, Integer, bindparam, exists, func, or_, select, true, union_all
from sqlalchemy.orm import aliased
from werkzeug.exceptions import Conflict, NotFound

from database import dialect_name, execute, lock_employee, lock_reporting_lines, select_employees_locked
from domain import accounts, accrual_runs, accruals, holiday_calendars, ledger, pto_types
from domain.permissions import viewer_params, visibility, visible_to
from errors import InvalidField
from models import (
    DEFAULT_BALANCE_JOIN,
    EMBEDDED_PTO_ENTRIES,
    PTO_ENTRY_COLUMNS,
    SHOWN_BALANCE_COLUMNS,
    DefaultBalance,
    Employee,
    EmployeeFigures,
    PtoEntry,
    PtoEntryRecord,
    company_day,
    db,
    today,
    utcnow,
)


class EmployeeArchived(Conflict):
    description = "The employee is archived: their balance and entries can no longer change."


class ManagerLoop(InvalidField):
    description = "manager_id would make the employee their own manager, directly or through others."

    def __init__(self):
        super().__init__("manager_id", "That would make the employee their own manager.")


class UnknownManager(InvalidField):
    description = "manager_id names no active employee."

    def __init__(self):
        super().__init__("manager_id", "No active employee with that id.")


def get_employee_or_404(user, employee_id, locked=False):
    """Load an employee ``user`` may see (archived ones too: their history is kept), or raise 404.

    ``locked``: read them with the employee's lock (``database.select_employees_locked``), for requests
    that change the employee's hours, entries or record; statements after it see every change committed
    before it.
    """
    params = {"employee_id": employee_id, **viewer_params(user)}
    employee = db.session.scalars(_select_employee(visibility(user), locked), params).one_or_none()
    if employee is None:
        raise NotFound("No employee with that id.")
    return employee


@cache
def _select_employee(scope, locked):
    """The SELECT of ``get_employee_or_404``, built once per kind of caller and use."""
    statement = select(Employee).where(Employee.id == bindparam("employee_id"), visible_to(scope))
    return select_employees_locked(statement) if locked else statement


@dataclass(slots=True)
class EmployeeRecord(EmployeeFigures):
    """An employee as a read shows them, with their latest entries (rows, oldest first) and whether older
    ones exist. Read as rows, not loaded as models: nothing here changes, and a page shows fifty."""

    id: int
    name: str
    manager_id: int | None
    archived_at: datetime | None
    hire_date: date
    left_on: date | None
    holiday_calendar_id: int | None
    created_at: datetime
    updated_at: datetime
    hours_balance: Decimal
    pending_hours: Decimal
    recent_pto_entries: list = field(default_factory=list, init=False)
    more_pto_entries: bool = field(default=False, init=False)


# The columns an EmployeeRecord is made of, in order, as a read selects them: its balance figures from the
# default balance joined once (``models.DEFAULT_BALANCE_JOIN``), so every such read joins it.
_RECORD_COLUMNS = [
    SHOWN_BALANCE_COLUMNS.get(f.name, getattr(Employee, f.name).label(f.name))
    for f in fields(EmployeeRecord)
    if f.init
]


def _employee_records(*columns):
    """A SELECT of ``columns`` from employees joined to their default balance."""
    return select(*columns).select_from(Employee).outerjoin(DefaultBalance, DEFAULT_BALANCE_JOIN)


def read_employee_or_404(user, employee_id):
    """The ``EmployeeRecord`` of an employee ``user`` may see (archived ones too), or raise 404: one
    statement, reading at most their latest ``EMBEDDED_PTO_ENTRIES`` + 1 entries whatever their history."""
    params = {"employee_id": employee_id, **viewer_params(user)}
    rows = execute(_select_employee_with_entries(visibility(user), dialect_name()), params).all()
    if not rows:
        raise NotFound("No employee with that id.")
    record = EmployeeRecord(*rows[0][: len(_RECORD_COLUMNS)])
    _embed([PtoEntryRecord._make(row[len(_RECORD_COLUMNS) :]) for row in rows if row.id is not None], record)
    return record


@cache
def _select_employee_with_entries(scope, dialect):
    """One employee and their latest entries: a row per entry (one without an entry if they have none),
    each with the employee's columns (labelled employee__<name>) before the entry's, built once per kind
    of caller and database."""
    if dialect == "postgresql":
        # Newest first on the (employee_id, id) index, stopping at the limit: the same few index
        # entries whatever the history, in a plan that cannot choose to walk the primary key instead.
        latest = _latest_entries(Employee.id).lateral("latest")
    else:
        # SQLite, which has no LATERAL: the latest ids alone, on the same index.
        latest_ids = _latest_entries(bindparam("employee_id"), PtoEntry.id)
        latest = select(*PTO_ENTRY_COLUMNS).where(PtoEntry.id.in_(latest_ids)).subquery("latest")
    employee = [column.element.label(f"employee__{column.name}") for column in _RECORD_COLUMNS]
    return (
        _employee_records(*employee, *latest.columns)
        .outerjoin(latest, true())
        .where(Employee.id == bindparam("employee_id"), visible_to(scope))
    )


def records_with_recent_entries(rows):
    """``EmployeeRecord``s of ``rows`` (a page of ``select_employees``), each with their latest entries.

    One query for the lot, reading at most ``EMBEDDED_PTO_ENTRIES`` + 1 entries per employee whatever
    their history, so a record costs the same to read after ten entries or ten thousand.
    """
    records = [EmployeeRecord(*row) for row in rows]
    if not records:
        return records
    employee_ids = [record.id for record in records]
    latest = defaultdict(list)
    for entry in map(PtoEntryRecord._make, execute(*_recent_entries_of(employee_ids))):
        latest[entry.employee_id].append(entry)
    for record in records:
        _embed(latest[record.id], record)
    return records


def _recent_entries_of(employee_ids):
    """The statement and parameters reading the latest ``EMBEDDED_PTO_ENTRIES`` + 1 entries of each of
    ``employee_ids``, each employee's newest first on the (employee_id, id) index."""
    if dialect_name() == "postgresql":
        return _SELECT_RECENT_ENTRIES_LATERAL, {"employee_ids": employee_ids}
    params = {f"employee_{index}": employee_id for index, employee_id in enumerate(employee_ids)}
    return _select_recent_entries(len(employee_ids)), params


def _latest_entries(employee_id, *columns):
    """SQL: the latest ``EMBEDDED_PTO_ENTRIES`` + 1 entries of ``employee_id`` (their ``columns``, by
    default all), newest first."""
    return (
        select(*(columns or PTO_ENTRY_COLUMNS))
        .where(PtoEntry.employee_id == employee_id)
        .order_by(PtoEntry.id.desc())
        .limit(EMBEDDED_PTO_ENTRIES + 1)
    )


# PostgreSQL: one LATERAL subquery over the array of ids, planned once whatever the page's size (a
# UNION of fifty subqueries takes it longer to plan than to run).
_PAGE_IDS = (
    func.unnest(bindparam("employee_ids", type_=ARRAY(Integer))).table_valued("id").render_derived("page")
)
_LATEST_OF_PAGE = _latest_entries(_PAGE_IDS.c.id).lateral("latest")
_SELECT_RECENT_ENTRIES_LATERAL = select(_LATEST_OF_PAGE).select_from(_PAGE_IDS).join(_LATEST_OF_PAGE, true())


@cache
def _select_recent_entries(count):
    """SQLite, which has no LATERAL: a UNION of each of ``count`` employees' (bound as ``employee_0``…)
    latest entries."""
    latest = [_latest_entries(bindparam(f"employee_{index}")).subquery() for index in range(count)]
    return union_all(*(select(entries) for entries in latest))


def _embed(entries, record):
    """Give ``record`` the latest of ``entries`` (up to ``EMBEDDED_PTO_ENTRIES`` + 1 of theirs), oldest
    first, and whether older ones exist."""
    entries = sorted(entries, key=attrgetter("id"))
    record.more_pto_entries = len(entries) > EMBEDDED_PTO_ENTRIES
    record.recent_pto_entries = entries[-EMBEDDED_PTO_ENTRIES:]


_MANAGER = aliased(Employee)
# No one holds manager powers over these employees: they have no manager, or an archived one.
_WITHOUT_ACTIVE_MANAGER = or_(
    Employee.manager_id.is_(None),
    exists().where(_MANAGER.id == Employee.manager_id, _MANAGER.archived_at.is_not(None)),
)


def select_employees(user, archived, without_active_manager=False):
    """The statement listing, as rows, the employees ``user`` may see, archived or not;
    ``without_active_manager``: only those nobody manages (``_WITHOUT_ACTIVE_MANAGER``); and its bind
    parameters. Their records with their entries: ``records_with_recent_entries``."""
    return _select_employees(visibility(user), archived, without_active_manager), viewer_params(user)


@cache
def _select_employees(scope, archived, without_active_manager):
    """The SELECT of ``select_employees``, built once per kind of caller and filter."""
    archived_clause = Employee.archived_at.is_not(None) if archived else Employee.archived_at.is_(None)
    statement = _employee_records(*_RECORD_COLUMNS).where(archived_clause, visible_to(scope))
    if without_active_manager:
        statement = statement.where(_WITHOUT_ACTIVE_MANAGER)
    return statement.order_by(Employee.id)


def require_active(employee):
    """Raise 409 if ``employee`` is archived."""
    if employee.archived:
        raise EmployeeArchived()


class OpeningBalanceTwice(InvalidField):
    description = "opening_balances names a type twice, or the default type when hours_balance is given."


def add_employee(name, manager_id, actor_id, hours_balance=None, opening_balances=(), hire_date=None):
    """Add an employee, hired on ``hire_date`` (default today); their starting hours in each balance become
    its opening ledger line, and each type's policy for new hires applies from their hire date.

    ``hours_balance`` is the default type's (the tutorial's one balance); ``opening_balances``, pairs of
    a type key and hours, give other balances theirs. The default type's balance always opens, at 0 if
    nothing is given for it.
    """
    if manager_id is not None:
        lock_reporting_lines()
    employee = Employee(name=name, hire_date=hire_date or today())
    db.session.add(employee)
    if manager_id is not None:
        assign_manager(employee, manager_id)
    db.session.flush()
    default = pto_types.balance_type(None)
    openings = {default: hours_balance} if hours_balance is not None else {}
    for key, hours in opening_balances:
        pto_type = pto_types.require_own_balance(pto_types.find_type(key), key, "opening_balances", "json")
        balance = pto_types.require_active_type(pto_type).key
        if balance in openings:
            raise OpeningBalanceTwice("opening_balances", f"The opening balance of {key!r} is given twice.")
        openings[balance] = hours
    openings.setdefault(default, 0)
    for balance, hours in openings.items():
        ledger.open_balance(employee.id, balance, hours, actor_id)
    accruals.assign_new_hire(employee, actor_id)
    return employee


def change_employee(user, employee_id, changes, actor_id):
    """Change an active employee's name, manager, hire date, holiday calendar and/or balance in the default
    type; return the employee. A corrected hire date has the next accrual run correct what policies posted
    (accruals); a new calendar gives back the hours booked from today on that are holidays on it.

    Takes the employee's lock, after the lock on reporting lines when the manager changes (that order
    keeps two opposite manager changes from deadlocking).
    """
    if "manager_id" in changes or "holiday_calendar_id" in changes:
        # A new calendar gives back booked days, locking employees as an accrual run does: this first.
        lock_reporting_lines()
    employee = get_employee_or_404(user, employee_id, locked=True)
    require_active(employee)
    if "name" in changes:
        employee.name = changes["name"]
    if "hire_date" in changes and changes["hire_date"] != employee.hire_date:
        # Policies count from the hire date: the next run corrects what they posted on the old one.
        since, corrected = min(employee.hire_date, changes["hire_date"]), changes["hire_date"]
        reason = f"hire date corrected from {employee.hire_date} to {corrected} on {today()}"
        accruals.request_replay(employee.id, since, reason, actor_id)
        employee.hire_date = corrected
    if "manager_id" in changes:
        assign_manager(employee, changes["manager_id"])
    if "holiday_calendar_id" in changes and changes["holiday_calendar_id"] != employee.holiday_calendar_id:
        calendar = holiday_calendars.calendar_for(changes["holiday_calendar_id"])
        employee.holiday_calendar_id = changes["holiday_calendar_id"]
        db.session.flush()
        # Days from today on that are holidays on the new calendar give back what they charged.
        holiday_calendars.give_back(calendar, actor_id, since=today(), employee_id=employee.id)
    if "hours_balance" in changes:  # the default type's balance
        ledger.set_balance(employee.id, None, changes["hours_balance"], actor_id, changes.get("reason"))
    return employee


def set_type_balance(user, employee_id, type_key, hours, actor_id, reason=None):
    """Set an active employee's balance in the type ``type_key`` (404 if there is no such type; 422 if it
    keeps no balance of its own) with an adjustment line; return the balance as the API shows it."""
    pto_types.require_own_balance(pto_types.get_type_or_404(type_key), field="type_key", location="path")
    employee = get_employee_or_404(user, employee_id, locked=True)
    require_active(employee)
    ledger.set_balance(employee.id, type_key, hours, actor_id, reason)
    return ledger.employee_balances(employee.id, only=type_key)[0]


def assign_manager(employee, manager_id):
    """Set ``employee``'s manager: an existing, active employee that does not report to them (else 422).
    The caller holds the lock on reporting lines (``database.lock_reporting_lines``)."""
    ancestor_id = manager_id
    while ancestor_id is not None:
        if ancestor_id == employee.id:
            raise ManagerLoop()
        # Locked, so two changes made at once cannot close a loop between them.
        ancestor = lock_employee(ancestor_id)
        if ancestor is None or (ancestor_id == manager_id and ancestor.archived_at is not None):
            raise UnknownManager()
        ancestor_id = ancestor.manager_id
    employee.manager_id = manager_id


def archive_employee(employee):
    """Archive ``employee`` (read with their lock): hidden from lists, history and ledger kept, their
    accruals posted up to their last day. Their account's powers end with the record
    (``User.acting_role``), so the last admin's record cannot go. Archiving twice does nothing."""
    if not employee.archived:
        accounts.keep_an_admin_after_archiving(employee.id)
        employee.archived_at = utcnow()
        # Someone archived before their first day left on it: no day of work comes before it.
        employee.left_on = max(company_day(employee.archived_at), employee.hire_date)
        # Runs skip archived employees: what their policies owe up to their last day is posted now.
        accrual_runs.settle(employee.id, min(employee.left_on, today()))
