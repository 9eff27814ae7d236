"""Shapes of accrual policies, assignments, hours worked, runs and what an employee's policies do next."""

import calendar
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import (
    ACCRUAL_FREQUENCIES,
    ACCRUAL_METHODS,
    ACCRUAL_RUN_STATUSES,
    ACCRUAL_TIMINGS,
    CARRY_OVERS,
    LEDGER_KINDS,
    NAME_LENGTH,
    POLICY_YEARS,
    REASON_LENGTH,
)
from schemas.fields import (
    BALANCE_RANGE,
    CalendarDate,
    HoursField,
    OutSchema,
    PageArgs,
    StrictBoolean,
    id_field,
    type_key,
    visible_text,
)

MAX_TIERS = 20
# A year of full-time work: more earned at once is a typing mistake, and over years it would carry a
# balance past the range the ledger keeps.
MAX_TIER_HOURS = Decimal("2080")
# Ten years: longer waits or expiries are mistakes, not policies.
MAX_DAYS = 3660
METHOD_DESCRIPTION = (
    "How hours are earned: `per_period`, each tier's hours every period of `frequency`; `per_hours_worked`, "
    "each tier's hours per `per_hours_worked` hours worked (POST /employees/<id>/hours-worked); "
    "`front_loaded`, each tier's hours at once on the first day of each policy year"
)
TIERS_DESCRIPTION = (
    "What is earned by tenure, from 0 years on: per period, per `per_hours_worked` hours worked, or per "
    "year when front-loaded. The tier that applies is the last whose after_years the employee has reached"
)
POLICY_YEAR_DESCRIPTION = (
    "When the policy year starts: `calendar`, January 1st; `fixed`, on year_start_month/year_start_day; "
    "`hire_anniversary`, each employee's anniversary of their hire date"
)
CARRY_OVER_DESCRIPTION = (
    "What the balance keeps when a policy year starts: `all`; `none` (it all expires); `up_to` "
    "carry_over_hours (the rest expires). Each expiry is a ledger line"
)


def whole_days(maximum=MAX_DAYS, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=maximum), **kwargs)


class TierSchema(Schema):
    after_years = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "Whole years since the hire date from which the tier applies"},
    )
    hours = HoursField(
        minimum=Decimal("0"),
        maximum=MAX_TIER_HOURS,
        required=True,
        metadata={"description": "Hours earned (at most a year of full-time work)"},
    )


class PolicyIn(Schema):
    """A new policy. Its rules never change afterwards (lines posted under them stay explainable)."""

    name = visible_text(NAME_LENGTH, required=True)
    type = type_key(
        required=True, metadata={"description": "The type whose balance grows (one with its own)"}
    )
    method = fields.String(
        load_default="per_period",
        validate=validate.OneOf(ACCRUAL_METHODS),
        metadata={"description": METHOD_DESCRIPTION},
    )
    frequency = fields.String(
        load_default="monthly",
        validate=validate.OneOf(ACCRUAL_FREQUENCIES),
        metadata={
            "description": "A per-period policy's period: weeks run Monday to Sunday, two-week "
            "periods in step from Monday 2001-01-01, half months 1st-15th and 16th-end, quarters "
            "from January, and a yearly period is the policy year"
        },
    )
    accrue_at = fields.String(
        load_default="end",
        validate=validate.OneOf(ACCRUAL_TIMINGS),
        metadata={"description": "Whether a period's hours land on its first day or its last"},
    )
    prorate = StrictBoolean(
        load_default=True,
        metadata={
            "description": "A period (or a front-loaded year) the employee covers only partly earns its "
            "share by days; false: all of it if they cover the day it lands, else nothing"
        },
    )
    tiers = fields.List(
        fields.Nested(TierSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_TIERS),
        metadata={"description": TIERS_DESCRIPTION},
    )
    per_hours_worked = HoursField(
        load_default=None,
        allow_none=True,
        metadata={"description": "For `per_hours_worked`: the hours worked that earn each tier's hours"},
    )
    waiting_days = whole_days(
        load_default=0, metadata={"description": "Days after the hire date before anything is earned"}
    )
    credit_waiting = StrictBoolean(
        load_default=False,
        metadata={
            "description": "true: what the waiting period held back lands on the first day after it; "
            "false: it is lost"
        },
    )
    max_balance = HoursField(
        load_default=None,
        allow_none=True,
        metadata={"description": "Accrual stops at this balance (a partial accrual reaches it exactly)"},
    )
    max_per_year = HoursField(
        load_default=None,
        allow_none=True,
        metadata={"description": "At most this much accrues in one policy year"},
    )
    policy_year = fields.String(
        load_default="calendar",
        validate=validate.OneOf(POLICY_YEARS),
        metadata={"description": POLICY_YEAR_DESCRIPTION},
    )
    year_start_month = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(1, 12)
    )
    year_start_day = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(1, 31)
    )
    carry_over = fields.String(
        load_default="all",
        validate=validate.OneOf(CARRY_OVERS),
        metadata={"description": CARRY_OVER_DESCRIPTION},
    )
    carry_over_hours = HoursField(minimum=Decimal("0"), load_default=None, allow_none=True)
    carry_over_expires_after_days = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        # Within the policy year they were carried into (no year is shorter than 365 days).
        validate=validate.Range(min=1, max=364),
        metadata={
            "description": "Carried-over hours not used within this many days of the year's start expire"
        },
    )
    for_new_hires = StrictBoolean(
        load_default=False,
        metadata={"description": "true: new employees get it from their hire date (one per type)"},
    )

    @validates_schema
    def consistent(self, data, **kwargs):
        per_hours = data["method"] == "per_hours_worked"
        if per_hours != (data.get("per_hours_worked") is not None):
            raise ValidationError(
                "Give per_hours_worked exactly when method is per_hours_worked.", "per_hours_worked"
            )
        tiers = [tier["after_years"] for tier in data["tiers"]]
        if tiers[0] != 0 or tiers != sorted(set(tiers)):
            raise ValidationError("Tiers start at after_years 0 and go up, each year once.", "tiers")
        fixed = data["policy_year"] == "fixed"
        month, day = data.get("year_start_month"), data.get("year_start_day")
        if fixed != (month is not None and day is not None) or (not fixed and (month or day)):
            raise ValidationError(
                "Give year_start_month and year_start_day exactly when policy_year is fixed.", "policy_year"
            )
        if fixed and day > calendar.monthrange(2001, month)[1]:
            raise ValidationError("That day is not in that month in every year.", "year_start_day")
        if (data["carry_over"] == "up_to") != (data.get("carry_over_hours") is not None):
            raise ValidationError(
                "Give carry_over_hours exactly when carry_over is up_to.", "carry_over_hours"
            )
        if data["carry_over"] == "none" and data.get("carry_over_expires_after_days") is not None:
            raise ValidationError("Nothing is carried over to expire.", "carry_over_expires_after_days")


class PolicyPatchIn(Schema):
    name = visible_text(NAME_LENGTH)
    for_new_hires = StrictBoolean(
        metadata={"description": "true: new employees get it (the type's previous one stops)"}
    )
    archived = StrictBoolean(
        metadata={
            "description": "true archives it: no new assignments (current ones keep posting); "
            "false restores it"
        }
    )


class TierOut(OutSchema):
    after_years = fields.Integer()
    hours = HoursField(minimum=Decimal("0"), maximum=MAX_TIER_HOURS)


class PolicyOut(OutSchema):
    id = fields.Integer()
    name = fields.String()
    type = fields.String()
    method = fields.String(
        validate=validate.OneOf(ACCRUAL_METHODS), metadata={"description": METHOD_DESCRIPTION}
    )
    frequency = fields.String(validate=validate.OneOf(ACCRUAL_FREQUENCIES))
    accrue_at = fields.String(validate=validate.OneOf(ACCRUAL_TIMINGS))
    prorate = fields.Boolean()
    tiers = fields.List(
        fields.Nested(TierOut), attribute="tier_list", metadata={"description": TIERS_DESCRIPTION}
    )
    per_hours_worked = HoursField(allow_none=True)
    waiting_days = fields.Integer()
    credit_waiting = fields.Boolean()
    max_balance = HoursField(allow_none=True)
    max_per_year = HoursField(allow_none=True)
    policy_year = fields.String(
        validate=validate.OneOf(POLICY_YEARS), metadata={"description": POLICY_YEAR_DESCRIPTION}
    )
    year_start_month = fields.Integer(allow_none=True)
    year_start_day = fields.Integer(allow_none=True)
    carry_over = fields.String(
        validate=validate.OneOf(CARRY_OVERS), metadata={"description": CARRY_OVER_DESCRIPTION}
    )
    carry_over_hours = HoursField(minimum=Decimal("0"), allow_none=True)
    carry_over_expires_after_days = fields.Integer(allow_none=True)
    for_new_hires = fields.Boolean()
    archived = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PolicyQuery(PageArgs):
    archived = fields.Boolean(load_default=False, metadata={"description": "List archived policies instead"})
    type = type_key(metadata={"description": "Only the policies of this type"})


class AssignmentIn(Schema):
    policy_id = id_field(
        required=True, allow_none=True, metadata={"description": "The policy; null: no policy from that day"}
    )
    type = type_key(metadata={"description": "With policy_id null: the type whose balance stops growing"})
    effective_from = CalendarDate(required=True, metadata={"description": "The first day it applies"})

    @validates_schema
    def type_when_no_policy(self, data, **kwargs):
        if data["policy_id"] is None and "type" not in data:
            raise ValidationError("Name the type whose policy ends.", "type")
        if data["policy_id"] is not None and "type" in data:
            raise ValidationError("The policy names its type.", "type")


class AssignmentOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    type = fields.String()
    policy_id = fields.Integer(allow_none=True)
    effective_from = fields.Date()
    assigned_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class HoursWorkedIn(Schema):
    period_start = CalendarDate(required=True)
    period_end = CalendarDate(required=True)
    hours = HoursField(minimum=Decimal("0"), maximum=Decimal("2000"), required=True)


class HoursWorkedOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    hours = HoursField(minimum=Decimal("0"), maximum=Decimal("2000"))
    posted_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class OutlookOut(OutSchema):
    type = fields.String(metadata={"description": "The type whose balance the policy grows"})
    policy_id = fields.Integer()
    policy_name = fields.String()
    next_accrual_on = fields.Date(
        allow_none=True, metadata={"description": "The day its next accrual counts from"}
    )
    next_accrual_hours = HoursField(
        **BALANCE_RANGE, allow_none=True, metadata={"description": "What that accrual adds (caps applied)"}
    )


class PolicyLineOut(OutSchema):
    effective_on = fields.Date(metadata={"description": "The day the line counts from"})
    kind = fields.String(validate=validate.OneOf(LEDGER_KINDS))
    delta = HoursField(**BALANCE_RANGE)
    reason = fields.String(validate=validate.Length(max=REASON_LENGTH))
    policy_id = fields.Integer()
    period_start = fields.Date(metadata={"description": "The period (or the expiry day) the line is for"})
    revision = fields.Integer(metadata={"description": "0, or 1, 2... for the corrections of its period"})


class SampleLineOut(PolicyLineOut):
    employee_id = fields.Integer()
    type = fields.String()


class RunIn(Schema):
    through = CalendarDate(metadata={"description": "What is due up to this day (default and latest: today)"})


class RunOut(OutSchema):
    id = fields.Integer()
    through = fields.Date()
    status = fields.String(
        validate=validate.OneOf(ACCRUAL_RUN_STATUSES),
        metadata={"description": "`running` until it ends; a run that stays so was interrupted (run again)"},
    )
    trigger = fields.String(metadata={"description": "`cli` (flask accrue) or `api`"})
    started_by = fields.Integer(allow_none=True)
    employees = fields.Integer(metadata={"description": "Employees it posted lines for"})
    lines = fields.Integer()
    hours = HoursField(**BALANCE_RANGE)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    duration_ms = fields.Integer(
        allow_none=True, metadata={"description": "How long it took, in milliseconds; null until it ends"}
    )


class PreviewOut(OutSchema):
    through = fields.Date()
    employees = fields.Integer()
    lines = fields.Integer()
    hours = HoursField(**BALANCE_RANGE)
    sample = fields.List(
        fields.Nested(SampleLineOut), metadata={"description": "Its first lines (at most 100)"}
    )
