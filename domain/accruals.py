"""Accrual policies: the policies, who is on which from when, the hours worked that some count, and the
corrections that changes reaching back owe (``request_replay``).

The arithmetic is domain/accrual_rules.py; the run that posts policies' lines and the projection that
shows them before they are posted are domain/accrual_runs.py.
"""

from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.exceptions import Conflict, NotFound

from domain import pto_types
from domain.accrual_rules import (
    lines_changed_by,
)
from errors import InvalidField
from models import (
    AccrualAssignment,
    AccrualPolicy,
    AccrualReplay,
    HoursWorked,
    LedgerLine,
    db,
    today,
    utcnow,
)


class PolicyArchived(Conflict):
    description = "The policy is archived: it cannot be assigned (its lines and assignments stay)."


class UnknownPolicy(InvalidField):
    description = "policy_id names no accrual policy."

    def __init__(self):
        super().__init__("policy_id", "No accrual policy with that id.")


class BeforeHire(InvalidField):
    description = "effective_from is before the employee's hire date."


class PeriodBackwards(InvalidField):
    description = "period_end is before period_start, or more than 62 days after it."


# Payroll periods run up to a month: a longer one is a typing mistake.
LONGEST_WORKED_PERIOD = timedelta(days=62)


class HoursOverlap(Conflict):
    description = (
        "Hours worked are posted already for a period that overlaps this one (each hour counts once)."
    )


# Policies


def select_policies(archived=False, type_key=None):
    """The statement listing policies (active or archived), by name."""
    statement = select(AccrualPolicy).order_by(AccrualPolicy.name, AccrualPolicy.id)
    statement = statement.where(
        AccrualPolicy.archived_at.is_not(None) if archived else AccrualPolicy.archived_at.is_(None)
    )
    if type_key is not None:
        statement = statement.where(AccrualPolicy.type == type_key)
    return statement


def get_policy_or_404(policy_id):
    """The policy with ``policy_id`` (archived ones too), or 404."""
    policy = db.session.get(AccrualPolicy, policy_id)
    if policy is None:
        raise NotFound("No accrual policy with that id.")
    return policy


def add_policy(data):
    """Add a policy for an active type with a balance of its own."""
    _require_accruing_type(data["type"])
    # Hours kept as text in the JSON column: exact, where a JSON number could come back as a float.
    tiers = [{"after_years": tier["after_years"], "hours": str(tier["hours"])} for tier in data["tiers"]]
    policy = AccrualPolicy(**{**data, "tiers": tiers})
    if policy.for_new_hires:
        _clear_new_hires_policy(policy.type)
    db.session.add(policy)
    db.session.flush()
    return policy


def change_policy(policy_id, changes):
    """Rename a policy, make it the new hires' policy or not, archive or restore it. Its rules never change:
    lines posted under them must stay explainable (a new policy, assigned from a day, changes them)."""
    policy = get_policy_or_404(policy_id)
    archived = changes.pop("archived", None)
    if changes.get("for_new_hires"):
        if archived or (archived is None and policy.archived):
            raise PolicyArchived()  # an archived policy is given to nobody new
        _clear_new_hires_policy(policy.type, keep=policy.id)  # the previous one first: one per type
    for name, value in changes.items():
        setattr(policy, name, value)
    if archived is not None:
        policy.archived_at = (policy.archived_at or utcnow()) if archived else None
    if policy.archived_at is not None:
        policy.for_new_hires = False
    db.session.flush()
    return policy


def archive_policy(policy_id):
    """Archive a policy: no new assignments; those it has keep posting (assign another to stop them)."""
    return change_policy(policy_id, {"archived": True})


def _clear_new_hires_policy(type_key, keep=None):
    statement = update(AccrualPolicy).where(AccrualPolicy.type == type_key, AccrualPolicy.for_new_hires)
    if keep is not None:
        statement = statement.where(AccrualPolicy.id != keep)
    db.session.execute(statement.values(for_new_hires=False))


def _require_accruing_type(key):
    """The active type ``key`` names with a balance of its own: what a policy grows (422 or 409 else)."""
    pto_type = pto_types.require_own_balance(pto_types.find_type(key), key, "type", "json")
    return pto_types.require_active_type(pto_type)


# Assignments


def assign_policy(employee, policy_id, effective_from, actor_id, type_key=None):
    """From ``effective_from`` on, the employee's balance in the policy's type grows by it (or, with
    ``policy_id`` None and ``type_key``, by no policy). The caller holds the employee's lock.

    From a day a policy already posted lines for, the next run replays the balance's policies and posts
    the corrections (``request_replay``): posted lines are never edited.
    """
    if policy_id is not None:
        policy = db.session.get(AccrualPolicy, policy_id)
        if policy is None:
            raise UnknownPolicy()
        if policy.archived:
            raise PolicyArchived()
        type_key = policy.type
    else:
        _require_accruing_type(type_key)
    if effective_from < employee.hire_date:
        raise BeforeHire("effective_from", "The employee was not hired yet on that day.")
    name = "no policy" if policy_id is None else repr(policy.name)
    reason = f"{name} assigned from {effective_from} on {today()}"
    request_replay(employee.id, effective_from, reason, actor_id, type_key)
    assignment = AccrualAssignment(
        employee_id=employee.id,
        type=type_key,
        policy_id=policy_id,
        effective_from=effective_from,
        assigned_by=actor_id,
    )
    db.session.add(assignment)
    db.session.flush()
    return assignment


def request_replay(employee_id, since, reason, actor_id, type_key=None):
    """Have the next run replay the employee's policies (and post the corrections, saying ``reason``) if
    they posted lines to the balance of ``type_key`` (any, if None) that a change from ``since`` may
    alter (``accrual_rules.lines_changed_by``)."""
    posted_since = select(LedgerLine.id).where(
        LedgerLine.employee_id == employee_id,
        LedgerLine.policy_id.is_not(None),
        LedgerLine.effective_on >= lines_changed_by(since),
    )
    if type_key is not None:
        posted_since = posted_since.where(LedgerLine.type == type_key)
    if db.session.scalar(posted_since.limit(1)) is not None:
        db.session.add(AccrualReplay(employee_id=employee_id, reason=reason, requested_by=actor_id))


def assign_new_hire(employee, actor_id):
    """Put a new employee on each type's policy for new hires, from their hire date."""
    policies = db.session.scalars(
        select(AccrualPolicy).where(AccrualPolicy.for_new_hires, AccrualPolicy.archived_at.is_(None))
    )
    for policy in policies:
        db.session.add(
            AccrualAssignment(
                employee_id=employee.id,
                type=policy.type,
                policy_id=policy.id,
                effective_from=employee.hire_date,
                assigned_by=actor_id,
            )
        )


def select_assignments(employee_id):
    """The statement listing an employee's assignments, by type and day."""
    return (
        select(AccrualAssignment)
        .where(AccrualAssignment.employee_id == employee_id)
        .order_by(AccrualAssignment.type, AccrualAssignment.effective_from)
    )


def get_assignment_or_404(employee_id, assignment_id):
    """The employee's assignment ``assignment_id``, or 404."""
    assignment = db.session.get(AccrualAssignment, assignment_id)
    if assignment is None or assignment.employee_id != employee_id:
        raise NotFound("The employee has no accrual assignment with that id.")
    return assignment


# Hours worked


def post_hours_worked(employee, period_start, period_end, hours, actor_id):
    """Record the hours an employee worked in a period (one record per period start). Posting a period
    again replaces its hours; if a policy counted them, the next run posts the correction."""
    if period_end < period_start:
        raise PeriodBackwards("period_end", "The period ends before it starts.")
    if period_end - period_start >= LONGEST_WORKED_PERIOD:
        raise PeriodBackwards(
            "period_end", f"A period of hours worked is at most {LONGEST_WORKED_PERIOD.days} days."
        )
    overlapping = select(HoursWorked.period_start).where(
        HoursWorked.employee_id == employee.id,
        HoursWorked.period_start != period_start,
        HoursWorked.period_start <= period_end,
        HoursWorked.period_end >= period_start,
    )
    other = db.session.scalar(overlapping.limit(1))
    if other is not None:
        raise HoursOverlap(
            f"Hours worked are posted already for the period from {other}: periods may not overlap."
        )
    record = db.session.scalar(
        select(HoursWorked).where(
            HoursWorked.employee_id == employee.id, HoursWorked.period_start == period_start
        )
    )
    if record is not None:
        change = f"{record.hours:.2f} to {hours:.2f} h"
        reason = f"hours worked from {period_start} corrected from {change} on {today()}"
        request_replay(employee.id, min(record.period_end, period_end), reason, actor_id)
        record.period_end, record.hours, record.posted_by = period_end, hours, actor_id
    else:
        # Hours posted for a period before lines a policy already posted: the next run replays to count them.
        request_replay(
            employee.id,
            period_end,
            f"hours worked {period_start} to {period_end} posted on {today()}",
            actor_id,
        )
        record = HoursWorked(
            employee_id=employee.id,
            period_start=period_start,
            period_end=period_end,
            hours=hours,
            posted_by=actor_id,
        )
        db.session.add(record)
    db.session.flush()
    return record


def get_hours_worked_or_404(employee_id, record_id):
    """The employee's hours worked record ``record_id``, or 404."""
    record = db.session.get(HoursWorked, record_id)
    if record is None or record.employee_id != employee_id:
        raise NotFound("The employee has no hours worked record with that id.")
    return record


def select_hours_worked(employee_id):
    """The statement listing an employee's hours worked, by period."""
    return (
        select(HoursWorked).where(HoursWorked.employee_id == employee_id).order_by(HoursWorked.period_start)
    )
