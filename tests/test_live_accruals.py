"""Live: accrual runs scheduled on two dynos at once, another started through the API, and PTO filed all the
while, against a real gunicorn. Each period is posted once per employee, no PTO hours are lost, and every
balance equals its ledger afterwards."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

from helpers import TIMEOUT, Person, assert_ledger_matches_balances, call, ledger, login, register
from live import APP_DIR, JWT_SECRET, hammer, statuses
from tests.helpers import company_today as today

FLASK = Path(sys.executable).parent / "flask"
EMPLOYEES = 12
PTO_REQUESTS = 48
HIRED = date(2025, 1, 1)


def months_ended_since(first_day):
    """How many month ends fall from ``first_day`` to today: the monthly accruals due by now."""
    day = today()
    months = (day.year - first_day.year) * 12 + day.month - first_day.month + 1
    return months if (day + timedelta(days=1)).month != day.month else months - 1


def flask_accrue(database_url):
    """`flask accrue` in a process of its own, as a scheduler starts it."""
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": database_url, "JWT_SECRET_KEY": JWT_SECRET}
    return subprocess.Popen(
        [str(FLASK), "--app", "wsgi", "accrue"],
        cwd=APP_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.live
def test_runs_on_two_dynos_and_live_pto_lose_nothing(live_server, database_url):
    base = live_server.base_url
    admin_id = register(base, "admin")["id"]
    admin = Person(login(base, "admin"), admin_id, None)
    policy = {
        "name": "Monthly",
        "type": "vacation",
        "tiers": [{"after_years": 0, "hours": 6.67}],
        "for_new_hires": True,
    }
    assert call("POST", f"{base}/accrual-policies", admin.token, json=policy).status_code == 201
    ids = [
        call(
            "POST",
            f"{base}/employees",
            admin.token,
            json={"name": f"E{n}", "hours_balance": 100, "hire_date": str(HIRED)},
        ).json()["id"]
        for n in range(EMPLOYEES)
    ]

    dynos = [flask_accrue(database_url), flask_accrue(database_url)]
    with ThreadPoolExecutor(1) as pool:
        api_run = pool.submit(call, "POST", f"{base}/accrual-runs", admin.token)
        filed = hammer(
            PTO_REQUESTS,
            lambda i: call(
                "POST", f"{base}/pto", admin.token, json={"employee_id": ids[i % EMPLOYEES], "hours": 1}
            ),
        )
        assert api_run.result().status_code == 201
    for dyno in dynos:
        out, err = dyno.communicate(timeout=TIMEOUT * 4)
        assert dyno.returncode == 0, err.decode()
        assert out.decode().startswith("Accrual run ")

    assert statuses(filed) == {201: PTO_REQUESTS}
    runs = call("GET", f"{base}/accrual-runs", admin.token).json()
    assert sum(run["lines"] for run in runs) == EMPLOYEES * months_ended_since(HIRED)
    for employee_id in ids:
        lines, _ = ledger(base, admin.token, employee_id)
        periods = [line["period_start"] for line in lines if line["policy_id"]]
        assert len(periods) == len(set(periods)) == months_ended_since(HIRED)
        assert sum(line["kind"] == "pto_taken" for line in lines) == PTO_REQUESTS // EMPLOYEES
    assert_ledger_matches_balances(database_url)
