"""Shape of /health."""

from marshmallow import fields

from schemas.fields import OutSchema


class HealthOut(OutSchema):
    status = fields.String()
    database = fields.String()
