"""Contract fuzzing: schemathesis against a real gunicorn, on SQLite and PostgreSQL (issue 4).

Every operation of the live /openapi.json is fuzzed with valid and invalid data (the examples,
coverage and fuzzing phases) under every schemathesis check, as an admin and as an employee.
The operations that can end the fuzzing session or take the caller's rights away run on their
own, logging back in and restoring the admin after each case; and every protected operation
must answer 401 to each kind of bad credentials. Positive cases keep hours to their documented
``x-decimal-places`` (see ``load_schema``). Runs are seeded and bounded, so a failure reproduces and the
file stays within a few minutes on both databases.
"""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import pytest
import requests
import schemathesis

from helpers import PASSWORD, TIMEOUT, call, create_employee, link_user, register, request_pto
from live import JWT_SECRET
from models import MAX_ID

pytestmark = pytest.mark.live

SEED = 20260
MAX_EXAMPLES = 30  # per operation and run; the coverage phase adds its boundary cases on top
ANONYMOUS_MAX_EXAMPLES = 5  # plus coverage cases; each goes out twice, with two bad credentials
PUBLIC = {"POST /register", "POST /login", "GET /health"}
# These can end the caller's session or take their rights away, which would turn the rest of a
# run into 401s and 403s: test_session_operations fuzzes them, healing the admin after each case.
SESSION_ENDING = {
    "POST /logout",
    "POST /me/password",
    "PATCH /users/{user_id}",
    "POST /users/{user_id}/password",
}
EMPLOYEE_SESSION_ENDING = {"POST /logout", "POST /me/password"}  # PATCH /users is a 403 for them

# Rules the OpenAPI 3.0 schema cannot state: one field against another (dates, a reason that
# goes with a balance), or against stored data (an existing employee, an acyclic manager chain,
# the caller's password). Schema-valid data can break them, and the API answers 422 with the
# field at fault (PRODUCT.md §2). positive_data_acceptance lets a 422 through on these operations
# only, and positive_data_blames_a_rule_field below then requires the 422 to blame these fields.
RULE_FIELDS = {
    "GET /pto": {"to"},  # on or after from
    "GET /calendar": {"to"},  # on or after from, at most 366 days on
    "POST /calendar-feeds": {"scope"},  # "me" and "team" need an account linked to an employee
    # end on or after start, no end without a start, at most PTO_MAX_DAYS; hours fit the days (their
    # schedule and holidays), which must hold some; halves that start and end an absence; day_hours inside
    # the range, each once, within its day, not with hours; a type that exists (and is active)
    "POST /pto": {"start_date", "end_date", "hours", "type", "start_part", "end_part", "day_hours"},
    # the body of POST /pto: its rules as 422s of their own (the rest are problems in the answer)
    "POST /pto/quote": {"start_date", "end_date", "hours", "start_part", "end_part", "day_hours"},
    "POST /holiday-calendars": {"country", "subdivision"},  # a place the holidays package knows
    "PATCH /holiday-calendars/{calendar_id}": {"country", "subdivision"},
    "PUT /holiday-calendars/{calendar_id}/days/{day}": {"hours"},  # hours for a partial day, only for one
    "GET /holiday-calendars/{calendar_id}/holidays": {"to"},  # on or after from, within two years
    # an existing, active employee; opening balances of existing types with balances of their own, once each
    "POST /employees": {"manager_id", "opening_balances"},
    # an existing type with a balance of its own
    "GET /employees/{employee_id}/ledger": {"type"},
    "GET /employees/{employee_id}/balance": {"type", "as_of"},  # a projection reaches 5 years ahead at most
    "GET /employees/{employee_id}/balances": {"as_of"},
    "PUT /employees/{employee_id}/balances/{type_key}": {"type_key"},
    # a shared type draws on an existing, active type with a balance of its own
    "POST /pto-types": {"draws_on"},
    "PATCH /pto-types/{type_key}": {"draws_on"},
    # no cycle; reason with hours_balance; an existing calendar
    "PATCH /employees/{employee_id}": {"manager_id", "reason", "holiday_calendar_id"},
    "PATCH /users/{user_id}": {"employee_id"},  # an existing employee
    "POST /me/password": {"current_password"},  # the caller's password
    # an active type with a balance of its own; the fields each method, policy year and carry-over need
    "POST /accrual-policies": {
        "type",
        "tiers",
        "per_hours_worked",
        "policy_year",
        "year_start_day",
        "carry_over_hours",
        "carry_over_expires_after_days",
    },
    # a type exactly when no policy is named (an active one, with a balance of its own); not before hiring
    "POST /employees/{employee_id}/accrual-assignments": {"policy_id", "type", "effective_from"},
    "POST /employees/{employee_id}/hours-worked": {"period_end"},  # not before the period starts
    "POST /accrual-runs": {"through"},  # at most today
    "POST /accrual-runs/preview": {"through"},
}


def name(case):
    """The case's operation, as in ``"POST /pto"``."""
    return f"{case.operation.method.upper()} {case.operation.path}"


@schemathesis.check
def positive_data_blames_a_rule_field(ctx, response, case):
    """On the operations of RULE_FIELDS, a 422 to schema-valid data must blame only their rule fields."""
    rule_fields = RULE_FIELDS.get(name(case))
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if rule_fields is None or not positive or response.status_code != 422:
        return None
    blamed = set(response.json().get("errors") or {"(no field named)": []})
    if not blamed <= rule_fields:
        raise AssertionError(f"Valid data should have been accepted\nRefused with a 422 on: {sorted(blamed)}")
    return None


def fuzz_config(max_examples=MAX_EXAMPLES, with_security_parameters=True):
    """Seeded, bounded settings: every check, positive and negative data.

    Under pytest, schemathesis runs its examples, coverage and fuzzing phases (the stateful one
    belongs to its CLI runner).
    """
    rule_422s = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",  # no example database: every run sends the same cases
                "with-security-parameters": with_security_parameters,
            },
            "checks": {"enabled": True},
            "request-timeout": TIMEOUT,
            # Reproductions show the whole request: these tokens and passwords live for one test.
            "output": {"sanitization": {"enabled": False}},
            "operations": [
                {
                    "include-name": operation,
                    "checks": {"positive_data_acceptance": {"expected-statuses": rule_422s}},
                }
                for operation in RULE_FIELDS
            ],
        }
    )


def to_decimal_places(value, schema, document):
    """``value`` with each number whose schema in ``schema`` has ``x-decimal-places`` rounded to that many
    places (within its range); anything else as it is."""
    if "$ref" in schema:
        path, schema = schema["$ref"].removeprefix("#/").split("/"), document
        for key in path:
            schema = schema[key]
    if isinstance(value, dict):
        fields = schema.get("properties", {})
        return {key: to_decimal_places(item, fields.get(key, {}), document) for key, item in value.items()}
    if isinstance(value, list):
        return [to_decimal_places(item, schema.get("items", {}), document) for item in value]
    places = schema.get("x-decimal-places")
    if places is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    low, high = (Decimal(str(schema[bound])) for bound in ("minimum", "maximum"))
    return float(min(max(exact, low), high))


def load_schema(url, config):
    """The live document for schemathesis, taught the rule OpenAPI 3.0 can only state in an extension.

    Hours are exact decimals: the document says so with ``x-decimal-places`` (``multipleOf: 0.01`` made
    float-based validators refuse legal values such as 1.13), so schemathesis would send valid-looking
    hours with more places that the server rightly refuses. Each positive case's numbers are rounded to
    their places, so valid data stays valid and the server's 422 on a third decimal still counts.
    """
    schema = schemathesis.openapi.from_url(url, config=config)

    @schema.hook
    def map_case(_context, case):
        if case.meta is not None and case.meta.generation.mode.is_positive and isinstance(case.body, dict):
            operation = schema.raw_schema["paths"][case.operation.path][case.operation.method.lower()]
            body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
            case.body = to_decimal_places(case.body, body_schema, schema.raw_schema)
        return case

    return schema


class Account:
    """A user of the live server, the password they have now and their current session's tokens."""

    def __init__(self, base, username, password=PASSWORD):
        self.base, self.username, self.password = base, username, password
        self.tokens = {}
        self.login()
        self.id = self.me()["id"]

    def login(self):
        response = requests.post(
            f"{self.base}/login", json={"username": self.username, "password": self.password}, timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        self.tokens = response.json()

    def headers(self, token="access_token"):
        return {"Authorization": f"Bearer {self.tokens[token]}"}

    def choose_password(self, new_password):
        """Change this account's password (POST /me/password), as after an admin's reset."""
        change = {"current_password": self.password, "new_password": new_password}
        response = requests.post(
            f"{self.base}/me/password", json=change, headers=self.headers(), timeout=TIMEOUT
        )
        assert response.status_code == 200, response.text
        self.password = new_password

    def me(self):
        """The caller's /me, or None once this session has ended."""
        response = requests.get(f"{self.base}/me", headers=self.headers(), timeout=TIMEOUT)
        return response.json() if response.status_code == 200 else None


def seed_data(base):
    """An admin, three employees (2 reports to 1), an employee user linked to employee 2, PTO entries."""
    register(base, "admin")
    admin = Account(base, "admin")
    token = admin.tokens["access_token"]
    ids = [
        create_employee(base, token, name, hours)["id"]
        for name, hours in (("Dana Scully", 80), ("Fox Mulder", 40), ("Walter Skinner", 120))
    ]
    call("PATCH", f"{base}/employees/{ids[1]}", token, json={"manager_id": ids[0]})
    link_user(base, token, register(base, "employee")["id"], ids[1])
    employee = Account(base, "employee")
    for account, body in (
        (admin, {"employee_id": ids[0], "hours": 8, "start_date": "2026-12-24"}),
        (admin, {"employee_id": ids[2], "hours": 16, "type": "sick"}),
        (employee, {"employee_id": ids[1], "hours": 4, "start_date": "2027-01-04"}),
        (employee, {"employee_id": ids[1], "hours": 2}),
    ):
        request_pto(base, account.tokens["access_token"], **body)
    return admin, employee


@pytest.fixture
def live_server_env():
    """The throttles have tests of their own; here random wrong passwords must not lock the admin out,
    nor random logins the address."""
    return {"LOGIN_FAILURE_LIMIT": "100000", "RATELIMIT_LOGIN": "100000 per minute"}


@pytest.fixture
def accounts(live_server):
    """The seeded server's admin and employee; a run that locked either out proved nothing."""
    admin, employee = seed_data(live_server.base_url)
    yield admin, employee
    assert (admin.me() or {}).get("role") == "admin", "the fuzzing locked the admin out"
    assert (employee.me() or {}).get("role") == "employee", "the fuzzing locked the employee out"


@pytest.fixture
def api_schema(live_server):
    return load_schema(f"{live_server.base_url}/openapi.json", fuzz_config())


@pytest.fixture
def anonymous_schema(live_server):
    # No generated Authorization header: each case goes out with the bad credentials chosen below.
    config = fuzz_config(max_examples=ANONYMOUS_MAX_EXAMPLES, with_security_parameters=False)
    return load_schema(f"{live_server.base_url}/openapi.json", config)


@pytest.fixture(autouse=True)
def _schemathesis_nodeid(request):
    """schemathesis 4.32's lazy schemas rename ``request.node._nodeid``, which pytest 9.2 lacks."""
    request.node._nodeid = request.node.nodeid


def operations(fixture, only=(), excluding=()):
    """The operations of the schema ``fixture`` to fuzz, as names like ``"POST /pto"``."""
    lazy_schema = schemathesis.pytest.from_fixture(fixture)
    if only:
        lazy_schema = lazy_schema.include(name=sorted(only))
    if excluding:
        lazy_schema = lazy_schema.exclude(name=sorted(excluding))
    return lazy_schema


def reaches_operation(case):
    """Whether the case reaches its operation's view: not a probe with another method (a 405), nor
    a path with an id out of range (no route: a 404)."""
    return case.method.upper() == case.operation.method.upper() and all(
        re.fullmatch(r"[1-9][0-9]*", str(value)) and int(value) <= MAX_ID
        for value in (case.path_parameters or {}).values()
    )


def call_as(case, account):
    """Send ``case`` with ``account``'s token and run every check.

    A live token is never refused; when schemathesis drops the Authorization header on purpose
    (a negative case for the security scheme), the answer must be a 401.
    """
    token = "refresh_token" if name(case) == "POST /refresh" else "access_token"
    credentials = account.headers(token)
    response = case.call_and_validate(headers=credentials)
    if name(case) in PUBLIC or not reaches_operation(case):
        return response
    if response.request.headers.get("Authorization") == credentials["Authorization"]:
        assert response.status_code != 401, f"{name(case)}: a live {token} got a 401: {response.text}"
    else:
        assert response.status_code == 401, f"{name(case)} without a token: {response.status_code}"
    return response


@operations("api_schema", excluding=SESSION_ENDING).parametrize()
def test_fuzz_as_admin(case, accounts):
    """No input breaks the API or strays from its contract when an admin sends it."""
    admin, _employee = accounts
    call_as(case, admin)


@operations("api_schema", excluding=EMPLOYEE_SESSION_ENDING).parametrize()
def test_fuzz_as_employee(case, accounts):
    """No input breaks the API or strays from its contract when an employee sends it."""
    _admin, employee = accounts
    call_as(case, employee)


@pytest.fixture
def admins(live_server):
    """The admin who fuzzes the session operations, and a second admin who repairs them."""
    base = live_server.base_url
    admin, _employee = seed_data(base)
    register(base, "backstop")
    backstop = Account(base, "backstop")
    token = admin.tokens["access_token"]
    promoted = call("PATCH", f"{base}/users/{backstop.id}", token, json={"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    return admin, backstop


def heal(admins):
    """Make both admins active admins with live sessions again, each repaired by the other.

    The API keeps one active admin at all times (409 on the last), so one of them can always act.
    """
    for account, rescuer in (admins, admins[::-1]):
        me = account.me()
        if me is not None and me["role"] == "admin":
            continue
        restore = {"role": "admin", "is_active": True}
        token = rescuer.tokens["access_token"]
        response = call("PATCH", f"{account.base}/users/{account.id}", token, json=restore)
        assert response.status_code == 200, response.text
        account.login()


@operations("api_schema", only=SESSION_ENDING).parametrize()
def test_session_operations(case, admins):
    """Logout, password changes and user administration, fuzzed as an admin who logs back in after each."""
    admin, backstop = admins
    response = call_as(case, admin)
    if name(case) == "POST /me/password" and response.status_code == 200:
        admin.password = case.body["new_password"]
    resets = name(case) == "POST /users/{user_id}/password" and reaches_operation(case)
    if resets and response.status_code == 200:
        reset = response.json()
        if reset["id"] == backstop.id:  # the admin cannot reset their own: only the backstop's
            backstop.password = case.body["new_password"]
            backstop.login()
            if reset["must_change_password"]:
                backstop.choose_password(PASSWORD)
    heal(admins)


def bad_credentials(admin, revoked):
    """Authorization headers that must never pass: malformed, forged, unsigned, expired, ended, refresh."""
    claims = jwt.decode(admin.tokens["access_token"], options={"verify_signature": False})
    expired = {**claims, "exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())}
    tokens = {
        "malformed": "not-a-token",
        "wrong key": jwt.encode(claims, JWT_SECRET[::-1], algorithm="HS256"),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "expired": jwt.encode(expired, JWT_SECRET, algorithm="HS256"),
        "logged out": revoked.tokens["access_token"],
        "refresh": admin.tokens["refresh_token"],  # /refresh and /logout take one: not tried there
    }
    return [(kind, {"Authorization": f"Bearer {token}"}) for kind, token in tokens.items()]


@pytest.fixture
def refused_credentials(live_server, request):
    """The bad credentials, and how many cases of each operation were sent so far."""
    admin, _employee = seed_data(live_server.base_url)
    revoked = Account(live_server.base_url, "admin")
    call("POST", f"{live_server.base_url}/logout", revoked.tokens["access_token"])
    credentials, sent = bad_credentials(admin, revoked), Counter()
    failures_before = request.session.testsfailed
    yield credentials, sent
    if request.session.testsfailed == failures_before:  # a failed operation stops early
        assert min(sent.values()) >= len(credentials), f"too few cases to try every credential: {sent}"


@operations("anonymous_schema", excluding=PUBLIC).parametrize()
def test_protected_operations_refuse_bad_credentials(case, refused_credentials):
    """Every protected operation answers 401 to a missing, invalid, expired or ended token.

    Each case goes out without a token and with one of the bad credentials, which take turns
    (every operation gets enough cases for each kind to be tried on it: the fixture checks).
    """
    credentials, sent = refused_credentials
    if name(case) in ("POST /refresh", "POST /logout"):
        credentials = [(kind, headers) for kind, headers in credentials if kind != "refresh"]
    turn = sent[name(case)]
    sent[name(case)] += 1
    for kind, headers in [("missing", {}), credentials[turn % len(credentials)]]:
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers)
        if reaches_operation(case):
            assert response.status_code == 401, f"{name(case)} with a {kind} token: {response.status_code}"
            assert response.json()["code"] == 401
            assert response.headers["www-authenticate"] == ["Bearer"]  # schemathesis lowercases names
