"""Field types and shapes every resource's schemas share: exact hours, storable text, ids, pages."""

import keyword
import re
from decimal import Decimal, InvalidOperation
from functools import cached_property

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.engine import Row

from models import BALANCE_LIMIT, MAX_ID, TYPE_KEY_LENGTH, TYPE_KEY_PATTERN

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_HOURS = Decimal("100000")
DECIMAL_PLACES = 2
CENT = Decimal(1).scaleb(-DECIMAL_PLACES)
PRECISION_RULE = f"A number with at most {DECIMAL_PLACES} decimal places."
NO_NUL = r"^[^\u0000]*$"
# Characters that show nothing: controls, spaces and separators, and the invisible formatting marks
# (soft hyphen, zero-width spaces and joiners, direction marks, word joiner, byte order mark...).
INVISIBLE = (
    r"\u0000-\u0020\u007f-\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f"
    r"\u2028-\u202f\u205f-\u206f\u3000\u3164\ufeff\uffa0"
)
# Text that shows something: one pattern, in the contract and in the check (the same in ECMA and Python).
VISIBLE_TEXT = rf"^[^\u0000]*[^{INVISIBLE}][^\u0000]*$"
# Unicode has other digits (Arabic-Indic, fullwidth) that int() and date.fromisoformat() read: only
# ASCII ones count.
QUERY_INTEGER = re.compile(r"-?[0-9]+")
CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
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
        # Not multipleOf: 0.01, which float-based validators (python-jsonschema, Ajv, Postman) misread:
        # in binary floating point 1.13 / 0.01 is 112.99999999999999, so they refused legal hours.
        self.metadata.setdefault("x-decimal-places", DECIMAL_PLACES)
        described = self.metadata.get("description")
        self.metadata["description"] = f"{described}. {PRECISION_RULE}" if described else PRECISION_RULE

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
        return _hours(value, obj)


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


_VISIBLE_TEXT = re.compile(VISIBLE_TEXT)


def not_blank(value):
    """Refuse a string that shows nothing: empty, or only spaces and invisible characters ("\u200b")."""
    if _VISIBLE_TEXT.fullmatch(value) is None:
        raise ValidationError("Must not be blank.")


def visible_text(max_length, **kwargs):
    """Text that shows something (a name, a note), at most ``max_length`` characters."""
    return Text(validate=[validate.Length(min=1, max=max_length), not_blank], pattern=VISIBLE_TEXT, **kwargs)


class WholeMatch(validate.Regexp):
    """A Regexp the whole value must match: ``re.match`` with ``$`` also accepts a final newline, so
    ``"admin\n"`` would pass ``^[a-z]+$``. (Documented in OpenAPI as its pattern, like any Regexp.)"""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class StrictBoolean(fields.Boolean):
    """A JSON boolean: true or false, never 0, 1 or a string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class QueryInteger(fields.Integer):
    """An integer read from a query string or path: ASCII digits only."""

    def _validated(self, value):
        if isinstance(value, str) and not QUERY_INTEGER.fullmatch(value):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class CalendarDate(fields.Date):
    """An ISO 8601 calendar date, written YYYY-MM-DD and nothing else (no 20270310, no 2027-W10-3)."""

    default_error_messages = {"invalid": "Not a valid date: write it as YYYY-MM-DD, e.g. 2026-12-24."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not (isinstance(value, str) and CALENDAR_DATE.fullmatch(value)):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def type_key(**kwargs):
    """A time-off type's key: a slug such as ``vacation`` or ``jury-duty``."""
    kwargs.setdefault("metadata", {}).setdefault("description", "A time-off type's key (GET /pto-types)")
    return Text(
        validate=[
            validate.Length(min=1, max=TYPE_KEY_LENGTH),
            WholeMatch(TYPE_KEY_PATTERN, error="Use lower-case letters and digits, words joined by - or _."),
        ],
        **kwargs,
    )


def id_field(*, in_query=False, **kwargs):
    """An integer id. In a JSON body it must be a plain integer (no strings, floats or booleans);
    in a query string every value is text, so there it is parsed (ASCII digits only)."""
    if in_query:
        return QueryInteger(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class OutSchema(Schema):
    """A response shape. It dumps model objects and result rows with one plain attribute read per field,
    then the field's own formatting, done in one call for the field types responses use (numbers, text,
    hours, dates, nested shapes); anything else (dicts and other indexable objects, missing or dotted
    attributes, fields or schemas with their own lookup) goes through marshmallow's general path.

    Why: marshmallow's general path (attribute lookup, then a dump call per nested object) was most of
    the time of a page of 50 employees with their entries (550 objects, 8,500 values); see
    bench/RESULTS.md. tests/test_schemas.py holds every response to what marshmallow's own dump gives.
    """

    # Fields a response may leave out; every other one is always sent, and OpenAPI lists it as required
    # so that generated clients type it as present.
    OPTIONAL = ()

    def on_bind_field(self, field_name, field_obj):
        """Mark the field required in the contract unless this response may leave it out."""
        field_obj.required = field_name not in self.OPTIONAL

    def _serialize(self, obj, *, many=False):
        if many and obj is not None:
            dump_one = self._dump_one
            return [dump_one(item) for item in obj]
        return self._dump_one(obj)

    def _dump_one(self, obj):
        # marshmallow reads anything indexable (dicts) by key first: leave those to it. Result rows and
        # named tuples are indexable too, but by position: by name, marshmallow reads them by attribute,
        # as the plan does.
        dump = self._compiled
        if dump is None or obj is None or (hasattr(obj, "__getitem__") and not isinstance(obj, Row | tuple)):
            return super()._serialize(obj)
        try:
            return dump(obj)
        except AttributeError:
            # A field's attribute is missing: marshmallow applies a default, or leaves the key out.
            return super()._serialize(obj)

    @cached_property
    def _compiled(self):
        """``dump(obj)``: one dict display that reads each field's attribute and formats it, the usual
        formats written inline; compiled once per schema from the plan, or None when a field needs more.
        The source is built here from the schema's own field names and the fixed templates below."""
        plan = self._plan
        if plan is None:
            return None
        namespace, items = {}, []
        for index, (key, attribute, format_value) in enumerate(plan):
            plain = attribute.isidentifier() and not keyword.iskeyword(attribute)
            read = f"obj.{attribute}" if plain else f"getattr(obj, {attribute!r})"
            template = _INLINE.get(format_value)
            if template is None:
                namespace[f"format_{index}"] = format_value
                template = f"format_{index}({{}}, obj)"
            items.append(f"{key!r}: {template.format(read)}")
        exec(f"def dump(obj):\n    return {{{', '.join(items)}}}\n", namespace)  # noqa: S102
        return namespace["dump"]

    @cached_property
    def _plan(self):
        """(output key, attribute, formatter) per field, or None if a field needs more."""
        if type(self).get_attribute is not Schema.get_attribute:
            return None
        plan = []
        for name, field in self.dump_fields.items():
            attribute = field.attribute or name
            if _customised(field) or not field._CHECK_ATTRIBUTE or "." in attribute:
                return None
            key = name if field.data_key is None else field.data_key
            plan.append((key, attribute, _formatter(name, field)))
        return plan


def _customised(field):
    return type(field).get_value is not fields.Field.get_value or (
        type(field).serialize is not fields.Field.serialize
    )


def _formatter(name, field):
    """``format(value, obj)``: what ``field._serialize`` answers for ``value``, in one call for the field
    types responses use; for any other, that method itself."""
    kind = type(field)
    if kind is fields.Integer and not field.as_string:
        return _integer
    if kind in (fields.String, fields.Boolean, HoursField):
        return {fields.String: _text, fields.Boolean: _as_is, HoursField: _hours}[kind]
    if kind in (fields.DateTime, fields.Date) and (field.format or kind.DEFAULT_FORMAT) in ISO_FORMATS:
        return _isoformat
    if kind is fields.List and not _customised(field.inner):
        return _each(_formatter(name, field.inner))
    if kind is fields.Nested and isinstance(field.schema, OutSchema):
        dump_one = field.schema._dump_one
        if field.many or field.schema.many:
            return lambda value, _obj: None if value is None else [dump_one(item) for item in value]
        return lambda value, _obj: None if value is None else dump_one(value)
    return lambda value, obj: field._serialize(value, name, obj)


ISO_FORMATS = ("iso", "iso8601")


def _integer(value, _obj):
    return None if value is None else int(value)


def _text(value, _obj):
    return None if value is None else str(value)


def _as_is(value, _obj):
    return value


def _hours(value, _obj):
    # Every value here has at most 10 significant digits, which a float renders exactly.
    return None if value is None else float(value)


def _isoformat(value, _obj):
    return None if value is None else value.isoformat()


# The formats above as expressions of the value read ("{}"), for the compiled dump.
_INLINE = {
    _integer: "(None if (value := {}) is None else int(value))",
    _text: "(None if (value := {}) is None else str(value))",
    _as_is: "{}",
    _hours: "(None if (value := {}) is None else float(value))",
    _isoformat: "(None if (value := {}) is None else value.isoformat())",
}


def _each(format_item):
    return lambda values, obj: None if values is None else [format_item(value, obj) for value in values]


class PageArgs(Schema):
    """``?page=`` and ``?per_page=``, shared by every list."""

    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = QueryInteger(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class MessageOut(OutSchema):
    """A short confirmation."""

    message = fields.String(required=True)
