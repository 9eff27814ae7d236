"""Calendar feeds: who's out, as iCal subscriptions a calendar app polls at a secret URL, without a token.

A feed belongs to the user who made it and shows what that user may see when the app fetches it (GET
/calendar's rules, at that moment): "me" their own time off, "team" their team (a manager's reports, or an
employee's colleagues who share their manager), "company" everyone they may see. Its URL holds a random
token of 256 bits; only its SHA-256 is kept, so the database cannot give a token away. A revoked feed, an
unknown token and a deactivated owner's feed all answer the same 404.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from werkzeug.exceptions import NotFound

from database import execute
from domain import whos_out
from errors import InvalidField
from models import (
    ActsByRole,
    CalendarFeed,
    Employee,
    HolidayCalendar,
    HolidayCalendarDay,
    PtoEntry,
    User,
    company_midnight,
    db,
    today,
)

TOKEN_BYTES = 32
# What a feed holds: from 90 days back to a year ahead, and entries cancelled in the last 30 days (as
# cancelled), so that subscribers drop them.
DAYS_BACK = timedelta(days=90)
DAYS_AHEAD = timedelta(days=365)
CANCELLED_SHOWN = timedelta(days=30)


class ScopeNeedsEmployee(InvalidField):
    description = 'A "me" or "team" feed needs an account linked to an employee.'


def add_feed(user, data):
    """A new feed of ``user``'s, and its token (shown once: only its hash is kept)."""
    if data["scope"] != "company" and user.employee_id is None:
        raise ScopeNeedsEmployee(
            "scope", f'Your account is linked to no employee: a "{data["scope"]}" feed would show nothing.'
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(user_id=user.id, token_hash=token_hash(token), **data)
    db.session.add(feed)
    db.session.flush()
    return feed, token


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def select_feeds(user):
    """The statement listing the feeds ``user`` may see and revoke: their own; an admin's, everyone's."""
    statement = select(CalendarFeed).order_by(CalendarFeed.id)
    return statement if user.is_admin else statement.where(CalendarFeed.user_id == user.id)


def get_feed_or_404(user, feed_id):
    """A feed ``user`` owns (any, for an admin), or 404."""
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or not (user.is_admin or feed.user_id == user.id):
        raise NotFound("No calendar feed with that id.")
    return feed


def revoke_feed(feed):
    """Revoke a feed: its URL answers 404 from now on, like one that never existed."""
    db.session.delete(feed)


@dataclass(frozen=True)
class Fetch:
    """A feed being fetched: the feed, its owner as they are now, the window, and the latest change that
    could alter what it shows (``changed_at``, ``version``: what its ETag and Last-Modified tell)."""

    feed_id: int
    name: str | None
    scope: str
    include_pending: bool
    owner: object
    first: object
    last: object
    changed_at: datetime
    version: str


@dataclass(frozen=True)
class Owner(ActsByRole):
    """A feed's owner as the visibility rules read a user."""

    id: int
    role: str
    employee_id: int | None
    employee_archived: bool
    manager_id: int | None


def fetch(token):
    """The feed ``token`` opens, with what decides its content; 404 for an unknown or revoked token and
    for a deactivated owner. One statement: a calendar app's poll that finds nothing new costs no more.

    The version changes whenever anything the feed may show could have: an entry or an employee changed
    anywhere (the latest ``updated_at`` of each, one index probe), a holiday calendar or its days, the
    owner's powers, or the day (the window moves): broader than the feed's own rows. (Changes are stamped
    when written, not when committed: the README's "Feeds" says what that leaves.)"""
    row = execute(_FETCH, {"token_hash": token_hash(token)}).first()
    if row is None:
        raise NotFound("No calendar feed at this address.")
    owner = Owner(row.user_id, row.role, row.employee_id, bool(row.employee_archived), row.manager_id)
    day = today()
    # The latest moment anything the feed shows may have changed; the day's start counts too: the window
    # and what "cancelled lately" means move with it.
    moments = [row.entries_at, row.employees_at, row.calendars_at, row.days_at, row.owner_at, row.created_at]
    changed_at = max([moment for moment in moments if moment] + [company_midnight(day)])
    facts = (row.id, row.scope, row.include_pending, owner, day, changed_at, row.days_count)
    version = hashlib.sha256(repr(facts).encode()).hexdigest()[:32]
    first, last = day - DAYS_BACK, day + DAYS_AHEAD
    return Fetch(row.id, row.name, row.scope, row.include_pending, owner, first, last, changed_at, version)


_OWNER_EMPLOYEE = select(Employee.__table__).subquery("owner_employee")
_FETCH = (
    select(
        CalendarFeed.id,
        CalendarFeed.name,
        CalendarFeed.scope,
        CalendarFeed.include_pending,
        CalendarFeed.created_at,
        User.id.label("user_id"),
        User.role,
        User.employee_id,
        User.updated_at.label("owner_at"),
        _OWNER_EMPLOYEE.c.archived_at.is_not(None).label("employee_archived"),
        _OWNER_EMPLOYEE.c.manager_id,
        select(func.max(PtoEntry.updated_at)).scalar_subquery().label("entries_at"),
        select(func.max(Employee.updated_at)).scalar_subquery().label("employees_at"),
        select(func.max(HolidayCalendar.updated_at)).scalar_subquery().label("calendars_at"),
        select(func.max(HolidayCalendarDay.created_at)).scalar_subquery().label("days_at"),
        select(func.count()).select_from(HolidayCalendarDay).scalar_subquery().label("days_count"),
    )
    .join(User, User.id == CalendarFeed.user_id)
    .outerjoin(_OWNER_EMPLOYEE, _OWNER_EMPLOYEE.c.id == User.employee_id)
    .where(CalendarFeed.token_hash == bindparam("token_hash"), User.is_active)
)


def feed_filters(fetch):
    """The GET /calendar filters a feed's scope stands for, for its owner."""
    filters = {"include_pending": fetch.include_pending}
    owner = fetch.owner
    if fetch.scope == "me":
        filters["employee_id"] = owner.employee_id
    elif fetch.scope == "team":
        # A manager's (or an admin's) team is their reports; an employee's, the colleagues who share
        # their manager.
        team_lead = owner.employee_id if owner.acting_role in ("manager", "admin") else owner.manager_id
        if team_lead is None:
            filters["employee_id"] = owner.employee_id
        else:
            filters["manager_id"] = team_lead
    return filters


def feed_content(fetch):
    """(entries, holidays) the feed shows now: ``whos_out.entries_out`` rows and {day: [holiday, ...]}."""
    filters = feed_filters(fetch)
    # From the start of a day, so that the feed stays the same all day for one version (its ETag).
    cancelled_since = company_midnight(today() - CANCELLED_SHOWN)
    entries = whos_out.entries_out(fetch.owner, filters, fetch.first, fetch.last, cancelled_since)
    holidays = whos_out.holidays_in_view(fetch.owner, filters, fetch.first, fetch.last)
    return entries, holidays
