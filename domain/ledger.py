"""The only code that moves hours: an atomic balance change and its ledger line, in one transaction."""

from datetime import UTC, datetime, time
from decimal import Decimal

from flask import current_app
from sqlalchemy import bindparam, func, select, update
from werkzeug.exceptions import Conflict

from models import BALANCE_LIMIT, Employee, Hours, LedgerLine, db

_delta = bindparam("delta", type_=Hours)
# Rounded in SQL: SQLite keeps NUMERIC as REAL, and 0.3 - 0.1 - 0.1 - 0.1 must reach exactly 0.
_new_balance = func.round(Employee.hours_balance + _delta, 2)

# Built once: these run on every balance change. Each is one atomic statement, so concurrent
# requests queue on the row (PostgreSQL) or the write lock (SQLite) and none is lost.
_CHANGE_BALANCE = (
    update(Employee)
    .where(
        Employee.id == bindparam("employee_id"),
        _new_balance >= bindparam("floor", type_=Hours),
        _new_balance <= BALANCE_LIMIT,
    )
    .values(hours_balance=_new_balance)
    .returning(Employee.hours_balance)
)


class InsufficientBalance(Conflict):
    description = "The employee's balance does not cover these hours."


class BalanceOutOfRange(Conflict):
    description = f"The balance would leave the range the ledger keeps (±{BALANCE_LIMIT:,} hours)."


def _floor():
    """How low PTO may take a balance: zero, less the configured overdraft."""
    return -current_app.config["PTO_OVERDRAFT_HOURS"]


def ensure_available(employee, hours):
    """Refuse (409) a request for more than the employee's available hours plus the allowed overdraft."""
    available = employee.available_hours - _floor()
    if hours > available:
        raise InsufficientBalance(
            f"Only {available:.2f} hours are available (balance {employee.hours_balance:.2f}, "
            f"{employee.pending_hours:.2f} pending)."
        )


def open_balance(employee, hours, actor_id):
    """Give a new employee their starting balance, recorded as the opening ledger line."""
    employee.hours_balance = hours
    db.session.add(
        LedgerLine(
            employee=employee,
            kind="opening",
            delta=hours,
            balance_after=hours,
            actor_id=actor_id,
            reason="Opening balance",
        )
    )


def set_balance(employee, target, actor_id, reason=None):
    """Bring a balance to ``target`` with an adjustment line; nothing is written when it is already there.

    The caller holds the employee's lock (``database.lock_employee``), so no other change slips in between
    the balance read under it and this update.
    """
    if target != employee.hours_balance:
        _move_hours(employee.id, target - employee.hours_balance, "adjustment", actor_id, reason=reason)


def take_hours(entry, actor_id):
    """Take an entry's hours from its employee's balance; 409 if that passes the allowed overdraft."""
    _move_hours(entry.employee_id, -entry.hours, "pto_taken", actor_id, entry, floor=_floor())


def refund_hours(entry, actor_id):
    """Give an entry's hours back to its employee's balance."""
    _move_hours(entry.employee_id, entry.hours, "refund", actor_id, entry)


def select_lines(employee_id, as_of=None):
    """The statement listing an employee's ledger lines in order, up to the end of ``as_of`` if given."""
    statement = select(LedgerLine).where(LedgerLine.employee_id == employee_id).order_by(LedgerLine.id)
    if as_of is not None:
        statement = statement.where(LedgerLine.created_at <= _end_of_day(as_of))
    return statement


def balance_as_of(employee_id, day):
    """The balance at the end of ``day`` (UTC): the sum of the ledger lines up to then."""
    total = db.session.scalar(
        select(func.round(func.coalesce(func.sum(LedgerLine.delta), 0), 2)).where(
            LedgerLine.employee_id == employee_id, LedgerLine.created_at <= _end_of_day(day)
        )
    )
    return Decimal(str(total)).quantize(Decimal("0.01"))


def _end_of_day(day):
    # The day's last microsecond rather than the next midnight, which 9999-12-31 does not have.
    return datetime.combine(day, time.max, tzinfo=UTC)


def _move_hours(employee_id, delta, kind, actor_id, entry=None, reason=None, floor=-BALANCE_LIMIT):
    """Change a balance by ``delta`` and write its line; 409 if the result would fall below ``floor``."""
    params = {"employee_id": employee_id, "delta": delta, "floor": floor}
    balance = db.session.execute(_CHANGE_BALANCE, params).scalar_one_or_none()
    if balance is None:
        raise InsufficientBalance() if delta < 0 else BalanceOutOfRange()
    db.session.add(
        LedgerLine(
            employee_id=employee_id,
            kind=kind,
            delta=delta,
            balance_after=balance,
            actor_id=actor_id,
            pto_entry_id=entry.id if entry else None,
            reason=reason,
        )
    )
    return balance
