"""The only code that moves hours: an atomic change to one balance and its ledger line, in one transaction.

A balance is one employee's hours in one balance-holding type (``models.Balance``): what they hold, and
what their pending requests ask of it. Every change below is one conditional UPDATE of that row, so
concurrent requests queue on it (PostgreSQL) or on the write lock (SQLite), and none is lost or
double-counted. The callers hold the employee's lock (see ``database.lock_employee``), which is what
makes creating a missing row safe.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, bindparam, func, insert, select, update
from werkzeug.exceptions import Conflict

from database import execute
from domain import pto_types
from models import BALANCE_LIMIT, Balance, Hours, LedgerLine, PtoType, db, today, utcnow

ZERO = Decimal("0.00")
_hours = bindparam("hours", type_=Hours)
_floor = bindparam("floor", type_=Hours)
# Named unlike the columns: an UPDATE or INSERT reserves its columns' names for the values it sets.
_THIS_BALANCE = (Balance.employee_id == bindparam("employee"), Balance.type == bindparam("balance"))


def _rounded(expression):
    # Rounded in SQL: SQLite keeps NUMERIC as REAL, and 0.3 - 0.1 - 0.1 - 0.1 must reach exactly 0.
    return func.round(expression, 2)


def _change(*conditions, **values):
    """One conditional UPDATE of a balance row, built once, answering the row as it leaves it."""
    return (
        update(Balance)
        .where(*_THIS_BALANCE, *conditions)
        .values(**values)
        .returning(Balance.hours_balance, Balance.pending_hours)
    )


_available_after = _rounded(Balance.hours_balance - Balance.pending_hours - _hours)
# Approved at once: the hours leave the balance, if what is available (pending requests counted) allows.
_TAKE = _change(_available_after >= _floor, hours_balance=_rounded(Balance.hours_balance - _hours))
# Filed for approval: the hours are held against the balance, on the same terms.
_HOLD = _change(_available_after >= _floor, pending_hours=_rounded(Balance.pending_hours + _hours))
# Approved later: held hours leave the balance; only the balance itself need still cover them.
_TAKE_HELD = _change(
    _rounded(Balance.hours_balance - _hours) >= _floor,
    hours_balance=_rounded(Balance.hours_balance - _hours),
    pending_hours=_rounded(Balance.pending_hours - _hours),
)
# Denied or cancelled while pending: the held hours are free again.
_RELEASE = _change(pending_hours=_rounded(Balance.pending_hours - _hours))
# A refund or an adjustment: any change that keeps the balance in the range the ledger keeps.
_ADJUST = _change(
    _rounded(Balance.hours_balance + _hours).between(-BALANCE_LIMIT, BALANCE_LIMIT),
    hours_balance=_rounded(Balance.hours_balance + _hours),
)
_READ = select(Balance.hours_balance, Balance.pending_hours).where(*_THIS_BALANCE)
# A type with the employee's balance in it (None, None where nothing moved it yet).
_TYPE_AND_BALANCE = select(PtoType, Balance.hours_balance, Balance.pending_hours).outerjoin(
    Balance, and_(Balance.type == PtoType.key, Balance.employee_id == bindparam("employee"))
)
_NAMED_TYPE_AND_BALANCE = _TYPE_AND_BALANCE.where(PtoType.key == bindparam("key"))
_DEFAULT_TYPE_AND_BALANCE = _TYPE_AND_BALANCE.where(PtoType.is_default)
# One INSERT per line, rather than the session's unit of work: the hot paths write one each.
_INSERT_LINE = insert(LedgerLine.__table__)
_CREATE = insert(Balance).values(
    employee_id=bindparam("employee"), type=bindparam("balance"), hours_balance=0, pending_hours=0
)


class InsufficientBalance(Conflict):
    description = "The balance the entry draws on does not cover these hours (its type's overdraft counted)."


class BalanceOutOfRange(Conflict):
    description = f"The balance would leave the range the ledger keeps (±{BALANCE_LIMIT:,} hours)."


def overdraft_of(pto_type):
    """How far below zero requests of ``pto_type`` may take its balance: its own allowance, or
    PTO_OVERDRAFT_HOURS when it sets none."""
    if pto_type.overdraft_hours is not None:
        return pto_type.overdraft_hours
    return current_app.config["PTO_OVERDRAFT_HOURS"]


def open_balance(employee_id, balance_type, hours, actor_id):
    """Give a new employee their starting hours in one balance, recorded as its opening line."""
    db.session.add(Balance(employee_id=employee_id, type=balance_type, hours_balance=hours))
    db.session.add(
        LedgerLine(
            employee_id=employee_id,
            type=balance_type,
            kind="opening",
            delta=hours,
            balance_after=hours,
            actor_id=actor_id,
            reason="Opening balance",
        )
    )


def find_balance(employee_id, type_key=None):
    """The type ``type_key`` names (the default type if None) and the employee's balance and pending
    hours in it, read now: (type, balance, pending), zeros where nothing moved it yet; (None, 0, 0) if
    there is no such type. Under the employee's lock, this is what the next change starts from."""
    if type_key is None:
        row = db.session.execute(_DEFAULT_TYPE_AND_BALANCE, {"employee": employee_id}).first()
    else:
        row = db.session.execute(_NAMED_TYPE_AND_BALANCE, {"employee": employee_id, "key": type_key}).first()
    if row is None:
        return None, ZERO, ZERO
    return row.PtoType, row.hours_balance or ZERO, row.pending_hours or ZERO


def balance_on(employee_id, type_key=None, as_of=None):
    """(the type holding it, hours): the balance ``type_key`` names (the default type's if None; 422 for a
    type without a balance of its own), now or at the end of ``as_of``."""
    pto_type, hours, _pending = find_balance(employee_id, type_key)
    pto_types.require_own_balance(pto_type, type_key)
    if as_of is not None:
        hours = balance_as_of(employee_id, pto_type.key, as_of)
    return pto_type, hours


def set_balance(employee_id, balance_type, target, actor_id, reason=None):
    """Bring a balance (``balance_type``'s, the default type's if None) to ``target`` with an adjustment
    line; nothing is written when it is already there. The caller holds the employee's lock, so no other
    change slips in between the read and the update."""
    pto_type, held, _pending = find_balance(employee_id, balance_type)
    if target != held:
        line = {"kind": "adjustment", "delta": target - held, "actor_id": actor_id, "reason": reason}
        _move(_ADJUST, employee_id, pto_type.key, target - held, line)


def take_hours(entry, actor_id, overdraft):
    """Take an entry approved at once from its balance; 409 unless the available hours (pending requests
    counted), plus ``overdraft``, cover it."""
    line = {"kind": "pto_taken", "delta": -entry.hours, "actor_id": actor_id, "pto_entry_id": entry.id}
    _move(_TAKE, entry.employee_id, entry.balance_type, entry.hours, line, overdraft)


def hold_hours(entry, overdraft):
    """Hold a pending request's hours against its balance; 409 unless they are available, as for
    ``take_hours``. The ledger records nothing until the request is approved."""
    _move(_HOLD, entry.employee_id, entry.balance_type, entry.hours, None, overdraft)


def take_held_hours(entry, actor_id, overdraft):
    """Take an approved request's held hours from its balance; 409 if the balance, plus ``overdraft``,
    no longer covers them."""
    line = {"kind": "pto_taken", "delta": -entry.hours, "actor_id": actor_id, "pto_entry_id": entry.id}
    _move(_TAKE_HELD, entry.employee_id, entry.balance_type, entry.hours, line, overdraft)


def release_hours(entry):
    """Free the hours a pending request held (it was denied or cancelled)."""
    _move(_RELEASE, entry.employee_id, entry.balance_type, entry.hours)


def refund_hours(entry, actor_id, reason=None):
    """Give an approved entry's hours back to the balance they came from."""
    line = {"kind": "refund", "delta": entry.hours, "actor_id": actor_id, "pto_entry_id": entry.id}
    _move(_ADJUST, entry.employee_id, entry.balance_type, entry.hours, {**line, "reason": reason})


def return_hours(entry, was_approved, actor_id, reason=None):
    """Hand back the hours of an entry being cancelled: an approved one's to its balance (a refund line),
    a pending one's no longer held. Nothing for an entry that draws on no balance."""
    if entry.balance_type is None:
        return
    if was_approved:
        refund_hours(entry, actor_id, reason)
    else:
        release_hours(entry)


def give_back_day(entry, hours, actor_id, reason):
    """Give ``hours`` of an approved entry back (a day of it became a holiday), with a "day_refund" line."""
    line = {"kind": "day_refund", "delta": hours, "actor_id": actor_id, "pto_entry_id": entry.id}
    _move(_ADJUST, entry.employee_id, entry.balance_type, hours, {**line, "reason": reason})


def release_some(entry, hours):
    """Hold ``hours`` fewer for a pending request (a day of it became a holiday)."""
    _move(_RELEASE, entry.employee_id, entry.balance_type, hours)


@dataclass
class TypeBalance:
    """One balance of an employee as the API shows it: the type holding it, its figures, who draws on it."""

    type: str
    name: str
    hours_balance: Decimal
    pending_hours: Decimal
    archived: bool
    drawn_on_by: list[str] = field(default_factory=list)
    # The day the figures are for (None: now), and for a day to come the lines policies will post by then.
    as_of: object = None
    projected_lines: list = field(default_factory=list)

    @property
    def available_hours(self):
        """What may still be requested: the balance less the hours of undecided requests."""
        return self.hours_balance - self.pending_hours


_TYPES_WITH_BALANCES = _TYPE_AND_BALANCE.order_by(PtoType.is_default.desc(), PtoType.key)


def employee_balances(employee_id, only=None):
    """Every balance of an employee, the default type's first: one per active type with a balance of its
    own (zero where nothing moved it yet), and per archived one that still holds a row; or, given
    ``only`` (a key), that one balance. Each names the active types drawing on it, itself first."""
    rows = db.session.execute(_TYPES_WITH_BALANCES, {"employee": employee_id}).all()
    drawn_on_by = defaultdict(list)
    for pto_type, _held, _pending in rows:
        if pto_type.balance_type is not None and not pto_type.archived:
            drawn_on_by[pto_type.balance_type].append(pto_type.key)

    def shown(pto_type, held):
        if pto_type.balance != "own":
            return False
        if only is not None:
            return pto_type.key == only
        return not pto_type.archived or held is not None  # an archived type's, where it ever moved

    return [
        TypeBalance(
            type=pto_type.key,
            name=pto_type.name,
            hours_balance=held or ZERO,
            pending_hours=pending or ZERO,
            archived=pto_type.archived,
            drawn_on_by=sorted(drawn_on_by[pto_type.key], key=lambda key: key != pto_type.key),
        )
        for pto_type, held, pending in rows
        if shown(pto_type, held)
    ]


def select_lines(employee_id, balance_type=None, as_of=None):
    """The statement listing an employee's ledger lines in the order they were written: of one balance if
    ``balance_type`` is given, only those counting on ``as_of`` (effective on or before it) if given."""
    statement = select(LedgerLine).where(LedgerLine.employee_id == employee_id).order_by(LedgerLine.id)
    if balance_type is not None:
        statement = statement.where(LedgerLine.type == balance_type)
    if as_of is not None:
        statement = statement.where(LedgerLine.effective_on <= as_of)
    return statement


_BALANCES_ON_DAY = (
    select(LedgerLine.type, func.round(func.sum(LedgerLine.delta), 2).label("hours"))
    .where(LedgerLine.employee_id == bindparam("employee"), LedgerLine.effective_on <= bindparam("day"))
    .group_by(LedgerLine.type)
)


def balances_on_day(employee_id, day):
    """{type: hours} of an employee's balances on ``day``, by the lines effective on or before it."""
    rows = db.session.execute(_BALANCES_ON_DAY, {"employee": employee_id, "day": day})
    return {row.type: Decimal(str(row.hours)).quantize(Decimal("0.01")) for row in rows}


def balance_as_of(employee_id, balance_type, day):
    """A balance on ``day``: the sum of its ledger lines effective on or before it (a line a catch-up run
    posts today for last month counts from last month)."""
    return balances_on_day(employee_id, day).get(balance_type, ZERO)


def _insufficient(held, pending, overdraft):
    allowance = f", overdraft {overdraft:.2f}" if overdraft else ""
    return InsufficientBalance(
        f"Only {held - pending + overdraft:.2f} hours are available "
        f"(balance {held:.2f}, {pending:.2f} pending{allowance})."
    )


def require_covered(held, pending, pto_type, hours):
    """409 unless a balance holding ``held`` with ``pending`` hours asked of it covers ``hours`` of
    ``pto_type``, as filing checks it (``take_hours``, ``hold_hours``): for a quote, which only reads."""
    overdraft = overdraft_of(pto_type)
    if held - pending - hours < -overdraft:
        raise _insufficient(held, pending, overdraft)


def _move(statement, employee_id, balance_type, hours, line=None, overdraft=None):
    """Run one of the changes above on a balance with ``hours``, and write ``line`` for it (None when
    only held hours moved, which the ledger does not record). ``overdraft``: the change draws on the
    balance, and is refused (409) beyond what is available plus that allowance; other changes are
    refused only beyond the range the ledger keeps.

    The first change to a balance finds no row: it creates one at zero and tries again. The caller
    holds the employee's lock, so no one else can be creating it at the same time.
    """
    floor = -BALANCE_LIMIT if overdraft is None else -overdraft
    params = {"employee": employee_id, "balance": balance_type, "hours": hours, "floor": floor}
    row = execute(statement, params).first()
    if row is None:
        existing = execute(_READ, params).first()
        if existing is None:
            execute(_CREATE, params)
            row = execute(statement, params).first()
        if row is None:
            held, pending = existing or (ZERO, ZERO)
            if overdraft is None:
                raise BalanceOutOfRange()
            raise _insufficient(held, pending, overdraft)
    if line is not None:
        values = {"reason": None, "actor_id": None, "pto_entry_id": None, "policy_id": None, **line}
        values.update(created_at=utcnow(), effective_on=today(), period_start=None)
        values.update(employee_id=employee_id, type=balance_type, balance_after=row.hours_balance)
        execute(_INSERT_LINE, values)
    return row
