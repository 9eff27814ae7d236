"""/users: the accounts that can log in, their roles and the employee each one is; and the
`flask create-admin` / `flask create-user` commands for making accounts from the shell."""

import click
from flask.cli import with_appcontext
from flask_jwt_extended import current_user, jwt_required
from marshmallow import ValidationError
from sqlalchemy import func, select
from werkzeug.exceptions import Conflict, Forbidden

from database import lock_table_for_writes
from domain.permissions import admin_required
from errors import InvalidField
from models import ROLES, Employee, User, db
from resources.auth import add_user, end_sessions
from schemas.fields import PageArgs, RegisterIn, UserOut, UserPatchIn
from web.api import PAGE_HEADERS, Blueprint, paginate

blp = Blueprint("users", __name__, url_prefix="/users", description="User accounts (admins)")


class LastAdmin(Conflict):
    description = "At least one active admin must remain."


class EmployeeTaken(Conflict):
    description = "Another user is already linked to that employee."


class OwnLink(Forbidden):
    description = "Another admin must change or remove your own employee link."


def update_user(user, changes, admin):
    """Apply ``admin``'s changes to ``user``: role, linked employee, active flag."""
    if "employee_id" in changes:
        # Re-pointing your own link would let you decide requests that are yours after all.
        if user.id == admin.id and user.employee_id not in (None, changes["employee_id"]):
            raise OwnLink()
        _link_employee(user, changes["employee_id"])
    stays_admin = changes.get("role", user.role) == "admin" and changes.get("is_active", user.is_active)
    if user.is_admin and user.is_active and not stays_admin:
        _keep_an_admin(user)
    if changes.get("is_active") is False and user.is_active:
        end_sessions(user.id)
    for field in ("role", "is_active"):
        if field in changes:
            setattr(user, field, changes[field])


def _link_employee(user, employee_id):
    if employee_id is not None:
        if db.session.get(Employee, employee_id) is None:
            raise InvalidField("employee_id", "No employee with that id.")
        linked = db.session.scalar(select(User.id).where(User.employee_id == employee_id, User.id != user.id))
        if linked is not None:
            raise EmployeeTaken()
    user.employee_id = employee_id


def _keep_an_admin(user):
    lock_table_for_writes(User)  # two admins demoting each other at once must not leave none
    others = select(func.count()).where(User.role == "admin", User.is_active.is_(True), User.id != user.id)
    if db.session.scalar(others) == 0:
        raise LastAdmin()


def get_user_or_404(user_id):
    """Load a user by id, or raise 404."""
    return db.get_or_404(User, user_id, description="No user with that id.")


@blp.get("")
@blp.errors(403)
@jwt_required()
@admin_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, UserOut(many=True), headers=PAGE_HEADERS)
def list_users(args):
    """List user accounts, a page at a time (admins)."""
    return paginate(select(User).order_by(User.id), args)


@blp.get("/<id:user_id>")
@blp.errors(403)
@jwt_required()
@admin_required
@blp.response(200, UserOut)
def get_user(user_id):
    """Show one user account (admins)."""
    return get_user_or_404(user_id)


@blp.patch("/<id:user_id>")
@blp.errors(403, 409)
@jwt_required()
@admin_required
@blp.arguments(UserPatchIn, required=False, example={"role": "manager", "employee_id": 1})
@blp.response(200, UserOut)
def patch_user(data, user_id):
    """Change a user's role, linked employee or active flag (admins); it applies to their next request."""
    user = get_user_or_404(user_id)
    update_user(user, data, current_user)
    db.session.commit()
    return user


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="employee", show_default=True)
@click.option("--employee-id", type=int, help="Link the account to this employee.")
@with_appcontext
def create_user_command(username, password, role, employee_id):
    """Create an account from the shell (works when registration is closed)."""
    try:
        RegisterIn().load({"username": username, "password": password})
    except ValidationError as error:
        raise click.UsageError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.messages.items())) from None
    try:
        user = add_user(username, password, role)
        db.session.flush()
        if employee_id is not None:
            _link_employee(user, employee_id)
        db.session.commit()
    except (Conflict, InvalidField) as error:
        raise click.ClickException(error.description) from None
    click.echo(f"Created {role} {user.username!r} (user {user.id}).")


@click.command("create-admin")
@click.option("--username", envvar="ADMIN_USERNAME", help="Or set ADMIN_USERNAME; asked for when missing.")
@click.option("--password", envvar="ADMIN_PASSWORD", help="Or set ADMIN_PASSWORD; asked for when missing.")
@click.option(
    "--if-no-admin", is_flag=True, help="Do nothing when an active admin exists (for release phases)."
)
@click.pass_context
@with_appcontext
def create_admin_command(context, username, password, if_no_admin):
    """Create an admin account from the shell: how a closed or public install gets its first admin."""
    # Checked before asking anything, so a release phase without a terminal passes once an admin exists.
    admin_exists = db.session.scalar(select(User.id).where(User.role == "admin", User.is_active.is_(True)))
    db.session.rollback()  # hold no lock while a person types: SQLite's write lock would stall the app
    if if_no_admin and admin_exists:
        click.echo("An admin exists already; nothing to do.")
        return
    username = username or click.prompt("Username")
    password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    context.invoke(create_user_command, username=username, password=password, role="admin", employee_id=None)
