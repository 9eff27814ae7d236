"""/pto: time-off entries and their workflow: filed, approved or denied, cancelled with an exact refund."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from database import commit_keeping_loaded_objects
from domain import pto_types, workflow
from domain.ledger import InsufficientBalance
from domain.people import EmployeeArchived
from domain.permissions import NotYourDecision, NotYourEntry
from domain.workdays import DayOverflow, NothingToTake
from models import PtoEntryRecord, db
from schemas.pto import NoteIn, PtoDetailOut, PtoIn, PtoOut, PtoQuery, QuoteOut
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate

blp = Blueprint("pto", __name__, url_prefix="/pto", description="PTO entries and their approval")
FILING_EXAMPLE = {
    "employee_id": 1,
    "start_date": "2026-12-21",
    "end_date": "2026-12-24",
    "end_part": "morning",
    "type": "vacation",
    "note": "Holidays",
}


@blp.get("")
@jwt_required()
@blp.arguments(PtoQuery, location="query")
@blp.response(200, PtoOut(many=True), headers=PAGE_HEADERS)
def list_pto(args):
    """List the entries the caller may see, filtered by employee_id, status, type and a from/to window."""
    statement, params = workflow.select_entries(current_user, args)
    return paginate(statement, args, params, record=PtoEntryRecord._make)


@blp.post("")
@blp.errors(
    404,
    InsufficientBalance,
    workflow.OverlappingRequest,
    EmployeeArchived,
    workflow.HoursExceedDays,
    NothingToTake,
    DayOverflow,
    workflow.TooManyOpenEntries,
    pto_types.UnknownType,
    pto_types.TypeArchived,
    429,
)
@jwt_required()
@blp.arguments(PtoIn, example=FILING_EXAMPLE)
@blp.response(201, PtoDetailOut)
@rate_limits.limit_writes()
def create_pto(data):
    """File PTO: approved at once (hours taken) by an admin or the manager, else pending approval."""
    entry = workflow.file_pto(current_user, data.pop("employee_id"), data)
    commit_keeping_loaded_objects()
    return entry, {"Location": url_for("pto.get_pto", entry_id=entry.id)}


@blp.post("/quote")
@blp.errors(404, 429)
@blp.doc(
    description="Takes exactly the body of `POST /pto` and writes nothing. Answers the days and hours the "
    "request would charge, the status it would get, the balance it draws on (now, projected on its first "
    "day, and after), and every problem `POST /pto` would meet, each with the status it would answer."
)
@jwt_required()
@blp.arguments(PtoIn, example=FILING_EXAMPLE)
@blp.response(200, QuoteOut)
@rate_limits.limit_writes()
def quote_pto(data):
    """Quote a request before filing it: its days, hours, balance and problems; nothing is written."""
    return workflow.quote_pto(current_user, data.pop("employee_id"), data)


@blp.get("/<id:entry_id>")
@jwt_required()
@blp.response(200, PtoDetailOut)
def get_pto(entry_id):
    """Show one PTO entry with its days and decision history."""
    return workflow.get_entry_or_404(current_user, entry_id)


@blp.post("/<id:entry_id>/approve")
@blp.errors(NotYourDecision, workflow.IllegalTransition, InsufficientBalance, EmployeeArchived, 429)
@jwt_required()
@blp.arguments(NoteIn, required=False, example={"note": "Enjoy the break"})
@blp.response(200, PtoOut)
@rate_limits.limit_writes()
def approve(data, entry_id):
    """Approve a pending request (admin or the employee's manager); its hours leave the balance."""
    entry = workflow.approve_pto(current_user, entry_id, data.get("note"))
    commit_keeping_loaded_objects()
    return entry


@blp.post("/<id:entry_id>/deny")
@blp.errors(NotYourDecision, workflow.IllegalTransition, EmployeeArchived, 429)
@jwt_required()
@blp.arguments(NoteIn, required=False, example={"note": "Year-end close: please pick another week"})
@blp.response(200, PtoOut)
@rate_limits.limit_writes()
def deny(data, entry_id):
    """Deny a pending request (admin or the employee's manager), with an optional note."""
    entry = workflow.deny_pto(current_user, entry_id, data.get("note"))
    commit_keeping_loaded_objects()
    return entry


@blp.post("/<id:entry_id>/cancel")
@blp.errors(NotYourEntry, workflow.IllegalTransition, EmployeeArchived, 429)
@jwt_required()
@blp.arguments(NoteIn, required=False, example={"note": "Plans changed"})
@blp.response(200, PtoOut)
@rate_limits.limit_writes()
def cancel(data, entry_id):
    """Cancel an entry, with an optional note; approved hours go back to the balance through the ledger."""
    entry = workflow.cancel_pto(current_user, entry_id, data.get("note"))
    commit_keeping_loaded_objects()
    return entry


@blp.delete("/<id:entry_id>")
@blp.errors(NotYourEntry, workflow.IllegalTransition, EmployeeArchived, 429)
@blp.doc(
    description="The tutorial's DELETE: cancels the entry as `POST /pto/{entry_id}/cancel` does (approved "
    "hours go back to the balance through the ledger) and answers 204. Nothing is deleted: the entry stays, "
    "with status `cancelled`."
)
@jwt_required()
@blp.response(204)
@rate_limits.limit_writes()
def delete_pto(entry_id):
    """Cancel an entry (the tutorial's DELETE); its history is kept."""
    workflow.cancel_pto(current_user, entry_id)
    db.session.commit()
