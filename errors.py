"""One JSON error shape for every failure: HTTP, validation, token and database errors."""

import http

import marshmallow as ma
from flask import current_app, jsonify
from psycopg2 import errorcodes
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import UnprocessableEntity

RETRY_AFTER_SECONDS = 5


class ErrorSchema(ma.Schema):
    """The body of every error response."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    name = ma.fields.String(required=True, metadata={"description": "HTTP status name"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Messages per field, only when fields are at fault"},
    )


class InvalidField(UnprocessableEntity):
    """A 422 for one field, raised by business rules that schemas cannot check (e.g. cycles).

    A subclass per rule gives it a class ``description``, which the OpenAPI document shows on the
    operations that can break it; each raise still says what went wrong in its own message.
    """

    def __init__(self, field, message, location="json"):
        super().__init__(f"{field}: {message}")
        self.data = {"messages": {location: {field: [message]}}}


class UnknownQueryParameters(UnprocessableEntity):
    """A 422 naming each query parameter the operation does not take, as webargs names unknown fields."""

    def __init__(self, names):
        super().__init__(f"Unknown query parameters: {', '.join(names)}")
        self.data = {"messages": {"query": {name: ["Unknown field."] for name in names}}}


def error_response(code, message, errors=None, headers=None):
    """Build the JSON error response every failure uses."""
    body = {"code": code, "name": http.HTTPStatus(code).phrase, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    response.headers.update(headers or {})
    return response


def register_error_handlers(app):
    """Answer database and unexpected errors in the JSON shape (HTTP errors go through the Api)."""
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(InterfaceError, _database_unavailable)  # e.g. "connection already closed"
    app.register_error_handler(PoolTimeout, _database_unavailable)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(Exception, _unexpected_error)


def handle_http_exception(error):
    """Render a werkzeug HTTPException (including webargs validation aborts) as JSON."""
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data.get("messages"))
    if errors:
        message = "Invalid input: " + ", ".join(errors) + "."
    else:
        message = data.get("message") or error.description
    headers = {
        name: value
        for name, value in error.get_headers()
        if name.lower() not in ("content-type", "content-length")
    }
    headers.update(data.get("headers") or {})
    return error_response(error.code, message, errors, headers)


def _field_errors(messages):
    """Flatten webargs' ``{"json": {...}, "query": {...}}`` into one ``{field: [...]}``."""
    errors = {}
    for location_errors in (messages or {}).values():
        if isinstance(location_errors, dict):
            errors.update(location_errors)
        else:
            errors.setdefault("_schema", []).extend(location_errors)
    return errors


def _database_unavailable(error):
    current_app.logger.warning("database unavailable: %s", _cause(error))
    return error_response(
        503,
        "The database is unavailable or busy; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _cause(error):
    """The error's class and, when PostgreSQL gave one, its condition: "OperationalError 40P01
    deadlock_detected" says what happened where the class alone would blame the database."""
    code = getattr(getattr(error, "orig", None), "pgcode", None)
    if code is None:
        return error.__class__.__name__
    try:
        condition = errorcodes.lookup(code).lower()
    except KeyError:
        condition = "an unnamed condition"
    return f"{error.__class__.__name__} {code} {condition}"


def _integrity_error(error):
    """A duplicate (two requests racing to create the same thing) is the client's conflict;
    any other broken constraint is a bug of ours."""
    if _is_unique_violation(error):
        current_app.logger.info("unique violation: %s", error.orig)
        return error_response(409, "The request conflicts with data already stored.")
    return _unexpected_error(error)


def _is_unique_violation(error):
    return getattr(error.orig, "pgcode", None) == "23505" or "UNIQUE constraint failed" in str(error.orig)


def _unexpected_error(_error):
    current_app.logger.exception("unhandled error")
    return error_response(500, "An unexpected error occurred; it has been logged.")
