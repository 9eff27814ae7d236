"""Who may see and do what: admins see everyone, managers themselves and their direct reports,
employees only themselves; an account linked to an archived employee acts as an employee. What a
caller may not see does not exist for them (404); what they may see but not change is a 403."""

from sqlalchemy import bindparam, false, or_, true
from werkzeug.exceptions import Forbidden

from models import Employee


class AdminOnly(Forbidden):
    description = "Only an admin may do this."


class NotYourDecision(Forbidden):
    description = "Only an admin or the employee's manager may decide this request, and never for themselves."


class NotYourEntry(Forbidden):
    description = (
        "Only an admin or the employee's manager may cancel this entry: employees cancel their own "
        "requests, and approved time off only before it starts."
    )


def require_admin(user):
    """Raise 403 unless ``user`` is an admin."""
    if not user.is_admin:
        raise AdminOnly()


VIEWER = bindparam("viewer_employee_id")


def visibility(user):
    """Which employees ``user`` may see: "all", "none", "team" (themselves and direct reports), "self"."""
    if user.is_admin:
        return "all"
    if user.employee_id is None:
        return "none"
    return "team" if user.acting_role == "manager" else "self"


def visible_to(scope, viewer=VIEWER):
    """A WHERE clause selecting the employees a caller sees, given their ``scope`` (see ``visibility``)
    and employee id.

    The default ``viewer`` is a bind parameter, so a statement built once serves every caller in
    ``scope``: execute it with ``viewer_params(user)``.
    """
    if scope == "all":
        return true()
    if scope == "none":
        return false()
    if scope == "team":
        return or_(Employee.id == viewer, Employee.manager_id == viewer)
    if scope == "self":
        return Employee.id == viewer
    raise ValueError(f"Unknown visibility scope {scope!r}")


def viewer_params(user):
    """The bind parameters of ``visible_to`` for ``user``."""
    return {"viewer_employee_id": user.employee_id}


def manages(user, employee):
    """Whether ``user`` is ``employee``'s manager."""
    return (
        user.acting_role == "manager"
        and user.employee_id is not None
        and employee.manager_id == user.employee_id
    )


def decides_for(user, employee):
    """Whether ``user`` approves ``employee``'s requests: an admin or their manager, never themselves."""
    return (user.is_admin or manages(user, employee)) and employee.id != user.employee_id


def require_decider(user, entry):
    """Raise 403 unless ``user`` may approve or deny ``entry``: never one they filed themselves."""
    if not decides_for(user, entry.employee) or entry.requested_by == user.id:
        raise NotYourDecision()


def require_canceller(user, entry, today):
    """Raise 403 unless ``user`` may cancel ``entry``: an admin or the manager always; the employee
    their pending requests, and approved time off only before it starts (else taking leave and
    cancelling it afterwards would hand the hours back)."""
    employee = entry.employee
    if user.is_admin or manages(user, employee):
        return
    started = entry.start_date is None or entry.start_date <= today  # undated time off may have been taken
    if employee.id == user.employee_id and not (entry.status == "approved" and started):
        return
    raise NotYourEntry()
