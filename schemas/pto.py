"""Shapes of /pto: entries and their days, filing and quoting them, notes on decisions, the list's filters."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from models import DAY_PARTS, NOTE_LENGTH, PTO_STATUSES
from schemas.fields import CalendarDate, HoursField, OutSchema, PageArgs, id_field, type_key, visible_text

# A request's hours by hand, day by day: at most one per day of its longest span.
MAX_DAY_HOURS = 366


class PtoOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    hours = HoursField()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    type = fields.String(metadata={"description": "The time-off type's key"})
    balance_type = fields.String(
        allow_none=True,
        metadata={"description": "The type whose balance the entry draws on; null when it draws on none"},
    )
    note = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(PTO_STATUSES))
    requested_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    cancelled_by = fields.Integer(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancellation_note = fields.String(allow_none=True)


class PtoDayOut(OutSchema):
    date = fields.Date(attribute="day")
    scheduled_hours = HoursField(
        minimum=Decimal("0"),
        attribute="scheduled",
        metadata={
            "description": "What the day held for the employee: their schedule's hours, less a holiday's"
        },
    )
    holiday = fields.String(
        allow_none=True, metadata={"description": "The holiday's name, if the day is one"}
    )
    hours = HoursField(minimum=Decimal("0"), metadata={"description": "The hours the day charges"})
    part = fields.String(
        allow_none=True, validate=validate.OneOf(DAY_PARTS), metadata={"description": "A half day's half"}
    )


class PtoDetailOut(PtoOut):
    days = fields.List(
        fields.Nested(PtoDayOut),
        metadata={
            "description": "The entry's days and the hours each charges; empty for an undated entry or one "
            "dated before schedules existed"
        },
    )


class DayHoursIn(Schema):
    date = CalendarDate(required=True)
    hours = HoursField(minimum=Decimal("0"), maximum=Decimal("24"), required=True)


class PtoIn(Schema):
    employee_id = id_field(required=True)
    hours = HoursField(
        metadata={
            "description": "Required without dates. With dates, left out: the hours the days hold for the "
            "employee (schedule, holidays); given: they fill the days in order, each up to what it holds"
        }
    )
    start_date = CalendarDate(metadata={"description": "First day off; defaults end_date to the same day"})
    end_date = CalendarDate()
    start_part = fields.String(
        validate=validate.OneOf(DAY_PARTS),
        metadata={"description": "Only half of the first day: `afternoon` (or for one day, either half)"},
    )
    end_part = fields.String(
        validate=validate.OneOf(DAY_PARTS), metadata={"description": "Only half of the last day: `morning`"}
    )
    day_hours = fields.List(
        fields.Nested(DayHoursIn),
        validate=validate.Length(min=1, max=MAX_DAY_HOURS),
        metadata={"description": "Hours by hand for some days of the range, each within what the day holds"},
    )
    type = type_key(metadata={"description": "The time-off type's key; the default type when left out"})
    note = visible_text(NOTE_LENGTH)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def hours_or_dates(self, data, original_data, **kwargs):
        # What was sent counts: a field that failed its own checks is not in ``data``.
        sent = original_data if isinstance(original_data, dict) else {}
        if not {"hours", "start_date", "end_date"} & sent.keys():
            raise ValidationError("Give hours, or start_date to charge the days' hours.", field_name="hours")

    @validates_schema
    def check_dates(self, data, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if end and not start:
            raise ValidationError("Give start_date with end_date.", field_name="start_date")
        if start and end and end < start:
            raise ValidationError("Must be on or after start_date.", field_name="end_date")
        if not start:
            for name in ("start_part", "end_part", "day_hours"):
                if name in data:
                    raise ValidationError("Needs start_date.", field_name=name)
            return
        last = end or start
        if "day_hours" in data:
            if "hours" in data:
                raise ValidationError("Give hours or day_hours, not both.", field_name="day_hours")
            days = [item["date"] for item in data["day_hours"]]
            if len(set(days)) != len(days):
                raise ValidationError("Give each date once.", field_name="day_hours")
            if any(day < start or day > last for day in days):
                raise ValidationError(
                    "Each date must be within start_date to end_date.", field_name="day_hours"
                )
        if last != start:
            if data.get("start_part") == "morning":
                raise ValidationError(
                    "Only the afternoon of a first day can start a longer absence.", field_name="start_part"
                )
            if data.get("end_part") == "afternoon":
                raise ValidationError(
                    "Only the morning of a last day can end a longer absence.", field_name="end_part"
                )
        elif "end_part" in data and data["end_part"] != data.get("start_part", data["end_part"]):
            raise ValidationError("One day has one half: give start_part alone.", field_name="end_part")

    @post_load
    def single_day_by_default(self, data, **kwargs):
        if data.get("start_date") and not data.get("end_date"):
            data["end_date"] = data["start_date"]
        if data.get("start_date") == data.get("end_date") and "end_part" in data:
            data["start_part"] = data.pop("end_part")
        return data


class ProblemOut(OutSchema):
    OPTIONAL = ("field",)
    code = fields.String(metadata={"description": "What stands in the way, e.g. `insufficient_balance`"})
    status = fields.Integer(metadata={"description": "The status POST /pto would answer for it"})
    message = fields.String()
    field = fields.String(metadata={"description": "The request field at fault, where one is"})


class QuoteBalanceOut(OutSchema):
    type = fields.String(metadata={"description": "The type whose balance the request draws on"})
    hours_balance = HoursField(minimum=Decimal("-1000000"), metadata={"description": "The balance now"})
    pending_hours = HoursField(
        minimum=Decimal("0"), metadata={"description": "Held by undecided requests now"}
    )
    available_hours = HoursField(
        minimum=Decimal("-1000000"), metadata={"description": "hours_balance - pending_hours"}
    )
    first_day = fields.Date(
        allow_none=True, metadata={"description": "The request's first day (null: undated)"}
    )
    projected_hours_balance = HoursField(
        minimum=Decimal("-1000000"),
        allow_none=True,
        metadata={
            "description": "The balance on first_day, with the lines accrual policies will post by then; "
            "null beyond the projection's reach"
        },
    )
    hours_balance_after = HoursField(
        minimum=Decimal("-1000000"),
        allow_none=True,
        metadata={
            "description": "projected_hours_balance (or hours_balance, undated) less the request's hours"
        },
    )


class QuoteOut(OutSchema):
    ok = fields.Boolean(metadata={"description": "True when POST /pto would file it as it stands"})
    status = fields.String(
        allow_none=True,
        validate=validate.OneOf(("approved", "pending")),
        metadata={"description": "The status it would get"},
    )
    employee_id = fields.Integer()
    type = fields.String(allow_none=True)
    hours = HoursField(
        allow_none=True, minimum=Decimal("0"), metadata={"description": "The hours it would charge"}
    )
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    days = fields.List(fields.Nested(PtoDayOut))
    balance = fields.Nested(QuoteBalanceOut, allow_none=True)
    problems = fields.List(
        fields.Nested(ProblemOut),
        metadata={
            "description": "Everything POST /pto would refuse, in the order it meets them (it answers the "
            "first)"
        },
    )


class NoteIn(Schema):
    note = visible_text(NOTE_LENGTH, metadata={"description": "Why: kept on the entry"})


class DateRangeArgs(Schema):
    from_ = CalendarDate(data_key="from", metadata={"description": "Entries ending on or after this date"})
    to = CalendarDate(metadata={"description": "Entries starting on or before this date"})

    @validates_schema
    def check_range(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("Must be on or after from.", field_name="to")


class PtoQuery(PageArgs, DateRangeArgs):
    employee_id = id_field(in_query=True)
    status = fields.String(validate=validate.OneOf(PTO_STATUSES))
    type = type_key()
