"""Shapes of /pto: entries, filing them, notes on decisions, and the list's filters."""

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from models import NOTE_LENGTH, PTO_STATUSES
from schemas.fields import CalendarDate, HoursField, OutSchema, PageArgs, id_field, type_key, visible_text


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


class PtoIn(Schema):
    employee_id = id_field(required=True)
    hours = HoursField(required=True)
    start_date = CalendarDate(metadata={"description": "First day off; defaults end_date to the same day"})
    end_date = CalendarDate()
    type = type_key(metadata={"description": "The time-off type's key; the default type when left out"})
    note = visible_text(NOTE_LENGTH)

    @validates_schema
    def check_dates(self, data, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if end and not start:
            raise ValidationError("Give start_date with end_date.", field_name="start_date")
        if start and end and end < start:
            raise ValidationError("Must be on or after start_date.", field_name="end_date")

    @post_load
    def single_day_by_default(self, data, **kwargs):
        if data.get("start_date") and not data.get("end_date"):
            data["end_date"] = data["start_date"]
        return data


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
