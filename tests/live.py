"""A real gunicorn serving the app on 127.0.0.1, for tests of concurrency, workers and restarts."""

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from helpers import TIMEOUT

APP_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"  # the one installed beside the running pytest
START_SECONDS = 20
STOP_SECONDS = 30  # gunicorn.conf.py gives in-flight requests 25 s after SIGTERM
# The answering worker's pid on each access-log line shows how requests spread across workers.
ACCESS_LOG_FORMAT = "%(p)s %(m)s %(U)s %(s)s"
# Added to gunicorn.conf.py's settings. Without --no-control-socket every gunicorn of a user shares
# ~/.gunicorn/gunicorn.ctl, and servers started side by side (or in parallel runs) take it from each other.
# gunicorn.conf.py turns the access log off in production; here it goes to stdout again.
GUNICORN_CMD_ARGS = f"--access-logfile - --access-logformat '{ACCESS_LOG_FORMAT}' --no-control-socket"
ACCESS_LINE = re.compile(r"^<(?P<pid>\d+)> (?P<method>\S+) (?P<path>\S+) (?P<status>\d{3})$")


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveServer:
    """``gunicorn wsgi:app -c gunicorn.conf.py`` with ``workers`` workers, as the Procfile runs it."""

    def __init__(self, env, log_dir, workers):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {
            **env,
            "WEB_CONCURRENCY": str(workers),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "GUNICORN_CMD_ARGS": GUNICORN_CMD_ARGS,
        }
        self.log_dir = Path(log_dir)
        self.starts = 0
        self.process = None

    def start(self):
        """Start gunicorn and wait until every worker answers /health; fail with its log if it does not."""
        self.starts += 1
        with self.access_log_path().open("wb") as access_log, self.error_log_path().open("ab") as error_log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "wsgi:app", "-c", "gunicorn.conf.py"],
                cwd=APP_DIR,
                env=self.env,
                stdout=access_log,
                stderr=error_log,
            )
        try:
            self._wait_until_every_worker_serves()
        except Exception:
            self.stop()
            raise

    def stop(self):
        """SIGTERM, as Heroku sends it; SIGKILL if gunicorn has not exited in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)

    def restart(self):
        """Stop gunicorn and start it again on the same port and database."""
        self.stop()
        self.start()

    def access_log_path(self):
        return self.log_dir / f"gunicorn-access-{self.starts}.log"

    def error_log_path(self):
        return self.log_dir / "gunicorn-error.log"

    def error_log(self):
        """What gunicorn and the app wrote to stderr, across restarts."""
        return self.error_log_path().read_text(errors="replace")

    def workers_that_answered(self, method, path, status, at_least=1, timeout=5):
        """The pids of the workers that answered ``method path`` with ``status`` since the last start.

        A worker logs a request just after sending its response, so wait (bounded) until
        ``at_least`` such lines are there.
        """
        deadline = time.monotonic() + timeout
        while True:
            pids = [
                line["pid"]
                for line in self._access_log()
                if (line["method"], line["path"], line["status"]) == (method, path, str(status))
            ]
            if len(pids) >= at_least or time.monotonic() > deadline:
                return set(pids)
            time.sleep(0.05)

    def _access_log(self):
        text = self.access_log_path().read_text(errors="replace")
        return [match.groupdict() for match in map(ACCESS_LINE.match, text.splitlines()) if match]

    def _wait_until_every_worker_serves(self):
        deadline = time.monotonic() + START_SECONDS
        while len(self.workers_that_answered("GET", "/health", 200, timeout=0)) < self.workers:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.error_log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn not serving after {START_SECONDS} s:\n{self.error_log()}")
            # Simultaneous probes keep busy workers from answering them all, so idle ones show up.
            with ThreadPoolExecutor(self.workers * 2) as pool:
                list(pool.map(self._probe_health, range(self.workers * 2)))
            time.sleep(0.1)

    def _probe_health(self, _):
        # Not listening yet, or no worker took the connection within the probe's timeout: try again.
        with contextlib.suppress(requests.RequestException):
            requests.get(f"{self.base_url}/health", timeout=2)


# Clients: send requests as client scripts do, many at once (one request: helpers.call or helpers.Api).

WORKERS = 3
THREADS = 50
JWT_SECRET = "live-tests-only-0123456789-abcdefghijklmnopqrstuvwxyz"


def hammer(n, send):
    """Run ``send(i)`` for i in range(n) on up to THREADS threads, the first wave released at once."""
    threads = min(n, THREADS)
    start = threading.Barrier(threads)

    def send_together(i):
        if i < threads:
            start.wait(timeout=TIMEOUT)
        return send(i)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(send_together, range(n)))


def statuses(responses):
    return Counter(response.status_code for response in responses)


def assert_json_error(response, code):
    """``response`` is the API's JSON error with status ``code``."""
    assert response.status_code == code, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code
