"""The README's shell examples run as written: the walkthrough top to bottom, the `flask …` commands.

Every ```sh block of README.md is part of the walkthrough, run in order in one bash, unless the last
line before it says otherwise: ``<!-- not-run: why -->`` (it starts a server, runs the suite, deploys)
or ``<!-- flask-commands: why -->`` (run here on a SQLite file of their own). Shell examples fenced
any other way (bash, shell, console) are refused, so none is silently left out.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import jwt
import pytest
import sqlalchemy as sa

from helpers import (
    admin_token,
    assert_ledger_matches_balances,
    call,
    create_employee,
    register,
    request_pto,
    with_engine,
)
from live import APP_DIR, JWT_SECRET

README = APP_DIR / "README.md"
FENCE = re.compile(r"^```(\S*)\s*$")
MARKER = re.compile(r"^<!-- (not-run|flask-commands): (\S.*) -->$")
OTHER_SHELL_FENCES = {"bash", "shell", "console", "zsh", "shell-session", "sh-session"}
# A path, query or body naming a record by a number it was never told: ids come from earlier answers.
HARD_CODED_ID = re.compile(r"\$API/[\w/]*?/\d|[?&]\w*id=\d|\"\w*id\": *\d")
# The README runs the tools of the project's venv (`.venv/bin/flask`, made by `make`); the suite may run
# from a venv elsewhere (a git worktree sharing one), so the examples get the tools beside this pytest.
README_BIN = ".venv/bin/"
BIN = Path(sys.executable).parent
# Settings the README's lines must bring themselves (or say to set), not inherit from whoever runs pytest.
APP_SETTINGS = {
    "API",
    "APP_ENV",
    "DATABASE_URL",
    "JWT_SECRET_KEY",
    "REGISTRATION_OPEN",
    "ADMIN_USERNAME",
    "ADMIN_PASSWORD",
}
SCRIPT_SECONDS = 180
# Every curl of the walkthrough also reports its status, method and URL on stderr.
REPORT_REQUESTS = (
    "curl() { command curl --write-out "
    "'%{stderr}@request %{http_code} %{method} %{url_effective}\\n' \"$@\"; }"
)
REQUEST = re.compile(r"^@request (\d{3}) (\w+) (\S+)$", re.MULTILINE)
CREATED = re.compile(r"^Created (\w+) '([^']+)' \(user \d+\)\.$", re.MULTILINE)
TOKEN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


class Block(NamedTuple):
    line: int  # where its code starts in README.md
    marker: str | None  # "not-run" or "flask-commands"; None for the walkthrough
    code: str


def shell_blocks():
    """The README's ```sh blocks in order, each with the marker on the last line before it, if any."""
    blocks, language, code, before = [], None, [], ""
    for number, line in enumerate(README.read_text().splitlines(), 1):
        if language is None:
            fence = FENCE.match(line)
            if fence:
                language, code, marker = fence[1], [], MARKER.match(before)
                assert language not in OTHER_SHELL_FENCES, f"README.md:{number}: fence shell as ```sh"
                assert language == "sh" or not marker, f"README.md:{number}: marker before ```{language}"
                start = number + 1
            if line.strip():
                before = line
        elif line.startswith("```"):
            if language == "sh":
                blocks.append(Block(start, marker and marker[1], "\n".join(code)))
            language, before = None, line
        else:
            code.append(line)
    return blocks


def walkthrough():
    return "\n".join(block.code for block in shell_blocks() if block.marker is None)


def flask_commands():
    return "\n".join(block.code for block in shell_blocks() if block.marker == "flask-commands")


def require(*tools):
    """Skip, naming them, when the tools the README's examples use are not installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        names = " ".join(missing)
        pytest.skip(f"the README's examples need {names}, which is missing: apt-get install -y {names}")


def run_bash(script, **settings):
    """Run ``script`` from the project folder with ``set -euo pipefail``, as the README's reader would."""
    env = {name: value for name, value in os.environ.items() if name not in APP_SETTINGS}
    env = {name: value for name, value in env.items() if not name.startswith(("FLASK_", "PTO_"))}
    script = "set -euo pipefail\n" + script.replace(README_BIN, f"{BIN}/")
    return subprocess.run(
        ["bash", "-c", script],
        cwd=APP_DIR,
        env=env | settings,
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
    )


def output_of(result):
    """A finished script's exit status and the end of what it wrote, for failure messages."""
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"


def documented_status(method, url):
    """The status the README's conventions promise: creates 201, deletes 204, everything else 200."""
    path = url.split("//", 1)[1].split("/", 1)[1].split("?")[0]
    if method == "DELETE":
        return 204
    creates = (
        "register",
        "employees",
        "pto",
        "pto-types",
        "accrual-policies",
        "accrual-runs",
        "work-schedules",
        "holiday-calendars",
        "calendar-feeds",
    )
    created = path in creates or re.fullmatch(
        r"employees/\d+/(accrual-assignments|hours-worked|work-schedules)", path
    )
    return 201 if method == "POST" and created else 200


def seed_other_records(base):
    """An install already in use: its first admin, two more accounts, three employees with an entry each."""
    token = admin_token(base)
    for username in ("ona", "ray"):
        register(base, username)
    for name in ("Ona", "Ray", "Kim"):
        request_pto(base, token, create_employee(base, token, name)["id"], 8)
    return token


def records(base, token):
    """Every account, employee (active and archived) and entry, by id, as the admin ``token`` sees them."""
    lists = {
        "users": ("/users", {}),
        "employees": ("/employees", {}),
        "archived": ("/employees", {"archived": "true"}),
        "entries": ("/pto", {}),
    }
    found = {}
    for kind, (path, params) in lists.items():
        rows = call("GET", base + path, token, params=params | {"per_page": 100}).json()
        found[kind] = {row["id"]: row for row in rows}
    return found


def test_every_shell_example_is_in_the_walkthrough_or_says_why_not():
    blocks = shell_blocks()

    assert [block for block in blocks if block.marker is None], "no walkthrough"
    assert [block for block in blocks if block.marker == "flask-commands"], "no flask commands"


def test_the_walkthrough_names_records_only_by_ids_from_earlier_answers():
    hard_coded = [
        f"README.md:{block.line + number}: {line.strip()}"
        for block in shell_blocks()
        if block.marker is None
        for number, line in enumerate(block.code.splitlines())
        if HARD_CODED_ID.search(line)
    ]

    assert hard_coded == []


@pytest.mark.live
def test_the_walkthrough_runs_top_to_bottom_on_a_database_in_use(live_server, database_url, tmp_path):
    """Hard-coded ids would land on the records already there; a wrong status stops the run."""
    require("curl", "jq")
    base = live_server.base_url
    seed_token = seed_other_records(base)
    before = records(base, seed_token)
    variables = tmp_path / "variables"

    # The script ends by writing its variables, so the test can see which tokens it still holds.
    script = f"{REPORT_REQUESTS}\n{walkthrough()}\ndeclare -p >'{variables}'\n"
    result = run_bash(script, API=base, DATABASE_URL=database_url)

    assert result.returncode == 0, output_of(result)
    made = REQUEST.findall(result.stderr)
    assert made, output_of(result)
    assert [(int(status), method, url) for status, method, url in made] == [
        (documented_status(method, url), method, url) for _, method, url in made
    ]
    after = records(base, seed_token)
    new = {}
    for kind, seeded in before.items():
        assert {key: after[kind].get(key) for key in seeded} == seeded, kind
        new[kind] = {key: row for key, row in after[kind].items() if key not in seeded}
    users, entries = new["users"], new["entries"]
    employees = new["employees"] | new["archived"]

    # Roles right: one new admin; every other new account is one of the new employees, and a
    # manager exactly when that employee has reports.
    assert [user["role"] for user in users.values()].count("admin") == 1
    account_of = {user["employee_id"]: user["id"] for user in users.values() if user["employee_id"]}
    for user in users.values():
        if user["role"] != "admin":
            has_reports = any(e["manager_id"] == user["employee_id"] for e in employees.values())
            assert user["employee_id"] in employees and (user["role"] == "manager") == has_reports, user
    # Requests filed by employees for themselves were approved and denied by their manager, except
    # those of types that need no approval: approved at once, with no one named as the decider.
    self_filed = [e for e in entries.values() if e["requested_by"] == account_of.get(e["employee_id"])]
    assert {entry["status"] for entry in self_filed} >= {"approved", "denied"}
    types = call("GET", base + "/pto-types", seed_token, params={"per_page": 100}).json()
    approved_at_once = {pto_type["key"] for pto_type in types if not pto_type["requires_approval"]}
    # The examples that make another type the default make vacation the default again.
    assert [pto_type["key"] for pto_type in types if pto_type["is_default"]] == ["vacation"]
    assert {entry["type"] for entry in self_filed} & approved_at_once, "no request approved at once"
    for entry in self_filed:
        if entry["type"] in approved_at_once:
            assert (entry["status"], entry["decided_by"]) == ("approved", None), entry
        elif entry["status"] in ("approved", "denied"):
            assert entry["decided_by"] == account_of[employees[entry["employee_id"]]["manager_id"]], entry

    # Logout last: every token the reader's shell still holds is dead.
    left = set(TOKEN.findall(variables.read_text()))
    assert left, "the walkthrough kept no token"
    for token in left:
        kind = jwt.decode(token, options={"verify_signature": False})["type"]
        method, path = ("GET", "/me") if kind == "access" else ("POST", "/refresh")
        assert call(method, base + path, token).status_code == 401, f"an {kind} token still works"
    assert_ledger_matches_balances(database_url)


@pytest.mark.parametrize(
    "settings",
    [{"APP_ENV": "development"}, {"APP_ENV": "production", "JWT_SECRET_KEY": JWT_SECRET}],
    ids=["development", "production"],
)
def test_the_flask_commands_run_as_written(tmp_path, settings):
    """In each environment the README describes, on a new SQLite file named by DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'pto.sqlite3'}"

    result = run_bash(flask_commands(), DATABASE_URL=url, **settings)

    assert result.returncode == 0, output_of(result)
    created = {(username, role) for role, username in CREATED.findall(result.stdout)}
    assert created, output_of(result)
    accounts = with_engine(url, lambda c: c.execute(sa.text("SELECT username, role FROM users")).all())
    assert set(map(tuple, accounts)) == created


def test_in_production_the_flask_commands_stop_without_a_strong_secret(tmp_path):
    result = run_bash(flask_commands(), DATABASE_URL=f"sqlite:///{tmp_path / 'pto.sqlite3'}")

    assert result.returncode != 0
    assert "Configuration error: JWT_SECRET_KEY must be a random secret" in result.stderr
