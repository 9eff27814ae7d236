"""Accrual runs and projections: what accrual policies post, for everyone (the run) or for one employee
(a projection, an archived employee's last lines).

A run and a projection read the same things (an employee's stints on a policy, their balance's ledger,
their hours worked, the corrections owed) and ask the arithmetic (domain/accrual_rules.py) the same
question, so a projection to a day is what a run through that day posts. The database posts each line
once (one per employee, policy, period, kind and revision), whatever runs at the same time.
"""

from collections import defaultdict, namedtuple
from dataclasses import astuple, dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import ARRAY, bindparam, cast, func, insert, or_, select, text, update
from werkzeug.exceptions import NotFound

from database import dialect_name, execute, lock_reporting_lines
from domain import ledger
from domain.accrual_rules import (
    ONE_DAY,
    Line,
    Posted,
    Rules,
    Stint,
    Worked,
    anniversary,
    corrected_lines,
    due_lines,
    history_from,
    opening_line,
)
from errors import InvalidField
from models import (
    AccrualAssignment,
    AccrualPolicy,
    AccrualReplay,
    AccrualRun,
    Balance,
    Employee,
    HoursWorked,
    LedgerLine,
    db,
    today,
    utcnow,
)

# Employees a run handles per transaction: their rows stay locked for one batch's work only, and what a
# batch reads and writes stays bounded however large the company is.
BATCH_SIZE = 1000


class NotDueYet(InvalidField):
    description = "through is after today: lines are posted when due (a projection shows later ones)."


class TooFarAhead(InvalidField):
    description = "as_of is more than 5 years ahead: a projection reaches that far at most."


# What policies post: for one employee (projection), or for everyone (the run)


@dataclass
class _Facts:
    """What the arithmetic needs of a batch of employees."""

    employees: dict  # id: (hire_date, left_on)
    stints: dict  # (employee_id, type): [Stint, ...] in order
    history: dict  # (employee_id, type): [Posted, ...]: every line, or those from ``history_from`` on
    worked: dict  # employee_id: [Worked, ...]
    replays: dict  # employee_id: why their policies are to be replayed (pending AccrualReplay reasons)
    last_posted: dict  # (employee_id, policy_id): the day of the last line it posted to the employee
    balances: dict  # (employee_id, type): hours now


def _rules_of(policy_ids, cache):
    """Add to ``cache`` (policy id: Rules) the policies of ``policy_ids`` it lacks, in one statement: a run
    reads each policy once."""
    missing = [policy_id for policy_id in policy_ids if policy_id not in cache]
    if missing:
        for policy in db.session.scalars(select(AccrualPolicy).where(AccrualPolicy.id.in_(missing))):
            cache[policy.id] = Rules.of(policy)


def _read_facts(employee_ids, rules_cache):
    """Read the employees, their assignments, ledgers and hours worked: a fixed number of statements for
    the whole batch."""
    employees = {
        row.id: (row.hire_date, row.left_on)
        for row in db.session.execute(
            select(Employee.id, Employee.hire_date, Employee.left_on).where(Employee.id.in_(employee_ids))
        )
    }
    assignments = defaultdict(list)
    for row in db.session.execute(
        select(
            AccrualAssignment.employee_id,
            AccrualAssignment.type,
            AccrualAssignment.policy_id,
            AccrualAssignment.effective_from,
        )
        .where(AccrualAssignment.employee_id.in_(employee_ids))
        .order_by(
            AccrualAssignment.employee_id,
            AccrualAssignment.type,
            AccrualAssignment.effective_from,
            AccrualAssignment.id,
        )
    ):
        assignments[row.employee_id, row.type].append((row.effective_from, row.policy_id))
    _rules_of(
        {policy_id for rows in assignments.values() for _day, policy_id in rows if policy_id}, rules_cache
    )
    stints = {}
    for (employee_id, type_key), rows in assignments.items():
        hire_date, left_on = employees[employee_id]
        stints[employee_id, type_key] = list(_stints(rows, hire_date, left_on, rules_cache))
    replays = defaultdict(list)
    for row in db.session.execute(
        select(AccrualReplay.employee_id, AccrualReplay.reason)
        .where(AccrualReplay.employee_id.in_(employee_ids), AccrualReplay.done_at.is_(None))
        .order_by(AccrualReplay.id)
    ):
        replays[row.employee_id].append(row.reason)
    last_posted = {
        (row.employee_id, row.policy_id): row.day
        for row in db.session.execute(
            select(
                LedgerLine.employee_id, LedgerLine.policy_id, func.max(LedgerLine.effective_on).label("day")
            )
            .where(LedgerLine.employee_id.in_(employee_ids), LedgerLine.policy_id.is_not(None))
            .group_by(LedgerLine.employee_id, LedgerLine.policy_id)
        )
    }
    types = {type_key for _employee, type_key in stints}
    balances = {}  # of the types policies grow
    if types:
        balances = {
            (row.employee_id, row.type): Decimal(str(row.hours_balance))
            for row in db.session.execute(
                select(Balance.employee_id, Balance.type, Balance.hours_balance).where(
                    Balance.employee_id.in_(employee_ids), Balance.type.in_(types)
                )
            )
        }
    history = _read_history(employees, stints, types, replays, last_posted, balances, employee_ids)
    worked = defaultdict(list)
    if any(rules.method == "per_hours_worked" for rules in rules_cache.values()):
        for row in db.session.execute(
            select(
                HoursWorked.employee_id, HoursWorked.period_start, HoursWorked.period_end, HoursWorked.hours
            ).where(HoursWorked.employee_id.in_(employee_ids))
        ):
            worked[row.employee_id].append(Worked(row.period_start, row.period_end, Decimal(str(row.hours))))
    return _Facts(employees, stints, history, worked, replays, last_posted, balances)


def _read_history(employees, stints, types, replays, last_posted, balances, employee_ids):
    """The batch's ledger lines that its policies need: those from the earliest day any of them reads
    (``accrual_rules.history_from``; all of them where a replay is owed), and one opening line per
    balance for those before (its hours now less the lines read: a balance is the sum of its lines).
    Most days that is a day's lines, however long the history."""
    if not types:
        return defaultdict(list)
    floors = [
        history_from(stint, employees[employee_id][0], last_posted.get((employee_id, stint.rules.id)))
        for (employee_id, _type), its_stints in stints.items()
        for stint in its_stints
    ]
    floor = None if replays or not floors else min(floors)
    lines = select(
        LedgerLine.employee_id,
        LedgerLine.type,
        LedgerLine.effective_on,
        LedgerLine.delta,
        LedgerLine.kind,
        LedgerLine.policy_id,
        LedgerLine.period_start,
    ).where(LedgerLine.employee_id.in_(employee_ids), LedgerLine.type.in_(types))
    if floor is not None:
        lines = lines.where(LedgerLine.effective_on >= floor)
    history = defaultdict(list)
    for row in db.session.execute(lines):
        history[row.employee_id, row.type].append(
            Posted(row.effective_on, Decimal(str(row.delta)), row.kind, row.policy_id, row.period_start)
        )
    if floor is not None:
        for key, hours in balances.items():
            read = sum((line.delta for line in history[key]), Decimal("0.00"))
            history[key].append(opening_line(floor, hours - read))
    return history


def _stints(assignments, hire_date, left_on, rules_cache):
    """The stretches of an employee's employment each policy of one type covers, from its assignments
    ((effective_from, policy_id), in the order they were made per day). Of two from the same day the later
    counts; assigning the policy already in force changes nothing: its periods run on unbroken."""
    kept = []
    for start, policy_id in dict(assignments).items():  # the day's last assignment
        if not kept or kept[-1][1] != policy_id:
            kept.append((start, policy_id))
    assignments = kept
    for index, (start, policy_id) in enumerate(assignments):
        following = assignments[index + 1][0] - ONE_DAY if index + 1 < len(assignments) else None
        end = left_on if following is None else (following if left_on is None else min(following, left_on))
        start = max(start, hire_date)
        if policy_id is not None and (end is None or start <= end):
            yield Stint(rules_cache[policy_id], start, end)


def _due(facts, through):
    """Every line due through ``through`` for the batch: {(employee_id, type): [Line, ...]}."""
    due = {}
    for (employee_id, type_key), stints in facts.stints.items():
        hire_date, _left_on = facts.employees[employee_id]
        history = list(facts.history[employee_id, type_key])
        worked = facts.worked.get(employee_id, ())
        if employee_id in facts.replays:
            why = _why(facts.replays[employee_id])
            # Every posted line is replayed, even one after ``through``: the replay is then done.
            posted_through = max((line.effective_on for line in history if line.policy_id), default=through)
            lines = corrected_lines(stints, hire_date, history, max(through, posted_through), worked, why)
        else:
            lines = []
            for stint in stints:
                since = facts.last_posted.get((employee_id, stint.rules.id))
                new = due_lines(stint, hire_date, history, through, worked, since)
                history.extend(line.as_posted() for line in new)
                lines.extend(new)
        if lines:
            due[employee_id, type_key] = sorted(lines, key=lambda line: line.effective_on)
    return due


# How much of the change behind a correction its reason repeats (a ledger line's reason holds 500).
REPLAY_REASON_SHOWN = 150


def _why(reasons):
    """What changed, for the corrections' reasons: the latest change, and how many others there were."""
    latest = reasons[-1][:REPLAY_REASON_SHOWN]
    return latest if len(reasons) == 1 else f"{latest}, and {len(reasons) - 1} earlier change(s)"


# How far a projection reaches: far enough to plan any leave, near enough that its work stays small (a
# weekly policy: 260 periods).
PROJECTION_YEARS = 5


def project(employee_id, through):
    """The lines the employee's policies will post through ``through`` that are not posted yet:
    {type: [Line, ...]}, each type's in the order they count. 422 beyond PROJECTION_YEARS from today."""
    limit = anniversary(today(), PROJECTION_YEARS)
    if through > limit:
        message = f"A projection reaches at most {PROJECTION_YEARS} years ahead: to {limit}."
        raise TooFarAhead("as_of", message, "query")
    facts = _read_facts([employee_id], {})
    return {type_key: lines for (_employee, type_key), lines in _due(facts, through).items()}


@dataclass
class RunSummary:
    """What a run posted, or a preview would post."""

    through: object
    employees: int = 0
    lines: int = 0
    hours: Decimal = Decimal("0.00")
    sample: list | None = None  # a preview's first lines (SampleLine)


SAMPLE_SIZE = 100
SampleLine = namedtuple("SampleLine", ["employee_id", "type", *Line.__dataclass_fields__])


def employees_to_accrue(through):
    """How many employees a run through ``through`` looks at."""
    return db.session.scalar(select(func.count()).select_from(_to_accrue(through).subquery()))


def _employees_to_accrue(through):
    """The ids of the employees a run through ``through`` looks at, in order."""
    return db.session.scalars(_to_accrue(through).order_by(Employee.id)).all()


def _to_accrue(through):
    """SQL: the ids of active employees hired by ``through`` with a policy assigned by then, or
    corrections owed."""
    assigned = select(AccrualAssignment.employee_id).where(
        AccrualAssignment.policy_id.is_not(None), AccrualAssignment.effective_from <= through
    )
    owed = select(AccrualReplay.employee_id).where(AccrualReplay.done_at.is_(None))
    return select(Employee.id).where(
        Employee.archived_at.is_(None),
        Employee.hire_date <= through,
        or_(Employee.id.in_(assigned), Employee.id.in_(owed)),
    )


def preview_run(through):
    """What a run through ``through`` would post now, written nowhere."""
    summary = RunSummary(through=through, sample=[])
    rules_cache = {}
    ids = _employees_to_accrue(through)
    for batch in _batches(ids):
        due = _due(_read_facts(batch, rules_cache), through)
        _count(summary, due)
        for (employee_id, type_key), lines in due.items():
            summary.sample.extend(
                SampleLine(employee_id, type_key, *astuple(line))
                for line in lines[: SAMPLE_SIZE - len(summary.sample)]
            )
    return summary


def _count(summary, due):
    summary.employees += len({employee_id for employee_id, _type in due})
    summary.lines += sum(len(lines) for lines in due.values())
    summary.hours += sum((line.delta for lines in due.values() for line in lines), Decimal("0.00"))


def _batches(ids):
    for index in range(0, len(ids), BATCH_SIZE):
        yield ids[index : index + BATCH_SIZE]


def run_day(through=None):
    """The day a run posts through: ``through``, today if None. Lines are posted when due, never ahead
    (a projection shows what is to come)."""
    day = today()
    if through is None:
        return day
    if through > day:
        raise NotDueYet(
            "through",
            f"Lines are posted when due: through is at most today ({day}). A projection shows later ones.",
        )
    return through


def select_runs():
    """The statement listing runs, the latest first."""
    return select(AccrualRun).order_by(AccrualRun.id.desc())


def get_run_or_404(run_id):
    """The run with ``run_id``, or 404."""
    run = db.session.get(AccrualRun, run_id)
    if run is None:
        raise NotFound("No accrual run with that id.")
    return run


def start_run(through, trigger, actor_id=None):
    """A run through ``through``, recorded as running; ``run_in_batches`` does its work."""
    run = AccrualRun(through=through, trigger=trigger, started_by=actor_id, status="running")
    db.session.add(run)
    db.session.flush()
    return run


def run_in_batches(run):
    """Post every line due through the run's day, one batch of employees at a time; the caller commits
    after each step this yields (the number of employees it handled): the run's record first, so admins
    see it running, then each batch with the run's counts, then the run's end.

    Why a transaction per batch (the named exception to one per request or command): a run over
    thousands of employees must not hold all their locks at once, and an interrupted run keeps what it
    committed, counted in its record, for the next run to finish. Each batch locks its employees first,
    then reads what is posted: a second run at the same time waits for the lock and then finds the lines
    there, and PTO filed meanwhile queues behind the batch.
    """
    through, run_id = run.through, run.id
    rules_cache = {}
    ids = _employees_to_accrue(through)
    yield 0
    for batch in _batches(ids):
        # Manager changes lock employees up a reporting chain, in no set order, after this lock: taking it
        # before the batch's (in id order) keeps the two from deadlocking.
        lock_reporting_lines()
        locked = _lock_batch(batch)
        facts = _read_facts(locked, rules_cache)
        due = _due(facts, through)
        _post(due, facts.balances)
        _replays_done(locked, run_id)
        summary = RunSummary(through=through)
        _count(summary, due)
        execute(
            update(AccrualRun)
            .where(AccrualRun.id == run_id)
            .values(
                employees=AccrualRun.employees + summary.employees,
                lines=AccrualRun.lines + summary.lines,
                hours=func.round(AccrualRun.hours + summary.hours, 2),
            )
        )
        yield len(batch)
    execute(update(AccrualRun).where(AccrualRun.id == run_id).values(status="finished", finished_at=utcnow()))
    yield 0


def settle(employee_id, through):
    """Post what the employee's policies owe through ``through`` now, outside any run (when they are
    archived: runs skip archived employees). The caller holds the employee's lock."""
    facts = _read_facts([employee_id], {})
    _post(_due(facts, through), facts.balances)
    _replays_done([employee_id])


def _replays_done(employee_ids, run_id=None):
    """The corrections owed to these employees are posted (by the run ``run_id``, if any)."""
    execute(
        update(AccrualReplay)
        .where(AccrualReplay.employee_id.in_(employee_ids), AccrualReplay.done_at.is_(None))
        .values(done_at=utcnow(), run_id=run_id)
    )


def _lock_batch(batch):
    """Lock the batch's employees that are still active, in id order; their ids."""
    statement = (
        select(Employee.id)
        .where(Employee.id.in_(batch), Employee.archived_at.is_(None))
        .order_by(Employee.id)
    )
    return db.session.scalars(statement.with_for_update()).all()


_INSERT_LINES = insert(LedgerLine.__table__)
# The columns a policy's line sets, and on PostgreSQL the batch's lines in one INSERT ... SELECT from one
# array per column: far less of the client's work than a VALUES list of thousands of parameters.
_LINE_COLUMNS = (
    "employee_id",
    "type",
    "kind",
    "delta",
    "balance_after",
    "reason",
    "effective_on",
    "policy_id",
    "period_start",
    "revision",
    "created_at",
)
_LINES_AS_ARRAYS = (
    func.unnest(*(cast(bindparam(name), ARRAY(LedgerLine.__table__.c[name].type)) for name in _LINE_COLUMNS))
    .table_valued(*_LINE_COLUMNS)
    .render_derived(name="moved")
)
_INSERT_LINES_PG = insert(LedgerLine.__table__).from_select(
    _LINE_COLUMNS, select(*(_LINES_AS_ARRAYS.c[name] for name in _LINE_COLUMNS))
)
_INSERT_BALANCES = insert(Balance.__table__)
# Each balance to the figure its lines bring it to, computed under the batch's locks: on SQLite one
# in-process UPDATE per balance; on PostgreSQL one statement for the batch, the figures passed as arrays
# (psycopg2 would send an executemany as one round trip per row).
_SET_BALANCE = (
    update(Balance.__table__)
    .where(Balance.employee_id == bindparam("employee"), Balance.type == bindparam("balance"))
    .values(hours_balance=bindparam("new_hours"))
)
_SET_BALANCES_PG = text(
    "UPDATE balances SET hours_balance = moved.hours "
    "FROM unnest(CAST(:employees AS integer[]), CAST(:types AS varchar[]), CAST(:hours AS numeric[])) "
    "AS moved(employee_id, type, hours) "
    "WHERE balances.employee_id = moved.employee_id AND balances.type = moved.type"
)


def _post(due, held):
    """Write the batch's lines, each with the balance after it in the order written, and move the
    balances (``held``: their hours, read under the batch's locks) by them: a bounded number of
    statements whatever the batch's size."""
    if not due:
        return
    now = utcnow()
    rows, balances = [], []
    for (employee_id, type_key), lines in due.items():
        balance = held.get((employee_id, type_key), Decimal("0.00"))
        for line in lines:
            balance += line.delta
            rows.append(
                {
                    "employee_id": employee_id,
                    "type": type_key,
                    "kind": line.kind,
                    "delta": line.delta,
                    "balance_after": balance,
                    "reason": line.reason,
                    "actor_id": None,
                    "pto_entry_id": None,
                    "effective_on": line.effective_on,
                    "policy_id": line.policy_id,
                    "period_start": line.period_start,
                    "revision": line.revision,
                    "created_at": now,
                }
            )
        balances.append((employee_id, type_key, balance))
    if dialect_name() == "postgresql":
        execute(_INSERT_LINES_PG, {name: [row[name] for row in rows] for name in _LINE_COLUMNS})
    else:
        execute(_INSERT_LINES, rows)
    new = [
        (employee_id, type_key, hours)
        for employee_id, type_key, hours in balances
        if (employee_id, type_key) not in held
    ]
    if new:
        execute(
            _INSERT_BALANCES,
            [{"employee_id": e, "type": t, "hours_balance": h, "pending_hours": 0} for e, t, h in new],
        )
    moved = [row for row in balances if (row[0], row[1]) in held]
    if not moved:
        return
    if dialect_name() == "postgresql":
        employees, types, hours = zip(*moved, strict=True)
        execute(_SET_BALANCES_PG, {"employees": list(employees), "types": list(types), "hours": list(hours)})
    else:
        execute(_SET_BALANCE, [{"employee": e, "balance": t, "new_hours": h} for e, t, h in moved])


# What an employee sees


@dataclass
class Outlook:
    """An employee's policy in one type today, and what it posts next."""

    type: str
    policy_id: int
    policy_name: str
    next_accrual_on: object = None
    next_accrual_hours: Decimal | None = None


# How far ahead the next accrual is looked for: a yearly policy's next line is at most a year away.
LOOKAHEAD = timedelta(days=400)


def outlook(employee_id):
    """Each of the employee's current policies with the day and hours of their next accrual line."""
    day = today()
    facts = _read_facts([employee_id], {})
    upcoming = _due(facts, day + LOOKAHEAD)
    shown = []
    for (_employee, type_key), stints in sorted(facts.stints.items()):
        current = [
            stint
            for stint in stints
            if stint.start <= day + LOOKAHEAD and (stint.end is None or stint.end >= day)
        ]
        if not current:
            continue
        rules = current[0].rules
        following = [
            line
            for line in upcoming.get((employee_id, type_key), ())
            if line.kind == "accrual" and line.policy_id == rules.id and line.effective_on > day
        ]
        entry = Outlook(type=type_key, policy_id=rules.id, policy_name=rules.name)
        if following:
            entry.next_accrual_on, entry.next_accrual_hours = following[0].effective_on, following[0].delta
        shown.append(entry)
    return shown


def balances_on(employee_id, day):
    """The employee's balances (``ledger.employee_balances``) on ``day``: by the ledger up to it, and for
    a day after today, with the lines their policies will post by then added (``projected_lines``).
    Pending hours are those of today's undecided requests."""
    balances = ledger.employee_balances(employee_id)
    if day > today():
        projected = project(employee_id, day)
        for balance in balances:
            balance.projected_lines = projected.get(balance.type, [])
            balance.hours_balance += sum((line.delta for line in balance.projected_lines), Decimal("0.00"))
    else:
        held = ledger.balances_on_day(employee_id, day)
        for balance in balances:
            balance.hours_balance = held.get(balance.type, Decimal("0.00"))
    for balance in balances:
        balance.as_of = day
    return balances


def balance_on(employee_id, type_key=None, day=None):
    """``ledger.balance_on``, on ``day`` as ``projected_balance`` tells it."""
    pto_type, hours = ledger.balance_on(employee_id, type_key)
    if day is not None:
        hours = projected_balance(employee_id, pto_type.key, day)
    return pto_type, hours


def projected_balance(employee_id, balance_type, day):
    """A balance at the end of ``day``: its ledger lines effective by then, and for a day after today the
    lines policies will post by then."""
    return ledger.balance_as_of(employee_id, balance_type, day) + projected_hours(
        employee_id, balance_type, day
    )


def projected_hours(employee_id, balance_type, day):
    """The hours the employee's policies will add to ``balance_type``'s balance by ``day`` that they have
    not posted yet (none for a day that is not after today)."""
    if day <= today():
        return Decimal("0.00")
    return sum((line.delta for line in project(employee_id, day).get(balance_type, ())), Decimal("0.00"))
