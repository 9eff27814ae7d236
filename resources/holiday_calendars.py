"""/holiday-calendars: public holidays by country and subdivision, the company's own days, per office."""

from flask import url_for
from flask_jwt_extended import current_user, jwt_required

from domain import holiday_calendars
from domain.permissions import AdminOnly
from models import db
from schemas.fields import PageArgs
from schemas.schedules import (
    CalendarDayIn,
    CalendarDayOut,
    CalendarIn,
    CalendarOut,
    CalendarPatchIn,
    HolidayOut,
    HolidayRangeArgs,
)
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate
from web.tokens import admin_required

blp = Blueprint(
    "holiday_calendars",
    __name__,
    url_prefix="/holiday-calendars",
    description="Holiday calendars: a country's public holidays and the company's own days",
)


@blp.get("")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, CalendarOut(many=True), headers=PAGE_HEADERS)
def list_holiday_calendars(args):
    """List the holiday calendars, the default first."""
    return paginate(holiday_calendars.select_calendars(), args)


@blp.post("")
@blp.errors(AdminOnly, holiday_calendars.UnknownCountry, holiday_calendars.CalendarNameTaken, 429)
@jwt_required()
@admin_required
@blp.arguments(CalendarIn, example={"name": "California office", "country": "US", "subdivision": "CA"})
@blp.response(201, CalendarOut)
@rate_limits.limit_writes()
def create_holiday_calendar(data):
    """Add a holiday calendar (admins)."""
    calendar = holiday_calendars.add_calendar(data, current_user.id)
    db.session.commit()
    return calendar, {"Location": url_for("holiday_calendars.get_holiday_calendar", calendar_id=calendar.id)}


@blp.get("/<id:calendar_id>")
@jwt_required()
@blp.response(200, CalendarOut)
def get_holiday_calendar(calendar_id):
    """Show one holiday calendar."""
    return holiday_calendars.get_calendar_or_404(calendar_id)


@blp.patch("/<id:calendar_id>")
@blp.errors(AdminOnly, holiday_calendars.UnknownCountry, holiday_calendars.CalendarNameTaken, 429)
@jwt_required()
@admin_required
@blp.arguments(CalendarPatchIn, required=False, example={"country": "US", "subdivision": "NY"})
@blp.response(200, CalendarOut)
@rate_limits.limit_writes()
def update_holiday_calendar(data, calendar_id):
    """Rename a calendar, make it the default, or change its country (admins); booked days from today on
    that become holidays give their hours back."""
    calendar = holiday_calendars.get_calendar_or_404(calendar_id, locked=True)
    holiday_calendars.change_calendar(calendar, data, current_user.id)
    db.session.commit()
    return calendar


@blp.get("/<id:calendar_id>/holidays")
@blp.errors(holiday_calendars.RangeTooLong)
@jwt_required()
@blp.arguments(HolidayRangeArgs, location="query")
@blp.response(200, HolidayOut(many=True))
def list_holidays(args, calendar_id):
    """List the calendar's holidays in a range (default: this year): public ones and the company's own."""
    calendar = holiday_calendars.get_calendar_or_404(calendar_id)
    return holiday_calendars.listed_holidays(calendar, args.get("from_"), args.get("to"))


@blp.get("/<id:calendar_id>/days")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, CalendarDayOut(many=True), headers=PAGE_HEADERS)
def list_calendar_days(args, calendar_id):
    """List the company's own days in a calendar (closures, partial days, holidays it works), by date."""
    calendar = holiday_calendars.get_calendar_or_404(calendar_id)
    return paginate(holiday_calendars.select_days(calendar.id), args)


@blp.put("/<id:calendar_id>/days/<date:day>")
@blp.errors(AdminOnly, 429)
@jwt_required()
@admin_required
@blp.arguments(CalendarDayIn, example={"kind": "partial", "name": "Christmas Eve", "hours": 4})
@blp.response(200, CalendarDayOut)
@rate_limits.limit_writes()
def set_calendar_day(data, calendar_id, day):
    """Set the company's own day on a date (admins): time off booked on it that now holds less gives hours
    back, each with a ledger line naming the day."""
    calendar = holiday_calendars.get_calendar_or_404(calendar_id, locked=True)
    own = holiday_calendars.set_day(
        calendar, day, data["kind"], data["name"], data.get("hours"), current_user.id
    )
    db.session.commit()
    return own


@blp.delete("/<id:calendar_id>/days/<date:day>")
@blp.errors(AdminOnly, holiday_calendars.DayNotSet, 429)
@jwt_required()
@admin_required
@blp.response(204)
@rate_limits.limit_writes()
def delete_calendar_day(calendar_id, day):
    """Remove the company's own day on a date (admins); booked time off keeps its hours."""
    calendar = holiday_calendars.get_calendar_or_404(calendar_id, locked=True)
    holiday_calendars.remove_day(calendar, day)
    db.session.commit()
