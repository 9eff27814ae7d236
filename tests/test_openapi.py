"""The OpenAPI document exists from the start and lists every route."""

import re


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
        if rule.endpoint != "api-docs.openapi_json"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == documented
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_only_register_login_and_health_are_public(client):
    spec = client.get("/openapi.json").json

    public = {
        (path, method)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters" and operation.get("security") == []
    }

    assert public == {("/register", "post"), ("/login", "post"), ("/health", "get")}
    assert spec["security"] == [{"bearerAuth": []}]
