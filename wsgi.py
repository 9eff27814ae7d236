"""The WSGI entry point for gunicorn and the flask command."""

from app import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One clear line instead of a traceback: the operator only needs to fix the environment.
    raise SystemExit(f"Configuration error: {error}") from None
