"""/pto: time-off entries and their workflow (record, cancel with an exact refund)."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required
from sqlalchemy import select, update
from werkzeug.exceptions import Conflict

import ledger
from api import PAGE_HEADERS, Blueprint, paginate
from employees import EmployeeArchived, get_active_employee_or_404
from models import PtoEntry, db, utcnow
from schemas import PtoIn, PtoOut, PtoQuery

blp = Blueprint("pto", __name__, url_prefix="/pto", description="PTO entries")

CANCELLABLE = ("pending", "approved")


class IllegalTransition(Conflict):
    description = "The entry cannot move to that status from where it is."


def record_pto(employee, data, actor_id):
    """Record an approved entry and take its hours from the balance (409 if they are not there)."""
    now = utcnow()
    entry = PtoEntry(
        employee_id=employee.id,
        status="approved",
        requested_by=actor_id,
        decided_by=actor_id,
        decided_at=now,
        created_at=now,
        **data,
    )
    db.session.add(entry)
    db.session.flush()
    if entry.takes_hours:
        ledger.take_hours(entry, actor_id)
    return entry


def cancel_pto(entry, actor_id):
    """Cancel a pending or approved entry; an approved one gets its hours back, exactly once."""
    if entry.employee.archived:
        raise EmployeeArchived()
    if entry.status not in CANCELLABLE:
        raise IllegalTransition(f"The entry is already {entry.status}.")
    was_approved = entry.status == "approved"
    _transition(entry, "cancelled", cancelled_by=actor_id, cancelled_at=utcnow())
    if was_approved and entry.takes_hours:
        ledger.refund_hours(entry, actor_id)


def _transition(entry, to_status, **changes):
    """Move ``entry`` to ``to_status`` only if nobody moved it since we read it (compare-and-set).

    Concurrent requests on one entry queue on its row; the first wins, and every later one
    finds the status changed, matches no row and gets a 409, so hours move exactly once.
    """
    result = db.session.execute(
        update(PtoEntry)
        .where(PtoEntry.id == entry.id, PtoEntry.status == entry.status)
        .values(status=to_status, **changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise IllegalTransition("The entry was changed by another request; reload it.")


def get_entry_or_404(entry_id):
    """Load a PTO entry by id, or raise 404."""
    return db.get_or_404(PtoEntry, entry_id, description="No PTO entry with that id.")


@blp.get("")
@jwt_required()
@blp.arguments(PtoQuery, location="query")
@blp.response(200, PtoOut(many=True), headers=PAGE_HEADERS)
def list_pto(args):
    """List PTO entries, filtered by employee_id, status, type and a from/to date window."""
    statement = select(PtoEntry).order_by(PtoEntry.id)
    for field in ("employee_id", "status", "type"):
        if field in args:
            statement = statement.where(getattr(PtoEntry, field) == args[field])
    # A date window keeps the entries whose days overlap it; undated entries have no days.
    if "from_" in args:
        statement = statement.where(PtoEntry.end_date >= args["from_"])
    if "to" in args:
        statement = statement.where(PtoEntry.start_date <= args["to"])
    return paginate(statement, args)


@blp.post("")
@jwt_required()
@blp.arguments(PtoIn)
@blp.response(201, PtoOut)
def create_pto(data):
    """Record PTO for an employee and take the hours from their balance."""
    employee = get_active_employee_or_404(data.pop("employee_id"))
    entry = record_pto(employee, data, current_user.id)
    db.session.commit()
    return entry, {"Location": url_for("pto.get_pto", entry_id=entry.id)}


@blp.get("/<id:entry_id>")
@jwt_required()
@blp.response(200, PtoOut)
def get_pto(entry_id):
    """Show one PTO entry."""
    return get_entry_or_404(entry_id)


@blp.post("/<id:entry_id>/cancel")
@jwt_required()
@blp.response(200, PtoOut)
def cancel(entry_id):
    """Cancel an entry; approved hours go back to the balance through the ledger."""
    entry = get_entry_or_404(entry_id)
    cancel_pto(entry, current_user.id)
    db.session.commit()
    return entry


@blp.delete("/<id:entry_id>")
@jwt_required()
@blp.response(204)
def delete_pto(entry_id):
    """Cancel an entry (the tutorial's DELETE); its history is kept."""
    cancel_pto(get_entry_or_404(entry_id), current_user.id)
    db.session.commit()
