"""A Python client generated from /openapi.json (openapi-python-client) works as its users would use it.

The client is generated once for the module, and the generator must not warn. generated_client_flow.py,
which uses nothing but that client, then runs the tutorial's flow and a request's workflow against a live
gunicorn, reading every answer through its typed model (/me's employee.hours_balance included).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import call, ledger_kinds, tokens

BIN = Path(sys.executable).parent  # openapi-python-client and ruff (its formatter) are pinned dev tools
PACKAGE = "pto_tracker_api_client"
FLOW = Path(__file__).with_name("generated_client_flow.py")
GENERATE_SECONDS = 120
FLOW_SECONDS = 60


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory, openapi_document):
    """The directory holding the client generated from the app's /openapi.json."""
    directory = tmp_path_factory.mktemp("generated_client")
    (directory / "openapi.json").write_text(json.dumps(openapi_document))
    (directory / "config.json").write_text(json.dumps({"package_name_override": PACKAGE}))
    command = [str(BIN / "openapi-python-client"), "generate", "--path", "openapi.json"]
    command += ["--config", "config.json", "--meta", "none", "--output-path", PACKAGE, "--fail-on-warning"]
    result = subprocess.run(
        command,
        cwd=directory,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=GENERATE_SECONDS,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    return directory


@pytest.mark.live
def test_a_generated_client_runs_the_tutorial_and_a_request_workflow(
    live_server, generated_client, openapi_document
):
    base = live_server.base_url
    assert call("GET", f"{base}/openapi.json").json() == openapi_document

    result = subprocess.run(
        [sys.executable, str(FLOW)],
        env={**os.environ, "PYTHONPATH": str(generated_client), "PTO_API": base},
        capture_output=True,
        text=True,
        timeout=FLOW_SECONDS,
    )

    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert json.loads(result.stdout) == {
        "admin_role": "admin",
        "listed_at_first": [],
        "location": "/pto/1",
        "statuses": ["pending", "approved", "cancelled"],
        "type": "vacation",
        "balance_type": "vacation",
        "start_date": "2027-03-01",
        "decided_by": 1,
        "decision_note": "Enjoy",
        "cancellation_note": "Plans changed",
        "fox_balances": [40.0, 32.75, 40.0],
        "fox_available_after_approval": 32.75,
        "admin_employee": None,
        "listed_at_last": {"Fox Mulder": ["cancelled"]},
        "types": {
            "vacation": ["own", None],
            "bereavement": ["shared", "vacation"],
            "personal": ["shared", "vacation"],
            "sick": ["shared", "vacation"],
            "unpaid": ["none", None],
        },
        "fox_balance_by_type": {"vacation": [40.0, ["vacation", "bereavement", "personal", "sick"]]},
    }
    admin = tokens(base, "admin")["access_token"]
    assert ledger_kinds(base, admin, 1) == ["opening", "pto_taken", "refund"]
