"""Bearer tokens: who the caller is on every request (the JWT manager and its loaders), every token
problem answered 401 in the JSON error shape, and the admin gate of admin-only routes."""

from functools import wraps

from flask import request
from flask_jwt_extended import JWTManager, current_user

from domain.accounts import require_password_chosen
from domain.permissions import require_admin
from domain.sessions import live_session_user
from errors import error_response

jwt = JWTManager()

REQUIRED_CLAIMS = ("exp", "jti", "sid")
# What a user whose password an admin reset may still do: see who they are, choose their own, leave.
WHILE_PASSWORD_MUST_CHANGE = frozenset({"auth.me", "auth.change_password", "auth.logout", "auth.refresh"})
SESSION_ENDED = "This session has ended; log in again."


def init_app(app):
    """Check bearer tokens on the app's protected views."""
    jwt.init_app(app)


@jwt.user_lookup_loader
def load_session_user(_jwt_header, jwt_data):
    """Return the caller when their token's session is still live, else None (a 401); a 403 when
    they must change their password first and this request is not doing that."""
    session_id = jwt_data.get("sid")
    if not isinstance(session_id, str):
        return None
    user = live_session_user(session_id)
    if user is not None and request.endpoint not in WHILE_PASSWORD_MUST_CHANGE:
        require_password_chosen(user)
    return user


@jwt.token_verification_loader
def has_required_claims(_jwt_header, jwt_data):
    """Only tokens this app issues pass: they expire, and carry an id and their session's id.
    PyJWT checks ``exp`` only when present, so a token without one would never expire."""
    return not _missing_claims(jwt_data)


def _missing_claims(jwt_data):
    return [claim for claim in REQUIRED_CLAIMS if jwt_data.get(claim) is None]


def unauthorized(message):
    """The 401 every token problem gets, in the JSON error shape."""
    return error_response(401, message, headers={"WWW-Authenticate": "Bearer"})


def _answer(message):
    return lambda *_args: unauthorized(message)


jwt.unauthorized_loader(_answer("Missing bearer token: send Authorization: Bearer <access_token>."))
jwt.invalid_token_loader(lambda reason: unauthorized(f"Invalid token: {reason}."))
jwt.expired_token_loader(_answer("The token has expired; refresh it or log in again."))
jwt.revoked_token_loader(_answer(SESSION_ENDED))
jwt.user_lookup_error_loader(_answer(SESSION_ENDED))
jwt.token_verification_failed_loader(
    lambda _header, jwt_data: unauthorized(f"Invalid token: no {', '.join(_missing_claims(jwt_data))} claim.")
)


def admin_required(view):
    """Let only admins through, before the request body is even read (403, never a 422 first)."""

    @wraps(view)
    def admins_only(*args, **kwargs):
        require_admin(current_user)
        return view(*args, **kwargs)

    return admins_only
