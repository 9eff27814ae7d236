"""/docs: Swagger UI for /openapi.json, served from this app alone, under a strict Content-Security-Policy.

Swagger UI's files come from the pinned flask-swagger-ui package; the page and its start-up
script are ours, so the page needs no CDN, no inline script and no inline style.
"""

from importlib import metadata
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, abort, render_template, send_from_directory

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_UI_VERSION = metadata.version("flask-swagger-ui")
ONE_YEAR = 365 * 24 * 60 * 60
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # swagger-ui.css draws its icons as data: images
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)

# A plain Flask blueprint, so the docs stay out of the OpenAPI document they display.
blp = Blueprint(
    "docs", __name__, static_folder="static/docs", static_url_path="/docs/static", template_folder="templates"
)


@blp.get("/docs")
def swagger_ui():
    """The Swagger UI page."""
    return render_template("docs.html", swagger_ui_version=SWAGGER_UI_VERSION)


@blp.get("/docs/assets/<version>/<filename>")
def asset(version, filename):
    """A file of Swagger UI's distribution; its URL names the version, so browsers may keep it for good."""
    if version != SWAGGER_UI_VERSION:
        abort(404)
    response = send_from_directory(SWAGGER_UI_DIST, filename, max_age=ONE_YEAR)
    response.cache_control.immutable = True
    return response


@blp.after_request
def set_security_headers(response):
    """Hold the docs pages and their files to the strict policy, errors included."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
