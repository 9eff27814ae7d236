"""A calendar feed as iCalendar (RFC 5545): CRLF line endings, lines folded at 75 octets, all-day events with
an exclusive DTEND, half days as timed events in the company's time zone with its VTIMEZONE (written by the
``icalendar`` package from the zone's rules).

The events are written here, line by line: building them as ``icalendar`` objects cost 325 µs an event,
5.2 s for a 2,000-person company's feed; these lines cost 18 µs (bench/RESULTS.md, issue 16). What they
need of RFC 5545 is small and kept here: TEXT escaping (§3.3.11), the DATE and UTC DATE-TIME forms
(§3.3.4, §3.3.5) and folding (§3.1). tests/test_calendar_feeds.py reads every feed with two parsers.

Each event's UID is stable for its feed (an HMAC of the feed and the entry, so it names no record); for
who sees the entry in full its SEQUENCE is the entry's revision and LAST-MODIFIED its last change (a
colleague's tells only whether it was cancelled). Every timestamp comes from the data, never from the
clock, so the same data renders the same bytes.
"""

import hashlib
import hmac
from datetime import UTC, time, timedelta

import icalendar

PRODID = "-//PTO Tracker API//Who's out//EN"
UID_DOMAIN = "pto-tracker"
# Where half days fall on a timed calendar: the morning ends, and the afternoon starts, at 13:00.
HALF_DAYS = {"morning": (time(9), time(13)), "afternoon": (time(13), time(17))}
STATUSES = {"approved": "CONFIRMED", "pending": "TENTATIVE", "cancelled": "CANCELLED"}
SCOPE_NAMES = {"me": "My time off", "team": "My team's time off", "company": "Who's out"}
FOLD_AT = 75  # octets a line holds, its line break not counted
# TEXT may hold no control character but a tab (§3.3.11): line breaks are escaped, the others dropped.
_TEXT_ESCAPES = str.maketrans(
    {
        **{code: None for code in (*range(0x20), 0x7F) if code not in (0x09, 0x0A)},
        "\\": "\\\\",
        ";": "\\;",
        ",": "\\,",
        "\n": "\\n",
    }
)


def render(fetch, entries, holidays, time_zone, secret):
    """The feed's iCalendar bytes: ``entries`` (``whos_out.entries_out`` rows) as events, and ``holidays``
    ({day: [holiday, ...]}) as all-day events. ``secret`` keys the events' UIDs."""
    uid = _uids(fetch, secret)
    vtimezone, zone = None, None
    if any(entry.part and entry.first == entry.last for entry in entries):
        vtimezone = icalendar.Timezone.from_tzinfo(
            time_zone, first_date=fetch.first, last_date=fetch.last + timedelta(days=1)
        )
        zone = str(vtimezone["TZID"])  # icalendar names UTC's aliases (Etc/UTC, GMT…) "UTC"
        if zone == "UTC":
            vtimezone = zone = None  # UTC times need no VTIMEZONE: they end in Z
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold(f"X-WR-CALNAME:{text(fetch.name or SCOPE_NAMES[fetch.scope])}"),
        f"X-WR-TIMEZONE:{time_zone.key}",
        # Apps that read these poll no more often than hourly (Google decides for itself).
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    if vtimezone is not None:
        lines.append(vtimezone.to_ical().decode().rstrip("\r\n"))
    lines += [_entry_event(uid, entry, zone) for entry in entries]
    lines += [
        _holiday_event(uid, fetch, day, holiday)
        for day, found in sorted(holidays.items())
        for holiday in found
    ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def _entry_event(uid, entry, zone):
    lines = ["BEGIN:VEVENT", f"UID:{uid('entry', entry.entry_id)}"]
    if entry.in_full:
        stamp = timestamp(entry.updated_at)
        lines += [f"DTSTAMP:{stamp}", f"LAST-MODIFIED:{stamp}", f"SEQUENCE:{entry.revision}"]
    else:
        # A colleague's entry says nothing of its history (how long it waited, how often it changed): it
        # is out, then perhaps cancelled.
        cancelled = int(entry.status == "cancelled")
        lines += [f"DTSTAMP:{entry.first:%Y%m%d}T000000Z", f"SEQUENCE:{cancelled}"]
    lines += [f"STATUS:{STATUSES[entry.status]}", "TRANSP:TRANSPARENT"]  # others' absences leave you free
    if entry.part and entry.first == entry.last:
        start, end = HALF_DAYS[entry.part]
        lines += [_moment("DTSTART", entry.first, start, zone), _moment("DTEND", entry.first, end, zone)]
    else:
        # All day: DTEND is the day after the last (exclusive).
        after = entry.last + timedelta(days=1)
        lines += [f"DTSTART;VALUE=DATE:{entry.first:%Y%m%d}", f"DTEND;VALUE=DATE:{after:%Y%m%d}"]
    if entry.in_full:
        pending = " (pending)" if entry.status == "pending" else ""
        lines.append(fold(f"SUMMARY:{text(f'{entry.name}: {entry.type}{pending}')}"))
        details = [f"{entry.hours:.2f} hours" if entry.hours is not None else None, entry.note]
        lines.append(fold(f"DESCRIPTION:{text(chr(10).join(d for d in details if d))}"))
    else:
        lines.append(fold(f"SUMMARY:{text(f'{entry.name}: out')}"))
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def _holiday_event(uid, fetch, day, holiday):
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid('holiday-' + str(holiday['calendar_id']), day.isoformat())}",
        f"DTSTAMP:{timestamp(fetch.changed_at)}",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        "TRANSP:TRANSPARENT",
        fold("SUMMARY:" + text(f"{holiday['name']} ({holiday['calendar']})")),
    ]
    if holiday["hours"]:
        lines.append(f"DESCRIPTION:{holiday['hours']:.2f} hours may be worked")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


def _moment(name, day, at, zone):
    """A DATE-TIME property: local time with its TZID, or UTC (``Z``) when the company keeps UTC."""
    if zone is None:
        return f"{name}:{day:%Y%m%d}T{at:%H%M%S}Z"
    return f"{name};TZID={zone}:{day:%Y%m%d}T{at:%H%M%S}"


def timestamp(moment):
    """A UTC DATE-TIME (§3.3.5, form 2)."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def text(value):
    """A TEXT value (§3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return value.translate(_TEXT_ESCAPES)


def fold(line):
    """A content line folded at 75 octets (§3.1): each continuation starts with a space, and no UTF-8
    character is split."""
    if len(line) * 4 <= FOLD_AT or len(line.encode()) <= FOLD_AT:
        return line
    parts, current, size = [], [], 0
    for character in line:
        width = len(character.encode())
        if size + width > (FOLD_AT if not parts else FOLD_AT - 1):
            parts.append("".join(current))
            current, size = [], 0
        current.append(character)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _uids(fetch, secret):
    """``uid(kind, key)``: an event's UID for this feed, an HMAC under the server's ``secret``, so that
    nobody can tell from it which record it is (not even by trying ids)."""
    key = secret.encode()

    def uid(kind, record):
        digest = hmac.new(key, f"{fetch.feed_id}:{kind}:{record}".encode(), hashlib.sha256).hexdigest()
        return f"{digest[:32]}@{UID_DOMAIN}"

    return uid
