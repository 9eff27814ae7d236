"""Shape of /health."""

from marshmallow import fields, validate

from schemas.fields import OutSchema


class HealthOut(OutSchema):
    status = fields.String(validate=validate.OneOf(("ok", "unavailable")))
    database = fields.String(validate=validate.OneOf(("ok", "unavailable")))
