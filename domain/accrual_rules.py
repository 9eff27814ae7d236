"""The arithmetic of accrual policies, without I/O: the lines a policy posts to one employee's balance
through a day, given that balance's ledger so far.

The run (domain/accrual_runs.py) writes these lines and a projection shows them: both call ``due_lines``, so
what a projection promises is what the run posts. Periods, policy years and tenure are calendar
arithmetic here; hours are exact decimals rounded half up to the cent.

Within a day, events go in this order: what a new policy year lets expire, a front-loaded grant, the
period's accrual, then carried-over hours that expire unused (after everything else of that day: hours
taken that day count as used). Caps look at the balance on the day a line counts from, with every line
that counts on that day (PTO taken that day included). Proration multiplies before it divides, so an
exact half cent rounds up.
"""

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from models import REASON_LENGTH

CENT = Decimal("0.01")
# The longest period a line can be for (a policy year): a change from a day may alter lines dated up to
# this long before it (a period whose hours landed on its first day).
LONGEST_PERIOD = timedelta(days=366)
ZERO = Decimal("0.00")
# Two-week periods run in step from this Monday: every other week, Monday to the Sunday after next.
BIWEEKLY_EPOCH = date(2001, 1, 1)
ONE_DAY = timedelta(days=1)


def cents(hours):
    """``hours`` rounded half up to the cent."""
    return Decimal(hours).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rules:
    """A policy as the arithmetic reads it (models.AccrualPolicy holds the same fields)."""

    id: int
    name: str
    method: str = "per_period"
    frequency: str = "monthly"
    accrue_at: str = "end"
    prorate: bool = True
    tiers: tuple = ((0, Decimal("0")),)  # (after_years, hours), sorted by after_years, the first at 0
    per_hours_worked: Decimal | None = None
    waiting_days: int = 0
    credit_waiting: bool = False
    max_balance: Decimal | None = None
    max_per_year: Decimal | None = None
    policy_year: str = "calendar"
    year_start_month: int | None = None
    year_start_day: int | None = None
    carry_over: str = "all"
    carry_over_hours: Decimal | None = None
    carry_over_expires_after_days: int | None = None

    @classmethod
    def of(cls, policy):
        """The rules of a ``models.AccrualPolicy``."""
        tiers = tuple((tier["after_years"], Decimal(str(tier["hours"]))) for tier in policy.tiers)
        fields = {name: getattr(policy, name) for name in cls.__dataclass_fields__ if name != "tiers"}
        return cls(**fields, tiers=tiers)


@dataclass(frozen=True)
class Posted:
    """A line already in the balance's ledger, as the arithmetic needs it."""

    effective_on: date
    delta: Decimal
    kind: str
    policy_id: int | None = None
    period_start: date | None = None


@dataclass(frozen=True)
class Line:
    """A line a policy posts: the day it counts from, the period it is for, what moves and why."""

    effective_on: date
    period_start: date
    kind: str  # "accrual" or "expiry"
    delta: Decimal
    reason: str
    policy_id: int
    # 0 for the line a period posts; 1, 2... for the corrections of it that later changes post.
    revision: int = 0

    def as_posted(self):
        """The line as it reads once in the ledger."""
        return Posted(self.effective_on, self.delta, self.kind, self.policy_id, self.period_start)


@dataclass(frozen=True)
class Worked:
    """Hours an employee worked in a period (models.HoursWorked)."""

    period_start: date
    period_end: date
    hours: Decimal


# Calendar arithmetic


def month_end(year, month):
    return date(year, month, calendar.monthrange(year, month)[1])


def anniversary(hire_date, years):
    """The day ``years`` after ``hire_date`` (a February 29th hire's is February 28th in other years)."""
    try:
        return hire_date.replace(year=hire_date.year + years)
    except ValueError:
        return date(hire_date.year + years, 2, 28)


def tenure_years(hire_date, day):
    """Whole years worked on ``day``: anniversaries reached since ``hire_date``."""
    years = day.year - hire_date.year
    if anniversary(hire_date, years) > day:
        years -= 1
    return years


def year_start_on(rules, hire_date, day):
    """The first day of the policy year ``day`` falls in."""
    if rules.policy_year == "calendar":
        return date(day.year, 1, 1)
    if rules.policy_year == "fixed":
        start = date(day.year, rules.year_start_month, rules.year_start_day)
        return start if start <= day else start.replace(year=day.year - 1)
    return anniversary(hire_date, max(tenure_years(hire_date, day), 0))


def next_year_start(rules, hire_date, day):
    """The first day of the policy year after the one ``day`` falls in."""
    if rules.policy_year == "calendar":
        return date(day.year + 1, 1, 1)
    if rules.policy_year == "fixed":
        start = date(day.year, rules.year_start_month, rules.year_start_day)
        return start if start > day else start.replace(year=day.year + 1)
    return anniversary(hire_date, max(tenure_years(hire_date, day), -1) + 1)


def period_containing(rules, hire_date, day):
    """(first day, last day) of the accrual period ``day`` falls in."""
    frequency = rules.frequency
    if frequency == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if frequency == "biweekly":
        start = BIWEEKLY_EPOCH + timedelta(days=(day - BIWEEKLY_EPOCH).days // 14 * 14)
        return start, start + timedelta(days=13)
    if frequency == "semimonthly":
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), month_end(day.year, day.month)
    if frequency == "monthly":
        return day.replace(day=1), month_end(day.year, day.month)
    if frequency == "quarterly":
        first_month = (day.month - 1) // 3 * 3 + 1
        return date(day.year, first_month, 1), month_end(day.year, first_month + 2)
    start = year_start_on(rules, hire_date, day)  # yearly: the policy year
    return start, next_year_start(rules, hire_date, day) - ONE_DAY


def periods_from(rules, hire_date, first_day, last_day):
    """The accrual periods that meet ``first_day``..``last_day``, in order."""
    start, end = period_containing(rules, hire_date, first_day)
    while start <= last_day:
        yield start, end
        start, end = period_containing(rules, hire_date, end + ONE_DAY)


def year_starts_between(rules, hire_date, first_day, last_day):
    """The first days of policy years from ``first_day`` to ``last_day``, both included."""
    start = year_start_on(rules, hire_date, first_day)
    if start < first_day:
        start = next_year_start(rules, hire_date, first_day)
    while start <= last_day:
        yield start
        start = next_year_start(rules, hire_date, start)


def tier_hours(rules, hire_date, day):
    """(hours, after_years) of the tenure tier that applies on ``day``."""
    tenure = tenure_years(hire_date, day)
    after_years, hours = rules.tiers[0]
    for tier_after, tier_amount in rules.tiers:
        if tier_after <= tenure:
            after_years, hours = tier_after, tier_amount
    return hours, after_years


# What a policy posts


@dataclass(frozen=True)
class _Event:
    effective_on: date
    order: int  # within a day: 0 year-start expiry, 1 front-loaded grant, 2 accrual, 3 carried-over expiry
    period_start: date
    kind: str
    due: Decimal | None  # an accrual's hours before caps; None: computed when reached (expiries)
    reason: str


@dataclass(frozen=True)
class Stint:
    """A stretch of days an employee's balance grows by one policy: from ``start`` to ``end`` (None: open),
    both included, already within their employment."""

    rules: Rules
    start: date
    end: date | None


def due_lines(
    stint, hire_date, history: Iterable[Posted], through, worked: Iterable[Worked] = (), since=None
):
    """The lines ``stint``'s policy posts to the balance through ``through`` that ``history`` (every line of
    that balance so far) does not hold yet, in the order they count.

    ``since``: the day of the last line the policy posted to the balance, whose events before it are all
    done. ``history`` then need only hold the lines from ``history_from(...)`` on, the balance before them
    summed in one line dated the day before (``opening_line``).
    """
    rules = stint.rules
    last_day = through if stint.end is None else min(through, stint.end)
    if stint.start > last_day:
        return []
    first_day = history_from(stint, hire_date, since)
    history = sorted(history, key=lambda line: line.effective_on)
    posted = {(line.kind, line.period_start) for line in history if line.policy_id == rules.id}
    events = sorted(
        _events(stint, hire_date, first_day, last_day, worked),
        key=lambda event: (event.effective_on, event.order),
    )
    ledger = _Ledger(history, rules.id)
    lines = []
    carried = {}  # the day carried-over hours expire: how many were carried over
    for event in events:
        if (event.kind, event.period_start) in posted or (since is not None and event.effective_on < since):
            if event.order == 0:  # what it carried was decided then: rebuild it for the expiry to come
                _carry(rules, event.effective_on, ledger.balance_before(event.effective_on), carried)
            continue
        line = _line(rules, hire_date, event, ledger, carried)
        if line is not None:
            lines.append(line)
            ledger.add(line)
    return lines


def history_from(stint, hire_date, since):
    """The first day whose lines ``due_lines`` reads, given ``since`` (see there): the stint's start (while
    a credited waiting period has yet to end), or ``since`` itself, or the start of its policy year when a
    cap per year or the expiry of carried-over hours still to come needs that year's lines."""
    rules = stint.rules
    if since is None or (rules.credit_waiting and hire_date + timedelta(days=rules.waiting_days) >= since):
        return stint.start  # (what the wait held back lands on the day after it: its periods are read again)
    year_start = year_start_on(rules, hire_date, since)
    expiry = rules.carry_over_expires_after_days
    if rules.max_per_year is not None or (expiry and since <= year_start + timedelta(days=expiry)):
        return max(stint.start, year_start)
    return max(stint.start, since)


def lines_changed_by(day):
    """The first day of the lines a change that applies from ``day`` (an assignment, a hire date, hours
    worked) may alter: those of any period that runs into it."""
    return day - LONGEST_PERIOD


def _fitted(reason):
    """``reason`` cut to what a ledger line keeps (models.REASON_LENGTH), the same on every database."""
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


def opening_line(day, hours):
    """The balance before ``day``, as one line for ``due_lines``' history."""
    return Posted(day - ONE_DAY, hours, "opening")


def corrected_lines(stints, hire_date, history, through, worked=(), why="a change"):
    """What brings the lines ``stints``' policies posted to the balance in line with what they would have
    posted had the stints (and hire date, and hours worked) always been as they are now; ``why`` says
    what changed.

    It replays every policy line from scratch on the balance's other lines, then for each period: a line
    not posted yet is posted as usual; one posted with other hours gets a correction of the difference;
    one no stint posts any more is reversed. Corrections count from the day the period's hours did, so a
    balance on a past day (``as_of``) is what the policies as they stand now make it. Posted lines are
    never edited.
    """
    replayed = [line for line in history if line.policy_id is None]
    intended = []
    for stint in stints:
        lines = due_lines(stint, hire_date, replayed, through, worked)
        replayed.extend(line.as_posted() for line in lines)
        intended.extend(lines)
    posted = {}  # (policy, kind, period): [hours posted, lines posted, the day they count from]
    for line in history:
        if line.policy_id is not None and line.effective_on <= through:
            key = (line.policy_id, line.kind, line.period_start)
            hours, count, day = posted.get(key, (ZERO, 0, line.effective_on))
            posted[key] = (hours + line.delta, count + 1, min(day, line.effective_on))
    corrections = []
    for line in intended:
        hours, count, _day = posted.pop((line.policy_id, line.kind, line.period_start), (ZERO, 0, None))
        if count == 0:
            corrections.append(line)
        elif hours != line.delta:
            reason = _fitted(f"Correction ({why}): {line.reason}; {hours:.2f} h were posted")
            corrections.append(replace(line, delta=line.delta - hours, reason=reason, revision=count))
    reversals = [
        Line(
            day,
            period_start,
            kind,
            -hours,
            _fitted(f"Reversed ({why}): no policy posts this {kind} now"),
            policy_id,
            count,
        )
        for (policy_id, kind, period_start), (hours, count, day) in posted.items()
        if hours != 0
    ]
    # Within a day, what is taken back comes before what replaces it.
    return sorted(reversals + corrections, key=lambda line: line.effective_on)


def _events(stint, hire_date, first_day, last_day, worked):
    """Everything the policy does from ``first_day`` (within the stint) to ``last_day``, not yet ordered."""
    rules = stint.rules
    if rules.method == "per_period":
        for period_start, period_end in periods_from(rules, hire_date, first_day, last_day):
            event = _accrual(stint, hire_date, period_start, period_end, last_day)
            if event is not None:
                yield event
    elif rules.method == "per_hours_worked":
        for record in worked:
            if first_day <= record.period_end <= last_day:
                event = _earned(stint, hire_date, record, last_day)
                if event is not None:
                    yield event
    else:
        yield from _grants(stint, hire_date, first_day, last_day)
    for year_start in year_starts_between(rules, hire_date, max(first_day, hire_date + ONE_DAY), last_day):
        yield _Event(year_start, 0, year_start, "expiry", None, "")
        if rules.carry_over != "none" and rules.carry_over_expires_after_days:
            expires_on = year_start + timedelta(days=rules.carry_over_expires_after_days)
            if expires_on <= last_day:
                yield _Event(expires_on, 3, expires_on, "expiry", None, "")


def _waited(stint, hire_date, lands_on, last_day):
    """The day a line landing on ``lands_on`` counts from, after the waiting period (None: never due by
    ``last_day``, or forfeited), and what to say about it."""
    rules = stint.rules
    waiting_ends = hire_date + timedelta(days=rules.waiting_days)
    if lands_on >= waiting_ends:
        return lands_on, ""
    if not rules.credit_waiting or waiting_ends > last_day:
        return None, ""
    return waiting_ends, f"; credited after the {rules.waiting_days}-day waiting period"


def _accrual(stint, hire_date, period_start, period_end, last_day):
    """The accrual of one period of a per-period policy, before caps (None: it earns nothing)."""
    rules = stint.rules
    covered_from = max(period_start, stint.start)
    covered_to = period_end if stint.end is None else min(period_end, stint.end)
    if covered_from > covered_to:
        return None
    period_days = (period_end - period_start).days + 1
    covered_days = (covered_to - covered_from).days + 1
    note = ""
    if covered_days < period_days and rules.prorate:
        lands_on = covered_from if rules.accrue_at == "start" else covered_to
        earned_days, of_days = covered_days, period_days
        note = f"; prorated {covered_days}/{period_days} days"
    else:
        lands_on = period_start if rules.accrue_at == "start" else period_end
        if not covered_from <= lands_on <= covered_to:
            return None  # not on this policy on the day the period's hours land
        earned_days, of_days = 1, 1
    hours, after_years = tier_hours(rules, hire_date, lands_on)
    effective_on, waited = _waited(stint, hire_date, lands_on, last_day)
    if effective_on is None or effective_on > last_day:
        return None
    tier = f"; tier after {after_years} years" if after_years else ""
    reason = f"{rules.name}: {period_start} to {period_end}{tier}{note}{waited}"
    return _Event(effective_on, 2, period_start, "accrual", cents(hours * earned_days / of_days), reason)


def _earned(stint, hire_date, record, last_day):
    """The accrual for hours worked in one posted period, before caps."""
    rules = stint.rules
    hours, after_years = tier_hours(rules, hire_date, record.period_end)
    effective_on, waited = _waited(stint, hire_date, record.period_end, last_day)
    if effective_on is None:
        return None
    tier = f"; tier after {after_years} years" if after_years else ""
    worked = f"{record.hours:.2f} h worked {record.period_start} to {record.period_end}"
    rate = f"{hours:.2f} h per {rules.per_hours_worked:.2f} h worked"
    reason = f"{rules.name}: {worked}, {rate}{tier}{waited}"
    return _Event(
        effective_on,
        2,
        record.period_start,
        "accrual",
        cents(record.hours * hours / rules.per_hours_worked),
        reason,
    )


def _grants(stint, hire_date, first_day, last_day):
    """A front-loaded policy's grants: one on each policy year's first day, and a joiner's for the rest of
    the year they join in (prorated by days when the policy says so)."""
    rules = stint.rules
    year_start = year_start_on(rules, hire_date, first_day)
    while year_start <= last_day:
        year_end = next_year_start(rules, hire_date, year_start) - ONE_DAY
        hours, after_years = tier_hours(rules, hire_date, max(year_start, stint.start))
        lands_on = max(year_start, stint.start)
        note = ""
        if lands_on > year_start and rules.prorate:
            days, year_days = (year_end - lands_on).days + 1, (year_end - year_start).days + 1
            hours = hours * Decimal(days) / Decimal(year_days)
            note = f"; prorated {days}/{year_days} days"
        effective_on, waited = _waited(stint, hire_date, lands_on, last_day)
        if effective_on is not None and effective_on <= last_day:
            tier = f"; tier after {after_years} years" if after_years else ""
            reason = f"{rules.name}: grant for {year_start} to {year_end}{tier}{note}{waited}"
            yield _Event(effective_on, 1, year_start, "accrual", cents(hours), reason)
        year_start = year_end + ONE_DAY


def _carry(rules, year_start, balance, carried):
    """What a balance of ``balance`` keeps into the policy year starting on ``year_start``, noted in
    ``carried`` under the day those hours expire if unused, when the policy says they do."""
    if balance <= 0 or rules.carry_over == "all":
        keeps = max(balance, ZERO)
    elif rules.carry_over == "none":
        keeps = ZERO
    else:
        keeps = min(balance, rules.carry_over_hours)
    if rules.carry_over_expires_after_days:
        carried[year_start + timedelta(days=rules.carry_over_expires_after_days)] = keeps
    return keeps


def _line(rules, hire_date, event, ledger, carried):
    """The line ``event`` posts given the ledger so far, or None when it moves nothing worth a line."""
    day = event.effective_on
    if event.order == 0:
        balance = ledger.balance_before(day)
        keeps = _carry(rules, day, balance, carried)
        if balance <= keeps:
            return None
        limit = "nothing" if rules.carry_over == "none" else f"up to {rules.carry_over_hours:.2f} h"
        reason = (
            f"{rules.name}: the policy year from {day} carries over {limit}; {balance - keeps:.2f} h expire"
        )
        return Line(day, event.period_start, "expiry", keeps - balance, reason, rules.id)
    if event.order == 3:
        year_start = day - timedelta(days=rules.carry_over_expires_after_days)
        keeps = carried.get(day, ZERO)
        used = ledger.used_between(year_start, day)
        unused = min(keeps - used, ledger.balance_on(day))
        if unused <= 0:
            return None
        reason = (
            f"{rules.name}: {unused:.2f} h of the {keeps:.2f} h carried over on {year_start} "
            f"unused after {rules.carry_over_expires_after_days} days expire"
        )
        return Line(day, day, "expiry", -unused, reason, rules.id)
    hours, reason = event.due, event.reason
    if rules.max_per_year is not None:
        room = max(
            rules.max_per_year - ledger.accrued_in_year(year_start_on(rules, hire_date, day), day), ZERO
        )
        if hours > room:
            hours, reason = (
                room,
                f"{reason}; {event.due:.2f} h due, capped at {rules.max_per_year:.2f} h a year",
            )
    if rules.max_balance is not None:
        room = max(rules.max_balance - ledger.balance_on(day), ZERO)
        if hours > room:
            hours, reason = (
                room,
                f"{reason}; {event.due:.2f} h due, capped at the {rules.max_balance:.2f} h maximum balance",
            )
    return Line(day, event.period_start, "accrual", hours, reason, rules.id)


class _Ledger:
    """The balance's lines, existing and new, summed by day as the events advance: each question is a
    lookup in running sums, so a long history costs no more per event than a short one."""

    def __init__(self, history, policy_id):
        self.policy_id = policy_id
        self.posted = _RunningSums()
        for line in history:  # sorted by day
            self._add(self.posted, line)
        self.new = _RunningSums()  # the lines posted here, in the order of their days

    def add(self, line):
        self._add(self.new, line)

    def _add(self, sums, line):
        accrued = line.delta if line.kind == "accrual" and line.policy_id == self.policy_id else ZERO
        used = -line.delta if line.kind in ("pto_taken", "refund") else ZERO
        sums.append(line.effective_on, line.delta, accrued, used)

    def _sum(self, column, first_day, last_day):
        return self.posted.between(column, first_day, last_day) + self.new.between(
            column, first_day, last_day
        )

    def balance_on(self, day):
        return self._sum(0, date.min, day)

    def balance_before(self, day):
        return self._sum(0, date.min, day - ONE_DAY) if day > date.min else ZERO

    def accrued_in_year(self, year_start, day):
        """Hours this policy accrued from ``year_start`` to ``day``, both included."""
        return self._sum(1, year_start, day)

    def used_between(self, first_day, last_day):
        """Hours taken (less those refunded) from ``first_day`` to ``last_day``, both included."""
        return self._sum(2, first_day, last_day)


class _RunningSums:
    """Lines appended in the order of their days, with the running sums of three figures (the delta, the
    policy's accruals, the hours used), for the sum over any range of days."""

    __slots__ = ("days", "totals")

    def __init__(self):
        self.days = []
        self.totals = ([ZERO], [ZERO], [ZERO])  # one running sum per figure

    def append(self, day, *figures):
        self.days.append(day)
        for totals, figure in zip(self.totals, figures, strict=True):
            totals.append(totals[-1] + figure)

    def between(self, column, first_day, last_day):
        """The sum of figure ``column`` over the lines from ``first_day`` to ``last_day``, both included."""
        start, end = bisect_left(self.days, first_day), bisect_right(self.days, last_day)
        totals = self.totals[column]
        return totals[end] - totals[start] if end > start else ZERO
