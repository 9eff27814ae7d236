"""Structured logs: one JSON line per request, and the app's own log records, tagged with a request id.

Heroku's router gives every request an id (the X-Request-ID header) and logs it as request_id;
logging the same id here joins the router's line, this app's line and any error of that request.
A line holds facts about the request only: never a body, a header, a query string, a token or a
password. Lines go to the WSGI error stream: stderr, or gunicorn's errorlog under gunicorn.
"""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

from flask import has_request_context, request, request_finished, request_started
from flask.logging import default_handler, wsgi_errors_stream
from flask_jwt_extended import get_jwt_identity

REQUEST_ID_HEADER = "X-Request-ID"
# Heroku's router passes on a client's id of 20-200 letters, digits and + / = -, else makes one.
# Those and shorter ids of the same harmless characters are kept; nothing else may reach a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9+/=._-]{1,200}")
# Per request, in the WSGI environ: g would be shared by requests made inside one app context.
_ID_KEY = "pto.request_id"
_START_KEY = "pto.request_start"
# Database errors quote the values they failed on: SQLAlchemy's "[parameters: ...]" and PostgreSQL's
# "DETAIL:  Failing row contains (...)" show whole rows, password hashes included. Those are data,
# not the cause: they are cut, up to the next part of the error report.
_QUOTED_VALUES = re.compile(
    r"^(?P<label>\[parameters:|DETAIL:) .*?"
    r"(?=^\[SQL: |^\(Background on this error|^The above exception|^During handling|\Z)",
    re.DOTALL | re.MULTILINE,
)
_HIDDEN = {"[parameters:": "[parameters: hidden]\n", "DETAIL:": "DETAIL: hidden\n"}

logger = logging.getLogger("pto.request")


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object: when, how severe, which request, what happened."""

    def format(self, record):
        """The record as a single line of JSON."""
        line = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", "log"),
        }
        if getattr(record, "request_id", None):
            line["request_id"] = record.request_id
        fields = getattr(record, "fields", None)
        if fields is None:
            line["message"] = _without_values(record.getMessage())
        else:
            line.update(fields)
        if record.exc_info:
            # Where it failed (files, lines, source) and why; the values involved are cut.
            line["exc_type"] = _qualified_name(record.exc_info[0])
            line["traceback"] = _without_values(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


class RequestIdFilter(logging.Filter):
    """Tag each record logged during a request with that request's id."""

    def filter(self, record):
        """Add ``request_id`` to the record; keep every record."""
        if has_request_context():
            record.request_id = request_id()
        return True


_handler = logging.StreamHandler(wsgi_errors_stream)
_handler.setFormatter(JsonFormatter())
_request_id_filter = RequestIdFilter()


def init_app(app):
    """Give every request an id and log it as one JSON line."""
    # Loggers are process-wide: one shared handler and filter (adding them again is a no-op), so
    # an app per test does not stack up copies of every line.
    # flask-limiter's own records (e.g. Redis unreachable, counting in memory meanwhile) too.
    for log in (logger, app.logger, logging.getLogger("flask-limiter")):
        log.removeHandler(default_handler)
        log.addHandler(_handler)
        log.addFilter(_request_id_filter)
        # Only this handler writes them: a root handler (alembic's logging config when migrations run
        # in-process, a platform's basicConfig) would print a second, plain copy with the values uncut.
        log.propagate = False
        log.setLevel(logging.INFO)
    # The clock starts and the line is written on signals: request_started comes before every
    # before_request function (Flask-Limiter's may answer 429 first), request_finished after every
    # after_request function, with the final response.
    request_started.connect(_start_request, app)
    app.after_request(_echo_request_id)
    request_finished.connect(_log_request, app)


def request_id():
    """The current request's id: the caller's X-Request-ID when it is safe, else a new one."""
    environ = request.environ
    if _ID_KEY not in environ:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        environ[_ID_KEY] = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return environ[_ID_KEY]


def _start_request(_app, **_extra):
    request.environ[_START_KEY] = time.perf_counter()
    request_id()


def _echo_request_id(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def _logged_path():
    """The request's path, never its query string (filters are people's names and dates), and never a
    secret it holds: a calendar feed's token is logged as the route's placeholder."""
    rule = request.url_rule
    if rule is not None and "<token>" in rule.rule:
        return rule.rule
    return request.path


def _log_request(_app, response, **_extra):
    started = request.environ.get(_START_KEY)
    fields = {
        "method": request.method,
        "path": _logged_path(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "remote_addr": request.remote_addr,
        "user_id": _user_id(),
    }
    logger.info("request", extra={"event": "request", "fields": fields})


def _user_id():
    """The authenticated caller's id, from their verified token: no query, and None without one."""
    try:
        # Set by flask_jwt_extended only once a token was verified and its user loaded.
        identity = get_jwt_identity()
    except RuntimeError:
        return None
    return int(identity) if isinstance(identity, str) and identity.isdigit() else identity


def _without_values(text):
    return _QUOTED_VALUES.sub(lambda match: _HIDDEN[match["label"]], text)


def _qualified_name(cls):
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
