"""Shapes of work schedules, holiday calendars, their own days, and the holidays a calendar holds."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from models import HOLIDAY_KINDS, NAME_LENGTH
from schemas.fields import CalendarDate, HoursField, OutSchema, StrictBoolean, visible_text

DAY_HOURS = {"minimum": Decimal("0"), "maximum": Decimal("24")}


def _day_hours(**kwargs):
    return HoursField(**DAY_HOURS, **kwargs)


class WeekIn(Schema):
    monday = _day_hours(required=True)
    tuesday = _day_hours(required=True)
    wednesday = _day_hours(required=True)
    thursday = _day_hours(required=True)
    friday = _day_hours(required=True)
    saturday = _day_hours(required=True)
    sunday = _day_hours(required=True)


class WeekOut(OutSchema):
    monday = _day_hours()
    tuesday = _day_hours()
    wednesday = _day_hours()
    thursday = _day_hours()
    friday = _day_hours()
    saturday = _day_hours()
    sunday = _day_hours()


class ScheduleIn(Schema):
    effective_from = CalendarDate(required=True, metadata={"description": "The first day it counts"})
    weeks = fields.List(
        fields.Nested(WeekIn),
        required=True,
        validate=validate.Length(min=1, max=2),
        metadata={
            "description": "The hours of each weekday: one week, or two for a rotation whose first week is "
            "the one effective_from falls in"
        },
    )


class ScheduleOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer(allow_none=True, metadata={"description": "null: the company's schedule"})
    effective_from = fields.Date()
    weeks = fields.List(fields.Nested(WeekOut))
    created_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CalendarIn(Schema):
    name = visible_text(NAME_LENGTH, required=True)
    country = fields.String(
        validate=validate.Length(min=2, max=3),
        allow_none=True,
        metadata={"description": "An ISO 3166 code the holidays package knows (`US`); null: own days only"},
    )
    subdivision = fields.String(
        validate=validate.Length(min=1, max=10),
        allow_none=True,
        metadata={"description": "A subdivision of the country (`CA` for California)"},
    )
    is_default = StrictBoolean(metadata={"description": "For employees who name no calendar"})


class CalendarPatchIn(CalendarIn):
    name = visible_text(NAME_LENGTH)
    is_default = StrictBoolean(
        validate=validate.Equal(True),
        metadata={"description": "true: make it the default (another one stops being)"},
    )


class CalendarOut(OutSchema):
    id = fields.Integer()
    name = fields.String()
    country = fields.String(allow_none=True)
    subdivision = fields.String(allow_none=True)
    is_default = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CalendarDayIn(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(HOLIDAY_KINDS),
        metadata={
            "description": "`closure`: no work that day; `partial`: at most `hours` of work; `working`: a "
            "public holiday the company works"
        },
    )
    name = visible_text(NAME_LENGTH, required=True)
    hours = HoursField(
        minimum=Decimal("0"),
        maximum=Decimal("23.99"),
        metadata={"description": "A partial day's hours of work (only for `partial`)"},
    )

    @validates_schema
    def hours_for_partial_days(self, data, **kwargs):
        if (data.get("kind") == "partial") != ("hours" in data):
            raise ValidationError("Give hours for a partial day, and only for one.", field_name="hours")


class CalendarDayOut(OutSchema):
    date = fields.Date(attribute="day")
    kind = fields.String(validate=validate.OneOf(HOLIDAY_KINDS))
    name = fields.String()
    hours = HoursField(minimum=Decimal("0"), allow_none=True)
    created_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class HolidayOut(OutSchema):
    date = fields.Date()
    name = fields.String()
    source = fields.String(
        validate=validate.OneOf(("public", "closure", "partial")),
        metadata={"description": "`public`: the country's; `closure` or `partial`: the company's own day"},
    )
    hours = HoursField(minimum=Decimal("0"), metadata={"description": "The hours that may still be worked"})


class HolidayRangeArgs(Schema):
    from_ = CalendarDate(
        data_key="from", metadata={"description": "First day (default: January 1 this year)"}
    )
    to = CalendarDate(
        metadata={"description": "Last day (default: December 31 of from's year); at most 2 years"}
    )

    @validates_schema
    def check_range(self, data, **kwargs):
        start, end = data.get("from_"), data.get("to")
        if start and end and end < start:
            raise ValidationError("Must be on or after from.", field_name="to")
