"""create_app(): config, database, API and blueprints, error handlers, commands — the table of contents."""

import os

from flask import Flask
from flask_migrate import Migrate
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
import config
import database
import errors
from models import db
from resources import (
    accrual_policies,
    accrual_runs,
    auth,
    calendar,
    calendar_feeds,
    employees,
    health,
    holiday_calendars,
    pto,
    pto_types,
    users,
    work_schedules,
)
from web import docs, rate_limits, request_bodies, request_log, security_headers, tokens
from web.api import Api, DateConverter, IdConverter, TypeKeyConverter

migrate = Migrate()
# Operations take an access token (the default) or, for POST /refresh, a refresh token: two schemes,
# so generated clients and tools send the right one.
SECURITY_SCHEMES = {"bearerAuth": "access_token", "refreshToken": "refresh_token"}


def create_app(test_config=None):
    """Build the PTO Tracker app from the environment (plus ``test_config`` in tests)."""
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    config.load(app, test_config)
    app.json.sort_keys = False
    app.url_map.strict_slashes = False  # /employees/1/ is /employees/1, without a redirect
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["type_key"] = TypeKeyConverter
    app.url_map.converters["date"] = DateConverter
    trust_proxies(app)
    register_extensions(app)
    register_api(app)
    errors.register_error_handlers(app)
    commands.init_app(app)
    return app


def register_extensions(app):
    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "migrations"), render_as_batch=True)
    tokens.init_app(app)
    rate_limits.init_app(app)
    request_log.init_app(app)
    security_headers.init_app(app)
    request_bodies.init_app(app)


def trust_proxies(app):
    """Behind TRUSTED_PROXY_HOPS proxies (Heroku's router: 1), take the client's address and
    scheme from their X-Forwarded-* headers; with none, those headers are ignored (clients forge them)."""
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)


def register_api(app):
    api = Api(app)
    api.register_converter(IdConverter, IdConverter.openapi_schema)
    api.register_converter(TypeKeyConverter, TypeKeyConverter.openapi_schema)
    api.register_converter(DateConverter, DateConverter.openapi_schema)
    for name, token in SECURITY_SCHEMES.items():
        description = f"The {token} from POST /login, sent as Authorization: Bearer <{token}>."
        scheme = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": description}
        api.spec.components.security_scheme(name, scheme)
    resources = (
        auth,
        users,
        employees,
        pto_types,
        accrual_policies,
        accrual_runs,
        work_schedules,
        holiday_calendars,
        pto,
        calendar,
        calendar_feeds,
        health,
    )
    for resource in resources:
        api.register_blueprint(resource.blp)
    app.register_blueprint(docs.blp)
