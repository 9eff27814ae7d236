"""The scripts in examples/ run as users run them: as subprocesses against a live gunicorn.

tutorial_client.py is the tutorial's register → login → list employees, which must work on a
fresh install and again once the account exists; hr_workflow.py files a request as an employee
and has their manager approve it. The API is then asked whether it all really happened.
`make examples` installs their one dependency and runs both.
"""

import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from helpers import assert_ledger_matches_balances, call, create_employee, ledger, tokens
from live import APP_DIR, free_port

EXAMPLES = APP_DIR / "examples"
SCRIPT_SECONDS = 60


def example_env(base_url, **settings):
    """The caller's environment with the examples' settings replaced by ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PTO_")}
    return env | {"PTO_API": base_url, **settings}


def make_examples(base_url):
    """`make examples` against ``base_url``, in the venv running this test (make would build .venv)."""
    if shutil.which("make") is None:
        pytest.skip("`make examples` needs make: apt-get install -y make")
    return subprocess.run(
        ["make", "--no-print-directory", "examples", f"VENV={sys.prefix}"],
        cwd=APP_DIR,
        env=example_env(base_url),
        capture_output=True,
        text=True,
        timeout=2 * SCRIPT_SECONDS,
    )


def run_example(script, base_url, **settings):
    """Run ``examples/<script>`` against ``base_url``; return its stdout, failing on a non-zero exit."""
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=APP_DIR,
        env=example_env(base_url, **settings),
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
    )
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.live
def test_tutorial_client_runs_on_a_fresh_install_and_again(live_server):
    """The first run registers the admin and lists no one; the second meets a 409 and carries on."""
    base = live_server.base_url

    first = run_example("tutorial_client.py", base)

    assert "Registered admin (role: admin)" in first
    assert "Logged in" in first
    assert "Employees (0):" in first

    # The account the script made is the admin (the defaults match the README's snippet).
    token = tokens(base, "admin")["access_token"]  # live.PASSWORD is the examples' default too
    assert call("GET", f"{base}/me", token).json()["role"] == "admin"
    employee_id = create_employee(base, token, hours_balance=40)["id"]

    second = run_example("tutorial_client.py", base)

    assert "admin is already registered; logging in" in second
    assert "Logged in" in second
    assert "Employees (1):" in second
    assert f"#{employee_id} Dana Scully: 40.0 hours" in second
    users = call("GET", f"{base}/users", token).json()
    assert [user["username"] for user in users] == ["admin"]


@pytest.mark.live
def test_hr_workflow_files_and_approves_pto_and_runs_again(live_server, database_url):
    """On a fresh install, twice: each run's report files 16 hours, their manager approves them."""
    base = live_server.base_url
    admin = {"PTO_ADMIN_USERNAME": "hr-lead", "PTO_ADMIN_PASSWORD": "a long admin passphrase"}

    outputs = [run_example("hr_workflow.py", base, **admin) for _ in range(2)]

    for output in outputs:
        assert "Logged in as hr-lead (admin)" in output
        assert ": manager, linked to employee #" in output
        assert ": employee, linked to employee #" in output
        assert "status pending" in output
        assert "'s approval queue:" in output
        assert " approved by skinner-" in output and ": Enjoy" in output
        assert "opening      +40.00 ->   40.00  by hr-lead" in output
        assert "pto_taken    -16.00 ->   24.00  by skinner-" in output
        assert "Balance of Dana Scully " in output and ": 24.00 h on " in output
        assert "(pending 0.00 h, available 24.00 h)" in output

    # Ask the API whether it happened: per run a manager, a report, two linked users, one approved entry.
    credentials = {"username": "hr-lead", "password": admin["PTO_ADMIN_PASSWORD"]}
    token = call("POST", f"{base}/login", json=credentials).json()["access_token"]
    users = {user["id"]: user for user in call("GET", f"{base}/users", token).json()}
    assert Counter(user["role"] for user in users.values()) == {"admin": 1, "manager": 2, "employee": 2}
    employees = {employee["id"]: employee for employee in call("GET", f"{base}/employees", token).json()}
    assert len(employees) == 4
    entries = call("GET", f"{base}/pto", token).json()
    assert len(entries) == 2
    for entry in entries:
        report = employees[entry["employee_id"]]
        (manager_user,) = (user for user in users.values() if user["employee_id"] == report["manager_id"])
        (report_user,) = (user for user in users.values() if user["employee_id"] == report["id"])
        assert manager_user["role"] == "manager" and report_user["role"] == "employee"
        assert (entry["status"], entry["hours"], entry["type"]) == ("approved", 16, "vacation")
        assert (entry["requested_by"], entry["decided_by"]) == (report_user["id"], manager_user["id"])
        assert entry["decision_note"] == "Enjoy"
        assert (report["hours_balance"], report["pending_hours"]) == (24, 0)
        lines, _ = ledger(base, token, report["id"])
        assert [(line["kind"], line["delta"], line["balance_after"]) for line in lines] == [
            ("opening", 40, 40),
            ("pto_taken", -16, 24),
        ]
        assert (lines[1]["actor_id"], lines[1]["pto_entry_id"]) == (manager_user["id"], entry["id"])
        manager = employees[report["manager_id"]]
        assert manager["hours_balance"] == 80 and manager["manager_id"] is None
    assert_ledger_matches_balances(database_url)


@pytest.mark.live
def test_make_examples_installs_requests_and_runs_both_scripts(live_server):
    result = make_examples(live_server.base_url)

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "Registered admin (role: admin)" in result.stdout
    assert "Logged in as admin (admin)" in result.stdout
    assert " approved by skinner-" in result.stdout and ": 24.00 h on " in result.stdout


def test_make_examples_says_to_start_the_api_when_none_answers():
    base = f"http://127.0.0.1:{free_port()}"

    result = make_examples(base)

    assert result.returncode != 0
    assert f"No API answers at {base}: start it with make run" in result.stdout
