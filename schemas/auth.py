"""Shapes of registration, login, tokens, /me and password changes."""

from marshmallow import Schema, fields, validate

from models import ROLES, USERNAME_LENGTH
from schemas.employees import EmployeeSummaryOut
from schemas.fields import OutSchema, StrictBoolean, Text, WholeMatch
from schemas.users import UserOut

USERNAME_CHARACTERS = r"^[A-Za-z0-9._@-]+$"
PASSWORD_LENGTH = 128


class RegisterIn(Schema):
    username = Text(
        required=True,
        validate=[
            validate.Length(min=3, max=USERNAME_LENGTH),
            WholeMatch(USERNAME_CHARACTERS, error="Use only letters, digits and . _ @ - characters."),
        ],
    )
    password = Text(required=True, validate=validate.Length(min=8, max=PASSWORD_LENGTH))


class LoginIn(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=USERNAME_LENGTH))
    password = Text(required=True, validate=validate.Length(min=1, max=PASSWORD_LENGTH))


class TokenOut(OutSchema):
    OPTIONAL = ("refresh_token",)  # POST /refresh sends only a new access token
    access_token = fields.String(required=True)
    refresh_token = fields.String()
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime in seconds"})
    must_change_password = fields.Boolean(
        required=True,
        metadata={"description": "After an admin reset: other requests get 403 until POST /me/password"},
    )


def new_password_field(**kwargs):
    """A password someone chooses: 8 to PASSWORD_LENGTH characters."""
    return Text(required=True, validate=validate.Length(min=8, max=PASSWORD_LENGTH), **kwargs)


class PasswordChangeIn(Schema):
    current_password = Text(required=True, validate=validate.Length(min=1, max=PASSWORD_LENGTH))
    new_password = new_password_field()


class PasswordResetIn(Schema):
    new_password = new_password_field()
    must_change = StrictBoolean(
        load_default=True,
        metadata={"description": "Whether the user must choose their own password at their next login"},
    )


class MeOut(UserOut):
    role = fields.String(
        attribute="acting_role",
        validate=validate.OneOf(ROLES),
        metadata={"description": "The role you act with: employee while your employee record is archived"},
    )
    employee = fields.Nested(EmployeeSummaryOut, allow_none=True)
