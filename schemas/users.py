"""Shapes of /users: accounts and what an admin may change on them."""

from marshmallow import Schema, fields, validate

from models import MAX_ID, ROLES
from schemas.fields import OutSchema, StrictBoolean


class UserOut(OutSchema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    employee_id = fields.Integer(
        allow_none=True, metadata={"description": "The employee record this user is"}
    )
    is_active = fields.Boolean()
    must_change_password = fields.Boolean(
        metadata={"description": "Set by an admin's reset; cleared when the user changes their password"}
    )
    created_at = fields.DateTime()


class UserPatchIn(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    employee_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Link the user to this employee (one user per employee); null unlinks"},
    )
    is_active = StrictBoolean(
        metadata={"description": "false ends the user's sessions and blocks logins"},
    )
