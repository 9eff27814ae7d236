"""Shapes of the team calendar: who is out on each day of a range, and the holidays on it."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import DAY_PARTS, FEED_SCOPES, NAME_LENGTH, today
from schemas.fields import (
    CalendarDate,
    HoursField,
    OutSchema,
    PageArgs,
    StrictBoolean,
    id_field,
    type_key,
    visible_text,
)

LONGEST_RANGE_DAYS = 366


class CalendarQuery(PageArgs):
    from_ = CalendarDate(data_key="from", metadata={"description": "The first day (default: today)"})
    to = CalendarDate(
        metadata={"description": "The last day (default: 13 days after from; at most 366 days from from)"}
    )
    employee_id = id_field(in_query=True, metadata={"description": "Only this employee"})
    manager_id = id_field(in_query=True, metadata={"description": "Only this manager and their reports"})
    type = type_key(metadata={"description": "Only time off of this type (shown to who sees it in full)"})
    include_pending = fields.Boolean(
        load_default=False, metadata={"description": "Show pending requests too (to who sees them in full)"}
    )

    @validates_schema
    def check_range(self, data, **kwargs):
        if data.get("to") is None:
            return
        first = data.get("from_") or today()
        if data["to"] < first:
            after = "from" if data.get("from_") else f"from (today, {first}, when not given)"
            raise ValidationError(f"Must be on or after {after}.", field_name="to")
        if (data["to"] - first).days >= LONGEST_RANGE_DAYS:
            raise ValidationError(
                f"The range spans at most a year ({LONGEST_RANGE_DAYS} days).", field_name="to"
            )


class WhosOutPersonOut(OutSchema):
    OPTIONAL = ("entry_id", "type", "status", "hours", "note")

    employee_id = fields.Integer()
    name = fields.String()
    part = fields.String(
        allow_none=True,
        validate=validate.OneOf(DAY_PARTS),
        metadata={"description": "Half of the day off (morning or afternoon); null: the day's hours"},
    )
    entry_id = fields.Integer(metadata={"description": "Only for who sees the employee in full"})
    type = fields.String(metadata={"description": "Only for who sees the employee in full"})
    status = fields.String(
        validate=validate.OneOf(("approved", "pending")), metadata={"description": "pending: include_pending"}
    )
    hours = HoursField(
        allow_none=True, metadata={"description": "null: an entry dated before days were kept"}
    )
    note = fields.String(allow_none=True)


class WhosOutHolidayOut(OutSchema):
    calendar_id = fields.Integer()
    calendar = fields.String(metadata={"description": "The calendar's name"})
    name = fields.String()
    hours = HoursField(
        minimum=Decimal("0"),
        maximum=Decimal("24"),
        metadata={"description": "The hours that may still be worked"},
    )


class WhosOutDayOut(OutSchema):
    date = CalendarDate()
    holidays = fields.List(fields.Nested(WhosOutHolidayOut))
    out = fields.List(
        fields.Nested(WhosOutPersonOut),
        metadata={"description": "The page's employees out that day, by name"},
    )


class CalendarFeedIn(Schema):
    scope = fields.String(
        required=True,
        validate=validate.OneOf(FEED_SCOPES),
        metadata={"description": "me: your time off; team: your team's; company: everyone you may see"},
    )
    include_pending = StrictBoolean(load_default=False, metadata={"description": "Pending requests too"})
    name = visible_text(NAME_LENGTH, allow_none=True, metadata={"description": "What calendar apps show"})


class CalendarFeedOut(OutSchema):
    id = fields.Integer()
    user_id = fields.Integer(metadata={"description": "Its owner: the feed shows what they may see"})
    name = fields.String(allow_none=True)
    scope = fields.String(validate=validate.OneOf(FEED_SCOPES))
    include_pending = fields.Boolean()
    created_at = fields.DateTime()


class NewCalendarFeedOut(CalendarFeedOut):
    url = fields.String(
        metadata={
            "description": "The feed's secret address, shown only now: subscribe to it (Google Calendar: "
            "Other calendars, From URL; Outlook: Add calendar, Subscribe from web). Revoke the feed if it "
            "leaks."
        }
    )
