"""Settings read from the environment once, and the guards production needs."""

import math
import os
from datetime import timedelta
from decimal import Decimal

# Values people paste from tutorials and .env templates; none of them is a secret.
PLACEHOLDER_SECRETS = {
    "secret",
    "secret-key",
    "super-secret",
    "super-secret-key",
    "changeme",
    "change-me",
    "your-secret-key",
    "jwt-secret",
    "jwt-secret-string",
    "dev",
    "development",
}
MIN_SECRET_BYTES = 32
DEVELOPMENT_SECRET = "development-only-secret-never-use-this-in-production"
ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """The environment does not describe a safe, working configuration."""


def database_url(raw, instance_path):
    """Return the SQLAlchemy URL for DATABASE_URL, naming psycopg2 for PostgreSQL URLs.

    SQLAlchemy 2.1 picks psycopg 3 for a bare ``postgresql://`` URL and rejects Heroku's
    ``postgres://``; we ship psycopg2, so both forms are rewritten.
    """
    if not raw:
        os.makedirs(instance_path, exist_ok=True)
        return "sqlite:///" + os.path.join(instance_path, "pto.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg2://" + raw.removeprefix(prefix)
    return raw


def load(app, overrides=None):
    """Fill ``app.config`` from the environment, apply ``overrides``, then check it."""
    env = os.environ
    app_env = env.get("APP_ENV", "production")
    app.config.update(
        APP_ENV=app_env,
        SQLALCHEMY_DATABASE_URI=database_url(env.get("DATABASE_URL"), app.instance_path),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        JWT_SECRET_KEY=env.get("JWT_SECRET_KEY", ""),
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=_number(env, "JWT_ACCESS_TOKEN_MINUTES", 15)),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=_number(env, "JWT_REFRESH_TOKEN_DAYS", 14)),
        JWT_TOKEN_LOCATION=["headers"],
        MAX_CONTENT_LENGTH=_number(env, "MAX_CONTENT_LENGTH", 64 * 1024),
        PTO_OVERDRAFT_HOURS=_number(env, "PTO_OVERDRAFT_HOURS", 0, kind=Decimal),
        PASSWORD_HASH_METHOD="scrypt",
        REGISTRATION_OPEN=_flag(env, "REGISTRATION_OPEN", True),
        API_TITLE="PTO Tracker API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        # Every operation needs a bearer token unless it says otherwise (register, login, health);
        # the server URL is where clients that import the document (Insomnia) send requests.
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "servers": [{"url": env.get("PUBLIC_URL", "http://127.0.0.1:5000")}],
        },
    )
    if overrides:
        app.config.update(overrides)
    if app.config["APP_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}.")
    _check_secret(app.config)


def _flag(env, name, default):
    """Read a yes/no setting: 1/true/yes/on or 0/false/no/off."""
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if raw.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}.")


def _number(env, name, default, kind=int):
    """Read a non-negative number from the environment, or say which variable is wrong."""
    raw = env.get(name)
    if raw is None:
        return kind(default)
    try:
        value = kind(raw)
        valid = math.isfinite(value) and value >= 0
    except (ValueError, ArithmeticError):
        valid = False
    if not valid:
        raise ConfigError(f"{name} must be a number of zero or more, not {raw!r}.")
    return value


def _check_secret(config):
    """Outside development and testing, refuse a missing, short or placeholder JWT secret."""
    secret = config["JWT_SECRET_KEY"]
    if config["APP_ENV"] != "production":
        config["JWT_SECRET_KEY"] = secret or DEVELOPMENT_SECRET
        return
    if (
        len(secret.encode()) < MIN_SECRET_BYTES
        or secret.lower() in PLACEHOLDER_SECRETS
        or secret == DEVELOPMENT_SECRET
    ):
        raise ConfigError(
            "JWT_SECRET_KEY must be a random secret of at least 32 bytes: set it with "
            "JWT_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))') "
            "(or APP_ENV=development for local use)."
        )
