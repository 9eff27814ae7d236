"""/employees: the people whose PTO is tracked, their managers, balances, and the ledger behind them."""

from functools import cache

from flask import url_for
from flask_jwt_extended import current_user, jwt_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Conflict, NotFound

from domain import ledger
from domain.permissions import admin_required, viewer_params, visibility, visible_employees, visible_to
from errors import InvalidField
from models import Employee, db, utcnow
from schemas.fields import (
    AsOfArgs,
    BalanceIn,
    BalanceOut,
    EmployeeIn,
    EmployeeOut,
    EmployeePatchIn,
    EmployeeQuery,
    LedgerLineOut,
    LedgerQuery,
)
from web.api import PAGE_HEADERS, Blueprint, paginate

blp = Blueprint("employees", __name__, url_prefix="/employees", description="Employees and their balances")


class EmployeeArchived(Conflict):
    description = "The employee is archived: their balance and entries can no longer change."


def get_employee_or_404(user, employee_id, with_entries=False, locked=False):
    """Load an employee ``user`` may see (archived ones too: their history is kept), or raise 404.

    ``locked``: first take the employee's lock (ledger.lock_account), so the read sees every change
    committed before it; for requests that change the employee's hours, entries or record.
    """
    if locked:
        ledger.lock_account(employee_id)
    statement = _employee_by_id(visibility(user), with_entries, locked)
    params = {"employee_id": employee_id, **viewer_params(user)}
    employee = db.session.scalars(statement, params).unique().one_or_none()
    if employee is None:
        raise NotFound("No employee with that id.")
    return employee


@cache
def _employee_by_id(scope, with_entries, locked):
    """The SELECT of ``get_employee_or_404``, built once per kind of caller and use: most requests run it."""
    statement = select(Employee).where(Employee.id == bindparam("employee_id"), visible_to(scope))
    if locked:
        # Whatever the session already holds of this employee predates the lock: replace it.
        statement = statement.execution_options(populate_existing=True)
    if with_entries:
        # One round trip: the employee's row comes back once per entry (10 or so), not worth a second query.
        statement = statement.options(joinedload(Employee.pto_entries))
    return statement


def require_active(employee):
    """Raise 409 if ``employee`` is archived."""
    if employee.archived:
        raise EmployeeArchived()


def assign_manager(employee, manager_id):
    """Set ``employee``'s manager: an existing, active employee that does not report to them (else 422)."""
    ancestor_id = manager_id
    while ancestor_id is not None:
        if ancestor_id == employee.id:
            raise InvalidField("manager_id", "That would make the employee their own manager.")
        # Locked, so two changes made at once cannot close a loop between them.
        ancestor = db.session.execute(
            select(Employee.manager_id, Employee.archived_at)
            .where(Employee.id == ancestor_id)
            .with_for_update()
        ).one_or_none()
        if ancestor is None or (ancestor_id == manager_id and ancestor.archived_at is not None):
            raise InvalidField("manager_id", "No active employee with that id.")
        ancestor_id = ancestor.manager_id
    employee.manager_id = manager_id


@blp.get("")
@jwt_required()
@blp.arguments(EmployeeQuery, location="query")
@blp.response(200, EmployeeOut(many=True), headers=PAGE_HEADERS)
def list_employees(args):
    """List the employees the caller may see, with their PTO entries (archived ones with ?archived=true)."""
    archived = Employee.archived_at.is_not(None) if args["archived"] else Employee.archived_at.is_(None)
    statement = (
        select(Employee)
        .where(archived, visible_employees(current_user))
        .order_by(Employee.id)
        .options(selectinload(Employee.pto_entries))
    )
    return paginate(statement, args)


@blp.post("")
@blp.errors(403)
@jwt_required()
@admin_required
@blp.arguments(EmployeeIn, example={"name": "Dana Scully", "hours_balance": 80, "manager_id": None})
@blp.response(201, EmployeeOut)
def create_employee(data):
    """Add an employee (admins); their starting hours become the opening ledger line."""
    employee = Employee(name=data["name"])
    db.session.add(employee)
    if data.get("manager_id") is not None:
        assign_manager(employee, data["manager_id"])
    ledger.open_balance(employee, data["hours_balance"], current_user.id)
    db.session.commit()
    return employee, {"Location": url_for("employees.get_employee", employee_id=employee.id)}


@blp.get("/<id:employee_id>")
@jwt_required()
@blp.response(200, EmployeeOut)
def get_employee(employee_id):
    """Show one employee with their PTO entries."""
    return get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.put("/<id:employee_id>")
@blp.errors(403, 409)
@jwt_required()
@admin_required
@blp.arguments(BalanceIn, example={"hours_balance": 96, "reason": "2027 allowance"})
@blp.response(200, EmployeeOut)
def set_employee_balance(data, employee_id):
    """Set the balance (admins; the tutorial's PUT); the ledger records the difference as an adjustment."""
    employee = get_employee_or_404(current_user, employee_id, locked=True)
    require_active(employee)
    ledger.set_balance(employee, data["hours_balance"], current_user.id, data.get("reason"))
    db.session.commit()
    return get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.patch("/<id:employee_id>")
@blp.errors(403, 409)
@jwt_required()
@admin_required
@blp.arguments(EmployeePatchIn, required=False, example={"name": "Dana K. Scully", "manager_id": 1})
@blp.response(200, EmployeeOut)
def update_employee(data, employee_id):
    """Change an employee's name, manager and/or balance (admins)."""
    employee = get_employee_or_404(current_user, employee_id, locked=True)
    require_active(employee)
    if "name" in data:
        employee.name = data["name"]
    if "manager_id" in data:
        assign_manager(employee, data["manager_id"])
    if "hours_balance" in data:
        ledger.set_balance(employee, data["hours_balance"], current_user.id, data.get("reason"))
    db.session.commit()
    return get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.delete("/<id:employee_id>")
@blp.errors(403)
@jwt_required()
@admin_required
@blp.response(204)
def archive_employee(employee_id):
    """Archive an employee (admins): hidden from lists, history and ledger kept."""
    employee = get_employee_or_404(current_user, employee_id)
    if not employee.archived:
        employee.archived_at = utcnow()
        db.session.commit()


@blp.get("/<id:employee_id>/ledger")
@jwt_required()
@blp.arguments(LedgerQuery, location="query")
@blp.response(200, LedgerLineOut(many=True), headers=PAGE_HEADERS)
def list_ledger(args, employee_id):
    """List the ledger lines that explain an employee's balance, oldest first."""
    get_employee_or_404(current_user, employee_id)
    return paginate(ledger.lines(employee_id, args.get("as_of")), args)


@blp.get("/<id:employee_id>/balance")
@jwt_required()
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, BalanceOut)
def get_balance(args, employee_id):
    """Show an employee's balance now, or at the end of ?as_of=YYYY-MM-DD (UTC)."""
    employee = get_employee_or_404(current_user, employee_id)
    as_of = args.get("as_of")
    hours = employee.hours_balance if as_of is None else ledger.balance_as_of(employee.id, as_of)
    return {"employee_id": employee.id, "as_of": as_of or utcnow().date(), "hours_balance": hours}
