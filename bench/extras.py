"""What the per-request extras cost: the request log line and the security headers, in CPU time per request.

    .venv/bin/python bench/extras.py

Runs each in a request context of the app (SQLite in a temporary directory; nothing is stored), many
times over, and prints microseconds of CPU per request: the JSON request log (the clock start, the
X-Request-ID header and the line itself, written to /dev/null) and the security headers (less building
the bare response they go on). bench/RESULTS.md, "Issue 13", has the figures.
"""

import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from flask import Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUNDS = 20_000


def cpu_microseconds(work, rounds=ROUNDS):
    """CPU time of one call of ``work``, in microseconds, after a warm-up."""
    for _ in range(rounds // 20):
        work()
    start = time.process_time()
    for _ in range(rounds):
        work()
    return 1e6 * (time.process_time() - start) / rounds


def main():
    os.environ.setdefault("APP_ENV", "testing")
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/extras.sqlite3"
    from app import create_app
    from web import request_log, security_headers

    app = create_app()
    with open(os.devnull, "w") as devnull:
        for handler in logging.getLogger("pto.request").handlers:
            handler.setStream(devnull)
        with app.test_request_context("/employees/1", headers={"Authorization": "Bearer x"}):
            response = Response("{}", mimetype="application/json")

            def log_line():
                request_log._start_request(app)
                request_log._echo_request_id(response)
                request_log._log_request(app, response)

            bare = cpu_microseconds(lambda: Response("{}", mimetype="application/json"))
            headers = cpu_microseconds(
                lambda: security_headers.add_security_headers(Response("{}", mimetype="application/json"))
            )
            print(f"request log: {cpu_microseconds(log_line):.1f} µs CPU per request")
            print(f"security headers: {headers - bare:.1f} µs CPU per request")


if __name__ == "__main__":
    main()
