"""Request validation and response shapes."""

from decimal import Decimal, InvalidOperation
from functools import cached_property

from marshmallow import Schema, ValidationError, fields, missing, post_load, validate, validates_schema

from models import BALANCE_LIMIT, PTO_STATUSES, PTO_TYPES, ROLES
from web.api import MAX_ID

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_HOURS = Decimal("100000")
CENT = Decimal("0.01")
USERNAME_CHARACTERS = r"^[A-Za-z0-9._@-]+$"
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*\S[^\u0000]*$"
# Hours in responses: balances, pending hours and ledger deltas may be zero or negative.
BALANCE_RANGE = {"minimum": -2 * BALANCE_LIMIT, "maximum": 2 * BALANCE_LIMIT}


class HoursField(fields.Field):
    """Hours as an exact decimal: a JSON number with at most 2 decimal places, rendered as a number."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "not_finite": "Must be a finite number.",
        "range": "Must be between {minimum} and {maximum}.",
        "precision": "Must have at most 2 decimal places.",
    }

    def __init__(self, *, minimum=CENT, maximum=MAX_HOURS, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.metadata.setdefault("type", "number")
        self.metadata.setdefault("minimum", float(minimum))
        self.metadata.setdefault("maximum", float(maximum))
        self.metadata.setdefault("multipleOf", float(CENT))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.make_error("invalid")
        hours = Decimal(value)
        if not hours.is_finite():
            raise self.make_error("not_finite")
        if not self.minimum <= hours <= self.maximum:
            raise self.make_error("range", minimum=self.minimum, maximum=self.maximum)
        try:
            exact = hours.quantize(CENT)
        except InvalidOperation:
            raise self.make_error("precision") from None
        if exact != hours:
            raise self.make_error("precision")
        return exact

    def _serialize(self, value, attr, obj, **kwargs):
        # Every value here has at most 10 significant digits, which a float renders exactly.
        return None if value is None else float(value)


class Text(fields.String):
    """A string both databases can store: no NUL characters, no unpaired surrogates."""

    default_error_messages = {"unstorable": "Must not contain NUL characters or unpaired surrogates."}

    def __init__(self, *, pattern=NO_NUL, **kwargs):
        super().__init__(**kwargs)
        # Tell the contract too; a Regexp validator documents its own (stricter) pattern.
        if not any(isinstance(rule, validate.Regexp) for rule in self.validators):
            self.metadata.setdefault("pattern", pattern)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("unstorable") from None
        if "\x00" in text:
            raise self.make_error("unstorable")
        return text


def not_blank(value):
    """Refuse a string of only whitespace."""
    if not value.strip():
        raise ValidationError("Must not be blank.")


def id_field(*, in_query=False, **kwargs):
    """An integer id. In a JSON body it must be a plain integer (no strings, floats or booleans);
    in a query string every value is text, so there it is parsed."""
    return fields.Integer(strict=not in_query, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class OutSchema(Schema):
    """A response shape. It dumps model objects with one plain attribute read per field, then the
    field's own formatting; anything else (dicts and other indexable objects, missing or dotted
    attributes, fields or schemas with their own lookup) goes through marshmallow's general path.

    Why: marshmallow's general attribute lookup (mappings, dotted paths, defaults) was 60% of the
    time of a page of 50 employees with their entries (8,500 values); see bench/RESULTS.md.
    """

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            return [self._serialize(item) for item in obj]
        plan = self._plan
        # marshmallow reads anything indexable (dicts, rows) by key first: leave those to it.
        if plan is None or obj is None or hasattr(obj, "__getitem__"):
            return super()._serialize(obj)
        dumped = {}
        for key, attribute, name, serialize in plan:
            value = getattr(obj, attribute, missing)
            if value is missing:  # marshmallow would apply a default or leave the key out
                return super()._serialize(obj)
            dumped[key] = serialize(value, name, obj)
        return dumped

    @cached_property
    def _plan(self):
        """(output key, attribute, field name, formatter) per field, or None if a field needs more."""
        if type(self).get_attribute is not Schema.get_attribute:
            return None
        plan = []
        for name, field in self.dump_fields.items():
            attribute = field.attribute or name
            customised = type(field).get_value is not fields.Field.get_value or (
                type(field).serialize is not fields.Field.serialize
            )
            if customised or not field._CHECK_ATTRIBUTE or "." in attribute:
                return None
            key = name if field.data_key is None else field.data_key
            plan.append((key, attribute, name, field._serialize))
        return plan


class PageArgs(Schema):
    """``?page=`` and ``?per_page=``, shared by every list."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class MessageOut(OutSchema):
    """A short confirmation."""

    message = fields.String(required=True)


class UserOut(OutSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String()
    employee_id = fields.Integer(
        allow_none=True, metadata={"description": "The employee record this user is"}
    )
    is_active = fields.Boolean()
    created_at = fields.DateTime()


class UserPatchIn(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    employee_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Link the user to this employee (one user per employee); null unlinks"},
    )
    is_active = fields.Boolean(
        truthy={True},
        falsy={False},
        metadata={"description": "false ends the user's sessions and blocks logins"},
    )


class PasswordChangeIn(Schema):
    current_password = Text(required=True, validate=validate.Length(min=1, max=128))
    new_password = Text(required=True, validate=validate.Length(min=8, max=128))


class RegisterIn(Schema):
    username = Text(
        required=True,
        validate=[
            validate.Length(min=3, max=80),
            validate.Regexp(USERNAME_CHARACTERS, error="Use only letters, digits and . _ @ - characters."),
        ],
    )
    password = Text(required=True, validate=validate.Length(min=8, max=128))


class LoginIn(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=80))
    password = Text(required=True, validate=validate.Length(min=1, max=128))


class TokenOut(OutSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime in seconds"})


class PtoOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    hours = HoursField()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    type = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String()
    requested_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    cancelled_by = fields.Integer(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancellation_note = fields.String(allow_none=True)


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


class MeOut(UserOut):
    employee = fields.Nested(EmployeeSummaryOut, allow_none=True)


class EmployeeOut(EmployeeSummaryOut):
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    pto_entries = fields.List(fields.Nested(PtoOut))


def manager_field():
    """``manager_id``: another employee's id, or null for none."""
    return fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The employee's manager (another employee); null for none"},
    )


class EmployeeIn(Schema):
    name = Text(required=True, validate=[validate.Length(min=1, max=120), not_blank], pattern=NOT_BLANK)
    hours_balance = HoursField(minimum=Decimal("0"), load_default=Decimal("0"))
    manager_id = manager_field()


class BalanceIn(Schema):
    """The tutorial's PUT: set the balance; the ledger records the difference as an adjustment."""

    hours_balance = HoursField(minimum=Decimal("0"), required=True)
    reason = Text(validate=validate.Length(max=500))


class EmployeePatchIn(Schema):
    name = Text(validate=[validate.Length(min=1, max=120), not_blank], pattern=NOT_BLANK)
    manager_id = manager_field()
    hours_balance = HoursField(minimum=Decimal("0"))
    reason = Text(validate=validate.Length(max=500), metadata={"description": "Why the balance changes"})

    @validates_schema
    def reason_goes_with_a_balance(self, data, **kwargs):
        if "reason" in data and "hours_balance" not in data:
            raise ValidationError("Give hours_balance with reason.", field_name="reason")


class EmployeeQuery(PageArgs):
    archived = fields.Boolean(load_default=False, metadata={"description": "List archived employees instead"})


class PtoIn(Schema):
    employee_id = id_field(required=True)
    hours = HoursField(required=True)
    start_date = fields.Date(metadata={"description": "First day off; defaults end_date to the same day"})
    end_date = fields.Date()
    type = fields.String(load_default="vacation", validate=validate.OneOf(PTO_TYPES))
    note = Text(validate=validate.Length(max=1000))

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
    note = Text(validate=validate.Length(max=1000), metadata={"description": "Why: kept on the entry"})


class DateRangeArgs(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "Entries ending on or after this date"})
    to = fields.Date(metadata={"description": "Entries starting on or before this date"})

    @validates_schema
    def check_range(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("Must be on or after from.", field_name="to")


class PtoQuery(PageArgs, DateRangeArgs):
    employee_id = id_field(in_query=True)
    status = fields.String(validate=validate.OneOf(PTO_STATUSES))
    type = fields.String(validate=validate.OneOf(PTO_TYPES))


class LedgerLineOut(OutSchema):
    id = fields.Integer()
    employee_id = fields.Integer()
    kind = fields.String()
    delta = HoursField(**BALANCE_RANGE)
    balance_after = HoursField(**BALANCE_RANGE)
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    pto_entry_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class AsOfArgs(Schema):
    as_of = fields.Date(metadata={"description": "A day (UTC): only changes made up to its end count"})


class LedgerQuery(PageArgs, AsOfArgs):
    pass


class BalanceOut(OutSchema):
    employee_id = fields.Integer()
    as_of = fields.Date()
    hours_balance = HoursField(**BALANCE_RANGE)


class HealthOut(OutSchema):
    status = fields.String()
    database = fields.String()
