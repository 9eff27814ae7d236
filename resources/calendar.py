"""/calendar: who is out on each day of a range, within what the caller may see, and the holidays."""

from flask_jwt_extended import current_user, jwt_required

from domain import whos_out
from schemas.calendar import CalendarQuery, WhosOutDayOut
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate

blp = Blueprint("calendar", __name__, url_prefix="/calendar", description="Who's out: the team calendar")


@blp.get("")
@jwt_required()
@blp.arguments(CalendarQuery, location="query")
@blp.response(200, WhosOutDayOut(many=True), headers=PAGE_HEADERS)
def get_calendar(args):
    """Each day from `from` to `to` with who is out and the holidays; paged by the employees out."""
    first, last = whos_out.date_range(args)
    statement, params = whos_out.select_people_out(current_user, args, first, last)
    people, headers = paginate(statement, args, params)
    return whos_out.days_out(current_user, args, first, last, people), headers
