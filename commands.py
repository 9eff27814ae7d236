"""Every `flask …` command: thin wrappers over the rules, each committing once (the accrual run: once per
batch, see domain/accrual_runs.run_in_batches)."""

import io
import sys

import click
from flask.cli import with_appcontext
from marshmallow import ValidationError
from werkzeug.exceptions import Conflict

from database import end_read_transaction
from domain import accounts, accrual_runs, login_guard, sessions
from errors import InvalidField
from models import ROLES, db
from schemas.auth import PasswordResetIn, RegisterIn


def init_app(app):
    """Add the commands to the app's `flask` CLI."""
    for command in (
        create_admin_command,
        create_user_command,
        set_password_command,
        prune_tokens_command,
        accrue_command,
    ):
        app.cli.add_command(command)


@click.command("create-user")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="employee", show_default=True)
@click.option("--employee-id", type=int, help="Link the account to this employee.")
@with_appcontext
def create_user_command(username, password, role, employee_id):
    """Create an account from the shell (works when registration is closed)."""
    _validate(RegisterIn(), {"username": username, "password": password})
    try:
        user = accounts.add_user(username, password, role)
        db.session.flush()
        if employee_id is not None:
            accounts.link_employee(user, employee_id)
        db.session.commit()
    except (Conflict, InvalidField) as error:
        raise click.ClickException(error.description) from None
    click.echo(f"Created {role} {user.username!r} (user {user.id}).")


def _validate(schema, data):
    """Check ``data`` as the API would, or stop with the API's messages."""
    try:
        schema.load(data)
    except ValidationError as error:
        raise click.UsageError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.messages.items())) from None


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
    admin_exists = accounts.active_admin_exists()
    db.session.rollback()  # hold no lock while a person types: SQLite's write lock would stall the app
    if if_no_admin and admin_exists:
        click.echo("An admin exists already; nothing to do.")
        return
    username = username or click.prompt("Username")
    password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
    context.invoke(create_user_command, username=username, password=password, role="admin", employee_id=None)


@click.command("set-password")
@click.option("--username", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--must-change", is_flag=True, help="The user must choose their own password at their next login."
)
@with_appcontext
def set_password_command(username, password, must_change):
    """Set an account's password from the shell (a forgotten one, the last admin's); its sessions end."""
    _validate(PasswordResetIn(), {"new_password": password})
    credentials = accounts.credentials_of(username)
    if credentials is None:
        raise click.ClickException(f"No user named {username!r}.")
    end_read_transaction()  # the hash is slow on purpose: hold no lock while it runs
    new_hash = accounts.hash_password(password)
    accounts.reset_password(accounts.get_user_or_404(credentials.id), new_hash, must_change)
    db.session.commit()
    click.echo(f"Password of {username!r} set; their sessions have ended.")


@click.command("prune-tokens")
@with_appcontext
def prune_tokens_command():
    """Delete expired sessions and revocations (run daily, e.g. with Heroku Scheduler)."""
    deleted_sessions = sessions.prune_expired_sessions()
    deleted_throttles = login_guard.prune_ended_windows()
    db.session.commit()
    click.echo(
        f"Deleted {deleted_sessions} expired session(s) and {deleted_throttles} ended login throttle(s)."
    )


@click.command("accrue")
@click.option(
    "--through",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Post what is due up to this day, YYYY-MM-DD (default and latest: today).",
)
@click.option("--preview", is_flag=True, help="Show what it would post; write nothing.")
@with_appcontext
def accrue_command(through, preview):
    """Post every accrual, cap and expiry line due (run daily, e.g. with Heroku Scheduler)."""
    try:
        day = accrual_runs.run_day(through.date() if through else None)
    except InvalidField as error:
        raise click.UsageError(error.description) from None
    if preview:
        click.echo(f"Preview through {day}: {_totals(accrual_runs.preview_run(day))}; nothing written.")
        return
    run = accrual_runs.start_run(day, "cli")
    # A progress bar on a terminal; a scheduler's log gets the summary line only.
    length = accrual_runs.employees_to_accrue(day)
    with click.progressbar(length=length, label="Accruing", file=_terminal()) as bar:
        for handled in accrual_runs.run_in_batches(run):
            db.session.commit()  # a transaction per batch of employees: see accrual_runs.run_in_batches
            bar.update(handled)
    click.echo(f"Accrual run {run.id} through {day}: {_totals(run)} in {run.duration_ms / 1000:.1f} s.")


def _totals(result):
    return f"{result.lines} line(s), {result.hours:.2f} h, for {result.employees} employee(s)"


def _terminal():
    """Where the progress bar goes: the terminal's stderr, or nowhere when not on a terminal."""
    return sys.stderr if sys.stderr.isatty() else io.StringIO()
