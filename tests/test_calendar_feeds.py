"""Calendar feeds: who's out as iCal subscriptions at secret URLs, read by two independent parsers.

Every feed is parsed with ``icalendar`` and with ``ics`` (PyPI), and its events are checked against what the
API itself says (GET /calendar, GET /pto/<id>).
"""

import hashlib
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import ics
import pytest
import sqlalchemy as sa

from app import create_app
from helpers import (
    app_settings,
    create_employee,
    decide,
    dispose,
    hire,
    register_and_login,
    request_pto,
    text_of,
    with_engine,
)
from tests.helpers import company_today

LOS_ANGELES = "America/Los_Angeles"


def make_feed(client, who, status=201, **fields):
    response = client.post("/calendar-feeds", json={"scope": "company", **fields}, headers=who)
    assert response.status_code == status, text_of(response)
    return response.json


def path_of(feed):
    return feed["url"].removeprefix("http://localhost")


def fetch(client, feed, status=200, **headers):
    response = client.get(path_of(feed), headers=headers)
    assert response.status_code == status, text_of(response)
    return response


def events(response):
    """{summary: (icalendar event, ics event)} of a feed, parsed by both parsers, which must agree."""
    text = response.data.decode()
    by_icalendar = {str(e["uid"]): e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}
    by_ics = {e.uid: e for e in ics.Calendar(text).events}
    assert by_icalendar.keys() == by_ics.keys()
    return {str(e["summary"]): (e, by_ics[uid]) for uid, e in by_icalendar.items()}


def day(offset):
    return company_today() + timedelta(days=offset)


def next_monday(weeks=1):
    today = company_today()
    return today + timedelta(days=7 * weeks - today.weekday())


@pytest.fixture
def la_client(database_url):
    """A client of an app whose company works in Los Angeles (COMPANY_TIMEZONE)."""
    app = create_app(app_settings(database_url, COMPANY_TIMEZONE=LOS_ANGELES))
    yield app.test_client()
    dispose(app)


def test_a_feed_is_made_shown_once_listed_and_revoked(client, admin, manager):
    feed = make_feed(client, manager.headers, scope="team", name="Mulder's team")

    assert feed["url"].startswith("http://localhost/calendar-feeds/") and feed["url"].endswith(".ics")
    shown = client.get(f"/calendar-feeds/{feed['id']}", headers=manager.headers).json
    assert "url" not in shown and shown["name"] == "Mulder's team" and shown["scope"] == "team"
    assert [f["id"] for f in client.get("/calendar-feeds", headers=manager.headers).json] == [feed["id"]]
    assert [f["id"] for f in client.get("/calendar-feeds", headers=admin).json] == [feed["id"]]
    stranger = register_and_login(client, "stranger")
    assert client.get("/calendar-feeds", headers=stranger).json == []
    assert client.delete(f"/calendar-feeds/{feed['id']}", headers=stranger).status_code == 404
    fetch(client, feed)

    assert client.delete(f"/calendar-feeds/{feed['id']}", headers=manager.headers).status_code == 204

    gone = fetch(client, feed, status=404)
    unknown = client.get("/calendar-feeds/" + "x" * 43 + ".ics")
    assert (gone.status_code, gone.json["message"]) == (unknown.status_code, unknown.json["message"])


def test_only_a_hash_of_the_256_bit_token_is_kept(client, admin, database_url):
    feed = make_feed(client, admin)
    token = path_of(feed).removeprefix("/calendar-feeds/").removesuffix(".ics")

    rows = with_engine(database_url, lambda c: c.execute(sa.text("SELECT * FROM calendar_feeds")).all())

    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in str(value) for value in rows[0])


def test_a_feed_needs_no_bearer_token_and_ignores_one(client, admin):
    feed = make_feed(client, admin)

    assert fetch(client, feed).mimetype == "text/calendar"
    assert fetch(client, feed, Authorization="Bearer not-a-token").mimetype == "text/calendar"


def test_me_and_team_feeds_need_an_account_linked_to_an_employee(client, admin):
    refused = make_feed(client, admin, status=422, scope="me")

    assert "scope" in refused["errors"]
    make_feed(client, admin, scope="company")


def test_events_match_the_api_in_both_parsers(la_client):
    client = la_client
    admin = register_and_login(client, "admin")
    dana = create_employee(client, admin, "Dana", 200)
    monday = next_monday()
    week = request_pto(
        client, admin, dana["id"], None, start_date=monday.isoformat(),
        end_date=(monday + timedelta(days=4)).isoformat(), note="Lake, no phone",
    )  # fmt: skip
    half = request_pto(
        client,
        admin,
        dana["id"],
        None,
        start_date=(monday + timedelta(days=7)).isoformat(),
        end_part="morning",
    )
    closure = {"kind": "closure", "name": "Flood"}
    client.put(f"/holiday-calendars/1/days/{monday + timedelta(days=14)}", json=closure, headers=admin)

    response = fetch(client, make_feed(client, admin))

    summaries = sorted(str(ical["summary"]) for ical, parsed in found_values(response))
    assert summaries == ["Dana: vacation", "Dana: vacation", "Flood (Company)"]
    by_uid = {str(ical["dtstart"].dt): (ical, parsed) for ical, parsed in found_values(response)}
    whole, whole_parsed = by_uid[monday.isoformat()]
    assert (whole["dtstart"].dt, whole["dtend"].dt) == (monday, monday + timedelta(days=5))  # exclusive end
    assert whole_parsed.all_day and whole_parsed.end.date() == monday + timedelta(days=5)
    assert str(whole["description"]) == f"{week['hours']:.2f} hours\nLake, no phone"
    assert (str(whole["status"]), whole["sequence"]) == ("CONFIRMED", 0)
    morning, morning_parsed = next((i, p) for i, p in found_values(response) if not p.all_day)
    la = ZoneInfo(LOS_ANGELES)
    assert morning["dtstart"].dt == datetime.combine(
        monday + timedelta(days=7), datetime.min.time(), la
    ).replace(hour=9)
    assert morning["dtstart"].params["TZID"] == LOS_ANGELES
    assert morning_parsed.begin.hour == 9 and morning_parsed.duration == timedelta(hours=4)
    assert str(morning["description"]).startswith(f"{half['hours']:.2f} hours")
    timezones = icalendar.Calendar.from_ical(response.data).walk("VTIMEZONE")
    assert [str(tz["tzid"]) for tz in timezones] == [LOS_ANGELES]
    flood = next(i for i, _p in found_values(response) if str(i["summary"]) == "Flood (Company)")
    assert flood["dtstart"].dt == monday + timedelta(days=14)
    # RFC 5545's form: CRLF line endings, lines folded at 75 octets.
    lines = response.data.split(b"\r\n")
    assert response.data.endswith(b"\r\n") and all(b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)


def found_values(response):
    text = response.data.decode()
    by_ics = {e.uid: e for e in ics.Calendar(text).events}
    return [(e, by_ics[str(e["uid"])]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")]


def test_long_notes_fold_and_unfold_whole(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    note = "A note long enough to fold: " + "mountains and lakes, " * 10 + "ünïcödé too."
    monday = next_monday()
    request_pto(client, admin, dana["id"], None, start_date=monday.isoformat(), note=note.strip())

    response = fetch(client, make_feed(client, admin))

    (ical, parsed), *_ = found_values(response)
    assert str(ical["description"]).endswith(note.strip())
    assert parsed.description.endswith(note.strip())
    assert all(len(line) <= 75 for line in response.data.split(b"\r\n"))


def test_a_change_raises_the_sequence_and_a_cancellation_stays_as_cancelled(client, admin, manager, report):
    monday = next_monday()
    entry = request_pto(client, report.headers, report.employee_id, None, start_date=monday.isoformat())
    feed = make_feed(client, manager.headers, scope="team", include_pending=True)
    (pending, _), *_ = found_values(fetch(client, feed))
    assert (str(pending["status"]), pending["sequence"], str(pending["summary"])) == (
        "TENTATIVE", 0, "Scully: vacation (pending)",
    )  # fmt: skip

    assert decide(client, manager.headers, entry["id"], "approve").status_code == 200
    (approved, _), *_ = found_values(fetch(client, feed))
    assert decide(client, manager.headers, entry["id"], "cancel").status_code == 200
    (cancelled, parsed), *_ = found_values(fetch(client, feed))

    assert str(approved["uid"]) == str(pending["uid"]) == str(cancelled["uid"])
    assert [(str(e["status"]), e["sequence"]) for e in (approved, cancelled)] == [
        ("CONFIRMED", 1), ("CANCELLED", 2),
    ]  # fmt: skip
    assert pending["last-modified"].dt <= approved["last-modified"].dt <= cancelled["last-modified"].dt
    assert parsed.status == "CANCELLED"


def test_polls_get_304_until_something_changes(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    feed = make_feed(client, admin)
    first = fetch(client, feed)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    unchanged = fetch(client, feed, status=304, **{"If-None-Match": etag})
    assert unchanged.data == b"" and unchanged.headers["ETag"] == etag
    fetch(client, feed, status=304, **{"If-Modified-Since": modified})

    request_pto(client, admin, dana["id"], None, start_date=next_monday().isoformat())

    changed = fetch(client, feed, **{"If-None-Match": etag})
    assert changed.headers["ETag"] != etag and "Dana: vacation" in events(changed)


def test_a_feed_shows_what_its_owner_may_see_when_it_is_fetched(client, admin):
    boss = create_employee(client, admin, "Boss", 80)
    other_boss = create_employee(client, admin, "Other Boss", 80)
    ann = hire(client, admin, "ann", hours_balance=80, manager=boss["id"])
    bob = create_employee(client, admin, "Bob", 80, manager_id=boss["id"])
    monday = next_monday()
    request_pto(client, admin, bob["id"], None, start_date=monday.isoformat(), type="sick", note="Flu")
    request_pto(client, admin, ann.employee_id, None, start_date=monday.isoformat(), note="Trip")
    feed = make_feed(client, ann.headers, scope="team")

    seen = {summary: ical for summary, (ical, _parsed) in events(fetch(client, feed)).items()}
    assert set(seen) == {"Ann: vacation", "Bob: out"}  # sick leave is private: no type, no note
    assert "description" not in seen["Bob: out"]

    client.patch(f"/employees/{ann.employee_id}", json={"manager_id": other_boss["id"]}, headers=admin)
    assert set(events(fetch(client, feed))) == {"Ann: vacation"}

    client.patch(f"/users/{ann.user_id}", json={"is_active": False}, headers=admin)
    fetch(client, feed, status=404)


def test_fetches_are_rate_limited_per_feed(database_url):
    app = create_app(app_settings(database_url, RATELIMIT_FEEDS="2 per hour"))
    client = app.test_client()
    try:
        admin = register_and_login(client, "admin")
        first, second = make_feed(client, admin), make_feed(client, admin)
        fetch(client, first)
        fetch(client, first)

        limited = fetch(client, first, status=429)

        assert int(limited.headers["Retry-After"]) > 0
        assert "calendar feed" in limited.json["message"]
        fetch(client, second)
        unknown = "/calendar-feeds/" + "u" * 43 + ".ics"
        assert [client.get(unknown).status_code for _ in range(3)] == [404, 404, 429]
    finally:
        dispose(app)


def test_the_feed_window_runs_from_90_days_back_to_a_year_ahead(client, admin):
    dana = create_employee(client, admin, "Dana", 400)
    weekdays = {offset: weekday(day(offset)) for offset in (-120, -60, 300, 400)}
    for start in weekdays.values():
        request_pto(client, admin, dana["id"], 1, start_date=start.isoformat())

    starts = sorted(ical["dtstart"].dt for ical, _ in found_values(fetch(client, make_feed(client, admin))))

    assert starts == [weekdays[-60], weekdays[300]]


def weekday(day):
    """``day``, or the Monday after it if it falls on a weekend."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def test_logs_never_hold_a_feed_s_token(client, admin, caplog):
    feed = make_feed(client, admin)
    token = path_of(feed).removeprefix("/calendar-feeds/").removesuffix(".ics")

    fetch(client, feed)

    assert caplog.records and all(
        token not in record.getMessage() + str(record.__dict__) for record in caplog.records
    )


def test_a_company_on_utc_by_another_name_writes_utc_times(database_url):
    app = create_app(app_settings(database_url, COMPANY_TIMEZONE="Etc/UTC"))
    client = app.test_client()
    try:
        admin = register_and_login(client, "admin")
        dana = create_employee(client, admin, "Dana", 80)
        monday = next_monday()
        request_pto(client, admin, dana["id"], None, start_date=monday.isoformat(), end_part="morning")

        response = fetch(client, make_feed(client, admin))

        ((ical, parsed),) = found_values(response)
        assert b"TZID" not in response.data and b"VTIMEZONE" not in response.data
        assert ical["dtstart"].dt == datetime.combine(monday, datetime.min.time(), ZoneInfo("UTC")).replace(
            hour=9
        )
        assert parsed.begin.hour == 9 and parsed.begin.utcoffset() == timedelta(0)
    finally:
        dispose(app)


def test_a_poll_by_date_sees_a_removed_holiday_and_a_demoted_owner(client, admin):
    closure = {"kind": "closure", "name": "Flood"}
    client.put(f"/holiday-calendars/1/days/{next_monday()}", json=closure, headers=admin)
    create_employee(client, admin, "Dana", 80)  # the calendar is in use
    hr = hire(client, admin, "hrlead", role="admin")
    feed = make_feed(client, hr.headers)
    since = fetch(client, feed).headers["Last-Modified"]
    fetch(client, feed, status=304, **{"If-Modified-Since": since})
    time.sleep(1.05)  # HTTP dates count whole seconds: a change within the same second is the ETag's to see

    assert client.delete(f"/holiday-calendars/1/days/{next_monday()}", headers=admin).status_code == 204
    after_removal = fetch(client, feed, **{"If-Modified-Since": since})
    assert "Flood (Company)" not in events(after_removal)

    since = after_removal.headers["Last-Modified"]
    time.sleep(1.05)
    client.patch(f"/users/{hr.user_id}", json={"role": "employee"}, headers=admin)
    assert fetch(client, feed, **{"If-Modified-Since": since}).status_code == 200


def test_names_and_notes_fold_and_lose_control_characters(client, admin):
    dana = create_employee(client, admin, "Dana", 80)
    request_pto(
        client, admin, dana["id"], None, start_date=next_monday().isoformat(), note="Page\x0cbreak\tand tab"
    )
    feed = make_feed(client, admin, name="Everyone who is out this year at every office we have " * 2)

    response = fetch(client, feed)

    assert all(len(line) <= 75 for line in response.data.split(b"\r\n"))
    ((ical, parsed),) = found_values(response)
    assert str(ical["description"]).endswith("Pagebreak\tand tab") and parsed.description.endswith(
        "break\tand tab"
    )
    name = icalendar.Calendar.from_ical(response.data)["x-wr-calname"]
    assert str(name) == feed["name"]


def test_a_colleague_s_event_tells_nothing_of_its_history(client, admin):
    boss = create_employee(client, admin, "Boss", 80)
    ann = hire(client, admin, "ann", hours_balance=80, manager=boss["id"])
    bob = hire(client, admin, "bob", hours_balance=80, manager=boss["id"])
    entry = request_pto(client, bob.headers, bob.employee_id, None, start_date=next_monday().isoformat())
    assert decide(client, admin, entry["id"], "approve").status_code == 200

    ((ical, _parsed),) = found_values(fetch(client, make_feed(client, ann.headers, scope="team")))

    assert (str(ical["summary"]), ical["sequence"], "last-modified" in ical) == ("Bob: out", 0, False)
    for guess in range(1, 50):  # the UID is keyed by the server's secret: ids cannot be tried against it
        assert hashlib.sha256(f"1:entry:{guess}".encode()).hexdigest()[:32] not in str(ical["uid"])


def test_a_weak_etag_from_a_proxy_still_gets_304(client, admin):
    feed = make_feed(client, admin)
    etag = fetch(client, feed).headers["ETag"]

    fetch(client, feed, status=304, **{"If-None-Match": f"W/{etag}"})
