"""Shapes of /employees: employees, their balances and the ledger lines behind them."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import EMBEDDED_PTO_ENTRIES, LEDGER_KINDS, MAX_ID, MAX_PTO_TYPES, NAME_LENGTH, REASON_LENGTH
from schemas.accruals import PolicyLineOut
from schemas.fields import (
    BALANCE_RANGE,
    CalendarDate,
    HoursField,
    OutSchema,
    PageArgs,
    id_field,
    type_key,
    visible_text,
)
from schemas.pto import PtoOut


class EmployeeSummaryOut(OutSchema):
    id = fields.Integer()
    name = fields.String()
    manager_id = fields.Integer(allow_none=True)
    hours_balance = HoursField(
        **BALANCE_RANGE,
        metadata={"description": "The balance of the default type; the others: GET /employees/{id}/balances"},
    )
    pending_hours = HoursField(
        **BALANCE_RANGE, metadata={"description": "Hours of requests awaiting a decision on that balance"}
    )
    available_hours = HoursField(
        **BALANCE_RANGE,
        metadata={"description": "hours_balance - pending_hours: what may still be asked for"},
    )
    archived = fields.Boolean()


class EmployeeOut(EmployeeSummaryOut):
    hire_date = fields.Date(metadata={"description": "Their first day of work"})
    holiday_calendar_id = fields.Integer(
        allow_none=True, metadata={"description": "The holiday calendar their days follow; null: the default"}
    )
    left_on = fields.Date(
        allow_none=True, metadata={"description": "Their last day of work, set when they are archived"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    pto_entries = fields.List(
        fields.Nested(PtoOut),
        attribute="recent_pto_entries",
        metadata={
            "description": f"The employee's latest {EMBEDDED_PTO_ENTRIES} entries, oldest first; "
            "GET /pto?employee_id= lists them all"
        },
    )
    more_pto_entries = fields.Boolean(
        metadata={"description": "True when older entries exist beyond pto_entries"},
    )


def manager_field():
    """``manager_id``: another employee's id, or null for none."""
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The employee's manager (another employee); null for none"},
    )


def name_field(**kwargs):
    """An employee's name: not blank, and as long as the column holds."""
    return visible_text(NAME_LENGTH, **kwargs)


def reason_field(**kwargs):
    """Why a balance is set: kept on its ledger line."""
    return visible_text(REASON_LENGTH, **kwargs)


class OpeningBalanceIn(Schema):
    type = type_key(required=True, metadata={"description": "A type with a balance of its own"})
    hours_balance = HoursField(minimum=Decimal("0"), required=True)


class EmployeeIn(Schema):
    name = name_field(required=True)
    hours_balance = HoursField(
        minimum=Decimal("0"),
        metadata={"description": "Starting hours in the default type's balance (0 if left out)"},
    )
    manager_id = manager_field()
    hire_date = CalendarDate(
        metadata={"description": "Their first day of work (today, the company's day, if left out)"}
    )
    opening_balances = fields.List(
        fields.Nested(OpeningBalanceIn),
        validate=validate.Length(max=MAX_PTO_TYPES),
        metadata={"description": "Starting hours in other types' balances"},
    )


class BalanceIn(Schema):
    """Set a balance; the ledger records the difference as an adjustment (the tutorial's PUT sets the
    default type's)."""

    hours_balance = HoursField(minimum=Decimal("0"), required=True)
    reason = reason_field()


class EmployeePatchIn(Schema):
    name = name_field()
    manager_id = manager_field()
    hire_date = CalendarDate(metadata={"description": "Their first day of work"})
    holiday_calendar_id = id_field(
        allow_none=True, metadata={"description": "The holiday calendar their days follow; null: the default"}
    )
    hours_balance = HoursField(minimum=Decimal("0"))
    reason = reason_field(metadata={"description": "Why the balance changes"})

    @validates_schema
    def reason_goes_with_a_balance(self, data, **kwargs):
        if "reason" in data and "hours_balance" not in data:
            raise ValidationError("Give hours_balance with reason.", field_name="reason")


class EmployeeQuery(PageArgs):
    archived = fields.Boolean(load_default=False, metadata={"description": "List archived employees instead"})
    without_active_manager = fields.Boolean(
        load_default=False,
        metadata={"description": "Only those with no manager, or an archived one"},
    )


class LedgerLineOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    type = fields.String(metadata={"description": "The type whose balance the line moves"})
    kind = fields.String(validate=validate.OneOf(LEDGER_KINDS))
    delta = HoursField(**BALANCE_RANGE)
    balance_after = HoursField(**BALANCE_RANGE)
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    pto_entry_id = fields.Integer(allow_none=True)
    effective_on = fields.Date(
        metadata={
            "description": "The day the line counts from (a policy's line: the day its period's "
            "hours belong to)"
        }
    )
    policy_id = fields.Integer(allow_none=True, metadata={"description": "The accrual policy that posted it"})
    period_start = fields.Date(
        allow_none=True, metadata={"description": "A policy's line: the period (or the expiry day) it is for"}
    )
    revision = fields.Integer(
        metadata={"description": "A policy's line: 0, or 1, 2... for the corrections of its period"}
    )
    created_at = fields.DateTime()


class AsOfArgs(Schema):
    as_of = CalendarDate(
        metadata={
            "description": "A day: only lines effective on or before it count. For balances, a day "
            "after today is a projection that adds the lines accrual policies will post by then"
        }
    )


class BalanceArgs(AsOfArgs):
    type = type_key(
        metadata={"description": "A type with a balance of its own; the default type if left out"}
    )


class LedgerQuery(PageArgs, AsOfArgs):
    type = type_key(metadata={"description": "Only the lines of this type's balance (a type with its own)"})


class BalanceAsOfOut(OutSchema):
    employee_id = fields.Integer()
    type = fields.String(metadata={"description": "The type holding the balance"})
    as_of = fields.Date()
    hours_balance = HoursField(**BALANCE_RANGE)


class TypeBalanceOut(OutSchema):
    type = fields.String(metadata={"description": "The type holding the balance"})
    name = fields.String(metadata={"description": "That type's name"})
    hours_balance = HoursField(**BALANCE_RANGE)
    pending_hours = HoursField(
        **BALANCE_RANGE,
        metadata={"description": "Hours of requests awaiting a decision, of every type drawing on it"},
    )
    available_hours = HoursField(
        **BALANCE_RANGE,
        metadata={"description": "hours_balance - pending_hours: what may still be asked for"},
    )
    archived = fields.Boolean(
        metadata={"description": "The type is archived: the balance takes no new entries"}
    )
    drawn_on_by = fields.List(
        fields.String(), metadata={"description": "The active types whose requests draw on it, itself first"}
    )
    as_of = fields.Date(allow_none=True, metadata={"description": "The day the balance is for; null: now"})
    projected_lines = fields.List(
        fields.Nested(PolicyLineOut),
        metadata={"description": "For a day after today: the lines accrual policies will post by then"},
    )
