"""A calendar feed as iCalendar (RFC 5545), written with the ``icalendar`` package: CRLF line endings, lines
folded at 75 octets, all-day events with an exclusive DTEND, half days as timed events in the company's
time zone (with its VTIMEZONE).

Each event's UID is stable for its feed (a hash of the feed and the entry, so it names no record), its
SEQUENCE is the entry's revision and LAST-MODIFIED its last change: an app replaces what changed. Every
timestamp comes from the data, never from the clock, so the same data renders the same bytes.
"""

import hashlib
from datetime import datetime, time, timedelta

import icalendar

PRODID = "-//PTO Tracker API//Who's out//EN"
UID_DOMAIN = "pto-tracker"
# Where half days fall on a timed calendar: the morning ends, and the afternoon starts, at 13:00.
HALF_DAYS = {"morning": (time(9), time(13)), "afternoon": (time(13), time(17))}
STATUSES = {"approved": "CONFIRMED", "pending": "TENTATIVE", "cancelled": "CANCELLED"}
SCOPE_NAMES = {"me": "My time off", "team": "My team's time off", "company": "Who's out"}


def render(fetch, entries, holidays, time_zone):
    """The feed's iCalendar bytes: ``entries`` (``whos_out.entries_out`` rows) as events, and ``holidays``
    ({day: [holiday, ...]}) as all-day events."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", fetch.name or SCOPE_NAMES[fetch.scope])
    calendar.add("x-wr-timezone", time_zone.key)
    # Apps that read it poll no more often than hourly (Google decides for itself).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for entry in entries:
        calendar.add_component(_entry_event(fetch, entry, time_zone))
    for day, found in sorted(holidays.items()):
        for holiday in found:
            calendar.add_component(_holiday_event(fetch, day, holiday))
    calendar.add_missing_timezones(first_date=fetch.first, last_date=fetch.last + timedelta(days=1))
    return calendar.to_ical()


def _entry_event(fetch, entry, time_zone):
    event = icalendar.Event()
    event.add("uid", _uid(fetch, "entry", entry.entry_id))
    event.add("dtstamp", entry.updated_at)
    event.add("last-modified", entry.updated_at)
    event.add("sequence", entry.revision)
    event.add("status", STATUSES[entry.status])
    event.add("transp", "TRANSPARENT")  # someone else's absence leaves the subscriber free
    if entry.part and entry.first == entry.last:
        start, end = HALF_DAYS[entry.part]
        event.add("dtstart", datetime.combine(entry.first, start, time_zone))
        event.add("dtend", datetime.combine(entry.first, end, time_zone))
    else:
        event.add("dtstart", entry.first)
        event.add("dtend", entry.last + timedelta(days=1))  # exclusive: the day after the last
    if entry.in_full:
        pending = " (pending)" if entry.status == "pending" else ""
        event.add("summary", f"{entry.name}: {entry.type}{pending}")
        details = [f"{entry.hours:.2f} hours" if entry.hours is not None else None, entry.note]
        event.add("description", "\n".join(detail for detail in details if detail))
    else:
        event.add("summary", f"{entry.name}: out")
    return event


def _holiday_event(fetch, day, holiday):
    event = icalendar.Event()
    event.add("uid", _uid(fetch, f"holiday-{holiday['calendar_id']}", day.isoformat()))
    event.add("dtstamp", fetch.changed_at)
    event.add("summary", f"{holiday['name']} ({holiday['calendar']})")
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    if holiday["hours"]:
        event.add("description", f"{holiday['hours']:.2f} hours may be worked")
    return event


def _uid(fetch, kind, key):
    digest = hashlib.sha256(f"{fetch.feed_id}:{kind}:{key}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"
