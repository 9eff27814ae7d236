"""Employees: who they are, who manages them, and reading one as a given caller may see them."""

from functools import cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Conflict, NotFound

from database import lock_employee, lock_reporting_lines
from domain import ledger
from domain.permissions import viewer_params, visibility, visible_employees, visible_to
from errors import InvalidField
from models import Employee, db, utcnow


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


def get_employee_or_404(user, employee_id, with_entries=False, locked=False):
    """Load an employee ``user`` may see (archived ones too: their history is kept), or raise 404.

    ``locked``: first take the employee's lock (``database.lock_employee``), so the read sees every
    change committed before it; for requests that change the employee's hours, entries or record.
    """
    if locked:
        lock_employee(employee_id)
    statement = _select_employee(visibility(user), with_entries, locked)
    params = {"employee_id": employee_id, **viewer_params(user)}
    employee = db.session.scalars(statement, params).unique().one_or_none()
    if employee is None:
        raise NotFound("No employee with that id.")
    return employee


@cache
def _select_employee(scope, with_entries, locked):
    """The SELECT of ``get_employee_or_404``, built once per kind of caller and use: most requests run it."""
    statement = select(Employee).where(Employee.id == bindparam("employee_id"), visible_to(scope))
    if locked:
        # Whatever the session already holds of this employee predates the lock: replace it.
        statement = statement.execution_options(populate_existing=True)
    if with_entries:
        # One round trip: the employee's row comes back once per entry (10 or so), not worth a second query.
        statement = statement.options(joinedload(Employee.pto_entries))
    return statement


def select_employees(user, archived):
    """The statement listing the employees ``user`` may see, with their PTO entries, archived or not."""
    archived_clause = Employee.archived_at.is_not(None) if archived else Employee.archived_at.is_(None)
    return (
        select(Employee)
        .where(archived_clause, visible_employees(user))
        .order_by(Employee.id)
        .options(selectinload(Employee.pto_entries))
    )


def require_active(employee):
    """Raise 409 if ``employee`` is archived."""
    if employee.archived:
        raise EmployeeArchived()


def add_employee(name, hours_balance, manager_id, actor_id):
    """Add an employee; their starting hours become the opening ledger line."""
    if manager_id is not None:
        lock_reporting_lines()
    employee = Employee(name=name)
    db.session.add(employee)
    if manager_id is not None:
        assign_manager(employee, manager_id)
    ledger.open_balance(employee, hours_balance, actor_id)
    return employee


def change_employee(user, employee_id, changes, actor_id):
    """Change an active employee's name, manager and/or balance; return the employee.

    Takes the employee's lock, after the lock on reporting lines when the manager changes (that order
    keeps two opposite manager changes from deadlocking).
    """
    if "manager_id" in changes:
        lock_reporting_lines()
    employee = get_employee_or_404(user, employee_id, locked=True)
    require_active(employee)
    if "name" in changes:
        employee.name = changes["name"]
    if "manager_id" in changes:
        assign_manager(employee, changes["manager_id"])
    if "hours_balance" in changes:
        ledger.set_balance(employee, changes["hours_balance"], actor_id, changes.get("reason"))
    return employee


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
    """Archive ``employee``: hidden from lists, history and ledger kept. Archiving twice changes nothing."""
    if not employee.archived:
        employee.archived_at = utcnow()
