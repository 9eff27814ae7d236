"""Who may see and do what: admins see everyone, managers themselves and their direct reports,
employees only themselves. What a caller may not see does not exist for them (404); what they
may see but not change is a 403."""

from sqlalchemy import false, or_, true
from werkzeug.exceptions import Forbidden

from models import Employee


class AdminOnly(Forbidden):
    description = "Only an admin may do this."


class NotYourDecision(Forbidden):
    description = "Only an admin or the employee's manager may decide this request, and never for themselves."


class NotYourEntry(Forbidden):
    description = "Only an admin, the employee's manager or the employee may cancel this entry."


def require_admin(user):
    """Raise 403 unless ``user`` is an admin."""
    if not user.is_admin:
        raise AdminOnly()


def visible_employees(user):
    """A WHERE clause selecting the employees ``user`` may see."""
    if user.is_admin:
        return true()
    if user.employee_id is None:
        return false()
    if user.role == "manager":
        return or_(Employee.id == user.employee_id, Employee.manager_id == user.employee_id)
    return Employee.id == user.employee_id


def can_see(user, employee):
    """Whether ``user`` may see ``employee`` (the Python twin of ``visible_employees`` for one row)."""
    return user.is_admin or employee.id == user.employee_id or manages(user, employee)


def manages(user, employee):
    """Whether ``user`` is ``employee``'s manager."""
    return user.role == "manager" and user.employee_id is not None and employee.manager_id == user.employee_id


def decides_for(user, employee):
    """Whether ``user`` approves ``employee``'s requests: an admin or their manager, never themselves."""
    return (user.is_admin or manages(user, employee)) and employee.id != user.employee_id


def require_decider(user, employee):
    """Raise 403 unless ``user`` may approve or deny ``employee``'s requests."""
    if not decides_for(user, employee):
        raise NotYourDecision()


def require_canceller(user, employee):
    """Raise 403 unless ``user`` may cancel ``employee``'s entries: an admin, their manager or themselves."""
    if not (user.is_admin or manages(user, employee) or employee.id == user.employee_id):
        raise NotYourEntry()
