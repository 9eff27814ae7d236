"""Who may do what: every route, method and caller, against a small company built through the API.

The company: Mia manages Eli; Ona reports to nobody. The user ``mia`` (role manager) is Mia,
``eli`` and ``ona`` (role employee) are Eli and Ona, ``nobody`` registered but was never linked
to an employee, and ``admin`` (the first user) is HR. Every employee starts with 100 hours and
has one pending and one approved 8-hour entry, so every route has a target (helpers.company).

Reading a row: what each caller gets for that request. What a caller may not see does not exist
for them (404, like an unknown id); what they see but may not change is a 403; admin-only routes
are a 403 for every non-admin whatever the id. Each case runs on its own copy of the company's
database, built once per database kind, so one caller's success never changes what another gets.
"""

import re
from collections import Counter

import pytest

from app import create_app
from helpers import (
    CLOSURE_DAY,
    DATABASES,
    DEFAULT_CALENDAR,
    FOUR_DAY_WEEK,
    PASSWORD,
    SavedDatabase,
    app_settings,
    bearer,
    build_company,
    create_employee,
    dispose,
    file_pto,
    register_and_login,
    tokens,
)

CALLERS = ("anonymous", "nobody", "eli", "mia", "admin")
UNKNOWN_ID = 99_999
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

VISIBLE_EMPLOYEES = {
    "Eli": (401, 404, 200, 200, 200),
    "Mia": (401, 404, 404, 200, 200),
    "Ona": (401, 404, 404, 404, 200),
    "unknown": (401, 404, 404, 404, 404),
}
VISIBLE_CALENDAR = {"calendar": (401, 200, 200, 200, 200), "unknown": (401, 404, 404, 404, 404)}
ADMIN_ON_CALENDAR = {"calendar": (401, 403, 403, 403, 200), "unknown": (401, 403, 403, 403, 404)}

# A row is the status each caller gets, in the order of CALLERS:
#     (anonymous, nobody, eli, mia, admin)
# Rows of routes with an id are keyed by target: an employee ("Eli"), an entry ("Eli's pending"),
# an account ("eli's account") or an id nobody has ("unknown").
MATRIX = {
    # ── Accounts and sessions: anyone registers and logs in; the rest is the caller's own session.
    ("POST", "/register"): (201, 201, 201, 201, 201),
    ("POST", "/login"): (200, 200, 200, 200, 200),
    ("POST", "/refresh"): (401, 200, 200, 200, 200),
    ("POST", "/logout"): (401, 200, 200, 200, 200),
    ("GET", "/me"): (401, 200, 200, 200, 200),
    ("POST", "/me/password"): (401, 200, 200, 200, 200),
    # ── Who's out: everyone reads the calendar; it shows only whom they may see (below).
    ("GET", "/calendar"): (401, 200, 200, 200, 200),
    # Feeds: everyone makes them ("company" shows what they may see); owners and admins see and revoke
    # them; the feed itself needs no token, only its secret address.
    ("GET", "/calendar-feeds"): (401, 200, 200, 200, 200),
    ("POST", "/calendar-feeds"): (401, 201, 201, 201, 201),
    ("GET", "/calendar-feeds/<feed_id>"): {
        "eli's feed": (401, 404, 200, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("DELETE", "/calendar-feeds/<feed_id>"): {
        "eli's feed": (401, 404, 204, 404, 204),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/calendar-feeds/<token>.ics"): {
        "eli's feed token": (200, 200, 200, 200, 200),
        "unknown token": (404, 404, 404, 404, 404),
    },
    # ── Health: open to load balancers.
    ("GET", "/health"): (200, 200, 200, 200, 200),
    # ── Users: admins only, whatever the id (so a 403 says nothing about whether the id exists).
    ("GET", "/users"): (401, 403, 403, 403, 200),
    ("GET", "/users/<user_id>"): {
        "eli's account": (401, 403, 403, 403, 200),
        "ona's account": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("PATCH", "/users/<user_id>"): {
        "eli's account": (401, 403, 403, 403, 200),
        "ona's account": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("POST", "/users/<user_id>/password"): {
        "eli's account": (401, 403, 403, 403, 200),
        "ona's account": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    # ── Employees: everyone reads what they see (lists show only that); only admins write.
    ("GET", "/employees"): (401, 200, 200, 200, 200),
    ("POST", "/employees"): (401, 403, 403, 403, 201),
    ("GET", "/employees/<employee_id>"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("PUT", "/employees/<employee_id>"): {
        "Eli": (401, 403, 403, 403, 200),
        "Mia": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("PATCH", "/employees/<employee_id>"): {
        "Eli": (401, 403, 403, 403, 200),
        "Mia": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("DELETE", "/employees/<employee_id>"): {
        "Eli": (401, 403, 403, 403, 204),
        "Mia": (401, 403, 403, 403, 204),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/employees/<employee_id>/ledger"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/employees/<employee_id>/balance"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/employees/<employee_id>/balances"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    # The type in the path is the default's, vacation (see test_permission_matrix).
    ("PUT", "/employees/<employee_id>/balances/<type_key>"): {
        "Eli": (401, 403, 403, 403, 200),
        "Mia": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    # ── Time-off types: everyone with a token reads them; only admins change them.
    ("GET", "/pto-types"): (401, 200, 200, 200, 200),
    ("POST", "/pto-types"): (401, 403, 403, 403, 201),
    ("GET", "/pto-types/<type_key>"): {
        "sick": (401, 200, 200, 200, 200),
        "unknown type": (401, 404, 404, 404, 404),
    },
    ("PATCH", "/pto-types/<type_key>"): {
        "sick": (401, 403, 403, 403, 200),
        "unknown type": (401, 403, 403, 403, 404),
    },
    ("DELETE", "/pto-types/<type_key>"): {
        "sick": (401, 403, 403, 403, 204),
        "unknown type": (401, 403, 403, 403, 404),
    },
    # ── Accrual policies: everyone with a token reads them; admins change them, and run and preview
    #    the accruals. An employee's policies, assignments and hours worked read as the employee does.
    ("GET", "/accrual-policies"): (401, 200, 200, 200, 200),
    ("POST", "/accrual-policies"): (401, 403, 403, 403, 201),
    ("GET", "/accrual-policies/<policy_id>"): {
        "policy": (401, 200, 200, 200, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("PATCH", "/accrual-policies/<policy_id>"): {
        "policy": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("DELETE", "/accrual-policies/<policy_id>"): {
        "policy": (401, 403, 403, 403, 204),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/accrual-runs"): (401, 403, 403, 403, 200),
    ("POST", "/accrual-runs"): (401, 403, 403, 403, 201),
    ("POST", "/accrual-runs/preview"): (401, 403, 403, 403, 200),
    ("GET", "/accrual-runs/<run_id>"): {
        "run": (401, 403, 403, 403, 200),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/employees/<employee_id>/accruals"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/employees/<employee_id>/accrual-assignments"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("POST", "/employees/<employee_id>/accrual-assignments"): {
        "Eli": (401, 403, 403, 403, 201),
        "Mia": (401, 403, 403, 403, 201),
        "unknown": (401, 403, 403, 403, 404),
    },
    # One record of an employee that has none with that id: 404 for whoever may see the employee too.
    ("GET", "/employees/<employee_id>/accrual-assignments/<assignment_id>"): {
        "Eli": (401, 404, 404, 404, 404),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/employees/<employee_id>/hours-worked/<record_id>"): {
        "Eli": (401, 404, 404, 404, 404),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("GET", "/employees/<employee_id>/hours-worked"): {
        "Eli": (401, 404, 200, 200, 200),
        "Mia": (401, 404, 404, 200, 200),
        "Ona": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("POST", "/employees/<employee_id>/hours-worked"): {
        "Eli": (401, 403, 403, 403, 201),
        "Mia": (401, 403, 403, 403, 201),
        "unknown": (401, 403, 403, 403, 404),
    },
    # ── Work schedules and holiday calendars: everyone with a token reads the company's; admins change
    #    them. An employee's own schedules read as the employee does.
    ("GET", "/work-schedules"): (401, 200, 200, 200, 200),
    ("POST", "/work-schedules"): (401, 403, 403, 403, 201),
    ("GET", "/work-schedules/<schedule_id>"): {
        "company schedule": (401, 200, 200, 200, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("DELETE", "/work-schedules/<schedule_id>"): {
        "company schedule": (401, 403, 403, 403, 204),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/employees/<employee_id>/work-schedules"): VISIBLE_EMPLOYEES,
    ("POST", "/employees/<employee_id>/work-schedules"): {
        "Eli": (401, 403, 403, 403, 201),
        "Mia": (401, 403, 403, 403, 201),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/employees/<employee_id>/work-schedules/<schedule_id>"): {
        "Eli": (401, 404, 404, 404, 404),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("DELETE", "/employees/<employee_id>/work-schedules/<schedule_id>"): {
        "Eli": (401, 403, 403, 403, 404),
        "unknown": (401, 403, 403, 403, 404),
    },
    ("GET", "/holiday-calendars"): (401, 200, 200, 200, 200),
    ("POST", "/holiday-calendars"): (401, 403, 403, 403, 201),
    ("GET", "/holiday-calendars/<calendar_id>"): VISIBLE_CALENDAR,
    ("PATCH", "/holiday-calendars/<calendar_id>"): ADMIN_ON_CALENDAR,
    ("GET", "/holiday-calendars/<calendar_id>/holidays"): VISIBLE_CALENDAR,
    ("GET", "/holiday-calendars/<calendar_id>/days"): VISIBLE_CALENDAR,
    ("PUT", "/holiday-calendars/<calendar_id>/days/<day>"): ADMIN_ON_CALENDAR,
    ("DELETE", "/holiday-calendars/<calendar_id>/days/<day>"): {
        "calendar": (401, 403, 403, 403, 204),
        "unknown": (401, 403, 403, 403, 404),
    },
    # ── PTO: file for anyone you see (pending for yourself, approved by an admin or the manager);
    #    decide only others' requests you manage; cancel your reports' or (admins) anyone's, and your
    #    own requests, but your own approved time off only before it starts ("upcoming").
    ("GET", "/pto"): (401, 200, 200, 200, 200),
    ("POST", "/pto"): {
        "Eli": (401, 404, 201, 201, 201),
        "Mia": (401, 404, 404, 201, 201),
        "Ona": (401, 404, 404, 404, 201),
        "unknown": (401, 404, 404, 404, 404),
    },
    # A quote reads as filing does: for anyone you see, whoever decides.
    ("POST", "/pto/quote"): VISIBLE_EMPLOYEES,
    ("GET", "/pto/<entry_id>"): {
        "Eli's pending": (401, 404, 200, 200, 200),
        "Mia's pending": (401, 404, 404, 200, 200),
        "Ona's pending": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("POST", "/pto/<entry_id>/approve"): {
        "Eli's pending": (401, 404, 403, 200, 200),
        "Mia's pending": (401, 404, 404, 403, 200),
        "Ona's pending": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("POST", "/pto/<entry_id>/deny"): {
        "Eli's pending": (401, 404, 403, 200, 200),
        "Mia's pending": (401, 404, 404, 403, 200),
        "Ona's pending": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("POST", "/pto/<entry_id>/cancel"): {
        "Eli's pending": (401, 404, 200, 200, 200),
        "Eli's approved": (401, 404, 403, 200, 200),
        "Eli's upcoming approved": (401, 404, 200, 200, 200),
        "Mia's approved": (401, 404, 404, 403, 200),
        "Ona's approved": (401, 404, 404, 404, 200),
        "unknown": (401, 404, 404, 404, 404),
    },
    ("DELETE", "/pto/<entry_id>"): {
        "Eli's approved": (401, 404, 403, 204, 204),
        "Eli's upcoming approved": (401, 404, 204, 204, 204),
        "Mia's approved": (401, 404, 404, 403, 204),
        "Ona's approved": (401, 404, 404, 404, 204),
        "unknown": (401, 404, 404, 404, 404),
    },
}

# What each write sends; a callable gets the target's id.
BODIES = {
    ("POST", "/register"): {"username": "newcomer", "password": PASSWORD},
    ("POST", "/login"): {"username": "ona", "password": PASSWORD},
    ("POST", "/me/password"): {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    ("PATCH", "/users/<user_id>"): {"role": "admin"},
    ("POST", "/users/<user_id>/password"): {"new_password": "a temporary passphrase"},
    ("POST", "/employees"): {"name": "Newcomer", "hours_balance": 8},
    ("PUT", "/employees/<employee_id>"): {"hours_balance": 1000},
    ("PATCH", "/employees/<employee_id>"): {"hours_balance": 1000},
    ("PUT", "/employees/<employee_id>/balances/<type_key>"): {"hours_balance": 1000},
    ("POST", "/pto-types"): {"key": "jury-duty", "name": "Jury duty", "balance": "none"},
    ("PATCH", "/pto-types/<type_key>"): {"color": "#123456"},
    ("POST", "/pto"): lambda employee_id: {"employee_id": employee_id, "hours": 8},
    ("POST", "/accrual-policies"): {
        "name": "New",
        "type": "vacation",
        "tiers": [{"after_years": 0, "hours": 8}],
    },
    ("PATCH", "/accrual-policies/<policy_id>"): {"name": "Renamed"},
    ("POST", "/employees/<employee_id>/accrual-assignments"): {
        "policy_id": None,
        "type": "vacation",
        "effective_from": "2099-01-01",
    },
    ("POST", "/employees/<employee_id>/hours-worked"): {
        "period_start": "2099-01-01",
        "period_end": "2099-01-14",
        "hours": 80,
    },
    ("POST", "/pto/quote"): lambda employee_id: {"employee_id": employee_id, "start_date": "2099-02-02"},
    ("POST", "/calendar-feeds"): {"scope": "company"},
    ("POST", "/work-schedules"): {"effective_from": "2099-06-01", "weeks": [FOUR_DAY_WEEK]},
    ("POST", "/employees/<employee_id>/work-schedules"): {
        "effective_from": "2099-06-01",
        "weeks": [FOUR_DAY_WEEK],
    },
    ("POST", "/holiday-calendars"): {"name": "New York office", "country": "US", "subdivision": "NY"},
    ("PATCH", "/holiday-calendars/<calendar_id>"): {"name": "Head office"},
    ("PUT", "/holiday-calendars/<calendar_id>/days/<day>"): {
        "kind": "partial",
        "name": "Half day",
        "hours": 4,
    },
    ("POST", "/pto/<entry_id>/approve"): {"note": "Enjoy."},
    ("POST", "/pto/<entry_id>/deny"): {"note": "Not that week."},
}


def route_key(rule):
    """``/employees/<id:employee_id>`` → ``/employees/<employee_id>``: the rule without converters."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule)


def served_routes():
    """Every (method, rule) of the API, but HEAD, OPTIONS, the OpenAPI document and the docs pages
    that render it (public, static and outside the API: tests/test_docs.py covers them)."""
    app = create_app(app_settings("sqlite://"))
    return {
        (method, route_key(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule != "/openapi.json" and not rule.endpoint.startswith("docs.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def matrix_cases():
    for (method, rule), rows in MATRIX.items():
        for target, statuses in (rows if isinstance(rows, dict) else {None: rows}).items():
            for caller, status in zip(CALLERS, statuses, strict=True):
                case_id = f"{method} {rule}{f' [{target}]' if target else ''} as {caller}"
                yield pytest.param(method, rule, target, caller, status, id=case_id)


def ok(response, status=200):
    assert response.status_code == status, response.json
    return response.json


@pytest.fixture(scope="module", params=DATABASES)
def company_database(request, tmp_path_factory, new_database):
    """The company, built through the API once per database kind: (its saved database, the company)."""
    directory = tmp_path_factory.mktemp("company")
    url = new_database(request.param, directory)
    app = create_app(app_settings(url))
    built = build_company(app.test_client())
    dispose(app)
    saved = SavedDatabase.save(url, "permission_company", directory)
    yield saved, built
    saved.drop()


@pytest.fixture
def database_url(company_database, tmp_path):
    """A private copy of the company's database for each case."""
    return company_database[0].copy_to(tmp_path)


@pytest.fixture
def company(company_database, client):
    """The company's callers' headers and the ids of its records (and an id nobody has)."""
    built = company_database[1]
    ids = {**built["ids"], "unknown": UNKNOWN_ID, "sick": "sick", "unknown type": "no-such-type"}
    ids["unknown token"] = "x" * 43
    return {"headers": built["headers"], "ids": ids}


def company_state(client, admin):
    """Everything a write could change, as the admin sees it: accounts, employees and their entries, and
    the time-off types."""
    paths = (
        "/users",
        "/employees",
        "/employees?archived=true",
        "/pto-types",
        "/pto-types?archived=true",
        "/accrual-policies",
        "/accrual-policies?archived=true",
        "/work-schedules",
        "/holiday-calendars",
        f"/holiday-calendars/{DEFAULT_CALENDAR}/days",
        "/calendar-feeds",
    )
    return [ok(client.get(path, headers=admin)) for path in paths]


def bearer_refresh_token(client, username):
    """Headers carrying a fresh refresh token of ``username`` (what /refresh takes)."""
    return bearer(tokens(client, username)["refresh_token"])


@pytest.mark.parametrize(("method", "rule", "target", "caller", "expected"), list(matrix_cases()))
def test_permission_matrix(client, company, method, rule, target, caller, expected):
    target_id = company["ids"][target] if target else None
    # A balance's path names an employee and a type: the target is the employee, the type vacation.
    one_target = rule.replace("<employee_id>/balances/<type_key>", "<employee_id>/balances/vacation")
    # A calendar's day: the target is the calendar, the day the one build_company closed.
    one_target = one_target.replace("/days/<day>", f"/days/{CLOSURE_DAY}")
    path = re.sub(r"<\w+>", str(target_id), one_target)
    body = BODIES.get((method, rule))
    if callable(body):
        body = body(target_id)
    headers = company["headers"][caller]
    if rule == "/refresh" and caller != "anonymous":
        headers = bearer_refresh_token(client, caller)
    admin = company["headers"]["admin"]
    forbidden_write = method in WRITES and expected >= 400
    before = company_state(client, admin) if forbidden_write else None

    response = client.open(path, method=method, json=body, headers=headers)

    where = f"{method} {path} ({rule}{f', target {target}' if target else ''}) as {caller}"
    assert response.status_code == expected, (
        f"{where}: expected {expected}, got {response.status_code}: {response.json}"
    )
    if expected >= 400:
        assert response.json["code"] == expected, f"{where}: error body {response.json}"
    if forbidden_write:
        assert company_state(client, admin) == before, f"{where} got {expected} but changed the data"


def test_the_matrix_covers_every_route_the_app_serves():
    served = served_routes()

    missing = sorted(served - MATRIX.keys())
    gone = sorted(MATRIX.keys() - served)

    assert not missing, f"routes the app serves with no row in MATRIX (add one per route): {missing}"
    assert not gone, f"MATRIX rows for routes the app no longer serves: {gone}"


@pytest.mark.parametrize(
    ("caller", "visible"),
    [("nobody", []), ("eli", ["Eli"]), ("mia", ["Mia", "Eli"]), ("admin", ["Mia", "Eli", "Ona"])],
)
def test_lists_show_only_what_the_caller_may_see(client, company, caller, visible):
    headers, ids = company["headers"][caller], company["ids"]
    names = {ids[name]: name for name in ("Mia", "Eli", "Ona")}

    employees = ok(client.get("/employees", headers=headers))
    entries = ok(client.get("/pto", headers=headers))

    assert [names[e["id"]] for e in employees] == visible, f"GET /employees as {caller}"
    owners = Counter(names[entry["employee_id"]] for entry in entries)
    filed = {"Mia": 2, "Eli": 3, "Ona": 2}
    assert owners == {name: filed[name] for name in visible}, f"GET /pto as {caller}: all their entries"
    # Each listed employee embeds their own entries, read for the whole page at once.
    embedded = {names[e["id"]]: Counter(x["employee_id"] for x in e["pto_entries"]) for e in employees}
    assert embedded == {name: {ids[name]: filed[name]} for name in visible}, f"GET /employees as {caller}"


@pytest.mark.parametrize(
    ("caller", "shown"),
    [
        ("nobody", {}),
        ("ona", {}),
        ("eli", {"Eli": "vacation"}),
        ("mia", {"Eli": "vacation"}),
        ("admin", {"Eli": "vacation"}),
    ],
)
def test_the_calendar_shows_only_who_the_caller_may_see(client, company, caller, shown):
    """Eli's upcoming approved entry is on 2099-01-05; Ona shares no manager with Eli, so she sees nothing."""
    headers, ids = company["headers"][caller], company["ids"]
    names = {ids[name]: name for name in ("Mia", "Eli", "Ona")}

    (day,) = ok(client.get("/calendar?from=2099-01-05&to=2099-01-05", headers=headers))

    assert {names[seen["employee_id"]]: seen.get("type") for seen in day["out"]} == shown, caller


@pytest.mark.parametrize(
    ("filer", "employee", "status", "balance", "pending"),
    [
        ("eli", "Eli", "pending", 84, 16),
        ("mia", "Mia", "pending", 92, 16),
        ("mia", "Eli", "approved", 76, 8),
        ("admin", "Eli", "approved", 76, 8),
        ("admin", "Ona", "approved", 84, 8),
    ],
)
def test_filing_is_approved_at_once_only_by_someone_who_decides(
    client, company, filer, employee, status, balance, pending
):
    admin, employee_id = company["headers"]["admin"], company["ids"][employee]

    response = file_pto(client, company["headers"][filer], employee_id, 8)

    assert response.status_code == 201, response.json
    assert response.json["status"] == status, f"POST /pto for {employee} as {filer}"
    shown = ok(client.get(f"/employees/{employee_id}", headers=admin))
    assert (shown["hours_balance"], shown["pending_hours"]) == (balance, pending)
    listed = next(e for e in ok(client.get("/employees", headers=admin)) if e["id"] == employee_id)
    assert (listed["hours_balance"], listed["pending_hours"]) == (balance, pending)


def test_nobody_decides_their_own_request_not_even_an_admin(client, company):
    admin = company["headers"]["admin"]
    ada = create_employee(client, admin, "Ada", 100)
    second_admin = register_and_login(client, "hr.two")
    users = {user["username"]: user["id"] for user in ok(client.get("/users", headers=admin))}
    ok(client.patch(f"/users/{users['admin']}", json={"employee_id": ada["id"]}, headers=admin))
    ok(client.patch(f"/users/{users['hr.two']}", json={"role": "admin"}, headers=admin))

    own = ok(file_pto(client, admin, ada["id"], 8), 201)
    refused = client.post(f"/pto/{own['id']}/approve", headers=admin)
    approved = client.post(f"/pto/{own['id']}/approve", headers=second_admin)

    assert own["status"] == "pending", "an admin's own request waits for someone else"
    assert refused.status_code == 403, refused.json
    assert approved.status_code == 200, approved.json
