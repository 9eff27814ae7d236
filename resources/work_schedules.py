"""/work-schedules: the company's default work schedule and its history (employees' own are under
/employees/<id>/work-schedules)."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from domain import schedules
from domain.permissions import AdminOnly
from models import db
from schemas.fields import PageArgs
from schemas.schedules import ScheduleIn, ScheduleOut
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint(
    "work_schedules",
    __name__,
    url_prefix="/work-schedules",
    description="The company's work schedule: the hours of each weekday for everyone without their own",
)

SCHEDULE_EXAMPLE = {
    "effective_from": "2027-01-01",
    "weeks": [
        {"monday": 8, "tuesday": 8, "wednesday": 8, "thursday": 8, "friday": 8, "saturday": 0, "sunday": 0}
    ],
}


@blp.get("")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, ScheduleOut(many=True), headers=PAGE_HEADERS)
def list_company_schedules(args):
    """List the company's schedules, oldest first: each counts from its effective_from to the next."""
    return paginate(schedules.select_schedules(), args)


@blp.post("")
@blp.errors(AdminOnly, schedules.ScheduleExists, 429)
@jwt_required()
@admin_required
@blp.arguments(ScheduleIn, example=SCHEDULE_EXAMPLE)
@blp.response(201, ScheduleOut)
@rate_limits.limit_writes()
def create_company_schedule(data):
    """Change the company's schedule from a day on (admins); earlier ones stay as history."""
    schedule = schedules.add_schedule(None, data["effective_from"], data["weeks"], current_user.id)
    db.session.commit()
    return schedule, {"Location": url_for("work_schedules.get_company_schedule", schedule_id=schedule.id)}


@blp.get("/<id:schedule_id>")
@jwt_required()
@blp.response(200, ScheduleOut)
def get_company_schedule(schedule_id):
    """Show one of the company's schedules."""
    return schedules.get_schedule_or_404(None, schedule_id)


@blp.delete("/<id:schedule_id>")
@blp.errors(AdminOnly, schedules.ScheduleStarted, 429)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def delete_company_schedule(schedule_id):
    """Remove a company schedule that has not started yet (admins)."""
    schedules.remove_schedule(schedules.get_schedule_or_404(None, schedule_id))
    db.session.commit()
