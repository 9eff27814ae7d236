"""/accrual-runs: posting what accrual policies owe, through a day, as `flask accrue` does; and previews."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from domain import accrual_runs
from domain.permissions import AdminOnly
from models import db
from schemas.accruals import PreviewOut, RunIn, RunOut
from schemas.fields import PageArgs
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint(
    "accrual_runs",
    __name__,
    url_prefix="/accrual-runs",
    description="Accrual runs: posting what policies owe",
)


@blp.get("")
@blp.errors(AdminOnly)
@jwt_required()
@admin_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, RunOut(many=True), headers=PAGE_HEADERS)
def list_accrual_runs(args):
    """List the accrual runs, the latest first (admins)."""
    return paginate(accrual_runs.select_runs(), args)


@blp.post("")
@blp.errors(AdminOnly, accrual_runs.NotDueYet, 429)
@blp.doc(
    description="Runs what `flask accrue` runs, in this request: each batch of employees commits on its own "
    "(an interrupted run keeps what it committed, and the next run posts the rest)."
)
@jwt_required()
@admin_required
@blp.arguments(RunIn, required=False, example={"through": "2027-01-31"})
@blp.response(201, RunOut)
@rate_limits.limit_writes()
def start_accrual_run(data):
    """Post every accrual, cap and expiry line due through a day (admins)."""
    run = accrual_runs.start_run(accrual_runs.run_day(data.get("through")), "api", current_user.id)
    for _handled in accrual_runs.run_in_batches(run):
        db.session.commit()  # a transaction per batch of employees: see accrual_runs.run_in_batches
    return run, {"Location": url_for("accrual_runs.get_accrual_run", run_id=run.id)}


@blp.post("/preview")
@blp.errors(AdminOnly, accrual_runs.NotDueYet, 429)
@jwt_required()
@admin_required
@blp.arguments(RunIn, required=False, example={"through": "2027-01-31"})
@blp.response(200, PreviewOut)
@rate_limits.limit_writes()
def preview_accrual_run(data):
    """Show what a run through a day would post now, writing nothing (admins)."""
    return accrual_runs.preview_run(accrual_runs.run_day(data.get("through")))


@blp.get("/<id:run_id>")
@blp.errors(AdminOnly)
@jwt_required()
@admin_required
@blp.response(200, RunOut)
def get_accrual_run(run_id):
    """Show one accrual run (admins)."""
    return accrual_runs.get_run_or_404(run_id)
