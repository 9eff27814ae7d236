"""User accounts: who can log in, their passwords and roles, and the employee each one is."""

import uuid
from functools import cache

from flask import current_app
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Conflict, Forbidden, NotFound, Unauthorized
from werkzeug.security import check_password_hash, generate_password_hash

from database import lock_table_for_writes
from domain.login_guard import forgive_all_attempts
from domain.sessions import end_sessions
from errors import InvalidField
from models import Employee, User, db

# What a password check needs, read as plain values: they stay readable after the early commit
# that counts the attempt (see resources/auth.py), when ORM objects would reload.
_CREDENTIALS = select(User.id, User.password_hash, User.is_active, User.must_change_password)


class BadCredentials(Unauthorized):
    description = "Unknown username or wrong password."


class UsernameTaken(Conflict):
    description = "That username is already taken."


class WrongPassword(InvalidField):
    description = "current_password is not the caller's password."

    def __init__(self):
        super().__init__("current_password", "Wrong password.")


class UnknownEmployee(InvalidField):
    description = "employee_id names no employee."

    def __init__(self):
        super().__init__("employee_id", "No employee with that id.")


class ArchivedEmployeeLink(InvalidField):
    description = "employee_id names an archived employee: an account linked to one would hold no powers."

    def __init__(self):
        super().__init__("employee_id", "That employee is archived; link accounts to active employees.")


class LastAdmin(Conflict):
    description = "At least one active admin must remain."


class EmployeeTaken(Conflict):
    description = "Another user is already linked to that employee."


class OwnLink(Forbidden):
    description = "Another admin must change or remove your own employee link."


class OwnReset(Forbidden):
    description = "Change your own password with POST /me/password, which asks for the current one."


class PasswordChangeRequired(Forbidden):
    description = "Your password was reset: choose your own with POST /me/password first."


def hash_password(password):
    """A slow, salted hash of ``password``."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def credentials_of(username):
    """The id, password hash and active flag of the account named ``username`` in any case, or None."""
    return db.session.execute(_CREDENTIALS.where(func.lower(User.username) == username.lower())).first()


def verify_credentials(credentials, password):
    """Return the user id if ``credentials`` (from ``credentials_of``) are an active account's and
    ``password`` is theirs; else raise the same 401 for any mismatch, in the same time."""
    stored_hash = credentials.password_hash if credentials else None
    if not password_matches(stored_hash, password) or not (credentials and credentials.is_active):
        raise BadCredentials()
    return credentials.id


def password_matches(stored_hash, password):
    """Check ``password`` against ``stored_hash`` (a decoy when None, so it takes the same time).

    Hashing is slow on purpose: call it with no transaction open, so it holds no lock while it runs
    (on SQLite, a write request's transaction holds the whole database's write lock).
    """
    stored_hash = stored_hash or _decoy_hash(current_app.config["PASSWORD_HASH_METHOD"])
    return check_password_hash(stored_hash, password)


@cache
def _decoy_hash(method):
    # Checked against when the username is unknown, so both failures take the same time.
    return generate_password_hash(uuid.uuid4().hex, method=method)


def change_password(user_id, new_hash, keep_session_id):
    """Store the user's new password hash and end every session of theirs but ``keep_session_id``."""
    user = db.session.get(User, user_id)
    user.password_hash, user.must_change_password = new_hash, False
    end_sessions(user_id, keep_session_id=keep_session_id)


def require_resettable(admin, user_id):
    """Raise 404 for an unknown user, and 403 for ``admin``'s own account: a stolen token must not be
    a way to replace a password without knowing it."""
    get_user_or_404(user_id)
    if user_id == admin.id:
        raise OwnReset()


def reset_password(user, new_hash, must_change):
    """Give ``user`` a password an admin chose, end every session of theirs and clear their failed
    attempts (they have usually just used them up); ``must_change``: until they choose their own
    (POST /me/password), they may do nothing else."""
    user.password_hash, user.must_change_password = new_hash, must_change
    end_sessions(user.id)
    forgive_all_attempts(user.username)


def require_password_chosen(user):
    """Raise 403 if an admin reset ``user``'s password and they have not chosen their own since."""
    if user.must_change_password:
        raise PasswordChangeRequired()


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


def _role_for_new_user():
    """The first user of an empty database is the admin; everyone after is an employee."""
    if db.session.scalar(select(User.id).limit(1)) is None:
        # Two simultaneous first registrations must not both become admin.
        lock_table_for_writes(User)
        if db.session.scalar(select(User.id).limit(1)) is None:
            return "admin"
    return "employee"


def get_user_or_404(user_id, with_employee=False):
    """Load a user by id (``with_employee``: and their linked employee, in the same query), or raise 404."""
    if not with_employee:
        return db.get_or_404(User, user_id, description="No user with that id.")
    user = db.session.scalar(_USER_WITH_EMPLOYEE, {"user_id": user_id})
    if user is None:
        raise NotFound("No user with that id.")
    return user


_USER_WITH_EMPLOYEE = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.employee))


def select_users():
    """The statement listing every account, oldest first."""
    return select(User).order_by(User.id)


# An account that holds admin powers: active, and not linked to an archived employee (``User.acting_role``).
_ACTING_ADMIN = and_(User.role == "admin", User.is_active.is_(True), ~User.employee_archived)


def active_admin_exists():
    """Whether any account holds admin powers."""
    return db.session.scalar(select(User.id).where(_ACTING_ADMIN).limit(1)) is not None


def update_user(user, changes, admin):
    """Apply ``admin``'s changes to ``user``: role, linked employee, active flag."""
    if "employee_id" in changes:
        # Re-pointing your own link would let you decide requests that are yours after all.
        if user.id == admin.id and user.employee_id not in (None, changes["employee_id"]):
            raise OwnLink()
        link_employee(user, changes["employee_id"])
    stays_admin = changes.get("role", user.role) == "admin" and changes.get("is_active", user.is_active)
    if user.is_admin and user.is_active and not stays_admin:
        _keep_an_admin(user.id)
    if changes.get("is_active") is False and user.is_active:
        end_sessions(user.id)
    for field in ("role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])


def link_employee(user, employee_id):
    """Make ``user`` the account of the employee ``employee_id`` (None unlinks); one account per employee."""
    if employee_id is not None:
        employee = db.session.get(Employee, employee_id)
        if employee is None:
            raise UnknownEmployee()
        # Powers end with the record (User.acting_role): linking is how an admin would lose them unseen.
        if employee.archived:
            raise ArchivedEmployeeLink()
        linked = db.session.scalar(select(User.id).where(User.employee_id == employee_id, User.id != user.id))
        if linked is not None:
            raise EmployeeTaken()
    user.employee_id = employee_id


def keep_an_admin_after_archiving(employee_id):
    """Raise 409 if archiving the employee ``employee_id`` would end the powers of the last admin."""
    account = db.session.scalar(select(User).where(User.employee_id == employee_id))
    if account is not None and account.is_admin and account.is_active:
        _keep_an_admin(account.id)


def _keep_an_admin(user_id):
    lock_table_for_writes(User)  # two admins demoting each other at once must not leave none
    others = select(func.count()).where(_ACTING_ADMIN, User.id != user_id)
    if db.session.scalar(others) == 0:
        raise LastAdmin()
