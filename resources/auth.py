"""/register, /login, /refresh, /logout and /me; the JWT manager and its loaders."""

import uuid
from functools import cache

import click
from flask import current_app, url_for
from flask.cli import with_appcontext
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    get_jwt,
    jwt_required,
)
from sqlalchemy import bindparam, delete, func, select, update
from werkzeug.exceptions import Conflict, Forbidden, Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from database import lock_table_for_writes
from domain import login_guard as throttle
from errors import InvalidField, error_response
from models import LoginSession, User, db, utcnow
from schemas.fields import LoginIn, MeOut, MessageOut, PasswordChangeIn, RegisterIn, TokenOut, UserOut
from web.api import Blueprint

blp = Blueprint("auth", __name__, description="Accounts and sessions")
jwt = JWTManager()

# One statement answers both questions on every request: is this session live, and who is it.
# Roles come from here too, so a role change or deactivation applies to the very next request.
_LIVE_SESSION_USER = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        LoginSession.id == bindparam("session_id"),
        LoginSession.revoked_at.is_(None),
        User.is_active.is_(True),
    )
)
_REVOKE_USER_SESSIONS = (
    update(LoginSession)
    .where(
        LoginSession.user_id == bindparam("owner_id"),
        LoginSession.id != bindparam("keep_session_id"),
        LoginSession.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
_REVOKE_SESSION = (
    update(LoginSession)
    .where(LoginSession.id == bindparam("session_id"), LoginSession.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)


class BadCredentials(Unauthorized):
    description = "Unknown username or wrong password."


class UsernameTaken(Conflict):
    description = "That username is already taken."


class RegistrationClosed(Forbidden):
    description = "Registration is closed: ask an administrator for an account."


class WrongPassword(InvalidField):
    def __init__(self):
        super().__init__("current_password", "Wrong password.")


@jwt.user_lookup_loader
def load_session_user(_jwt_header, jwt_data):
    """Return the caller when their token's session is still live, else None (a 401)."""
    session_id = jwt_data.get("sid")
    if not isinstance(session_id, str):
        return None
    return db.session.execute(_LIVE_SESSION_USER, {"session_id": session_id}).scalar_one_or_none()


REQUIRED_CLAIMS = ("exp", "jti", "sid")


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


SESSION_ENDED = "This session has ended; log in again."
jwt.unauthorized_loader(_answer("Missing bearer token: send Authorization: Bearer <access_token>."))
jwt.invalid_token_loader(lambda reason: unauthorized(f"Invalid token: {reason}."))
jwt.expired_token_loader(_answer("The token has expired; refresh it or log in again."))
jwt.revoked_token_loader(_answer(SESSION_ENDED))
jwt.user_lookup_error_loader(_answer(SESSION_ENDED))
jwt.token_verification_failed_loader(
    lambda _header, jwt_data: unauthorized(f"Invalid token: no {', '.join(_missing_claims(jwt_data))} claim.")
)


def hash_password(password):
    """A slow, salted hash of ``password``."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _decoy_hash(method):
    # Checked against when the username is unknown, so both failures take the same time.
    return generate_password_hash(uuid.uuid4().hex, method=method)


def authenticate(username, password):
    """Return the id of the active user with these credentials, or raise the same 401 for any mismatch
    (429 once the account has failed too often: see throttle.py)."""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    stored_hash = user.password_hash if user else None
    user_id = user.id if user and user.is_active else None
    throttle.claim_password_attempt(username)  # commits: read the user first, in the same transaction
    if not _password_matches(stored_hash, password) or user_id is None:
        raise BadCredentials()
    throttle.forgive_attempts(username)
    return user_id


def _password_matches(stored_hash, password):
    """Check ``password`` against ``stored_hash`` (a decoy when None, so it takes the same time)."""
    # Hashing is slow on purpose, so end the transaction first: it must hold no lock while it runs
    # (on SQLite, a write request's transaction holds the whole database's write lock).
    db.session.rollback()
    stored_hash = stored_hash or _decoy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(stored_hash, password)


def add_user(username, password, role=None):
    """Create an account, or raise 409 if the username is taken in any case. Without a ``role``,
    the first account of an empty database is the admin and every later one an employee."""
    password_hash = hash_password(password)  # slow on purpose: before any transaction starts
    taken = select(User.id).where(func.lower(User.username) == username.lower())
    if db.session.scalar(taken) is not None:
        raise UsernameTaken()
    user = User(username=username, password_hash=password_hash, role=role or _role_for_new_user())
    db.session.add(user)
    return user


def end_sessions(user_id, keep_session_id=""):
    """Revoke every live session of the user (but ``keep_session_id``): their tokens stop working."""
    params = {"owner_id": user_id, "keep_session_id": keep_session_id, "now": utcnow()}
    db.session.execute(_REVOKE_USER_SESSIONS, params)


def start_session(user_id):
    """Open a login session for the user and return its access and refresh tokens."""
    config = current_app.config
    session = LoginSession(
        id=uuid.uuid4().hex,
        user_id=user_id,
        # When every token it can issue has expired, the session can go (flask prune-tokens): the
        # refresh token's lifetime, plus that of an access token refreshed at its last moment.
        expires_at=utcnow() + config["JWT_REFRESH_TOKEN_EXPIRES"] + config["JWT_ACCESS_TOKEN_EXPIRES"],
    )
    db.session.add(session)
    return _tokens(user_id, session.id, with_refresh=True)


def _tokens(user_id, session_id, with_refresh):
    claims = {"sid": session_id}
    lifetime = current_app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    tokens = {
        "access_token": create_access_token(identity=str(user_id), additional_claims=claims),
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
    }
    if with_refresh:
        tokens["refresh_token"] = create_refresh_token(identity=str(user_id), additional_claims=claims)
    return tokens


def _role_for_new_user():
    """The first user of an empty database is the admin; everyone after is an employee."""
    if db.session.scalar(select(User.id).limit(1)) is None:
        # Two simultaneous first registrations must not both become admin.
        lock_table_for_writes(User)
        if db.session.scalar(select(User.id).limit(1)) is None:
            return "admin"
    return "employee"


@blp.post("/register")
@blp.errors(403, 409, 429)
@blp.doc(security=[])
@blp.arguments(RegisterIn, example={"username": "hr.lead", "password": "correct horse battery"})
@blp.response(201, UserOut)
@throttle.limit_registrations()
def register(data):
    """Create an account; the first account of a new install is the admin."""
    if not current_app.config["REGISTRATION_OPEN"]:
        raise RegistrationClosed()
    user = add_user(data["username"], data["password"])
    db.session.commit()
    return user, {"Location": url_for("users.get_user", user_id=user.id)}


@blp.post("/login")
@blp.errors(401, 429)
@blp.doc(security=[])
@blp.arguments(LoginIn, example={"username": "hr.lead", "password": "correct horse battery"})
@blp.response(200, TokenOut)
@throttle.limit_login_failures()
def login(data):
    """Exchange a username and password for an access token and a refresh token."""
    tokens = start_session(authenticate(data["username"], data["password"]))
    db.session.commit()
    return tokens


@blp.post("/refresh")
@jwt_required(refresh=True)
@blp.response(200, TokenOut)
def refresh():
    """Exchange a refresh token for a new access token in the same session."""
    return _tokens(current_user.id, get_jwt()["sid"], with_refresh=False)


@blp.post("/logout")
@jwt_required(verify_type=False)
@blp.response(200, MessageOut)
def logout():
    """End the caller's session: its access and refresh tokens stop working everywhere."""
    db.session.execute(_REVOKE_SESSION, {"session_id": get_jwt()["sid"], "now": utcnow()})
    db.session.commit()
    return {"message": "Logged out."}


@blp.get("/me")
@jwt_required()
@blp.response(200, MeOut)
def me():
    """Show the caller's account, role and linked employee."""
    return current_user


@blp.post("/me/password")
@jwt_required()
@blp.errors(429)
@blp.arguments(
    PasswordChangeIn,
    example={"current_password": "correct horse battery", "new_password": "a longer passphrase now"},
)
@blp.response(200, MessageOut)
def change_password(data):
    """Change the caller's password; every other session of theirs ends (this one stays)."""
    user_id, username, session_id = current_user.id, current_user.username, get_jwt()["sid"]
    password_hash = current_user.password_hash
    # A stolen access token must not become a way to guess the password behind it.
    throttle.claim_password_attempt(username)
    if not _password_matches(password_hash, data["current_password"]):
        raise WrongPassword()
    new_hash = hash_password(data["new_password"])
    throttle.forgive_attempts(username)
    db.session.get(User, user_id).password_hash = new_hash
    end_sessions(user_id, keep_session_id=session_id)
    db.session.commit()
    return {"message": "Password changed; your other sessions have ended."}


_DELETE_EXPIRED_SESSIONS = delete(LoginSession).where(LoginSession.expires_at < bindparam("now"))


def prune_expired_sessions(now=None):
    """Delete the sessions whose tokens have all expired, revoked or not; return how many."""
    result = db.session.execute(_DELETE_EXPIRED_SESSIONS, {"now": now or utcnow()})
    return result.rowcount


@click.command("prune-tokens")
@with_appcontext
def prune_tokens_command():
    """Delete expired sessions and revocations (run daily, e.g. with Heroku Scheduler)."""
    sessions = prune_expired_sessions()
    throttles = throttle.prune_ended_windows()
    db.session.commit()
    click.echo(f"Deleted {sessions} expired session(s) and {throttles} ended login throttle(s).")
