"""The OpenAPI document exists from the start and lists every route."""

import json
import re
import subprocess
from pathlib import Path

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from helpers import create_employee, request_pto

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")
LINT = Path(__file__).with_name("openapi_lint")
LINTERS = ("spectral", "redocly")
LINT_SECONDS = 120
CONDITIONAL = {"GET /calendar-feeds/{token}.ics"}
PAGINATED = {
    "GET /calendar",
    "GET /calendar-feeds",
    "GET /employees",
    "GET /employees/{employee_id}/ledger",
    "GET /pto",
    "GET /users",
    "GET /pto-types",
    "GET /accrual-policies",
    "GET /accrual-runs",
    "GET /employees/{employee_id}/accrual-assignments",
    "GET /employees/{employee_id}/hours-worked",
    "GET /work-schedules",
    "GET /employees/{employee_id}/work-schedules",
    "GET /holiday-calendars",
    "GET /holiday-calendars/{calendar_id}/days",
}
# Legal hours that float-based validators (python-jsonschema, Ajv, Postman) refused under multipleOf: 0.01:
# in binary floating point 1.13 / 0.01 is 112.99999999999999, not a whole number.
TWO_DECIMAL_HOURS = [1.13, 67.66, 0.29, 4.35]


def test_openapi_document_lists_every_route(app, client):
    spec = client.get("/openapi.json").json

    assert spec["openapi"] == "3.0.3"
    documented = {
        (re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    served = {
        (re.sub(r"<\w+:(\w+)>", r"<\1>", rule.rule), method)
        for rule in app.url_map.iter_rules()
        # The contract itself and the docs pages that render it are not operations of the API.
        if rule.endpoint != "api-docs.openapi_json" and not rule.endpoint.startswith("docs.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_only_register_login_health_and_calendar_feeds_are_public(client):
    spec = client.get("/openapi.json").json

    public = {
        (path, method)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and operation.get("security") == []
    }

    # A calendar feed's secret address is its credential: calendar apps send no bearer token.
    assert public == {
        ("/register", "post"),
        ("/login", "post"),
        ("/health", "get"),
        ("/calendar-feeds/{token}.ics", "get"),
    }
    assert spec["security"] == [{"bearerAuth": []}]


def test_openapi_document_is_valid_openapi_3_0_3(client):
    validate(client.get("/openapi.json").json)


def test_every_operation_names_its_error_statuses_with_the_error_schema(client):
    spec = client.get("/openapi.json").json

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            assert "default" not in responses, f"{method} {path}: a catch-all hides undocumented statuses"
            assert "503" in responses, f"{method} {path}"
            if operation.get("security") != []:
                assert "401" in responses, f"{method} {path}"
            if "{" in path:
                assert "404" in responses, f"{method} {path}"
            for status, response in responses.items():
                if int(status) >= 400 and f"{method} {path}" != "get /health":
                    body = resolved(spec, response)["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_the_document_names_the_server_clients_should_call(client):
    assert client.get("/openapi.json").json["servers"] == [{"url": "http://127.0.0.1:5000"}]


def test_the_document_changes_only_on_purpose(client):
    """Clients are generated from this document: a change to it must be deliberate and reviewed.

    After changing the API on purpose, refresh the snapshot with `make openapi-snapshot` and commit it.
    """
    snapshot = json.loads(SNAPSHOT.read_text())

    assert client.get("/openapi.json").json == snapshot, "the OpenAPI document differs from its snapshot"


def test_refresh_declares_the_refresh_token_and_every_other_operation_the_access_token(client):
    spec = client.get("/openapi.json").json
    schemes = spec["components"]["securitySchemes"]

    declared = {
        f"{method.upper()} {path}": operation.get("security", spec["security"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
    }

    assert declared.pop("POST /refresh") == [{"refreshToken": []}]
    assert {str(security) for security in declared.values()} == {"[]", "[{'bearerAuth': []}]"}
    assert "refresh_token" in schemes["refreshToken"]["description"]
    assert "access_token" in schemes["bearerAuth"]["description"]


def test_responses_require_every_field_the_server_always_sends_and_name_their_enums(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    responses = {name: schema for name, schema in schemas.items() if name.endswith("Out")}

    optional = {
        name: sorted(set(schema["properties"]) - set(schema.get("required", [])))
        for name, schema in responses.items()
    }

    assert {name: fields for name, fields in optional.items() if fields} == {
        "TokenOut": ["refresh_token"],
        "ProblemOut": ["field"],
        # Who's out: what only who sees the employee in full gets.
        "WhosOutPersonOut": ["entry_id", "hours", "note", "status", "type"],
    }
    assert schemas["PtoOut"]["properties"]["status"]["enum"] == ["pending", "approved", "denied", "cancelled"]
    assert schemas["PtoTypeOut"]["properties"]["balance"]["enum"] == ["own", "shared", "none"]
    assert schemas["UserOut"]["properties"]["role"]["enum"] == ["admin", "manager", "employee"]
    assert "refund" in schemas["LedgerLineOut"]["properties"]["kind"]["enum"]


def test_every_operation_has_a_readable_unique_operation_id(client):
    spec = client.get("/openapi.json").json

    ids = {
        f"{method.upper()} {path}": operation.get("operationId")
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
    }

    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", str(operation_id)) for operation_id in ids.values()), ids
    assert len(set(ids.values())) == len(ids), ids
    assert (ids["GET /employees"], ids["POST /pto/{entry_id}/approve"]) == ("list_employees", "approve")


def schema_objects(node):
    """Every schema object nested anywhere in ``node`` (a document or a part of one)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from schema_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_objects(value)


def test_a_nullable_nested_schema_is_a_nullable_reference_to_it(client):
    """``allOf: [$ref]`` with ``nullable: true`` is what client generators type as "that model or None";
    ``anyOf: [{type: object, nullable: true}, $ref]`` made /me's employee a free-form dict."""
    spec = client.get("/openapi.json").json

    employee = spec["components"]["schemas"]["MeOut"]["properties"]["employee"]

    assert employee == {"allOf": [{"$ref": "#/components/schemas/EmployeeSummaryOut"}], "nullable": True}
    assert [node for node in schema_objects(spec) if "anyOf" in node] == []
    # Every other nullable schema has a type (Redocly's nullable-type-sibling is off for this form).
    assert all("type" in node or "allOf" in node for node in schema_objects(spec) if node.get("nullable"))


def test_hours_state_the_two_decimal_rule_in_an_extension_float_validators_read_right(client, admin):
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    hours = {
        (name, field): schema
        for name, shape in schemas.items()
        for field, schema in shape.get("properties", {}).items()
        if schema.get("type") == "number"
    }
    employee = create_employee(client, admin, hours_balance=100)

    assert {("PtoIn", "hours"), ("EmployeeIn", "hours_balance"), ("PtoOut", "hours")} <= set(hours)
    assert all(schema["x-decimal-places"] == 2 for schema in hours.values()), hours
    assert all("at most 2 decimal places" in schema["description"] for schema in hours.values()), hours
    assert [node for node in schema_objects(spec) if "multipleOf" in node] == []
    for value in TWO_DECIMAL_HOURS:
        body = {"employee_id": employee["id"], "hours": value}
        OAS30Validator(schemas["PtoIn"]).validate(body)
        assert client.post("/pto", json=body, headers=admin).status_code == 201
    refused = client.post("/pto", json={"employee_id": employee["id"], "hours": 1.125}, headers=admin)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"hours": ["Must have at most 2 decimal places."]}


def operations(spec):
    """(name, operation) for every operation of ``spec``, named as in ``"POST /pto"``."""
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def resolved(spec, node):
    """``node``, or the component its ``$ref`` names."""
    if "$ref" not in node:
        return node
    *_, kind, name = node["$ref"].split("/")
    return spec["components"][kind][name]


def declared_headers(spec, operation, status):
    """The headers ``operation`` declares for ``status``, with ``$ref``s resolved: {name: header}."""
    response = resolved(spec, operation["responses"][str(status)])
    return {name: resolved(spec, header) for name, header in response.get("headers", {}).items()}


def test_every_response_declares_the_headers_it_is_sent_with(client):
    spec = client.get("/openapi.json").json

    for name, operation in operations(spec):
        for status in operation["responses"]:
            headers = declared_headers(spec, operation, status)
            expected = {"X-Request-ID"}
            expected |= {"Location"} if status == "201" else set()
            expected |= {"Retry-After"} if status in ("429", "503") else set()
            expected |= {"X-Total-Count", "Link"} if name in PAGINATED and status == "200" else set()
            # A calendar feed tells a polling app its version (it answers 304 to either).
            expected |= (
                {"ETag", "Last-Modified"} if name in CONDITIONAL and status in ("200", "304") else set()
            )
            assert set(headers) == expected, f"{name} {status}"
            assert all(header["required"] for header in headers.values()), f"{name} {status}"
    created = {name for name, operation in operations(spec) if "201" in operation["responses"]}
    assert created == {
        "POST /register",
        "POST /calendar-feeds",
        "POST /employees",
        "POST /pto",
        "POST /pto-types",
        "POST /accrual-policies",
        "POST /accrual-runs",
        "POST /employees/{employee_id}/accrual-assignments",
        "POST /employees/{employee_id}/hours-worked",
        "POST /work-schedules",
        "POST /employees/{employee_id}/work-schedules",
        "POST /holiday-calendars",
    }


def test_responses_carry_every_header_their_operation_declares(client, admin):
    """The declarations above hold on real responses: a create, a list, a delete, errors."""
    spec = client.get("/openapi.json").json
    paths = {name: operation for name, operation in operations(spec)}
    employee = create_employee(client, admin)
    entry = request_pto(client, admin, employee["id"], 8)
    sent = [
        (
            "POST /register",
            client.post("/register", json={"username": "eli", "password": "long enough pass"}),
        ),
        ("POST /employees", client.post("/employees", json={"name": "Eli"}, headers=admin)),
        ("POST /pto", client.post("/pto", json={"employee_id": employee["id"], "hours": 1}, headers=admin)),
        ("GET /employees", client.get("/employees?per_page=1", headers=admin)),
        ("GET /pto", client.get("/pto", headers=admin)),
        ("GET /users", client.get("/users", headers=admin)),
        (
            "GET /employees/{employee_id}/ledger",
            client.get(f"/employees/{employee['id']}/ledger", headers=admin),
        ),
        ("DELETE /pto/{entry_id}", client.delete(f"/pto/{entry['id']}", headers=admin)),
        ("GET /pto/{entry_id}", client.get("/pto/999", headers=admin)),
        ("GET /me", client.get("/me")),
        ("PATCH /users/{user_id}", client.patch("/users/1", json={"role": "boss"}, headers=admin)),
    ]

    for name, response in sent:
        declared = declared_headers(spec, paths[name], response.status_code)
        assert set(declared) <= set(response.headers.keys()), f"{name} {response.status_code}"
    assert [response.status_code for _name, response in sent] == [201] * 3 + [200] * 4 + [204, 404, 401, 422]


def test_info_describes_the_api_and_names_a_contact_and_the_license(client):
    info = client.get("/openapi.json").json["info"]

    assert info["title"] == "PTO Tracker API"
    assert "2 decimal places" in info["description"]
    assert info["contact"]["name"]
    assert info["license"] == {"name": "MIT", "url": "https://spdx.org/licenses/MIT.html"}
    assert "LICENSE" in info["description"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License")
    assert "Copyright (c) 2026 PTO Tracker API contributors" in license_text


# Business rules, by the operations that answer them and a phrase of each rule's description.
RULES = {
    "POST /register": {"403": ["Registration is closed"], "409": ["already taken"]},
    "POST /login": {"401": ["wrong password"]},
    "POST /me/password": {"422": ["A field is invalid", "current_password is not"]},
    "POST /employees": {"403": ["Only an admin"], "422": ["A field is invalid", "no active employee"]},
    "PUT /employees/{employee_id}": {"403": ["Only an admin"], "409": ["archived"]},
    "PATCH /employees/{employee_id}": {
        "403": ["Only an admin"],
        "409": ["archived"],
        "422": ["their own manager", "no active employee"],
    },
    "DELETE /employees/{employee_id}": {"403": ["Only an admin"], "409": ["active admin must remain"]},
    "GET /users": {"403": ["Only an admin"]},
    "GET /users/{user_id}": {"403": ["Only an admin"]},
    "PATCH /users/{user_id}": {
        "403": ["Only an admin", "own employee link"],
        "409": ["active admin must remain", "already linked"],
        "422": ["employee_id names no employee", "names an archived employee"],
    },
    "POST /users/{user_id}/password": {"403": ["Only an admin", "POST /me/password"]},
    "POST /pto": {
        "409": ["does not cover", "overlap", "archived", "most open entries"],
        "422": ["A field is invalid", "spans more than PTO_MAX_DAYS"],
    },
    "POST /pto/{entry_id}/approve": {
        "403": ["never for themselves"],
        "409": ["cannot move", "does not cover", "archived"],
    },
    "POST /pto/{entry_id}/deny": {"403": ["never for themselves"], "409": ["cannot move", "archived"]},
    "POST /pto/{entry_id}/cancel": {"403": ["before it starts"], "409": ["cannot move", "archived"]},
    "DELETE /pto/{entry_id}": {"403": ["before it starts"], "409": ["cannot move", "archived"]},
}


def test_business_rule_errors_are_described_in_the_operations_that_answer_them(client):
    spec = client.get("/openapi.json").json
    described = {
        name: {
            status: resolved(spec, response)["description"]
            for status, response in operation["responses"].items()
        }
        for name, operation in operations(spec)
    }

    for name, statuses in RULES.items():
        for status, phrases in statuses.items():
            assert all(phrase in described[name][status] for phrase in phrases), (name, status)
    unexplained = {
        (name, status)
        for name, statuses in described.items()
        for status, description in statuses.items()
        if status in ("403", "409") and ":\n- " not in description
    }
    assert unexplained == set(), "every 403 and 409 names the rules behind it"


def test_deletes_say_they_archive_or_cancel_and_never_delete(client):
    spec = client.get("/openapi.json").json
    paths = dict(operations(spec))

    assert paths["DELETE /employees/{employee_id}"]["description"].startswith("Archives rather than deletes")
    assert "Nothing is deleted" in paths["DELETE /pto/{entry_id}"]["description"]


def test_every_component_of_the_document_is_used(client):
    """An unused component (flask-smorest's PaginationMetadata was one) is noise in every generated client."""
    spec = client.get("/openapi.json").json
    text = json.dumps(spec)

    unused = [
        f"{kind}/{name}"
        for kind, components in spec["components"].items()
        for name in components
        if kind != "securitySchemes" and f'"#/components/{kind}/{name}"' not in text
    ]

    assert unused == []


def test_spectral_and_redocly_find_nothing_to_report(openapi_document, tmp_path):
    """Both linters, with the rules tests/openapi_lint/ configures (each rule turned off says why)."""
    missing = [name for name in LINTERS if not (LINT / "node_modules" / ".bin" / name).exists()]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: `make openapi-lint` installs them (npm ci)")
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document))

    result = subprocess.run(
        [LINT / "lint.sh", document], capture_output=True, text=True, timeout=LINT_SECONDS
    )

    assert result.returncode == 0, result.stdout + result.stderr
