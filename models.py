"""The database handle and the models: users, login sessions, employees, time-off types, balances, PTO
entries, ledger lines."""

from collections import namedtuple
from datetime import UTC, date, datetime, time
from decimal import Decimal

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    and_,
    exists,
    false,
    func,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    aliased,
    column_property,
    mapped_column,
    registry,
    relationship,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "manager", "employee")
# How a time-off type treats balances: its own per employee, another type's (a shared bank), or none.
BALANCE_MODES = ("own", "shared", "none")
PTO_STATUSES = ("pending", "approved", "denied", "cancelled")
# "accrual" and "expiry" lines are posted by accrual policies (domain/accrual_runs.py), one per period;
# "day_refund" gives back a booked day's hours when the day becomes a holiday (domain/holiday_calendars.py).
LEDGER_KINDS = ("opening", "adjustment", "pto_taken", "refund", "accrual", "expiry", "day_refund")
# Lines that name the PTO entry they move hours for.
ENTRY_LINE_KINDS = ("pto_taken", "refund", "day_refund")

# Column sizes, shared with the request schemas so that a value too long for its column is refused
# field by field (422) before it reaches the database (PostgreSQL would refuse it with an error).
MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
USERNAME_LENGTH = 80
NAME_LENGTH = 120
NOTE_LENGTH = 1000
REASON_LENGTH = 500
TYPE_KEY_LENGTH = 40
# A type's key is a slug: lower-case letters and digits, words joined by "-" or "_" ("jury-duty").
TYPE_KEY_PATTERN = r"^[a-z][a-z0-9]*([-_][a-z0-9]+)*$"
COLOR_PATTERN = r"^#[0-9a-f]{6}$"
# Types are a company's short list (vacation, sick, ...): bounded, so every balance read stays small.
MAX_PTO_TYPES = 100
# The latest entries shown inside an employee's record (the tutorial's ``pto_entries``): bounded, so
# a long history, or thousands of filed requests, cannot make the record slow or huge to read.
EMBEDDED_PTO_ENTRIES = 50

# NUMERIC(10, 2): exact hours on PostgreSQL. SQLite keeps REAL, so the ledger rounds in SQL.
Hours = Numeric(10, 2)
# Far beyond any real balance, and well inside NUMERIC(10, 2), so no change can overflow it.
BALANCE_LIMIT = Decimal("1000000")


def utcnow():
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today():
    """The company's day (COMPANY_TIMEZONE): the day a ledger line written now counts from, the accrual
    run's default, and the day approved time off must not have started by to be cancelled."""
    return company_day(utcnow())


def company_day(moment):
    """The company's calendar day at ``moment`` (a timezone-aware datetime)."""
    return moment.astimezone(current_app.config["COMPANY_TIMEZONE"]).date()


def company_midnight(day):
    """The moment the company's ``day`` begins, timezone-aware."""
    return datetime.combine(day, time(), current_app.config["COMPANY_TIMEZONE"])


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def one_of(column, values):
    """SQL for a CHECK that ``column`` holds one of ``values``."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={Decimal: Hours, datetime: UTCDateTime, date: Date},
    )


db = SQLAlchemy(model_class=Base)


class ActsByRole:
    """The powers of an account (a ``User``, or the caller a request's session check reads), from its
    ``role`` and ``employee_archived``."""

    __slots__ = ()

    @property
    def acting_role(self):
        """The role the account acts with: powers end with its employee record, so an account linked to
        an archived employee acts as a plain employee (it sees its own history, and decides nothing)."""
        return "employee" if self.employee_archived else self.role

    @property
    def is_admin(self):
        return self.acting_role == "admin"


class User(ActsByRole, db.Model):
    """Someone who can log in. Only a slow salted hash of the password is kept."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", ROLES), name="role"),
        Index("uq_users_employee_id", "employee_id", unique=True),  # one account per employee
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="employee")
    # The employee record this account belongs to: what "themselves" means for its role.
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin resets the password: until the user picks their own, they may do nothing else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A change of role, link or state: what the account's calendar feeds may show changes with it.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    employee: Mapped["Employee | None"] = relationship()


# Usernames are unique whatever their case: "Alice" cannot register beside "alice".
Index("uq_users_lower_username", func.lower(User.username), unique=True)


class LoginSession(db.Model):
    """One login. Its access and refresh tokens carry its id and stop working when it is revoked."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]


class LoginThrottle(db.Model):
    """Password checks against one username in the current window: the per-account brute-force guard.

    Keyed by the lower-cased name as typed, whether or not such a user exists, so throttling behaves
    the same for unknown names and tells an attacker nothing: ``acct <name>`` counts checks from
    everywhere, ``addr <name> <client address>`` those from one address (domain/login_guard.py).
    """

    __tablename__ = "login_throttles"

    username_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    window_started_at: Mapped[datetime] = mapped_column(index=True)


class EmployeeFigures:
    """What an employee's record shows beyond its columns, from ``archived_at``, ``hours_balance`` and
    ``pending_hours``: for the model, and for records read only to be shown (``people.EmployeeRecord``)."""

    __slots__ = ()

    @property
    def archived(self):
        """Archived employees keep their history but no longer change."""
        return self.archived_at is not None

    @property
    def available_hours(self):
        """What may still be requested from the default type's balance: it less the hours of undecided
        requests drawing on it."""
        return self.hours_balance - self.pending_hours


class Employee(EmployeeFigures, db.Model):
    """A person whose PTO is tracked. Archiving hides them from lists and keeps their history."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("left_on >= hire_date", name="left_on_or_after_hire_date"),
        Index("ix_employees_updated_at", "updated_at"),  # a calendar feed's latest change (its ETag)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id"), CheckConstraint("manager_id <> id", name="not_own_manager"), index=True
    )
    archived_at: Mapped[datetime | None]
    # The holiday calendar their days off follow; None: the default calendar.
    holiday_calendar_id: Mapped[int | None] = mapped_column(ForeignKey("holiday_calendars.id"), index=True)
    # Their first day of work (tenure and accruals count from it), and their last, set when they are
    # archived (people.archive_employee).
    hire_date: Mapped[date]
    left_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # No relationship to the employee's entries: loading them all would read a history that only grows.
    # A record read to be shown embeds the latest (people.EmployeeRecord); a new employee has none.
    recent_pto_entries = ()
    more_pto_entries = False


class TypeTreatment:
    """How a time-off type treats new entries, from its ``key``, ``balance``, ``draws_on`` and
    ``archived_at``: for the model, and for the type a filing reads as a row."""

    __slots__ = ()

    @property
    def archived(self):
        """Archived types take no new entries; their history stays."""
        return self.archived_at is not None

    @property
    def balance_type(self):
        """The key of the type whose balance entries of this type move, or None if they move none."""
        return {"own": self.key, "shared": self.draws_on}.get(self.balance)


class PtoType(TypeTreatment, db.Model):
    """A kind of time off (vacation, sick, unpaid...): how it treats balances, and how it is requested.

    Its ``key`` is the stable name requests use, so entries, balances and ledger lines refer to it.
    ``balance``: "own" keeps a balance per employee; "shared" draws on the balance of ``draws_on`` (an
    "own" type: a combined PTO bank); "none" records time off without a balance (unpaid leave).
    """

    __tablename__ = "pto_types"
    __table_args__ = (
        CheckConstraint(one_of("balance", BALANCE_MODES), name="balance"),
        CheckConstraint("(balance = 'shared') = (draws_on IS NOT NULL)", name="shared_types_draw_on_one"),
        CheckConstraint("draws_on <> key", name="not_drawing_on_itself"),
        CheckConstraint("NOT is_default OR (balance = 'own' AND archived_at IS NULL)", name="default_own"),
        CheckConstraint("overdraft_hours >= 0", name="overdraft_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        # At most one default; the migration makes one and no change leaves none (domain/pto_types.py).
        Index(
            "uq_pto_types_is_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    key: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    balance: Mapped[str] = mapped_column(String(10))
    draws_on: Mapped[str | None] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"))
    paid: Mapped[bool]
    requires_approval: Mapped[bool]
    # How far below zero a request of this type may take its balance; None: PTO_OVERDRAFT_HOURS.
    overdraft_hours: Mapped[Decimal | None]
    color: Mapped[str | None] = mapped_column(String(7))
    is_default: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Balance(db.Model):
    """One employee's hours in one balance-holding type, and the hours undecided requests ask of it.

    A missing row is a balance of zero with nothing pending: rows appear with the first line that moves
    them (domain/ledger.py). ``hours_balance`` always equals the sum of the ledger lines of this employee
    and type; ``pending_hours`` the hours of the pending entries drawing on it.
    """

    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint(
            f"hours_balance BETWEEN -{BALANCE_LIMIT} AND {BALANCE_LIMIT}", name="hours_balance_in_range"
        ),
        CheckConstraint(f"pending_hours BETWEEN 0 AND {BALANCE_LIMIT}", name="pending_hours_in_range"),
    )

    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), primary_key=True)
    type: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"), primary_key=True)
    hours_balance: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    pending_hours: Mapped[Decimal] = mapped_column(default=Decimal("0"))


class PtoEntry(db.Model):
    """Time off for one employee: its hours, dates, type and where it stands in the workflow."""

    __tablename__ = "pto_entries"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint(one_of("status", PTO_STATUSES), name="status"),
        CheckConstraint("(start_date IS NULL) = (end_date IS NULL)", name="dates_together"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        # An employee's latest entries, newest first, without reading their whole history.
        Index("ix_pto_entries_employee_id_id", "employee_id", "id"),
        # What a filing checks, its open entries and those it could overlap, read without the employee's
        # history: pending ones, and approved ones that end on or after a given day.
        Index("ix_pto_entries_employee_id_status_end_date", "employee_id", "status", "end_date"),
        Index("ix_pto_entries_updated_at", "updated_at"),  # a calendar feed's latest change (its ETag)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    hours: Mapped[Decimal]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    type: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"))
    # The type whose balance the entry draws on (its own, or the bank a shared type draws on), fixed when
    # it is filed; None for a type without a balance.
    balance_type: Mapped[str | None] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"))
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    status: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    cancellation_note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    # Changes since filing (a decision, a cancellation, a day given back) and when the last one was: what
    # calendar feeds tell subscribers (iCal's SEQUENCE and LAST-MODIFIED).
    revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, server_default=func.now())

    employee: Mapped[Employee] = relationship()
    pto_type: Mapped[PtoType] = relationship(foreign_keys=[type])

    @classmethod
    def overlapping(cls, start, end):
        """SQL: entries whose days meet the window from ``start`` to ``end`` (undated ones never do)."""
        return and_(cls.start_date <= end, cls.end_date >= start)


DAY_PARTS = ("morning", "afternoon")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class PtoDay(db.Model):
    """One day of a dated entry filed since schedules exist: what the day held for the employee when it
    was booked, and the hours it charges (domain/workdays.py). Entries dated before then have no days:
    their dates count whole."""

    __tablename__ = "pto_days"
    __table_args__ = (
        CheckConstraint("hours >= 0 AND hours <= scheduled", name="hours_within_schedule"),
        CheckConstraint(one_of("part", DAY_PARTS), name="part"),
        # An employee's booked days around a date: what overlap checks and calendars read.
        Index("ix_pto_days_employee_id_day", "employee_id", "day"),
    )

    pto_entry_id: Mapped[int] = mapped_column(ForeignKey("pto_entries.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # The hours the employee's schedule held that day, holidays counted (0 on a holiday or day off).
    scheduled: Mapped[Decimal]
    hours: Mapped[Decimal]
    # The holiday that made the day hold less (or nothing), by its name.
    holiday: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    # Half of the day (the request's first or last): the morning or the afternoon; None: as many hours.
    part: Mapped[str | None] = mapped_column(String(10))


def _default_type_key():
    """SQL: the default type's key, one uncorrelated subquery run once per statement."""
    return select(PtoType.key).where(PtoType.is_default).scalar_subquery()


def _default_balance(column):
    """SQL: ``column`` of the employee's balance in the default type (the tutorial's balance), else 0:
    a primary-key lookup per employee."""
    held = (
        select(column)
        .where(Balance.employee_id == Employee.id, Balance.type == _default_type_key())
        .correlate_except(Balance)
        .scalar_subquery()
    )
    return type_coerce(func.coalesce(held, 0), Hours)


# The tutorial's single balance is the default type's; the other types' are at /employees/<id>/balances.
Employee.hours_balance = column_property(_default_balance(Balance.hours_balance))
# Hours asked for and not yet decided from that balance: they count against what may still be requested.
Employee.pending_hours = column_property(_default_balance(Balance.pending_hours))

# The same figures for statements that read employees as rows to show them: the default type's balance
# row joined once (``DEFAULT_BALANCE_JOIN``), not looked up once per column and row as the model's
# column properties do. PostgreSQL plans and runs the join in a fraction of their time.
DefaultBalance = aliased(Balance, name="default_balance")
DEFAULT_BALANCE_JOIN = and_(
    DefaultBalance.employee_id == Employee.id, DefaultBalance.type == _default_type_key()
)
SHOWN_BALANCE_COLUMNS = {
    name: type_coerce(func.coalesce(getattr(DefaultBalance, name), 0), Hours).label(name)
    for name in ("hours_balance", "pending_hours")
}


# Whether the account's employee record is archived (see ``User.acting_role``); loaded with the user,
# so the session check of every request knows it without another query.
User.employee_archived = column_property(
    exists().where(Employee.id == User.employee_id, Employee.archived_at.is_not(None))
)


# An entry read only to be shown, as a named tuple of its columns in the table's order: a page of employees
# shows hundreds, and a field of it reads in a tenth of the time of one of a result row.
PtoEntryRecord = namedtuple("PtoEntryRecord", [column.key for column in PtoEntry.__table__.columns])
PTO_ENTRY_COLUMNS = tuple(PtoEntry.__table__.columns)


class LedgerLine(db.Model):
    """One append-only change to a balance: what moved, the balance after it, why, who and when."""

    __tablename__ = "ledger_lines"
    __table_args__ = (
        CheckConstraint(one_of("kind", LEDGER_KINDS), name="kind"),
        CheckConstraint(
            f"({one_of('kind', ENTRY_LINE_KINDS)}) = (pto_entry_id IS NOT NULL)",
            name="pto_lines_name_their_entry",
        ),
        # The database itself guarantees an entry's hours are taken once and refunded once. (A day given
        # back by a new holiday is once per day: domain/holiday_calendars.py zeroes the day as it posts.)
        Index(
            "uq_ledger_lines_pto_entry_id_kind",
            "pto_entry_id",
            "kind",
            unique=True,
            sqlite_where=text("kind IN ('pto_taken', 'refund')"),
            postgresql_where=text("kind IN ('pto_taken', 'refund')"),
        ),
        CheckConstraint("policy_id IS NULL OR kind IN ('accrual', 'expiry')", name="policy_lines_kind"),
        CheckConstraint(
            "(policy_id IS NULL) = (period_start IS NULL)", name="policy_lines_name_their_period"
        ),
        # One line per employee, policy, period and kind, however many runs post it at once.
        Index(
            "uq_ledger_lines_employee_policy_period_kind_revision",
            "employee_id",
            "policy_id",
            "period_start",
            "kind",
            "revision",
            unique=True,
            sqlite_where=text("policy_id IS NOT NULL"),
            postgresql_where=text("policy_id IS NOT NULL"),
        ),
        Index("ix_ledger_lines_employee_id_created_at", "employee_id", "created_at"),
        Index("ix_ledger_lines_employee_id_type_effective_on", "employee_id", "type", "effective_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    # The balance the line moves: the type that holds it.
    type: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"))
    kind: Mapped[str] = mapped_column(String(20))
    delta: Mapped[Decimal]
    balance_after: Mapped[Decimal]
    reason: Mapped[str | None] = mapped_column(String(REASON_LENGTH))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pto_entry_id: Mapped[int | None] = mapped_column(ForeignKey("pto_entries.id"))
    # The day the line counts from in balances on a date (``as_of``): the day it was written, or for a
    # policy's line the day its period's hours belong to, which a catch-up run posts later.
    effective_on: Mapped[date] = mapped_column(default=today)
    # A policy's line names the policy and the period it is for (its first day; for an expiry, the day the
    # hours expire): the database posts each once, and each correction of it once.
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("accrual_policies.id"))
    period_start: Mapped[date | None]
    # 0, or for a correction of a policy's line for the same period, 1, 2...
    revision: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employee: Mapped[Employee] = relationship()


# How a policy earns hours: an amount per period, per hours worked, or a grant at each policy year's start.
ACCRUAL_METHODS = ("per_period", "per_hours_worked", "front_loaded")
ACCRUAL_FREQUENCIES = ("weekly", "biweekly", "semimonthly", "monthly", "quarterly", "yearly")
ACCRUAL_TIMINGS = ("start", "end")
# When a policy year starts: each January 1st, on a fixed day of the year, or on each hire anniversary.
POLICY_YEARS = ("calendar", "fixed", "hire_anniversary")
# What a new policy year keeps of the balance: everything, nothing, or up to ``carry_over_hours``.
CARRY_OVERS = ("all", "none", "up_to")
ACCRUAL_RUN_STATUSES = ("running", "finished")


class AccrualPolicy(db.Model):
    """How one balance-holding type's hours grow, and what its policy year keeps at its start.

    ``tiers`` lists what is earned by tenure, as ``[{"after_years": 0, "hours": 6.67}, ...]`` sorted by
    ``after_years``: per period, per ``per_hours_worked`` hours worked, or per year when front-loaded.
    domain/accrual_rules.py holds the arithmetic; the rules a policy was used under never change
    (domain/accruals.py).
    """

    __tablename__ = "accrual_policies"
    __table_args__ = (
        CheckConstraint(one_of("method", ACCRUAL_METHODS), name="method"),
        CheckConstraint(one_of("frequency", ACCRUAL_FREQUENCIES), name="frequency"),
        CheckConstraint(one_of("accrue_at", ACCRUAL_TIMINGS), name="accrue_at"),
        CheckConstraint(one_of("policy_year", POLICY_YEARS), name="policy_year"),
        CheckConstraint(one_of("carry_over", CARRY_OVERS), name="carry_over"),
        CheckConstraint("(carry_over = 'up_to') = (carry_over_hours IS NOT NULL)", name="carry_over_hours"),
        CheckConstraint(
            "(policy_year = 'fixed') = (year_start_month IS NOT NULL AND year_start_day IS NOT NULL)",
            name="fixed_year_start",
        ),
        CheckConstraint("waiting_days >= 0", name="waiting_days_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("NOT for_new_hires OR archived_at IS NULL", name="new_hires_policy_active"),
        # A type names at most one policy that new hires get.
        Index(
            "uq_accrual_policies_type_for_new_hires",
            "type",
            unique=True,
            sqlite_where=text("for_new_hires"),
            postgresql_where=text("for_new_hires"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # The balance it grows: a type with a balance of its own.
    type: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(20))
    accrue_at: Mapped[str] = mapped_column(String(10))
    prorate: Mapped[bool]
    tiers: Mapped[list] = mapped_column(JSON)
    per_hours_worked: Mapped[Decimal | None]
    waiting_days: Mapped[int]
    credit_waiting: Mapped[bool]
    max_balance: Mapped[Decimal | None]
    max_per_year: Mapped[Decimal | None]
    policy_year: Mapped[str] = mapped_column(String(20))
    year_start_month: Mapped[int | None]
    year_start_day: Mapped[int | None]
    carry_over: Mapped[str] = mapped_column(String(10))
    carry_over_hours: Mapped[Decimal | None]
    carry_over_expires_after_days: Mapped[int | None]
    # New employees are assigned it from their hire date (domain/people.add_employee).
    for_new_hires: Mapped[bool] = mapped_column(default=False)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def archived(self):
        """Archived policies take no new assignments; those they have keep posting."""
        return self.archived_at is not None

    @property
    def tier_list(self):
        """The tiers with their hours as decimals (JSON keeps them as text, exactly)."""
        return [{"after_years": tier["after_years"], "hours": Decimal(tier["hours"])} for tier in self.tiers]


class AccrualAssignment(db.Model):
    """From ``effective_from`` on, an employee's balance in ``type`` grows by ``policy_id`` (none if NULL),
    until their next assignment for that type; of two from the same day, the later one counts.
    Assignments are kept as history, never edited."""

    __tablename__ = "accrual_assignments"
    __table_args__ = (
        Index(
            "ix_accrual_assignments_employee_id_type_effective_from", "employee_id", "type", "effective_from"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    type: Mapped[str] = mapped_column(String(TYPE_KEY_LENGTH), ForeignKey("pto_types.key"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("accrual_policies.id"), index=True)
    effective_from: Mapped[date]
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HoursWorked(db.Model):
    """Hours an employee worked in a period, posted by an admin or a payroll script: what policies that
    earn per hour worked count."""

    __tablename__ = "hours_worked"
    __table_args__ = (
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
        Index("uq_hours_worked_employee_id_period_start", "employee_id", "period_start", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    hours: Mapped[Decimal]
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccrualReplay(db.Model):
    """A change that reaches back before lines policies already posted to an employee's balances (an
    assignment from a past day, a corrected hire date or hours worked): the next run replays their
    policies and posts the corrections, saying ``reason`` (domain/accrual_rules.corrected_lines)."""

    __tablename__ = "accrual_replays"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    reason: Mapped[str] = mapped_column(String(REASON_LENGTH))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by the run that posted the corrections.
    done_at: Mapped[datetime | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("accrual_runs.id"))


class AccrualRun(db.Model):
    """One run of ``flask accrue`` (or POST /accrual-runs): through which day, and what it posted so far.

    Each batch of employees commits with its lines and these counts, so an interrupted run (status still
    "running", no ``finished_at``) shows exactly what it committed; the next run posts the rest.
    """

    __tablename__ = "accrual_runs"
    __table_args__ = (CheckConstraint(one_of("status", ACCRUAL_RUN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    through: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="running")
    trigger: Mapped[str] = mapped_column(String(10))
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    employees: Mapped[int] = mapped_column(default=0)
    lines: Mapped[int] = mapped_column(default=0)
    hours: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    @property
    def duration_ms(self):
        """How long it took in milliseconds, or None while it runs (or after it was interrupted)."""
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds() * 1000)


class WorkSchedule(db.Model):
    """The hours someone works on each day of the week, from ``effective_from`` on, until the next schedule.

    ``employee_id`` None: the company's default, for everyone without a schedule of their own on that day.
    ``hours`` lists 7 days (Monday first) as text, exactly, or 14 for a two-week rotation whose first week
    is the one ``effective_from`` falls in. Kept as history; domain/schedules.py.
    """

    __tablename__ = "work_schedules"
    __table_args__ = (
        Index("uq_work_schedules_employee_id_effective_from", "employee_id", "effective_from", unique=True),
        # One company schedule per day (NULLs never clash in the index above).
        Index(
            "uq_work_schedules_company_effective_from",
            "effective_from",
            unique=True,
            sqlite_where=text("employee_id IS NULL"),
            postgresql_where=text("employee_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    effective_from: Mapped[date]
    hours: Mapped[list] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def weeks(self):
        """The hours as one or two {weekday: hours}, as the API shows them."""
        hours = [Decimal(value) for value in self.hours]
        return [
            dict(zip(WEEKDAYS, hours[start : start + 7], strict=True)) for start in range(0, len(hours), 7)
        ]


HOLIDAY_KINDS = ("closure", "partial", "working")


class HolidayCalendar(db.Model):
    """The days off of one office: a country's (and subdivision's) public holidays from the ``holidays``
    package, plus the company's own days (``HolidayCalendarDay``). One is the default, for employees
    who name none."""

    __tablename__ = "holiday_calendars"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("subdivision IS NULL OR country IS NOT NULL", name="subdivision_of_a_country"),
        Index("uq_holiday_calendars_name", "name", unique=True),
        Index(
            "uq_holiday_calendars_is_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    # ISO 3166 codes as the ``holidays`` package knows them ("US", "CA" for California); None: only the
    # company's own days.
    country: Mapped[str | None] = mapped_column(String(3))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HolidayCalendarDay(db.Model):
    """A company's own day in a calendar: a closure (no work), a partial day (``hours`` of work at most),
    or a working day (a public holiday the company works)."""

    __tablename__ = "holiday_calendar_days"
    __table_args__ = (
        CheckConstraint(one_of("kind", HOLIDAY_KINDS), name="kind"),
        CheckConstraint("(kind = 'partial') = (hours IS NOT NULL)", name="partial_days_hours"),
        CheckConstraint("hours >= 0 AND hours < 24", name="hours_in_a_day"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    calendar_id: Mapped[int] = mapped_column(ForeignKey("holiday_calendars.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    hours: Mapped[Decimal | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


FEED_SCOPES = ("me", "team", "company")


class CalendarFeed(db.Model):
    """A user's iCal subscription to who is out: ``scope`` "me" (their own time off), "team" (their team,
    as GET /calendar shows it) or "company" (everyone they may see), each as its owner may see it when a
    calendar app fetches it. Only a hash of its secret token is kept."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        CheckConstraint(one_of("scope", FEED_SCOPES), name="scope"),
        Index("uq_calendar_feeds_token_hash", "token_hash", unique=True),
        Index("ix_calendar_feeds_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    scope: Mapped[str] = mapped_column(String(10))
    include_pending: Mapped[bool] = mapped_column(default=False)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
