"""Every failure is a JSON error with the right status: bad input, unknown routes, a database that is down."""

import re

import pytest

from app import create_app
from helpers import PASSWORD, app_settings, create_employee, file_pto, hire, request_pto
from models import NAME_LENGTH, NOTE_LENGTH, REASON_LENGTH, USERNAME_LENGTH

UNREACHABLE_POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


def post_raw(client, headers, body, content_type="application/json"):
    return client.post("/pto", data=body, content_type=content_type, headers=headers)


def assert_error_shape(response, code):
    assert response.status_code == code
    assert response.mimetype == "application/json"
    assert response.json["code"] == code
    assert response.json["name"] and response.json["message"]
    assert set(response.json) <= {"code", "name", "message", "errors"}


@pytest.mark.parametrize(
    ("hours", "why"),
    [
        ("NaN", "finite"),
        ("Infinity", "finite"),
        ("-Infinity", "finite"),
        ("1e309", "between"),
        ("true", "number"),
        ('"8"', "number"),
        ("null", "null"),
        ("0", "between"),
        ("-1", "between"),
        ("1.001", "decimal places"),
        ("100000.01", "between"),
        ("[8]", "number"),
    ],
)
def test_hours_must_be_an_exact_positive_number(client, admin, hours, why):
    employee = create_employee(client, admin)

    response = post_raw(client, admin, f'{{"employee_id": {employee["id"]}, "hours": {hours}}}')

    assert_error_shape(response, 422)
    assert why in response.json["errors"]["hours"][0]


def test_hours_with_trailing_zeros_are_fine(client, admin):
    employee = create_employee(client, admin)

    response = post_raw(client, admin, f'{{"employee_id": {employee["id"]}, "hours": 1.500}}')

    assert response.status_code == 201
    assert response.json["hours"] == 1.5


def test_unknown_fields_are_422_and_nothing_is_assigned(client, admin):
    response = client.post("/employees", json={"name": "Eve", "id": 99, "archived": True}, headers=admin)

    assert_error_shape(response, 422)
    assert set(response.json["errors"]) == {"id", "archived"}
    assert client.get("/employees", headers=admin).json == []


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"a string"', "application/json", 400),
        (b"\xff\xfe\xfa", "application/json", 400),
        ("hours=8", "application/x-www-form-urlencoded", 415),
        ("hours: 8", "text/plain", 415),
    ],
)
def test_malformed_or_non_json_bodies(client, admin, body, content_type, code):
    assert_error_shape(post_raw(client, admin, body, content_type), code)


def test_an_empty_body_is_validated_like_an_empty_object(client, admin):
    response = client.post("/pto", headers=admin)

    assert_error_shape(response, 422)
    assert set(response.json["errors"]) == {"employee_id", "hours"}


def test_a_body_over_the_size_limit_is_413(client, admin):
    response = post_raw(client, admin, '{"note": "' + "x" * 70_000 + '"}')

    assert_error_shape(response, 413)


def test_unknown_route_and_wrong_method_are_json(client):
    assert_error_shape(client.get("/no-such-thing"), 404)
    wrong_method = client.delete("/login")
    assert_error_shape(wrong_method, 405)
    assert "POST" in wrong_method.headers["Allow"]


def test_an_unexpected_error_is_a_500_without_a_stack_trace(database_url):
    app = create_app(app_settings(database_url, PROPAGATE_EXCEPTIONS=False))

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode", view_func=explode)

    response = app.test_client().get("/explode")

    assert_error_shape(response, 500)
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [UNREACHABLE_POSTGRES, "sqlite:////nonexistent-directory/pto.sqlite3"])
def test_an_unavailable_database_is_503_with_retry_after(url):
    client = create_app(app_settings(url)).test_client()

    login = client.post("/login", json={"username": "someone", "password": "whatever1"})
    health = client.get("/health")

    assert_error_shape(login, 503)
    assert login.headers["Retry-After"].isdigit()
    assert health.status_code == 503
    assert health.json == {"status": "unavailable", "database": "unavailable"}
    assert health.headers["Retry-After"].isdigit()


@pytest.mark.parametrize("text", ["a\u0000b", "\ud800"])
def test_text_neither_database_can_store_is_422(client, admin, text):
    responses = [
        client.post("/employees", json={"name": text}, headers=admin),
        client.post("/login", json={"username": text, "password": "whatever1"}),
        client.post("/register", json={"username": "valid.name", "password": text * 8}),
    ]

    for response in responses:
        assert_error_shape(response, 422)


def test_deeply_nested_json_is_400(client, admin):
    assert_error_shape(post_raw(client, admin, "[" * 20_000), 400)


def test_an_integer_too_long_to_parse_is_a_field_error(client, admin):
    employee = create_employee(client, admin)

    hours = post_raw(client, admin, f'{{"employee_id": {employee["id"]}, "hours": {"9" * 5000}}}')
    employee_id = post_raw(client, admin, f'{{"employee_id": {"9" * 5000}, "hours": 1}}')

    assert_error_shape(hours, 422)
    assert_error_shape(employee_id, 422)
    assert "employee_id" in employee_id.json["errors"]


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_an_out_of_range_id_is_404_for_every_method(client, admin, method):
    response = getattr(client, method)("/employees/2147483648", json={}, headers=admin)

    assert_error_shape(response, 404)


# Each stored text field: its column's size, and the request that sends it (paths name the ids of
# the test's records). A value of exactly the column's size is stored; one more is a 422 (PostgreSQL
# would refuse it with an error, SQLite would quietly keep it).
STORED_TEXT = {  # field: (column size, method, path, the body's other fields, the field's key)
    "username": (USERNAME_LENGTH, "POST", "/register", {"password": PASSWORD}, "username"),
    "name": (NAME_LENGTH, "POST", "/employees", {}, "name"),
    "reason": (REASON_LENGTH, "PUT", "/employees/{employee}", {"hours_balance": 50}, "reason"),
    "note": (NOTE_LENGTH, "POST", "/pto", {"employee_id": "employee", "hours": 1}, "note"),
    "decision note": (NOTE_LENGTH, "POST", "/pto/{pending}/deny", {}, "note"),
    "cancellation note": (NOTE_LENGTH, "POST", "/pto/{approved}/cancel", {}, "note"),
}


@pytest.mark.parametrize("field", STORED_TEXT)
@pytest.mark.parametrize("extra", [0, 1])
def test_text_as_long_as_its_column_is_stored_and_longer_is_422(client, admin, field, extra):
    size, method, path, others, key = STORED_TEXT[field]
    employee = hire(client, admin, "dana")
    ids = {
        "employee": employee.employee_id,
        "pending": request_pto(client, employee, employee.employee_id, 1)["id"],
        "approved": request_pto(client, admin, employee.employee_id, 1)["id"],
    }

    body = {name: ids.get(value, value) for name, value in others.items()} | {key: "x" * (size + extra)}

    response = client.open(path.format(**ids), method=method, json=body, headers=admin)

    if extra:
        assert_error_shape(response, 422)
        assert len(response.json["errors"]) == 1, response.json
    else:
        assert response.status_code in (200, 201), response.json


@pytest.mark.parametrize(
    "digit", ["\u0661", "\uff11", "\u0967", "\U0001d7cf"]
)  # Arabic-Indic, fullwidth, Devanagari, math
def test_ids_and_numbers_are_ascii_digits_only(client, admin, digit):
    create_employee(client, admin)  # employee 1: a Unicode "1" must not reach it

    in_path = [
        client.open(f"/employees/{digit}", method=method, headers=admin) for method in ("GET", "DELETE")
    ]
    in_query = [
        client.get(f"{path}{digit}", headers=admin) for path in ("/employees?page=", "/pto?employee_id=")
    ]

    for response in in_path:
        assert_error_shape(response, 404)
    for response in in_query:
        assert_error_shape(response, 422)
    assert client.get("/employees?page=1", headers=admin).json[0]["archived"] is False


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/employees/1/balance?as_of=", "as_of"),
        ("/employees/1/ledger?as_of=", "as_of"),
        ("/pto?from=", "from"),
    ],
)
@pytest.mark.parametrize(
    "day", ["20270310", "2027-W10-3", "2027-069", "2027-03-10T00:00", "\u0662\u0660\u0662\u0667-03-10"]
)
def test_dates_are_written_yyyy_mm_dd_only(client, admin, path, field, day):
    create_employee(client, admin)

    in_query = client.get(f"{path}{day}", headers=admin)
    in_body = file_pto(client, admin, 1, 8, start_date=day)

    assert_error_shape(in_query, 422)
    assert in_query.json["errors"] == {field: ["Not a valid date: write it as YYYY-MM-DD, e.g. 2026-12-24."]}
    assert_error_shape(in_body, 422)
    assert list(in_body.json["errors"]) == ["start_date"]


def api_routes(app):
    """(method, path) of every API operation, its ids filled in with 1 and its type keys with ``sick``."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("docs.", "api-docs.")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = rule.rule.replace("<type_key:type_key>", "sick").replace("<date:day>", "2027-01-01")
            yield method, re.sub(r"<(?:\w+:)?\w+>", "1", path)


def test_an_unknown_query_parameter_is_422_on_every_operation(app, client, admin):
    employee = create_employee(client, admin)
    request_pto(client, admin, employee["id"], 1)
    before = client.get("/employees", headers=admin).json

    answers = {
        f"{method} {path}": client.open(f"{path}?colour=blue", method=method, json={}, headers=admin)
        for method, path in api_routes(app)
    }

    wrong = {
        route: response.status_code for route, response in answers.items() if response.status_code != 422
    }
    assert wrong == {}, "operations that ignored ?colour=blue"
    assert all(response.json["errors"] == {"colour": ["Unknown field."]} for response in answers.values())
    assert client.get("/employees", headers=admin).json == before
