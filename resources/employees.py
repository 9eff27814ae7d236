"""/employees: the people whose PTO is tracked, their managers, balances, and the ledger behind them."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from domain import accounts, accrual_runs, accruals, holiday_calendars, ledger, people, pto_types, schedules
from domain.permissions import AdminOnly
from models import db, today
from schemas.accruals import AssignmentIn, AssignmentOut, HoursWorkedIn, HoursWorkedOut, OutlookOut
from schemas.employees import (
    AsOfArgs,
    BalanceArgs,
    BalanceAsOfOut,
    BalanceIn,
    EmployeeIn,
    EmployeeOut,
    EmployeePatchIn,
    EmployeeQuery,
    LedgerLineOut,
    LedgerQuery,
    TypeBalanceOut,
)
from schemas.fields import PageArgs
from schemas.schedules import ScheduleIn, ScheduleOut
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
    statement, params = people.select_employees(
        current_user, args["archived"], args["without_active_manager"]
    )
    rows, headers = paginate(statement, args, params)
    return people.records_with_recent_entries(rows), headers


@blp.post("")
@blp.errors(
    AdminOnly,
    people.UnknownManager,
    pto_types.UnknownType,
    pto_types.NotABalance,
    pto_types.TypeArchived,
    people.OpeningBalanceTwice,
    429,
)
@jwt_required()
@admin_required
@blp.arguments(
    EmployeeIn,
    # A starter install's only other types draw on vacation's balance, so no opening balance is shown.
    example={"name": "Dana Scully", "hours_balance": 80, "manager_id": None},
)
@blp.response(201, EmployeeOut)
@rate_limits.limit_writes()
def create_employee(data):
    """Add an employee (admins); their starting hours in each balance become its opening ledger line."""
    employee = people.add_employee(
        data["name"],
        data.get("manager_id"),
        actor_id=current_user.id,
        hours_balance=data.get("hours_balance"),
        hire_date=data.get("hire_date"),
        opening_balances=[
            (opening["type"], opening["hours_balance"]) for opening in data.get("opening_balances", ())
        ],
    )
    db.session.commit()
    return employee, {"Location": url_for("employees.get_employee", employee_id=employee.id)}


@blp.get("/<id:employee_id>")
@jwt_required()
@blp.response(200, EmployeeOut)
def get_employee(employee_id):
    """Show one employee with their PTO entries."""
    return people.read_employee_or_404(current_user, employee_id)


@blp.put("/<id:employee_id>")
@blp.errors(AdminOnly, people.EmployeeArchived, 429)
@jwt_required()
@admin_required
@blp.arguments(BalanceIn, example={"hours_balance": 96, "reason": "2027 allowance"})
@blp.response(200, EmployeeOut)
@rate_limits.limit_writes()
def set_employee_balance(data, employee_id):
    """Set the default type's balance (admins; the tutorial's PUT); the ledger records the difference."""
    people.change_employee(current_user, employee_id, data, actor_id=current_user.id)
    db.session.commit()
    return people.read_employee_or_404(current_user, employee_id)


@blp.patch("/<id:employee_id>")
@blp.errors(
    AdminOnly,
    people.EmployeeArchived,
    people.ManagerLoop,
    people.UnknownManager,
    holiday_calendars.UnknownCalendar,
    429,
)
@jwt_required()
@admin_required
@blp.arguments(EmployeePatchIn, required=False, example={"name": "Dana K. Scully", "manager_id": 1})
@blp.response(200, EmployeeOut)
@rate_limits.limit_writes()
def update_employee(data, employee_id):
    """Change an employee's name, manager, hire date and/or balance (admins)."""
    people.change_employee(current_user, employee_id, data, actor_id=current_user.id)
    db.session.commit()
    return people.read_employee_or_404(current_user, employee_id)


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
    """Archive an employee (admins): hidden from lists, history and ledger kept, accruals posted to date."""
    people.archive_employee(people.get_employee_or_404(current_user, employee_id, locked=True))
    db.session.commit()


@blp.get("/<id:employee_id>/balances")
@blp.errors(accrual_runs.TooFarAhead)
@jwt_required()
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, TypeBalanceOut(many=True))
def list_balances(args, employee_id):
    """List an employee's balances, one per type keeping its own, with pending and available hours; on
    ?as_of= a day (a projection, with the lines to come, for a day after today)."""
    employee = people.get_employee_or_404(current_user, employee_id)
    if "as_of" in args:
        return accrual_runs.balances_on(employee.id, args["as_of"])
    return ledger.employee_balances(employee.id)


@blp.put("/<id:employee_id>/balances/<type_key:type_key>")
@blp.errors(AdminOnly, people.EmployeeArchived, pto_types.NotABalance, 429)
@jwt_required()
@admin_required
@blp.arguments(BalanceIn, example={"hours_balance": 40, "reason": "2027 sick leave allowance"})
@blp.response(200, TypeBalanceOut)
@rate_limits.limit_writes()
def set_type_balance(data, employee_id, type_key):
    """Set an employee's balance in one type (admins); the ledger records the difference as an adjustment."""
    balance = people.set_type_balance(
        current_user, employee_id, type_key, data["hours_balance"], current_user.id, data.get("reason")
    )
    db.session.commit()
    return balance


@blp.get("/<id:employee_id>/ledger")
@blp.errors(pto_types.UnknownType, pto_types.NotABalance)
@jwt_required()
@blp.arguments(LedgerQuery, location="query")
@blp.response(200, LedgerLineOut(many=True), headers=PAGE_HEADERS)
def list_ledger(args, employee_id):
    """List the ledger lines that explain an employee's balances (or ?type='s), oldest first."""
    people.get_employee_or_404(current_user, employee_id)
    balance_type = pto_types.balance_type(args["type"]) if "type" in args else None
    return paginate(ledger.select_lines(employee_id, balance_type, args.get("as_of")), args)


@blp.get("/<id:employee_id>/balance")
@blp.errors(pto_types.UnknownType, pto_types.NotABalance, accrual_runs.TooFarAhead)
@jwt_required()
@blp.arguments(BalanceArgs, location="query")
@blp.response(200, BalanceAsOfOut)
def get_balance(args, employee_id):
    """Show a balance (the default type's, or ?type='s) now, or on ?as_of= a day (projected after today)."""
    employee = people.get_employee_or_404(current_user, employee_id)
    pto_type, hours = accrual_runs.balance_on(employee.id, args.get("type"), args.get("as_of"))
    as_of = args.get("as_of") or today()
    return {"employee_id": employee.id, "type": pto_type.key, "as_of": as_of, "hours_balance": hours}


@blp.get("/<id:employee_id>/accruals")
@jwt_required()
@blp.response(200, OutlookOut(many=True))
def list_employee_accruals(employee_id):
    """List an employee's current accrual policies, each with the day and hours of its next accrual."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return accrual_runs.outlook(employee.id)


@blp.get("/<id:employee_id>/accrual-assignments")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, AssignmentOut(many=True), headers=PAGE_HEADERS)
def list_accrual_assignments(args, employee_id):
    """List which accrual policy applied to an employee's balances from when, by type and day."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return paginate(accruals.select_assignments(employee.id), args)


@blp.post("/<id:employee_id>/accrual-assignments")
@blp.errors(
    AdminOnly,
    people.EmployeeArchived,
    accruals.PolicyArchived,
    accruals.UnknownPolicy,
    pto_types.UnknownType,
    pto_types.NotABalance,
    pto_types.TypeArchived,
    accruals.BeforeHire,
    429,
)
@jwt_required()
@admin_required
@blp.arguments(AssignmentIn, example={"policy_id": 1, "effective_from": "2027-01-01"})
@blp.response(201, AssignmentOut)
@rate_limits.limit_writes()
def create_accrual_assignment(data, employee_id):
    """Put an employee on an accrual policy (or on none) from a day on (admins); history is kept."""
    employee = people.get_employee_or_404(current_user, employee_id, locked=True)
    people.require_active(employee)
    assignment = accruals.assign_policy(
        employee, data["policy_id"], data["effective_from"], current_user.id, data.get("type")
    )
    db.session.commit()
    location = url_for(
        "employees.get_accrual_assignment", employee_id=employee.id, assignment_id=assignment.id
    )
    return assignment, {"Location": location}


@blp.get("/<id:employee_id>/accrual-assignments/<id:assignment_id>")
@jwt_required()
@blp.response(200, AssignmentOut)
def get_accrual_assignment(employee_id, assignment_id):
    """Show one of an employee's accrual assignments."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return accruals.get_assignment_or_404(employee.id, assignment_id)


@blp.get("/<id:employee_id>/hours-worked")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, HoursWorkedOut(many=True), headers=PAGE_HEADERS)
def list_hours_worked(args, employee_id):
    """List the hours an employee worked, by period: what per-hour policies count."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return paginate(accruals.select_hours_worked(employee.id), args)


@blp.post("/<id:employee_id>/hours-worked")
@blp.errors(AdminOnly, people.EmployeeArchived, accruals.PeriodBackwards, accruals.HoursOverlap, 429)
@jwt_required()
@admin_required
@blp.arguments(HoursWorkedIn, example={"period_start": "2027-01-01", "period_end": "2027-01-15", "hours": 80})
@blp.response(201, HoursWorkedOut)
@rate_limits.limit_writes()
def post_hours_worked(data, employee_id):
    """Record the hours an employee worked in a period (admins, payroll scripts); posting a period again
    replaces its hours, and the next run corrects what policies counted."""
    employee = people.get_employee_or_404(current_user, employee_id, locked=True)
    people.require_active(employee)
    record = accruals.post_hours_worked(
        employee, data["period_start"], data["period_end"], data["hours"], current_user.id
    )
    db.session.commit()
    return record, {
        "Location": url_for("employees.get_hours_worked", employee_id=employee.id, record_id=record.id)
    }


@blp.get("/<id:employee_id>/hours-worked/<id:record_id>")
@jwt_required()
@blp.response(200, HoursWorkedOut)
def get_hours_worked(employee_id, record_id):
    """Show one period of an employee's hours worked."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return accruals.get_hours_worked_or_404(employee.id, record_id)


@blp.get("/<id:employee_id>/work-schedules")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, ScheduleOut(many=True), headers=PAGE_HEADERS)
def list_employee_schedules(args, employee_id):
    """List an employee's own work schedules, oldest first (none: they work the company's)."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return paginate(schedules.select_schedules(employee.id), args)


@blp.post("/<id:employee_id>/work-schedules")
@blp.errors(AdminOnly, people.EmployeeArchived, schedules.ScheduleExists, 429)
@jwt_required()
@admin_required
@blp.arguments(
    ScheduleIn,
    example={
        "effective_from": "2027-01-04",
        "weeks": [
            {
                "monday": 6,
                "tuesday": 6,
                "wednesday": 6,
                "thursday": 0,
                "friday": 0,
                "saturday": 0,
                "sunday": 0,
            }
        ],
    },
)
@blp.response(201, ScheduleOut)
@rate_limits.limit_writes()
def create_employee_schedule(data, employee_id):
    """Give an employee a schedule of their own from a day on (admins); earlier ones stay as history."""
    employee = people.get_employee_or_404(current_user, employee_id, locked=True)
    people.require_active(employee)
    schedule = schedules.add_schedule(employee.id, data["effective_from"], data["weeks"], current_user.id)
    db.session.commit()
    location = url_for("employees.get_employee_schedule", employee_id=employee.id, schedule_id=schedule.id)
    return schedule, {"Location": location}


@blp.get("/<id:employee_id>/work-schedules/<id:schedule_id>")
@jwt_required()
@blp.response(200, ScheduleOut)
def get_employee_schedule(employee_id, schedule_id):
    """Show one of an employee's work schedules."""
    employee = people.get_employee_or_404(current_user, employee_id)
    return schedules.get_schedule_or_404(employee.id, schedule_id)


@blp.delete("/<id:employee_id>/work-schedules/<id:schedule_id>")
@blp.errors(AdminOnly, schedules.ScheduleStarted, 429)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def delete_employee_schedule(employee_id, schedule_id):
    """Remove an employee's schedule that has not started yet (admins)."""
    employee = people.get_employee_or_404(current_user, employee_id, locked=True)
    schedules.remove_schedule(schedules.get_schedule_or_404(employee.id, schedule_id))
    db.session.commit()
