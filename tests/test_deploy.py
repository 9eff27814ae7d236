"""Deploy configuration: GitLab CI, the Procfile, gunicorn settings and the production guards.

These read files and start short subprocesses; they need no app or database fixture, so each
runs once rather than once per database.
"""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from ruamel.yaml import YAML  # check-jsonschema's own YAML parser, already pinned through it

from config import DEVELOPMENT_SECRET, database_url

ROOT = Path(__file__).resolve().parent.parent
GITLAB_CI = ROOT / ".gitlab-ci.yml"
DEFAULT_BRANCH_ONLY = [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]


def merged(base, override):
    """Merge two GitLab job mappings the way `extends` does: mappings deeply, everything else replaced."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            value = merged(result[key], value)
        result[key] = value
    return result


def resolved(config, name):
    """The job ``name`` with everything it extends filled in."""
    job = config[name]
    parents = job.get("extends", [])
    result = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        result = merged(result, resolved(config, parent))
    return merged(result, {key: value for key, value in job.items() if key != "extends"})


@pytest.fixture(scope="module")
def ci_config():
    """.gitlab-ci.yml, parsed."""
    return YAML(typ="safe", pure=True).load(GITLAB_CI)


@pytest.fixture(scope="module")
def ci_jobs(ci_config):
    """The jobs of .gitlab-ci.yml by name, with `extends` resolved (hidden templates left out)."""
    jobs = {
        name: resolved(ci_config, name)
        for name, value in ci_config.items()
        if not name.startswith(".") and isinstance(value, dict)
    }
    return {name: job for name, job in jobs.items() if "script" in job}


def runs_pytest(job):
    """Whether a job runs the test suite."""
    return any("pytest" in line for line in job["script"])


def service_names(job):
    """The images of a job's services, without their tags."""
    services = job.get("services", [])
    return {(s if isinstance(s, str) else s["name"]).split(":")[0] for s in services}


def test_gitlab_ci_is_valid_for_gitlab():
    """.gitlab-ci.yml validates against GitLab's CI schema, bundled with check-jsonschema (no network)."""
    check = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci"]
    result = subprocess.run([*check, ".gitlab-ci.yml"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_suite_on_sqlite_and_postgresql(ci_jobs):
    """One test job runs on SQLite alone, another points the suite at its PostgreSQL service."""
    test_jobs = {name: job for name, job in ci_jobs.items() if runs_pytest(job)}
    with_postgres = {name: job for name, job in test_jobs.items() if "postgres" in service_names(job)}
    assert set(test_jobs) - set(with_postgres), "no job runs the suite without a PostgreSQL service"
    assert with_postgres, "no job runs the suite with a PostgreSQL service"
    for name, job in with_postgres.items():
        variables = job.get("variables", {})
        url = sa.engine.make_url(variables.get("TEST_DATABASE_URL", "missing://"))
        assert url.get_backend_name() == "postgresql", f"{name}: TEST_DATABASE_URL is not PostgreSQL"
        assert url.host == "postgres", f"{name}: TEST_DATABASE_URL does not name the service"
        assert url.database == variables.get("POSTGRES_DB", "postgres"), f"{name}: not the service's database"


def test_ci_test_jobs_report_to_gitlab(ci_jobs):
    """Every job that runs pytest writes a JUnit report GitLab shows, passing or failing."""
    test_jobs = {name: job for name, job in ci_jobs.items() if runs_pytest(job)}
    assert test_jobs
    for name, job in test_jobs.items():
        pytest_lines = [line for line in job["script"] if "pytest" in line]
        assert all("--junitxml=report.xml" in line for line in pytest_lines), name
        assert job["artifacts"]["reports"]["junit"] == "report.xml", name
        assert job["artifacts"]["when"] == "always", name


def test_ci_deploys_to_heroku_from_the_default_branch_only(ci_config, ci_jobs):
    """The deploy job runs last, only on the default branch, with the key from a CI/CD variable."""
    deploy = ci_jobs["deploy"]
    assert deploy["rules"] == DEFAULT_BRANCH_ONLY
    assert deploy["environment"]["name"] == "production"
    assert 'dpl heroku api --app "$HEROKU_APP_NAME" --api_key "$HEROKU_API_KEY"' in deploy["script"]
    assert ci_config["stages"][-1] == deploy["stage"] == "deploy"
    others = [job for name, job in ci_jobs.items() if name != "deploy"]
    assert all(job.get("stage") != "deploy" for job in others)


def test_procfile_migrates_on_release_and_serves_with_gunicorn():
    """Heroku runs the migrations in the release phase and gunicorn with its config file."""
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line)
    assert {name: command.strip() for name, command in processes.items()} == {
        "release": "flask db upgrade",
        "web": "gunicorn wsgi:app -c gunicorn.conf.py",
    }


def test_gunicorn_takes_workers_and_port_from_heroku(monkeypatch):
    """Workers come from WEB_CONCURRENCY, the port from PORT, and shutdown beats Heroku's 30 s kill."""
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "5123")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["workers"] == 3
    assert settings["bind"].endswith(":5123")
    assert settings["graceful_timeout"] < 30


def import_wsgi(tmp_path, **variables):
    """Run `python -c "import wsgi"` from the repo root in a clean environment plus ``variables``."""
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{tmp_path / 'pto.sqlite3'}",
        # A developer's .env must not decide the outcome: these tests set the environment themselves.
        "PYTHON_DOTENV_DISABLED": "1",
        **variables,
    }
    command = [sys.executable, "-c", "import wsgi"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"APP_ENV": "production", "JWT_SECRET_KEY": "short"},
        {"APP_ENV": "production", "JWT_SECRET_KEY": "changeme"},
        {"APP_ENV": "production", "JWT_SECRET_KEY": DEVELOPMENT_SECRET},
    ],
    ids=["missing", "short", "placeholder", "development-secret"],
)
def test_production_refuses_to_start_without_a_strong_jwt_secret(tmp_path, variables):
    """A missing, short or well-known secret stops the app with one line, not a traceback."""
    result = import_wsgi(tmp_path, **variables)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error:")
    assert "JWT_SECRET_KEY" in line


def test_production_starts_with_a_strong_jwt_secret(tmp_path):
    """With a random 48-character secret the production app builds."""
    result = import_wsgi(tmp_path, JWT_SECRET_KEY=secrets.token_urlsafe(36))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JWT_ACCESS_TOKEN_MINUTES", "fifteen"),
        ("JWT_REFRESH_TOKEN_DAYS", "-1"),
        ("MAX_CONTENT_LENGTH", "1e3"),
        ("PTO_OVERDRAFT_HOURS", "NaN"),
        ("PTO_OVERDRAFT_HOURS", "Infinity"),
        ("PTO_OVERDRAFT_HOURS", "-8"),
        ("DATABASE_LOCK_TIMEOUT_SECONDS", "-1"),
        ("DATABASE_STATEMENT_TIMEOUT_SECONDS", "forever"),
        ("DATABASE_STATEMENT_TIMEOUT_SECONDS", "0"),  # PostgreSQL would read it as no limit
        ("DATABASE_LOCK_TIMEOUT_SECONDS", "0"),
        ("DATABASE_CONNECT_TIMEOUT_SECONDS", "0"),
        ("LOGIN_FAILURE_LIMIT", "five"),
        ("LOGIN_FAILURE_LIMIT", "0"),
        ("LOGIN_FAILURE_WINDOW_MINUTES", "0"),
        ("TRUSTED_PROXY_HOPS", "1.5"),
    ],
)
def test_a_malformed_number_in_the_environment_is_named(tmp_path, name, value):
    """A bad number stops the app with one line naming the variable, not a traceback."""
    result = import_wsgi(tmp_path, APP_ENV="development", **{name: value})
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Configuration error: {name} must be a number")


@pytest.mark.parametrize("name", ["RATELIMIT_LOGIN", "RATELIMIT_REGISTER"])
def test_a_malformed_rate_limit_is_named(tmp_path, name):
    result = import_wsgi(tmp_path, APP_ENV="development", **{name: "lots"})
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Configuration error: {name} must be a limit")


def test_production_refuses_debug_mode(tmp_path):
    """Debug mode's debugger would run code for anyone who can reach the server."""
    result = import_wsgi(tmp_path, JWT_SECRET_KEY=secrets.token_urlsafe(36), FLASK_DEBUG="1")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Configuration error: FLASK_DEBUG must be off in production")


def test_database_timeouts_reach_both_databases(tmp_path):
    """Lock waits end (503) instead of holding a worker: PostgreSQL's lock_timeout and statement_timeout,
    SQLite's busy timeout, all from the DATABASE_*_TIMEOUT_SECONDS settings."""
    from app import create_app
    from helpers import POSTGRES_URL, app_settings, sqlalchemy_url
    from models import db

    timeouts = {"DATABASE_LOCK_TIMEOUT_SECONDS": 1.5, "DATABASE_STATEMENT_TIMEOUT_SECONDS": 4}
    sqlite_app = create_app(app_settings(f"sqlite:///{tmp_path / 'pto.sqlite3'}", **timeouts))
    with sqlite_app.app_context():
        assert db.session.scalar(sa.text("PRAGMA busy_timeout")) == 1500
        db.engine.dispose()
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: TEST_DATABASE_URL is unset")
    postgres_app = create_app(app_settings(sqlalchemy_url(POSTGRES_URL), **timeouts))
    with postgres_app.app_context():
        assert db.session.scalar(sa.text("SHOW lock_timeout")) == "1500ms"
        assert db.session.scalar(sa.text("SHOW statement_timeout")) == "4s"
        db.engine.dispose()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg2://u:p@h/d"),
        ("postgresql+psycopg2://u:p@h/d", "postgresql+psycopg2://u:p@h/d"),
        ("postgresql+psycopg://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("sqlite:////srv/pto.sqlite3", "sqlite:////srv/pto.sqlite3"),
    ],
)
def test_database_url_names_psycopg2_for_postgresql(tmp_path, raw, expected):
    """Heroku's and bare PostgreSQL URLs get the psycopg2 driver; explicit URLs pass through."""
    assert database_url(raw, str(tmp_path / "instance")) == expected


def test_heroku_database_url_uses_the_shipped_driver(tmp_path):
    """SQLAlchemy accepts Heroku's `postgres://` URL once rewritten, and picks psycopg2."""
    engine = sa.create_engine(database_url("postgres://u:p@h:5432/d", str(tmp_path)))
    assert engine.dialect.driver == "psycopg2"


@pytest.mark.parametrize("raw", ["", None])
def test_database_url_defaults_to_sqlite_in_the_instance_folder(tmp_path, raw):
    """Without DATABASE_URL the app uses a SQLite file in its instance folder, creating the folder."""
    instance = tmp_path / "instance"
    assert database_url(raw, str(instance)) == f"sqlite:///{instance / 'pto.sqlite3'}"
    assert instance.is_dir()


def test_ci_entry_point_runs_make_test_on_postgresql():
    """.ci/run runs the developer's `make test` with TEST_DATABASE_URL set."""
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^export TEST_DATABASE_URL=", script, re.MULTILINE)
    assert re.search(r"^exec make test$", script, re.MULTILINE)
