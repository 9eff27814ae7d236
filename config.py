"""Settings read from the environment once, and the guards production needs."""

import math
import os
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits

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
# Public on purpose: used only when APP_ENV is development or testing; production refuses it.
DEVELOPMENT_SECRET = "development-only-secret-never-use-this-in-production"  # noqa: S105
ENVIRONMENTS = ("production", "development", "testing")
# The OpenAPI document's info: what client generators and docs pages show first.
API_DESCRIPTION = """\
Tracks paid time off: employees, their balances (each explained by an append-only ledger), PTO requests
and their approval.

- Errors are JSON, `{"code", "name", "message", "errors"?}`; every operation lists the statuses it answers.
- Hours are exact decimals with at most 2 decimal places (`x-decimal-places: 2`); a third one is a 422.
- Lists are JSON arrays paged with `?page=` and `?per_page=`; `X-Total-Count` and `Link` describe the rest.
- Creates answer 201 with `Location`; every response carries `X-Request-ID`.

Licensed under the MIT License: see the `LICENSE` file beside the source.
"""
API_CONTACT = {"name": "PTO Tracker API contributors"}
API_LICENSE = {"name": "MIT", "url": "https://spdx.org/licenses/MIT.html"}


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
        # How long a request may wait for a lock, run one statement, or wait to connect, before
        # it is answered 503 instead of holding a worker (gunicorn kills a worker after 30 s).
        # Every wait is bounded: 0, which PostgreSQL reads as "no limit", is refused.
        DATABASE_LOCK_TIMEOUT_SECONDS=_number(
            env, "DATABASE_LOCK_TIMEOUT_SECONDS", 10, kind=float, minimum=0.001
        ),
        DATABASE_STATEMENT_TIMEOUT_SECONDS=_number(
            env, "DATABASE_STATEMENT_TIMEOUT_SECONDS", 20, kind=float, minimum=0.001
        ),
        DATABASE_CONNECT_TIMEOUT_SECONDS=_number(env, "DATABASE_CONNECT_TIMEOUT_SECONDS", 5, minimum=1),
        JWT_SECRET_KEY=env.get("JWT_SECRET_KEY", ""),
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=_number(env, "JWT_ACCESS_TOKEN_MINUTES", 15)),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=_number(env, "JWT_REFRESH_TOKEN_DAYS", 14)),
        JWT_TOKEN_LOCATION=["headers"],
        MAX_CONTENT_LENGTH=_number(env, "MAX_CONTENT_LENGTH", 64 * 1024),
        # Whose calendar "today" is (an IANA name such as "America/New_York"): the day a ledger line counts
        # from, an accrual run's default day, whether approved time off has started.
        COMPANY_TIMEZONE=env.get("COMPANY_TIMEZONE", "UTC"),
        PTO_OVERDRAFT_HOURS=_number(env, "PTO_OVERDRAFT_HOURS", 0, kind=Decimal),
        # Bounds on what one employee's requests may hold, so nobody can file without limit: the longest
        # entry in days (hours: at most 24 per day of its dates), and the open entries (pending, or
        # approved and not yet started) an employee may have at once.
        PTO_MAX_DAYS=_number(env, "PTO_MAX_DAYS", 366, minimum=1),
        PTO_MAX_OPEN_ENTRIES=_number(env, "PTO_MAX_OPEN_ENTRIES", 100, minimum=1),
        PASSWORD_HASH_METHOD="scrypt",  # noqa: S106 (a hash method's name, not a password)
        # Unset: open in development and testing (the tutorial's flow), closed in production, where
        # the first admin comes from `flask create-admin` and a stranger must not be first to register.
        REGISTRATION_OPEN=_flag(env, "REGISTRATION_OPEN", None),
        # Brute force: failed password checks per account from one address, and per account from
        # everywhere (in the database, so every worker and dyno counts together; a stranger cannot lock
        # the owner out: domain/login_guard.py), and failed attempts per client address (Flask-Limiter).
        LOGIN_FAILURE_LIMIT=_number(env, "LOGIN_FAILURE_LIMIT", 5, minimum=1),
        LOGIN_ACCOUNT_FAILURE_LIMIT=_number(env, "LOGIN_ACCOUNT_FAILURE_LIMIT", 50, minimum=1),
        LOGIN_FAILURE_WINDOW=timedelta(minutes=_number(env, "LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1)),
        RATELIMIT_LOGIN=_rate_limit(env, "RATELIMIT_LOGIN", "50 per 15 minutes"),
        RATELIMIT_REGISTER=_rate_limit(env, "RATELIMIT_REGISTER", "50 per hour"),
        # Changes per signed-in user (PTO requests and decisions, employee and user changes): far above
        # what a person or an HR import script needs, well below flooding.
        RATELIMIT_WRITES=_rate_limit(env, "RATELIMIT_WRITES", "300 per minute"),
        # Per calendar feed (its token), however many apps poll it: they poll hourly or less.
        RATELIMIT_FEEDS=_rate_limit(env, "RATELIMIT_FEEDS", "60 per hour"),
        RATELIMIT_STORAGE_URI=env.get("RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_KEY_PREFIX=env.get("RATELIMIT_KEY_PREFIX", "pto"),
        # Host names requests may use (Flask refuses others with a 400), so links the API builds from the
        # Host header (pagination's Link) never name a host an attacker chose. Unset: in production the
        # host of PUBLIC_URL, elsewhere any host.
        TRUSTED_HOSTS=_list(env, "TRUSTED_HOSTS"),
        # Behind Heroku's router (one proxy) set 1: the client address then comes from X-Forwarded-For.
        TRUSTED_PROXY_HOPS=_number(env, "TRUSTED_PROXY_HOPS", 0),
        API_TITLE="PTO Tracker API",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        # Every operation needs a bearer token unless it says otherwise (register, login, health);
        # the server URL is where clients that import the document (Insomnia) send requests.
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION, "contact": API_CONTACT, "license": API_LICENSE},
            "security": [{"bearerAuth": []}],
            "servers": [{"url": env.get("PUBLIC_URL", "http://127.0.0.1:5000")}],
        },
    )
    if overrides:
        app.config.update(overrides)
    _defaults_by_environment(app.config, env)
    app.config["COMPANY_TIMEZONE"] = _time_zone(app.config["COMPANY_TIMEZONE"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config))
    if app.config["APP_ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}.")
    _check_secret(app.config)
    if app.config["APP_ENV"] == "production" and app.debug:
        raise ConfigError(
            "FLASK_DEBUG must be off in production: debug mode shows tracebacks, and its debugger "
            "runs any code a visitor types."
        )


def _defaults_by_environment(config, env):
    """Fill in the settings whose default depends on APP_ENV (which ``overrides`` may have set)."""
    production = config["APP_ENV"] == "production"
    if config["REGISTRATION_OPEN"] is None:
        config["REGISTRATION_OPEN"] = not production
    if config["TRUSTED_HOSTS"] is None and production and env.get("PUBLIC_URL"):
        config["TRUSTED_HOSTS"] = [urlsplit(env["PUBLIC_URL"]).hostname]


def engine_options(config, *, for_migrations=False):
    """Pool settings for the configured database: reconnect after a restart, never wait forever.

    Migrations keep the lock timeout (a release must not queue every request behind it) but not the
    statement timeout, which is for requests: rebuilding an index on a grown ledger may take longer.
    """
    # hide_parameters: error messages (and so logs) never quote the values, e.g. password hashes.
    options = {"pool_pre_ping": True, "hide_parameters": True}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        server_settings = f"-c lock_timeout={_milliseconds(config['DATABASE_LOCK_TIMEOUT_SECONDS'])}"
        if not for_migrations:
            statement_timeout = _milliseconds(config["DATABASE_STATEMENT_TIMEOUT_SECONDS"])
            server_settings += f" -c statement_timeout={statement_timeout}"
        options["connect_args"] = {
            "connect_timeout": max(1, config["DATABASE_CONNECT_TIMEOUT_SECONDS"]),
            "options": server_settings,
        }
    return options


def _milliseconds(seconds):
    # 0 would mean "no limit" to PostgreSQL: the smallest limit is 1 ms.
    return max(1, round(seconds * 1000))


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


def _number(env, name, default, kind=int, minimum=0):
    """Read a number of at least ``minimum`` from the environment, or say which variable is wrong."""
    raw = env.get(name)
    if raw is None:
        return kind(default)
    try:
        value = kind(raw)
        valid = math.isfinite(value) and value >= minimum
    except (ValueError, ArithmeticError):
        valid = False
    if not valid:
        raise ConfigError(f"{name} must be a number of {minimum} or more, not {raw!r}.")
    return value


def _list(env, name):
    """Read a comma-separated list ("a.example.com, b.example.com"), or None when unset or empty
    (an empty list of trusted hosts would refuse every request)."""
    items = [item.strip() for item in env.get(name, "").split(",") if item.strip()]
    return items or None


def _time_zone(name):
    """The time zone an IANA name (COMPANY_TIMEZONE) names, or say it is unknown."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"COMPANY_TIMEZONE must be an IANA time zone such as 'America/New_York', not {name!r}."
        ) from None


def _rate_limit(env, name, default):
    """Read a Flask-Limiter limit such as "50 per 15 minutes", or say which variable is wrong."""
    raw = env.get(name, default)
    try:
        limits.parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a limit such as '50 per 15 minutes', not {raw!r}.") from None
    return raw


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
