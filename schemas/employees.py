"""Shapes of /employees: employees, their balances and the ledger lines behind them."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import EMBEDDED_PTO_ENTRIES, LEDGER_KINDS, MAX_ID, NAME_LENGTH, REASON_LENGTH
from schemas.fields import (
    BALANCE_RANGE,
    CalendarDate,
    HoursField,
    OutSchema,
    PageArgs,
    visible_text,
)
from schemas.pto import PtoOut


class EmployeeSummaryOut(OutSchema):
    id = fields.Integer()
    name = fields.String()
    manager_id = fields.Integer(allow_none=True)
    hours_balance = HoursField(**BALANCE_RANGE)
    pending_hours = HoursField(
        **BALANCE_RANGE, metadata={"description": "Hours of requests awaiting a decision"}
    )
    available_hours = HoursField(
        **BALANCE_RANGE,
        metadata={"description": "hours_balance - pending_hours: what may still be asked for"},
    )
    archived = fields.Boolean()


class EmployeeOut(EmployeeSummaryOut):
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    pto_entries = fields.List(
        fields.Nested(PtoOut),
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


class EmployeeIn(Schema):
    name = name_field(required=True)
    hours_balance = HoursField(minimum=Decimal("0"), load_default=Decimal("0"))
    manager_id = manager_field()


class BalanceIn(Schema):
    """The tutorial's PUT: set the balance; the ledger records the difference as an adjustment."""

    hours_balance = HoursField(minimum=Decimal("0"), required=True)
    reason = reason_field()


class EmployeePatchIn(Schema):
    name = name_field()
    manager_id = manager_field()
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
    kind = fields.String(validate=validate.OneOf(LEDGER_KINDS))
    delta = HoursField(**BALANCE_RANGE)
    balance_after = HoursField(**BALANCE_RANGE)
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    pto_entry_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class AsOfArgs(Schema):
    as_of = CalendarDate(metadata={"description": "A day (UTC): only changes made up to its end count"})


class LedgerQuery(PageArgs, AsOfArgs):
    pass


class BalanceOut(OutSchema):
    employee_id = fields.Integer()
    as_of = fields.Date()
    hours_balance = HoursField(**BALANCE_RANGE)
