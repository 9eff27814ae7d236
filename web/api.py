"""flask-smorest set up for this API: strict JSON bodies, one error shape, documented errors and headers,
ids in paths."""

import http
import json
from datetime import date
from decimal import Decimal
from functools import wraps

import apispec
import flask_smorest
import marshmallow as ma
from apispec.ext import marshmallow as apispec_marshmallow
from flask import request
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest, NotFound, UnsupportedMediaType
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

import errors
from models import MAX_ID, TYPE_KEY_LENGTH, TYPE_KEY_PATTERN
from web.request_log import REQUEST_ID_HEADER

# The headers the app sends beside the ones a view declares (pagination's), each declared once and named
# by every response that carries it (see headers_sent_with). Each is always sent with those responses.
HEADERS = {
    REQUEST_ID_HEADER: {
        "description": "This request's id (yours if you sent a safe one): quote it when reporting a problem",
        "required": True,
        "schema": {"type": "string"},
    },
    "Location": {
        "description": "The URL of the created resource",
        "required": True,
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    },
}


class StrictParser(FlaskParser):
    """Reads bodies as JSON objects with exact numbers, and refuses unknown query parameters too.

    A mistyped filter (``?employe_id=3``) must fail loudly, not quietly return every row.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _raw_load_json(self, req):
        body = req.get_data(cache=True)
        if not body:
            return core.missing
        if not req.is_json:
            raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
        try:
            # Decimal keeps 0.1 exact, and turns NaN, Infinity and integers too long for int()
            # into values the schemas refuse field by field (422) instead of failing the parse.
            data = json.loads(body, parse_float=Decimal, parse_constant=Decimal, parse_int=_parse_int)
        except (ValueError, RecursionError):
            raise BadRequest("The body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise BadRequest("The JSON body must be an object.")
        return data


def _refusing_query_parameters(view):
    """Wrap a view that takes no query parameters so that any it is sent is a 422, as a view with a
    query schema answers an unknown one: a mistyped filter must never be silently ignored."""

    @wraps(view)
    def without_query_parameters(*args, **kwargs):
        if request.args:
            raise errors.UnknownQueryParameters(list(request.args))
        return view(*args, **kwargs)

    return without_query_parameters


def _parse_int(digits):
    return int(digits) if len(digits) <= 100 else Decimal(digits)


class SchemaConverter(apispec_marshmallow.OpenAPIConverter):
    """Turns fields into OpenAPI 3.0 schemas; a nullable nested schema becomes ``allOf: [$ref]`` with
    ``nullable: true``.

    apispec writes ``anyOf: [{type: object, nullable: true}, $ref]`` instead, which client generators
    read as "any object": a generated client's ``me.employee`` had no ``hours_balance``.
    """

    def field2nullable(self, field, ret):
        if field.allow_none and "$ref" in ret:
            ret["allOf"] = [{"$ref": ret.pop("$ref")}]
        if field.allow_none and "allOf" in ret:
            return {"nullable": True}
        return super().field2nullable(field, ret)


class MarshmallowPlugin(apispec_marshmallow.MarshmallowPlugin):
    """apispec's marshmallow plugin, turning fields into schemas with SchemaConverter."""

    Converter = SchemaConverter


def headers_sent_with(status):
    """The HEADERS a response of ``status`` carries, by name (apispec makes each a ``$ref``): the request
    id on every one, Location on a create, Retry-After when the client is told to come back."""
    names = [REQUEST_ID_HEADER]
    if status == 201:
        names.append("Location")
    if status in (429, 503):
        names.append("Retry-After")
    return {name: name for name in names}


class ResponseHeadersPlugin(apispec.BasePlugin):
    """Declares on each response written out in an operation the headers it is sent with (the error
    responses operations share by name get theirs in ``Api._register_responses``)."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict):
                    response.setdefault("headers", {}).update(headers_sent_with(int(status)))


class Api(flask_smorest.Api):
    ERROR_SCHEMA = errors.ErrorSchema
    # No catch-all "default" response: every status an operation can answer is listed by name.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app=None, *, spec_kwargs=None, **kwargs):
        spec_kwargs = {
            "marshmallow_plugin": MarshmallowPlugin(),
            "extra_plugins": [ResponseHeadersPlugin()],
            **(spec_kwargs or {}),
        }
        super().__init__(app, spec_kwargs=spec_kwargs, **kwargs)

    def _register_responses(self):
        """Register the error responses operations name (CONFLICT, ...), as flask-smorest does, but with
        the headers each is sent with."""
        for name, header in HEADERS.items():
            self.spec.components.header(name, header, lazy=True)
        for status in http.HTTPStatus:
            if status >= 400:
                response = {
                    "description": status.phrase,
                    "schema": self.ERROR_SCHEMA,
                    "headers": headers_sent_with(status),
                }
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
                self.spec.components.response(status.name, response, lazy=True)

    def _register_pagination_header(self):
        """Nothing: lists send web/pagination.py's headers, never flask-smorest's X-Pagination, whose
        registration left an unused PaginationMetadata schema in the document (and in generated clients)."""

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest Blueprint whose views document the errors their shape implies."""

    ARGUMENTS_PARSER = StrictParser()

    def route(self, rule, **options):
        """Register a view; its OpenAPI operation lists every error it can answer.

        Some follow from the view's shape, so they are added here once instead of on every
        view: 503 (database unavailable) everywhere, 401 unless the view is public, 404 for
        path ids, 400/413/415 for JSON bodies, and 422 for unknown query parameters (flask-smorest
        adds it for arguments). View-specific ones (403, 409, a business rule's 422) are declared on the
        view with ``errors``, which keeps them. The view's name becomes the operation's ``operationId``.
        """
        register = super().route(rule, **options)

        def decorator(view):
            apidoc = getattr(view, "_apidoc", {})
            codes = [503, 422]
            if apidoc.get("manual_doc", {}).get("security") != []:
                codes.append(401)
            if "<" in rule:
                codes.append(404)
            locations = [p["in"] for p in apidoc.get("arguments", {}).get("parameters", [])]
            if "json" in locations:
                codes += [400, 413, 415]
            if "query" not in locations:
                view = _refusing_query_parameters(view)
            documented = apidoc.get("response", {}).get("responses", {})
            view = self.errors(*(code for code in codes if code not in documented))(view)
            # The view's name (list_employees, approve) is the operation's id: stable and readable,
            # it names the method of clients generated from the document.
            return register(self.doc(operationId=view.__name__)(view))

        return decorator

    def arguments(self, schema, *args, **kwargs):
        """Parse a request's arguments with ``schema``: a class is instantiated once, here (webargs would
        build an instance on every request)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    def errors(self, *causes):
        """Document the error statuses a view can answer, with the JSON error body.

        A cause is a status code, or the exception class of a business rule (``InsufficientBalance``): the
        operation's response for that status then lists the ``description`` of each rule behind it, so a
        client learns there why a 409 or 422 can come back.
        """
        rules_by_code = {}
        for cause in causes:
            if isinstance(cause, int):
                rules_by_code.setdefault(cause, [])
            else:
                rules_by_code.setdefault(cause.code, []).append(cause)

        def decorator(view):
            for code, rules in rules_by_code.items():
                if rules:
                    response = {"schema": errors.ErrorSchema, "description": _because_of(code, rules)}
                    view = self.alt_response(code, **response)(view)
                else:
                    view = self.alt_response(code, response=http.HTTPStatus(code).name)(view)
            return view

        return decorator


def _because_of(code, rules):
    """The description of an error response: its status, then each rule that answers it, one per line.
    A 422 can also come from any field that breaks its schema, so that comes first."""
    reasons = [rule.description for rule in rules]
    if code == 422:
        reasons.insert(0, "A field is invalid: `errors` names it and says why.")
    return f"{http.HTTPStatus(code).phrase}:\n" + "\n".join(f"- {reason}" for reason in reasons)


class IdConverter(IntegerConverter):
    """``<id:...>`` path segments: ASCII digits (``\\d`` would take an Arabic-Indic one), positive and
    within the database's integer range, so anything else is a 404."""

    regex = r"[0-9]+"

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)

    def to_python(self, value):
        # Out of range is an unknown id (404) for every method, not a 405 from the next rule.
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None

    @staticmethod
    def openapi_schema(_converter):
        return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class TypeKeyConverter(BaseConverter):
    """``<type_key:...>`` path segments: a time-off type's key (a slug); anything else is a 404."""

    regex = TYPE_KEY_PATTERN.removeprefix("^").removesuffix("$").replace("(", "(?:")

    def to_python(self, value):
        if len(value) > TYPE_KEY_LENGTH:
            raise NotFound()
        return value

    @staticmethod
    def openapi_schema(_converter):
        return {"type": "string", "pattern": TYPE_KEY_PATTERN, "maxLength": TYPE_KEY_LENGTH}


class DateConverter(BaseConverter):
    """``<date:...>`` path segments: an ISO 8601 calendar date (``2026-12-24``); anything else is a 404."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise NotFound() from None

    def to_url(self, value):
        return value.isoformat() if isinstance(value, date) else str(value)

    @staticmethod
    def openapi_schema(_converter):
        return {"type": "string", "format": "date"}
