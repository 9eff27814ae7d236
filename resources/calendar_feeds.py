"""/calendar-feeds: iCal subscriptions of who's out, each at a secret URL a calendar app polls."""

from flask import Response, current_app, request, url_for
from flask_jwt_extended import current_user, jwt_required

from database import commit_keeping_loaded_objects
from domain import calendar_feeds
from models import db
from schemas import ical
from schemas.calendar import CalendarFeedIn, CalendarFeedOut, NewCalendarFeedOut
from schemas.fields import PageArgs
from web import rate_limits
from web.api import Blueprint
from web.pagination import PAGE_HEADERS, paginate

blp = Blueprint(
    "calendar_feeds",
    __name__,
    url_prefix="/calendar-feeds",
    description="iCal feeds of who's out, for Google Calendar, Outlook and Apple Calendar",
)
VERSION_HEADERS = {
    "ETag": {
        "description": "The feed's version, for If-None-Match",
        "required": True,
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "When it may last have changed, for If-Modified-Since",
        "required": True,
        "schema": {"type": "string"},
    },
}
FEED_EXAMPLE = {"scope": "team", "include_pending": False, "name": "Design team: who's out"}


@blp.get("")
@jwt_required()
@blp.arguments(PageArgs, location="query")
@blp.response(200, CalendarFeedOut(many=True), headers=PAGE_HEADERS)
def list_calendar_feeds(args):
    """List your calendar feeds (an admin: everyone's); their URLs are shown only when made."""
    return paginate(calendar_feeds.select_feeds(current_user), args)


@blp.post("")
@blp.errors(calendar_feeds.ScopeNeedsEmployee, 429)
@jwt_required()
@blp.arguments(CalendarFeedIn, example=FEED_EXAMPLE)
@blp.response(201, NewCalendarFeedOut)
@rate_limits.limit_writes()
def create_calendar_feed(data):
    """Make a feed of who's out, as you may see it; its secret URL is in this answer only."""
    feed, token = calendar_feeds.add_feed(current_user, data)
    commit_keeping_loaded_objects()
    feed.url = url_for("calendar_feeds.fetch_calendar_feed", token=token, _external=True)
    return feed, {"Location": url_for("calendar_feeds.get_calendar_feed", feed_id=feed.id)}


@blp.get("/<id:feed_id>")
@jwt_required()
@blp.response(200, CalendarFeedOut)
def get_calendar_feed(feed_id):
    """Show one of your feeds (an admin: anyone's)."""
    return calendar_feeds.get_feed_or_404(current_user, feed_id)


@blp.delete("/<id:feed_id>")
@blp.errors(429)
@jwt_required()
@blp.response(204)
@rate_limits.limit_writes()
def revoke_calendar_feed(feed_id):
    """Revoke a feed: its URL answers 404 from now on."""
    calendar_feeds.revoke_feed(calendar_feeds.get_feed_or_404(current_user, feed_id))
    db.session.commit()


@blp.get("/<token>.ics")
@blp.doc(security=[])
@blp.errors(429)
@blp.response(
    200,
    {"type": "string", "example": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n…\r\nEND:VCALENDAR\r\n"},
    content_type="text/calendar",
    description="The feed, as iCalendar (RFC 5545)",
    headers=VERSION_HEADERS,
)
@blp.alt_response(304, description="Unchanged since the ETag or date the app sent", headers=VERSION_HEADERS)
@rate_limits.limit_feed_fetches()
def fetch_calendar_feed(token):
    """The feed at its secret URL, for calendar apps: no bearer token; ETag and Last-Modified for polls."""
    fetch = calendar_feeds.fetch(token)
    if _unchanged(fetch):
        response = Response(status=304)
    else:
        entries, holidays = calendar_feeds.feed_content(fetch)
        config = current_app.config
        body = ical.render(fetch, entries, holidays, config["COMPANY_TIMEZONE"], config["JWT_SECRET_KEY"])
        response = Response(body, mimetype="text/calendar")
    response.set_etag(fetch.version)
    response.last_modified = fetch.changed_at
    response.cache_control.private = response.cache_control.no_cache = True
    return response


def _unchanged(fetch):
    """Whether the app holds this version already: its If-None-Match, else its If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(fetch.version)  # a proxy that compressed it says W/
    since = request.if_modified_since
    return since is not None and fetch.changed_at.replace(microsecond=0) <= since
