"""/employees: the people whose PTO is tracked, their managers, balances, and the ledger behind them."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from domain import accounts, ledger, people
from domain.permissions import AdminOnly
from models import db, utcnow
from schemas.employees import (
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
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint("employees", __name__, url_prefix="/employees", description="Employees and their balances")


@blp.get("")
@jwt_required()
@blp.arguments(EmployeeQuery, location="query")
@blp.response(200, EmployeeOut(many=True), headers=PAGE_HEADERS)
def list_employees(args):
    """List the employees the caller may see, with their PTO entries (archived ones with ?archived=true)."""
    statement = people.select_employees(current_user, args["archived"], args["without_active_manager"])
    employees, headers = paginate(statement, args)
    people.embed_recent_entries(employees)
    return employees, headers


@blp.post("")
@blp.errors(AdminOnly, people.UnknownManager, 429)
@jwt_required()
@admin_required
@blp.arguments(EmployeeIn, example={"name": "Dana Scully", "hours_balance": 80, "manager_id": None})
@blp.response(201, EmployeeOut)
@rate_limits.limit_writes()
def create_employee(data):
    """Add an employee (admins); their starting hours become the opening ledger line."""
    employee = people.add_employee(
        data["name"], data["hours_balance"], data.get("manager_id"), actor_id=current_user.id
    )
    db.session.commit()
    return employee, {"Location": url_for("employees.get_employee", employee_id=employee.id)}


@blp.get("/<id:employee_id>")
@jwt_required()
@blp.response(200, EmployeeOut)
def get_employee(employee_id):
    """Show one employee with their PTO entries."""
    return people.get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.put("/<id:employee_id>")
@blp.errors(AdminOnly, people.EmployeeArchived, 429)
@jwt_required()
@admin_required
@blp.arguments(BalanceIn, example={"hours_balance": 96, "reason": "2027 allowance"})
@blp.response(200, EmployeeOut)
@rate_limits.limit_writes()
def set_employee_balance(data, employee_id):
    """Set the balance (admins; the tutorial's PUT); the ledger records the difference as an adjustment."""
    people.change_employee(current_user, employee_id, data, actor_id=current_user.id)
    db.session.commit()
    return people.get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.patch("/<id:employee_id>")
@blp.errors(AdminOnly, people.EmployeeArchived, people.ManagerLoop, people.UnknownManager, 429)
@jwt_required()
@admin_required
@blp.arguments(EmployeePatchIn, required=False, example={"name": "Dana K. Scully", "manager_id": 1})
@blp.response(200, EmployeeOut)
@rate_limits.limit_writes()
def update_employee(data, employee_id):
    """Change an employee's name, manager and/or balance (admins)."""
    people.change_employee(current_user, employee_id, data, actor_id=current_user.id)
    db.session.commit()
    return people.get_employee_or_404(current_user, employee_id, with_entries=True)


@blp.delete("/<id:employee_id>")
@blp.errors(AdminOnly, accounts.LastAdmin, 429)
@blp.doc(
    description="Archives rather than deletes: the employee leaves the lists (`?archived=true` lists them), "
    "stays readable by id with their entries and ledger, and is frozen (new PTO, balance changes and "
    "decisions are a 409). Archiving an archived employee changes nothing (204)."
)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def archive_employee(employee_id):
    """Archive an employee (admins): hidden from lists, history and ledger kept."""
    people.archive_employee(people.get_employee_or_404(current_user, employee_id))
    db.session.commit()


@blp.get("/<id:employee_id>/ledger")
@jwt_required()
@blp.arguments(LedgerQuery, location="query")
@blp.response(200, LedgerLineOut(many=True), headers=PAGE_HEADERS)
def list_ledger(args, employee_id):
    """List the ledger lines that explain an employee's balance, oldest first."""
    people.get_employee_or_404(current_user, employee_id)
    return paginate(ledger.select_lines(employee_id, args.get("as_of")), args)


@blp.get("/<id:employee_id>/balance")
@jwt_required()
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, BalanceOut)
def get_balance(args, employee_id):
    """Show an employee's balance now, or at the end of ?as_of=YYYY-MM-DD (UTC)."""
    employee = people.get_employee_or_404(current_user, employee_id)
    as_of = args.get("as_of")
    hours = employee.hours_balance if as_of is None else ledger.balance_as_of(employee.id, as_of)
    return {"employee_id": employee.id, "as_of": as_of or utcnow().date(), "hours_balance": hours}
