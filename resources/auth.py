"""/register, /login, /refresh, /logout and /me: accounts and their sessions."""

from flask import current_app, request, url_for
from flask_jwt_extended import current_user, get_jwt, jwt_required
from werkzeug.exceptions import Forbidden

from domain import accounts, login_guard, sessions
from models import db
from schemas.auth import LoginIn, MeOut, PasswordChangeIn, RegisterIn, TokenOut
from schemas.fields import MessageOut
from schemas.users import UserOut
from web import rate_limits
from web.api import Blueprint

blp = Blueprint("auth", __name__, description="Accounts and sessions")


class RegistrationClosed(Forbidden):
    description = "Registration is closed: ask an administrator for an account."


def count_password_attempt(username):
    """Count a password check against ``username``'s account from the client's address and commit it:
    the one early commit.

    The count must stand even when the password then turns out wrong and the request fails, and the
    slow hash check that follows must run with no transaction open (on SQLite a write transaction
    holds the whole database's write lock). So a login is this commit, then at most one more write
    transaction for its outcome (the session it opens); a wrong password writes nothing more.
    """
    login_guard.claim_password_attempt(username, request.remote_addr)
    db.session.commit()


@blp.post("/register")
@blp.errors(RegistrationClosed, accounts.UsernameTaken, 429)
@blp.doc(security=[])
@blp.arguments(RegisterIn, example={"username": "hr.lead", "password": "correct horse battery"})
@blp.response(201, UserOut)
@rate_limits.limit_registrations()
def register(data):
    """Create an account; the first account of a new install is the admin."""
    if not current_app.config["REGISTRATION_OPEN"]:
        raise RegistrationClosed()
    user = accounts.add_user(data["username"], data["password"])
    db.session.commit()
    return user, {"Location": url_for("users.get_user", user_id=user.id)}


@blp.post("/login")
@blp.errors(accounts.BadCredentials, 429)
@blp.doc(security=[])
@blp.arguments(LoginIn, example={"username": "hr.lead", "password": "correct horse battery"})
@blp.response(200, TokenOut)
@rate_limits.limit_login_failures()
def login(data):
    """Exchange a username and password for an access token and a refresh token."""
    username = data["username"]
    credentials = accounts.credentials_of(username)
    count_password_attempt(username)
    user_id = accounts.verify_credentials(credentials, data["password"])
    login_guard.forgive_attempts(username, request.remote_addr)
    tokens = sessions.start_session(user_id)
    db.session.commit()
    return {**tokens, "must_change_password": credentials.must_change_password}


@blp.post("/refresh")
@blp.doc(security=[{"refreshToken": []}])
@jwt_required(refresh=True)
@blp.response(200, TokenOut)
def refresh():
    """Exchange a refresh token for a new access token in the same session."""
    tokens = sessions.issue_tokens(current_user.id, get_jwt()["sid"], with_refresh=False)
    return {**tokens, "must_change_password": current_user.must_change_password}


@blp.post("/logout")
@jwt_required(verify_type=False)
@blp.response(200, MessageOut)
def logout():
    """End the caller's session: its access and refresh tokens stop working everywhere."""
    sessions.end_session(get_jwt()["sid"])
    db.session.commit()
    return {"message": "Logged out."}


@blp.get("/me")
@jwt_required()
@blp.response(200, MeOut)
def me():
    """Show the caller's account, role and linked employee."""
    return accounts.get_user_or_404(current_user.id, with_employee=True)


@blp.post("/me/password")
@jwt_required()
@blp.errors(accounts.WrongPassword, 429)
@blp.arguments(
    PasswordChangeIn,
    example={"current_password": "correct horse battery", "new_password": "a longer passphrase now"},
)
@blp.response(200, MessageOut)
def change_password(data):
    """Change the caller's password; every other session of theirs ends (this one stays)."""
    user_id, username = current_user.id, current_user.username
    stored_hash = accounts.credentials_of(username).password_hash
    # A stolen access token must not become a way to guess the password behind it.
    count_password_attempt(username)
    if not accounts.password_matches(stored_hash, data["current_password"]):
        raise accounts.WrongPassword()
    new_hash = accounts.hash_password(data["new_password"])
    login_guard.forgive_attempts(username, request.remote_addr)
    accounts.change_password(user_id, new_hash, keep_session_id=get_jwt()["sid"])
    db.session.commit()
    return {"message": "Password changed; your other sessions have ended."}
