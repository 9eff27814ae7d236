"""The WSGI entry point for gunicorn and the flask command."""

from dotenv import load_dotenv

from app import create_app
from config import ConfigError

load_dotenv()  # a .env file, when present, fills in what the real environment leaves unset

try:
    app = create_app()
except ConfigError as error:
    # One clear line instead of a traceback: the operator only needs to fix the environment.
    raise SystemExit(f"Configuration error: {error}") from None
