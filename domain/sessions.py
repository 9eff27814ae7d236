"""Login sessions: each login is a row its tokens name, so ending it holds on every worker and restart."""

import uuid
from dataclasses import dataclass

from flask import current_app
from flask_jwt_extended import create_access_token, create_refresh_token
from sqlalchemy import bindparam, delete, select, update

from database import execute
from models import ActsByRole, LoginSession, User, db, utcnow


@dataclass(frozen=True, slots=True)
class Caller(ActsByRole):
    """Who makes a request: the account of a live session, as the session check read it. Only what
    rules ask of a caller; views that change or show the account load it (``accounts.get_user_or_404``)."""

    id: int
    username: str
    role: str
    employee_id: int | None
    must_change_password: bool
    employee_archived: bool


# One statement answers both questions on every request: is this session live, and who is it.
# Roles come from here too, so a role change or deactivation applies to the very next request.
_LIVE_SESSION_USER = (
    select(*(getattr(User, name) for name in Caller.__dataclass_fields__))
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
_DELETE_EXPIRED_SESSIONS = delete(LoginSession).where(LoginSession.expires_at < bindparam("now"))


def live_session_user(session_id):
    """The ``Caller``, the active user of the session ``session_id``, if it has not ended; else None."""
    row = execute(_LIVE_SESSION_USER, {"session_id": session_id}).first()
    return None if row is None else Caller(*row)


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
    return issue_tokens(user_id, session.id, with_refresh=True)


def issue_tokens(user_id, session_id, with_refresh):
    """A new access token (and refresh token, ``with_refresh``) of the user's session ``session_id``."""
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


def end_session(session_id):
    """Revoke one session: its access and refresh tokens stop working everywhere."""
    db.session.execute(_REVOKE_SESSION, {"session_id": session_id, "now": utcnow()})


def end_sessions(user_id, keep_session_id=""):
    """Revoke every live session of the user (but ``keep_session_id``): their tokens stop working."""
    params = {"owner_id": user_id, "keep_session_id": keep_session_id, "now": utcnow()}
    db.session.execute(_REVOKE_USER_SESSIONS, params)


def prune_expired_sessions(now=None):
    """Delete the sessions whose tokens have all expired, revoked or not; return how many."""
    return db.session.execute(_DELETE_EXPIRED_SESSIONS, {"now": now or utcnow()}).rowcount
