"""No pinned dependency has a known vulnerability (pip-audit over requirements.txt and requirements-dev.txt).

Network test: pip-audit resolves the pins from PyPI and asks PyPI's advisory data about each
package (~20 s). The default run leaves it out (``-m 'not network'`` in pyproject.toml); `make audit`
(``pytest -m network``) runs it, and so does GitLab CI's ``audit`` job.
When no vulnerability service answers, the test is SKIPPED, saying how many pins went unaudited:
an audit that could not look is never reported as a pass.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"  # pinned in requirements-dev.txt
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
AUDIT_SECONDS = 180
SOCKET_TIMEOUT_SECONDS = 15
NETWORK_FAILURE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Max retries exceeded|Connection refused"
    r"|Temporary failure in name resolution|Name or service not known|Network is unreachable"
    r"|timed out|ConnectionError|SSLError",
)


def run_pip_audit():
    """pip-audit's JSON report on the pinned requirements; skip when the network stops it."""
    command = [str(PIP_AUDIT), "-f", "json", "--progress-spinner", "off"]
    command += ["--timeout", str(SOCKET_TIMEOUT_SECONDS)]
    for requirements in REQUIREMENTS:
        command += ["-r", requirements]
    try:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=AUDIT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.skip(
            f"pip-audit could not reach a vulnerability service within {AUDIT_SECONDS} s: NOTHING audited"
        )
    try:
        return json.loads(result.stdout)
    except ValueError:
        if NETWORK_FAILURE.search(result.stderr):
            last_line = result.stderr.strip().splitlines()[-1]
            pytest.skip(
                f"pip-audit could not reach PyPI or a vulnerability service: NOTHING audited ({last_line})"
            )
        pytest.fail(f"pip-audit failed (exit {result.returncode}):\n{result.stderr[-3000:]}")


@pytest.mark.network
def test_pinned_dependencies_have_no_known_vulnerabilities():
    dependencies = run_pip_audit()["dependencies"]

    vulnerable = [
        f"{dependency['name']} {dependency['version']}: {' / '.join([vuln['id'], *vuln.get('aliases', [])])}"
        f" (fixed in {', '.join(vuln['fix_versions']) or 'no release yet'})"
        for dependency in dependencies
        for vuln in dependency.get("vulns", [])
    ]
    unaudited = [dependency["skip_reason"] for dependency in dependencies if "skip_reason" in dependency]
    not_audited = f"{len(unaudited)} of {len(dependencies)} pinned packages NOT audited"
    assert vulnerable == [], f"known vulnerabilities ({not_audited}):\n" + "\n".join(vulnerable)
    if unaudited:
        pytest.skip(
            f"pip-audit could not reach a vulnerability service: {not_audited} (first: {unaudited[0]})"
        )
