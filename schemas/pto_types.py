"""Shapes of /pto-types: the kinds of time off, how each treats balances, and how it is requested."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import BALANCE_MODES, COLOR_PATTERN, NAME_LENGTH
from schemas.fields import (
    HoursField,
    OutSchema,
    PageArgs,
    StrictBoolean,
    Text,
    WholeMatch,
    type_key,
    visible_text,
)

BALANCE_DESCRIPTION = (
    "How the type treats balances: `own`, a balance per employee; `shared`, the balance of the type "
    "named by `draws_on` (a combined PTO bank); `none`, recorded without a balance (unpaid leave)"
)
OVERDRAFT_DESCRIPTION = (
    "How far below zero a request of this type may take its balance; null: the server's PTO_OVERDRAFT_HOURS"
)


def color_field(**kwargs):
    """A colour for calendars, ``#rrggbb``."""
    return Text(
        allow_none=True,
        validate=WholeMatch(COLOR_PATTERN, error="Write a colour as #rrggbb, in lower case."),
        metadata={"description": "A colour for calendars, #rrggbb; null for none"},
        **kwargs,
    )


def overdraft_field(**kwargs):
    """A type's own overdraft allowance in hours, or null for the server's."""
    return HoursField(
        minimum=Decimal("0"), allow_none=True, metadata={"description": OVERDRAFT_DESCRIPTION}, **kwargs
    )


class PtoTypeOut(OutSchema):
    key = fields.String(metadata={"description": "Stable key that requests use; never changes"})
    name = fields.String()
    balance = fields.String(
        validate=validate.OneOf(BALANCE_MODES), metadata={"description": BALANCE_DESCRIPTION}
    )
    draws_on = fields.String(
        allow_none=True, metadata={"description": "The type whose balance a shared type draws on"}
    )
    paid = fields.Boolean()
    requires_approval = fields.Boolean(
        metadata={"description": "false: an employee's own request is approved at once"}
    )
    overdraft_hours = HoursField(
        minimum=Decimal("0"), allow_none=True, metadata={"description": OVERDRAFT_DESCRIPTION}
    )
    color = fields.String(allow_none=True)
    is_default = fields.Boolean(
        metadata={
            "description": "The type of requests that name none; its balance is employees' hours_balance"
        }
    )
    archived = fields.Boolean(metadata={"description": "Archived types take no new entries"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PtoTypeSettings(Schema):
    """What an admin may set on a type at any time."""

    name = visible_text(NAME_LENGTH)
    paid = StrictBoolean(metadata={"description": "Whether the time off is paid (for reports)"})
    requires_approval = StrictBoolean(
        metadata={"description": "false: an employee's own request is approved at once"}
    )
    overdraft_hours = overdraft_field()
    color = color_field()
    is_default = StrictBoolean(
        metadata={"description": "true makes this the default type (the previous default stops being it)"}
    )


class PtoTypeTreatment(Schema):
    """How a type treats balances: changeable only until an entry or ledger line uses it."""

    balance = fields.String(
        validate=validate.OneOf(BALANCE_MODES), metadata={"description": BALANCE_DESCRIPTION}
    )
    draws_on = type_key(
        allow_none=True, metadata={"description": "For a shared type: the type whose balance it uses"}
    )


class PtoTypeIn(PtoTypeSettings, PtoTypeTreatment):
    """A new type. (A change of its treatment is checked against the type as it stands: domain/pto_types.)"""

    key = type_key(required=True, metadata={"description": "Stable key that requests use; it never changes"})
    name = visible_text(NAME_LENGTH, required=True)
    balance = fields.String(
        load_default="own",
        validate=validate.OneOf(BALANCE_MODES),
        metadata={"description": BALANCE_DESCRIPTION},
    )
    paid = StrictBoolean(
        load_default=True, metadata={"description": "Whether the time off is paid (for reports)"}
    )
    requires_approval = StrictBoolean(
        load_default=True, metadata={"description": "false: an employee's own request is approved at once"}
    )
    overdraft_hours = overdraft_field(load_default=None)
    color = color_field(load_default=None)

    @validates_schema
    def draws_on_only_when_shared(self, data, **kwargs):
        shared, draws_on = data["balance"] == "shared", data.get("draws_on")
        if shared and not draws_on:
            raise ValidationError("A shared type names the type whose balance it draws on.", "draws_on")
        if draws_on and not shared:
            raise ValidationError("Only a shared type draws on another type's balance.", "draws_on")


class PtoTypePatchIn(PtoTypeSettings, PtoTypeTreatment):
    archived = StrictBoolean(
        metadata={"description": "true archives the type (no new entries); false restores it"}
    )
    name = visible_text(NAME_LENGTH)


class PtoTypeQuery(PageArgs):
    archived = fields.Boolean(load_default=False, metadata={"description": "List archived types instead"})
