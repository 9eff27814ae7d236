"""`make bench`: the API under gunicorn on PostgreSQL, driven by wrk, measured beside its floors.

For each dataset size (BENCH_SIZES employees, ten PTO entries each) the database is reseeded; the
API (wsgi:app) and bench/reference_app.py (the floors) are served side by side by gunicorn with
gunicorn.conf.py and two sync workers each on 127.0.0.1, and wrk drives each workload for BENCH_SECONDS
after a warm-up, in BENCH_ROUNDS turns taken with every other workload's: a busy minute on a shared
machine then falls on the API and its floors alike, instead of on whichever ran during it. At
the first size the history workloads run too, against employees with 200 and with 10,000 prior entries
(bench/dataset.py). The figures and every ratio (to the floors, 10,000 entries over 200, the largest
size over the smallest) go to stdout and bench/RESULTS.md, above the notes kept at its end; logs and
wrk's own output to bench/out/.

    .venv/bin/python bench/run.py                      # every workload at every size
    .venv/bin/python bench/run.py --profile employee   # py-spy on one API worker under that load

Workloads (BENCH_WORKLOADS picks some; the floors they are compared with are added):
    employee, pto_by_employee, balances    GET one employee, its entries, its balances: the read floor
    employees                              GET a page of 50 employees: the list floor
    post_pto, post_pto_one                 POST /pto approved, a random writer or one for the whole run:
                                           the write floor
    post_pto_dated, quote                  POST /pto over two weeks' dates, POST /pto/quote: the write floor,
                                           and the undated post_pto (at least PEER_TARGET of its req/s)
    login                                  POST /login: scrypt's own cost
    history_employee, history_post_pto,    GET an employee, POST /pto on one employee, approve pending
    history_approve, history_cancel        entries, cancel approved ones: at 200 and 10,000 prior entries
    read_ceiling, read_floor, list_floor, write_floor   the reference app's floors (bench/reference_app.py)

Settings (environment):
    BENCH_SECONDS (10)  BENCH_WARMUP_SECONDS (2)  BENCH_SIZES (200,20000)  BENCH_CONNECTIONS (4)
    BENCH_THREADS (1)  BENCH_WORKLOADS (all, e.g. employee,post_pto)
    BENCH_ROUNDS (5): the turns each workload's BENCH_SECONDS are split into
    BENCH_POOL_RATE (600): the req/s the approve and cancel pools are sized for, over the warm-up and
        the run (each entry is consumed once; a run that uses a pool up fails)
    BENCH_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/pto_bench: dropped and recreated)
    BENCH_RATELIMIT_STORAGE_URI (redis://127.0.0.1:6379 when a Redis answers there, else memory://): where
        the API counts its rate limits, as RATELIMIT_STORAGE_URI; a deploy sets Redis (README)
    BENCH_PROFILE_FORMAT (raw: collapsed stacks plus a summary; or flamegraph, speedscope)
"""

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dataset
import requests
from werkzeug.security import check_password_hash, generate_password_hash

BENCH_DIR = Path(__file__).resolve().parent
APP_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
# RESULTS.md: run.py writes what is above this line and keeps what is below (notes added by hand).
KEPT_BELOW = "<!-- Written by bench/run.py down to here; kept as it is from here on. -->"
LUA = BENCH_DIR / "wrk.lua"
BIN = Path(sys.executable).parent
WORKERS = 2
ADMIN = "bench-admin"
START_SECONDS = 30
STOP_SECONDS = 30
# The app's (config.py), so the login workload pays the production cost.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hash method's name, not a password)
FLOOR_TARGET = 0.75
SIZE_TARGET = 1.3
HISTORY_TARGET = 1.2
# A dated filing and a quote may be at most 25 % slower than the undated POST /pto: 1 / 1.25 of its req/s.
PEER_TARGET = 0.8
# Who's out: a team's month (a manager of ten), and a company feed at FEED_SIZE employees.
CALENDAR_MONTH = f"from={date.today().replace(day=1)}&to={date.today().replace(day=1) + timedelta(days=30)}"
FEED_SIZE = 2_000
# Pools: requests besides the measured seconds (probes, one id wrk's request check takes per run).
POOL_SPARE = 100
STDLIB = sysconfig.get_paths()["stdlib"]
# SQLAlchemy's calls into psycopg2 that send a statement and wait for its answer.
DRIVER_CALLS = {"do_execute", "do_execute_no_params", "do_executemany", "do_commit", "do_rollback", "do_ping"}


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    server: str  # "api" or "reference"
    method: str
    path: str  # "{id}" is replaced by an id of the ``ids`` range on each request
    expect: int
    # The seed's id range it draws on: "readers" (the seeded employees), "writers" (huge balances),
    # "writer" (the first of them); for history workloads, one history size's "employees", "filer",
    # "approve" or "cancel" (the pools).
    ids: str = "readers"
    body: str = ""
    floor: str | None = None  # the reference workload it is compared with
    target: float | None = None  # the ratio to the floor it must reach; None: reported only
    ceiling: str | None = None  # a reference workload it is also compared with, for information
    # An API workload it must keep up with (req/s at least PEER_TARGET of its), in the same run.
    peer: str | None = None
    every_size: bool = True  # else only at the first size
    history: bool = False  # measured at the first size against each history size's employees
    sequential: bool = False  # each id once, in order (a pool of entries its request consumes)
    only_size: int | None = None  # measured at this size alone (seeded for it if BENCH_SIZES lacks it)
    peer_target: float = 0.8  # the share of its peer's req/s it must reach
    conditional: bool = False  # sends the ETag of its path's first answer as If-None-Match (expects 304)
    if_none_match: str = ""  # that ETag, once read


POST_BODY = '{"employee_id": {id}, "hours": 0.01}'
# Two weeks, the days' hours worked out from the schedule and calendar: a filing takes a window no other of
# its employee's takes (bench/wrk.lua), in the past, so none stays open and none piles up on the same days
# (80 h each: the writers' balance holds 12,000 of them).
DATED_BODY = '{"employee_id": {id}, "start_date": "{start}", "end_date": "{end}"}'
QUOTE_BODY = '{"employee_id": {id}, "start_date": "2027-01-04", "end_date": "2027-01-15"}'
WORKLOADS = {
    workload.key: workload
    for workload in (
        Workload(
            "read_ceiling", "framework ceiling: JWT + 1 PK SELECT", "reference", "GET",
            "/bare/employees/{id}", 200,
        ),
        Workload(
            "read_floor", "read floor: JWT + session + employee", "reference", "GET", "/employees/{id}", 200,
            ceiling="read_ceiling",
        ),
        Workload(
            "list_floor", "list floor: session + 50 employees + their entries", "reference", "GET",
            "/employees", 200,
        ),
        Workload(
            "write_floor", "write floor: session + lock, entry, balance, line", "reference", "POST", "/pto",
            201, ids="writers", body=POST_BODY, every_size=False,
        ),
        Workload(
            "employee", "GET /employees/<id>", "api", "GET", "/employees/{id}", 200,
            floor="read_floor", target=FLOOR_TARGET, ceiling="read_ceiling",
        ),
        Workload(
            "employees", "GET /employees (page of 50)", "api", "GET", "/employees?per_page=50", 200,
            floor="list_floor", target=FLOOR_TARGET,
        ),
        Workload(
            "pto_by_employee", "GET /pto?employee_id=<id>", "api", "GET", "/pto?employee_id={id}", 200,
            floor="read_floor", target=FLOOR_TARGET,
        ),
        Workload(
            "balances", "GET /employees/<id>/balances", "api", "GET", "/employees/{id}/balances", 200,
            floor="read_floor",
        ),
        Workload(
            "post_pto", "POST /pto (approved, 0.01 h)", "api", "POST", "/pto", 201,
            ids="writers", body=POST_BODY, floor="write_floor", target=FLOOR_TARGET, every_size=False,
        ),
        Workload(
            "post_pto_one", "POST /pto (approved, 0.01 h, one employee)", "api", "POST", "/pto", 201,
            ids="writer", body=POST_BODY, floor="write_floor", every_size=False,
        ),
        Workload(
            "post_pto_dated", "POST /pto (two weeks, hours from the days)", "api", "POST", "/pto", 201,
            ids="writers", body=DATED_BODY, floor="write_floor", every_size=False, peer="post_pto",
        ),
        Workload(
            "quote", "POST /pto/quote (two weeks)", "api", "POST", "/pto/quote", 200,
            ids="writers", body=QUOTE_BODY, floor="write_floor", every_size=False, peer="post_pto",
        ),
        Workload("login", "POST /login (scrypt)", "api", "POST", "/login", 200, every_size=False),
        Workload(
            "calendar_team", "GET /calendar (a team of ten, a month)", "api", "GET",
            f"/calendar?{CALENDAR_MONTH}&manager_id={{id}}", 200, ids="managers", floor="read_floor",
        ),
        Workload(
            "feed_company", f"GET /calendar-feeds/<token>.ics (company, {FEED_SIZE:,} employees)", "api",
            "GET", "{feed}", 200, floor="read_floor", only_size=FEED_SIZE,
        ),
        Workload(
            "feed_unchanged", "GET /calendar-feeds/<token>.ics (If-None-Match: 304)", "api", "GET", "{feed}",
            304, floor="read_floor", only_size=FEED_SIZE, peer="employee", peer_target=1.0, conditional=True,
        ),
        Workload(
            "history_employee", "GET /employees/<id>", "api", "GET", "/employees/{id}", 200,
            ids="employees", every_size=False, history=True,
        ),
        Workload(
            "history_post_pto", "POST /pto (approved, 0.01 h, one employee)", "api", "POST", "/pto", 201,
            ids="filer", body=POST_BODY, every_size=False, history=True,
        ),
        Workload(
            "history_approve", "POST /pto/<id>/approve", "api", "POST", "/pto/{id}/approve", 200,
            ids="approve", every_size=False, history=True, sequential=True,
        ),
        Workload(
            "history_cancel", "POST /pto/<id>/cancel (approved)", "api", "POST", "/pto/{id}/cancel", 200,
            ids="cancel", every_size=False, history=True, sequential=True,
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Settings:
    seconds: int
    warmup: int
    sizes: list
    connections: int
    threads: int
    rounds: int
    workloads: list
    pool_rate: int
    database_url: str
    ratelimit_storage: str
    profile_format: str

    @classmethod
    def from_env(cls, env):
        keys = [key.strip() for key in env.get("BENCH_WORKLOADS", ",".join(WORKLOADS)).split(",") if key]
        unknown = set(keys) - set(WORKLOADS)
        if unknown:
            raise SystemExit(
                f"Unknown BENCH_WORKLOADS {sorted(unknown)}; choose from {', '.join(WORKLOADS)}."
            )
        picked = [WORKLOADS[key] for key in keys]
        needed = {
            name for workload in picked for name in (workload.floor, workload.ceiling, workload.peer) if name
        }
        if int(env.get("BENCH_ROUNDS", "5")) < 1:
            raise SystemExit("BENCH_ROUNDS must be 1 or more.")
        return cls(
            seconds=int(env.get("BENCH_SECONDS", "10")),
            warmup=int(env.get("BENCH_WARMUP_SECONDS", "2")),
            sizes=[int(size) for size in env.get("BENCH_SIZES", "200,20000").split(",")],
            connections=int(env.get("BENCH_CONNECTIONS", "4")),
            threads=int(env.get("BENCH_THREADS", "1")),
            rounds=int(env.get("BENCH_ROUNDS", "5")),
            workloads=[WORKLOADS[key] for key in WORKLOADS if key in set(keys) | needed],
            pool_rate=int(env.get("BENCH_POOL_RATE", "600")),
            database_url=env.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL),
            ratelimit_storage=env.get("BENCH_RATELIMIT_STORAGE_URI") or local_redis() or "memory://",
            profile_format=env.get("BENCH_PROFILE_FORMAT", "raw"),
        )

    @property
    def turn_seconds(self):
        """The length of one turn: BENCH_SECONDS shared among BENCH_ROUNDS, in whole seconds (wrk's unit)."""
        return max(1, round(self.seconds / self.rounds))

    @property
    def measured_seconds(self):
        """What each workload is measured for in all: its turns, which whole seconds may round."""
        return self.turn_seconds * self.rounds

    @property
    def pool_size(self):
        """Entries in each approve and cancel pool: BENCH_POOL_RATE over the warm-up and the run (and the
        two seconds more a profile runs), plus the spare ids probes and wrk's checks take."""
        seconds = self.warmup + max(self.seconds, self.measured_seconds) + 2
        return math.ceil(self.pool_rate * seconds) + POOL_SPARE


@dataclass
class Ids:
    """The ids a workload draws on: at random from ``first`` to ``last``, or each once in order (a pool
    of entries its request consumes: ``first`` moves past those handed out)."""

    first: int
    last: int
    sequential: bool = False
    step: int = 1  # random ids only every so many from ``first``

    def take(self):
        """One id for a single request: the pool's next, or the range's first."""
        if self.first > self.last:
            raise SystemExit(f"The pool of ids up to {self.last} is used up.")
        taken = self.first
        if self.sequential:
            self.first += 1
        return taken

    def used_up_to(self, last_id):
        """wrk handed out ids up to ``last_id``: a pool goes on after it."""
        if self.sequential:
            self.first = max(self.first, last_id + 1)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", metavar="WORKLOAD", help="profile one API worker under this workload")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install -y wrk).")
    settings = Settings.from_env(os.environ)
    OUT_DIR.mkdir(exist_ok=True)
    if args.profile:
        profile(settings, args.profile)
    else:
        sys.exit(benchmark(settings))


# The run


class Bench:
    """The database, the admin's credentials and the environment both servers share."""

    def __init__(self, settings):
        self.settings = settings
        self.password = secrets.token_urlsafe(16)
        self.password_hash = generate_password_hash(self.password, method=PASSWORD_HASH_METHOD)
        self.env = {
            **os.environ,
            "APP_ENV": "production",
            "JWT_SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_ACCESS_TOKEN_MINUTES": "240",  # one token lasts the whole run
            # The write workloads are one admin filing and deciding hundreds of entries a second: they
            # measure the server, not one user's budget of changes (300 a minute by default: 429).
            "RATELIMIT_WRITES": "1000000 per minute",
            "RATELIMIT_FEEDS": "1000000 per minute",  # one feed polled hundreds of times a second
            "RATELIMIT_STORAGE_URI": settings.ratelimit_storage,
            "DATABASE_URL": settings.database_url,
            "FLASK_APP": "wsgi",
        }
        self.log = (OUT_DIR / "bench.log").open("ab")
        dataset.create_database(settings.database_url)
        dataset.migrate(self.env, self.log)

    def seed(self, size, history):
        """Reseed with ``size`` employees, and the history employees if ``history``."""
        pool = self.settings.pool_size if history else 0
        history_employees = f" and the history employees (pools of {pool:,})" if pool else ""
        print(f"Seeding {size:,} employees{history_employees} ...", flush=True)
        return dataset.seed(self.settings.database_url, size, ADMIN, self.password_hash, history_pool=pool)

    def server(self, name, size):
        target = "wsgi:app" if name == "api" else "bench.reference_app:app"
        return Gunicorn(target, self.env, OUT_DIR / f"{name}-{size}.log")

    def login(self, base_url):
        """The admin's access token, from the API."""
        body = {"username": ADMIN, "password": self.password}
        response = requests.post(f"{base_url}/login", json=body, timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

    def for_feed(self, workload, base_url, token):
        """``workload`` with its "{feed}" path made: a company feed of the admin's, made now; and for a
        conditional one, the ETag of its first answer."""
        if workload.path != "{feed}":
            return workload
        made = requests.post(
            base_url + "/calendar-feeds",
            json={"scope": "company"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        made.raise_for_status()
        path = made.json()["url"].split("://", 1)[1].split("/", 1)[1]
        workload = dataclasses.replace(workload, path=f"/{path}")
        if workload.conditional:
            etag = requests.get(base_url + workload.path, timeout=60).headers["ETag"]
            workload = dataclasses.replace(workload, if_none_match=etag)
        return workload

    def body(self, workload):
        if workload.key == "login":
            return json.dumps({"username": ADMIN, "password": self.password})
        return workload.body


def benchmark(settings):
    """Run every workload at every size; print and write the report. Returns the exit status."""
    started = datetime.now(UTC)
    bench = Bench(settings)
    machine = describe_machine(settings)
    results = []
    for size in settings.sizes + extra_sizes(settings):
        chosen = chosen_at(settings, size)
        ids = bench.seed(size, history=any(w.history for w in chosen))
        runs = [(w, None) for w in chosen if not w.history]
        runs += [(w, history) for w in chosen if w.history for history in dataset.HISTORY_SIZES]
        with contextlib.ExitStack() as serving:
            # The API always serves: its login gives the token both servers verify (a fresh one per dataset).
            wanted = ["api"] + (["reference"] if any(w.server == "reference" for w, _ in runs) else [])
            servers = {name: serving.enter_context(bench.server(name, size)) for name in wanted}
            token = bench.login(servers["api"].base_url)
            results += measure(bench, servers, runs, size, ids, token)
    machine["Load average at end"] = load_average()
    report = render(settings, machine, started, results, scrypt_ms(bench))
    write_results(report)
    print("\n" + report)
    print(f"Written to {RESULTS.relative_to(APP_DIR)}; logs in {OUT_DIR.relative_to(APP_DIR)}/.")
    failed = [r for r in results if r["errors"]]
    for result in failed:
        print(f"ERROR: {describe(result)}: {result['errors']}", file=sys.stderr)
    return 1 if failed else 0


def extra_sizes(settings):
    """Sizes a chosen workload is measured at alone (``only_size``) that BENCH_SIZES does not name."""
    return sorted({w.only_size for w in settings.workloads if w.only_size} - set(settings.sizes))


def chosen_at(settings, size):
    """The workloads measured at ``size``: every size's, the first size's, those of this size alone, and
    what those are compared with."""
    if size in settings.sizes:
        first = size == settings.sizes[0]
        return [
            w
            for w in settings.workloads
            if w.only_size in (None, size) and (w.every_size or first or w.only_size)
        ]
    alone = [w for w in settings.workloads if w.only_size == size]
    compared = {name for w in alone for name in (w.floor, w.peer) if name}
    return [w for w in settings.workloads if w in alone or w.key in compared]


def measure(bench, servers, runs, size, ids, token):
    """Warm up each (workload, history size or None) on its server, then measure them in turns: each
    workload's BENCH_SECONDS are BENCH_ROUNDS runs, one per round, every round taking every workload."""
    settings = bench.settings
    prepared = []
    for workload, history in runs:
        base_url = servers[workload.server].base_url
        workload = bench.for_feed(workload, base_url, token)
        body = bench.body(workload)
        workload_ids = ids_of(workload, ids, history)
        probe(base_url, workload, workload_ids, token, body)
        if settings.warmup:
            wrk(base_url, workload, workload_ids, token, body, settings, settings.warmup)
        prepared.append((workload, history, base_url, body, workload_ids))
    turns = {index: [] for index in range(len(prepared))}
    seconds = settings.turn_seconds
    for round_number in range(1, settings.rounds + 1):
        print(f"  Round {round_number} of {settings.rounds} ({seconds} s per workload)", flush=True)
        for index, (workload, _history, base_url, body, workload_ids) in enumerate(prepared):
            turn = wrk(base_url, workload, workload_ids, token, body, settings, seconds)
            turns[index].append(turn)
            # Requests wrk left in flight hold the workers a while: let them finish before the next turn,
            # or a slow workload (a whole company's feed) is paid for by the one after it.
            time.sleep(turn["p99_ms"] / 1000)
    results = []
    for index, (workload, history, *_rest) in enumerate(prepared):
        result = {"key": workload.key, "size": size, "history": history} | combined(turns[index])
        print(
            f"  {describe(result)}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.2f} ms, "
            f"p99 {result['p99_ms']:.2f} ms",
            flush=True,
        )
        results.append(result)
    return results


def combined(turns):
    """One workload's figures over its turns: requests per second over all of them, the median turn's
    p50, the worst turn's p99, the mean over every request, and every error counted."""
    requests_made = sum(turn["requests"] for turn in turns)
    errors = Counter()
    for turn in turns:
        errors.update(turn["errors"])
    return {
        "requests": requests_made,
        "rps": requests_made / sum(turn["seconds"] for turn in turns),
        "p50_ms": statistics.median(turn["p50_ms"] for turn in turns),
        "p99_ms": max(turn["p99_ms"] for turn in turns),
        "mean_ms": sum(turn["mean_ms"] * turn["requests"] for turn in turns) / max(1, requests_made),
        "errors": dict(errors),
        "command": turns[0]["command"],
    }


def ids_of(workload, ids, history):
    """The ids ``workload`` draws on, from the seed's ranges (those of one history size if given)."""
    first, last = (ids["history"][history] if history else ids)[workload.ids]
    return Ids(first, last, workload.sequential, step=10 if workload.ids == "managers" else 1)


def describe(result):
    workload = WORKLOADS[result["key"]]
    where = f"{result['size']:,} employees"
    if result["history"]:
        where = f"{result['history']:,} prior entries"
    return f"{workload.label} at {where}"


def scrypt_ms(bench):
    """The median time of one password check, in this process: the floor of a login."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        check_password_hash(bench.password_hash, bench.password)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


# Servers and load


class Gunicorn:
    """``gunicorn <target> -c gunicorn.conf.py`` with two sync workers on a free port of 127.0.0.1."""

    def __init__(self, target, env, log_path):
        self.target = target
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **env,
            "WEB_CONCURRENCY": str(WORKERS),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            # Servers started one after another must not fight over ~/.gunicorn/gunicorn.ctl.
            "GUNICORN_CMD_ARGS": "--no-control-socket",
        }
        self.log_path = log_path
        self.process = None

    def __enter__(self):
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (a fixed command line: the venv's gunicorn)
                [str(BIN / "gunicorn"), self.target, "-c", "gunicorn.conf.py"],
                cwd=APP_DIR,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)

    def workers(self):
        """The pids of gunicorn's workers."""
        return children(self.process.pid)

    def _wait_until_serving(self):
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.target} exited with {self.process.returncode}: see {self.log_path}"
                )
            try:
                if requests.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.target} not serving after {START_SECONDS} s: see {self.log_path}")
            time.sleep(0.1)


def local_redis():
    """redis://127.0.0.1:6379 if a Redis answers there (where a deploy counts rate limits), else None."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            answered = connection.recv(16).startswith(b"+PONG")
    except OSError:
        return None
    return "redis://127.0.0.1:6379" if answered else None


def free_port():
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


def children(pid):
    """The pids of ``pid``'s child processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def probe(base_url, workload, ids, token, body):
    """Send the workload's request once; stop with the answer if it is not the expected status."""
    request_id = str(ids.take())
    start, end = WINDOWS.take()
    body = body.replace("{id}", request_id).replace("{start}", start).replace("{end}", end)
    response = requests.request(
        workload.method,
        base_url + workload.path.replace("{id}", request_id),
        data=body or None,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **({"If-None-Match": workload.if_none_match} if workload.if_none_match else {}),
        },
        timeout=30,
    )
    if response.status_code != workload.expect:
        raise SystemExit(
            f"{workload.label}: expected {workload.expect}, got {response.status_code}: {response.text[:500]}"
        )


def wrk_command(base_url, settings, seconds):
    return [
        "wrk",
        f"--threads={settings.threads}",
        f"--connections={settings.connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        f"--script={LUA.relative_to(APP_DIR)}",
        base_url,
    ]


@dataclass
class Windows:
    """The two-week windows dated filings take (bench/wrk.lua's "{start}" and "{end}"): each wrk run starts
    after those the runs before it used, so an employee's requests never overlap."""

    base: int = 0

    def take(self):
        """(start, end) of one window for a single request (a probe)."""
        first = WINDOWS_START + timedelta(weeks=2 * self.base)
        self.base += 1
        return first.isoformat(), (first + timedelta(days=11)).isoformat()

    def used_up_to(self, used):
        self.base = max(self.base, used)


WINDOWS_START = date(1970, 1, 5)  # a Monday, as in bench/wrk.lua
WINDOWS = Windows()


def wrk_env(workload, ids, token, body, settings):
    return {
        **os.environ,
        "BENCH_WINDOW_BASE": str(WINDOWS.base),
        "BENCH_METHOD": workload.method,
        "BENCH_PATH": workload.path,
        "BENCH_BODY": body,
        "BENCH_ID_MIN": str(ids.first),
        "BENCH_ID_STEP": str(ids.step),
        "BENCH_IF_NONE_MATCH": workload.if_none_match,
        "BENCH_ID_MAX": str(ids.last),
        "BENCH_ID_ORDER": "sequential" if ids.sequential else "random",
        "BENCH_THREADS": str(settings.threads),
        "BENCH_TOKEN": token,
    }


def wrk(base_url, workload, ids, token, body, settings, seconds=None):
    """Drive ``workload`` with wrk for ``seconds`` (BENCH_SECONDS); return its figures."""
    seconds = settings.seconds if seconds is None else seconds
    command = wrk_command(base_url, settings, seconds)
    pool = ids.last - ids.first + 1
    completed = subprocess.run(  # noqa: S603 (wrk, with arguments built here)
        command,
        cwd=APP_DIR,
        env=wrk_env(workload, ids, token, body, settings),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    with (OUT_DIR / "wrk.log").open("a") as log:
        log.write(f"$ {' '.join(command)}  # {workload.key}\n{completed.stdout}{completed.stderr}\n")
    figures = wrk_figures(completed.stdout)
    ids.used_up_to(figures["last_id"])
    WINDOWS.used_up_to(figures["windows_used"])
    if figures["exhausted"]:
        raise SystemExit(
            f"{workload.label}: its pool of entries ran out ({pool:,} left for this {seconds} s run) and wrk "
            f"stopped instead of repeating them; the pools hold {settings.pool_size:,} entries, sized for "
            f"BENCH_POOL_RATE={settings.pool_rate} req/s: raise it."
        )
    return {**figures, "command": " ".join([*command[:-1], "http://127.0.0.1:<port>"])}


def wrk_figures(stdout):
    """The figures of wrk.lua's BENCH_JSON line, in the report's units, with the errors wrk counted."""
    line = next(line for line in stdout.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = {
        name: figures[name]
        for name in ("non_2xx_3xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        if figures[name]
    }
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "seconds": figures["duration_us"] / 1e6,
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "mean_ms": figures["mean_us"] / 1000,
        "errors": errors,
        "last_id": figures["last_id"],
        "exhausted": figures["exhausted"],
        "windows_used": figures["windows_used"],
    }


# The report


def render(settings, machine, started, results, scrypt_check_ms):
    """RESULTS.md's generated part: what ran where, then the figures against their floors, with 10,000
    prior entries against 200, at the largest size against the smallest, and in full."""
    by = {(r["key"], r["size"], r["history"]): r for r in results}
    lines = [
        "# Benchmark results",
        "",
        "The latest figures of `make bench` (issues 6 and 13), written by `bench/run.py`. The API and the",
        "reference app (`bench/reference_app.py`: the floors, hand-written SQL doing the least a correct",
        f"request must) run side by side under gunicorn with `gunicorn.conf.py` and {WORKERS} sync workers",
        "each on 127.0.0.1, over one PostgreSQL database; wrk drives each workload from a second process,",
        "in turns taken with every other workload's (so a busy moment of a shared machine falls on the API",
        "and its floors alike). Ratios to a floor are requests per second of the API over the floor's, at",
        "the same size.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Command: `{command_line()}`",
        f"- Load: {settings.measured_seconds} s per workload in {settings.rounds} turns of "
        f"{settings.turn_seconds} s after {settings.warmup} s of warm-up (p50: the median turn's; p99: the "
        "worst turn's); wrk with "
        f"{settings.threads} thread(s) and {settings.connections} connections; ids drawn at random per "
        "request, but approve and cancel take each entry of their pool once",
        f"- Dataset: {', '.join(f'{size:,}' for size in settings.sizes)} employees, "
        f"{dataset.ENTRIES_PER_EMPLOYEE} PTO entries, a {dataset.BALANCE_TYPE} balance and a user account "
        f"each; writes go to {dataset.WRITERS} more employees",
        *history_dataset(settings, results),
        f"- Rate-limit counters (RATELIMIT_STORAGE_URI): {settings.ratelimit_storage}",
        *(f"- {name}: {value}" for name, value in machine.items()),
        "",
        *floors_section(results, by),
        *history_section(results, by),
        *scale_section(settings, by),
        *login_section(settings, by, scrypt_check_ms),
        *every_measurement(results),
    ]
    return "\n".join(lines)


def history_dataset(settings, results):
    if not any(result["history"] for result in results):
        return []
    plans = dataset.history_plans(0, settings.pool_size)
    held = "; ".join(
        f"{size:,} entries: {plan['holders']} employees hold {plan['pool_each']:,} of each pool"
        for size, plan in plans.items()
    )
    return [
        f"- History (first size only): for {' and '.join(f'{size:,}' for size in plans)} prior entries "
        f"each, one filer with past entries only, and the employees holding pools of "
        f"{settings.pool_size:,} pending entries (to approve) and {settings.pool_size:,} approved undated "
        f"ones (to cancel), besides past entries ({held})"
    ]


def floors_section(results, by):
    """Each API workload against its floor (and the framework ceiling, for information)."""
    lines = [
        "## Against the floors",
        "",
        "| Workload | Employees | req/s | p50 ms | p99 ms | Against | Its req/s | Ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|:---:|",
    ]
    for result in results:
        workload = WORKLOADS[result["key"]]
        comparisons = (
            (workload.floor, workload.target),
            (workload.ceiling, None),
            (workload.peer, workload.peer_target),
        )
        for against, target in comparisons:
            other = by.get((against, result["size"], None))
            if against is None or other is None or result["history"]:
                continue
            ratio = result["rps"] / other["rps"]
            lines.append(
                f"| {workload.label} | {result['size']:,} | {result['rps']:.1f} | {result['p50_ms']:.2f} | "
                f"{result['p99_ms']:.2f} | {WORKLOADS[against].label} | {other['rps']:.1f} | {ratio:.2f} | "
                + (f"≥ {target} | {yes(ratio >= target)} |" if target else "— | — |")
            )
    return [*lines, ""]


def history_section(results, by):
    """Each history workload with the most prior entries against the fewest."""
    small, large = dataset.HISTORY_SIZES[0], dataset.HISTORY_SIZES[-1]
    rows = []
    for result in results:
        if result["history"] != small:
            continue
        before, after = result, by.get((result["key"], result["size"], large))
        if after is None:
            continue
        ratio = after["p50_ms"] / before["p50_ms"]
        rows.append(
            f"| {WORKLOADS[result['key']].label} | {before['p50_ms']:.2f} | {after['p50_ms']:.2f} | "
            f"{ratio:.2f} | {before['rps']:.1f} | {after['rps']:.1f} | {after['rps'] / before['rps']:.2f} | "
            f"≤ {HISTORY_TARGET} | {yes(ratio <= HISTORY_TARGET)} |"
        )
    if not rows:
        return []
    return [
        f"## History: {large:,} prior entries against {small:,}",
        "",
        f"The same request for employees with {large:,} prior entries and with {small:,}: ratios are",
        f"{large:,} over {small:,}, and the target applies to p50. The POST files on one employee for the",
        "whole run, so its history grows by the run's requests at either size; approve and cancel take",
        "each pooled entry once.",
        "",
        f"| Workload | p50 ms at {small:,} | p50 ms at {large:,} | p50 ratio | req/s at {small:,} | "
        f"req/s at {large:,} | req/s ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
        *rows,
        "",
    ]


def scale_section(settings, by):
    """Each workload at the largest dataset size against the smallest."""
    sizes = settings.sizes
    if len(sizes) < 2:
        return []
    small, large = sizes[0], sizes[-1]
    lines = [
        f"## Scale: {large:,} employees against {small:,}",
        "",
        "Latency ratios (larger over smaller dataset); the target applies to p50.",
        "",
        f"| Workload | p50 ms at {small:,} | p50 ms at {large:,} | p50 ratio | p99 ratio | req/s ratio "
        f"| Target | Met |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for workload in settings.workloads:
        before, after = by.get((workload.key, small, None)), by.get((workload.key, large, None))
        if before is None or after is None:
            continue
        ratio = after["p50_ms"] / before["p50_ms"]
        lines.append(
            f"| {workload.label} | {before['p50_ms']:.2f} | {after['p50_ms']:.2f} | {ratio:.2f} | "
            f"{after['p99_ms'] / before['p99_ms']:.2f} | {after['rps'] / before['rps']:.2f} | "
            f"≤ {SIZE_TARGET} | {yes(ratio <= SIZE_TARGET) if workload.server == 'api' else '—'} |"
        )
    return [*lines, ""]


def login_section(settings, by, scrypt_check_ms):
    login = by.get(("login", settings.sizes[0], None))
    if not login:
        return []
    ceiling = WORKERS * 1000 / scrypt_check_ms
    return [
        "## Login",
        "",
        "Deliberately slow: every login checks a password hash with scrypt at production cost. One check",
        f"takes {scrypt_check_ms:.1f} ms in the benchmark's own process, so {WORKERS} workers cannot "
        f"pass about {ceiling:.0f} logins/s.",
        "",
        "| Workload | req/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
        f"| {WORKLOADS['login'].label} | {login['rps']:.1f} | {login['p50_ms']:.2f} | "
        f"{login['p99_ms']:.2f} |",
        "",
    ]


def every_measurement(results):
    lines = [
        "## Every measurement",
        "",
        "| Workload | Server | Employees | Prior entries | Requests | req/s | mean ms | p50 ms | p99 ms | "
        "Errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        workload = WORKLOADS[result["key"]]
        errors = ", ".join(f"{name} {count}" for name, count in result["errors"].items()) or "none"
        history = f"{result['history']:,}" if result["history"] else "—"
        lines.append(
            f"| {workload.label} | {workload.server} | {result['size']:,} | {history} | "
            f"{result['requests']:,} | {result['rps']:.1f} | {result['mean_ms']:.2f} | "
            f"{result['p50_ms']:.2f} | {result['p99_ms']:.2f} | {errors} |"
        )
    commands = sorted({result["command"] for result in results})
    return [
        *lines,
        "",
        "wrk ran as (with `bench/wrk.lua` reading the method, path, body, ids and token from BENCH_* "
        "variables):",
        "",
        *(f"    {command}" for command in commands),
        "",
    ]


def write_results(report):
    """Write ``report`` to RESULTS.md, keeping what the file holds below KEPT_BELOW (before that line
    existed: from its first "## Issue" section on)."""
    kept = ""
    if RESULTS.exists():
        text = RESULTS.read_text()
        if KEPT_BELOW in text:
            kept = text.split(KEPT_BELOW, 1)[1]
        elif "\n## Issue " in text:
            kept = text[text.index("\n## Issue ") :]
    RESULTS.write_text(f"{report}\n{KEPT_BELOW}\n" + (f"\n{kept.strip()}\n" if kept.strip() else ""))


def yes(met):
    return "yes" if met else "**no**"


def command_line():
    """How this run was started, with the BENCH_* settings it was given."""
    overrides = " ".join(f"{name}={value}" for name, value in sorted(os.environ.items()) if is_setting(name))
    command = "make bench" if "MAKELEVEL" in os.environ else " ".join([".venv/bin/python", *sys.argv])
    return f"{overrides} {command}".strip()


def is_setting(name):
    return name.startswith("BENCH_") and name != "BENCH_ARGS"


def describe_machine(settings):
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?"
    )
    memory = subprocess.run(["free", "-m"], capture_output=True, text=True, check=False).stdout  # noqa: S607
    total_mb = next((line.split()[1] for line in memory.splitlines() if line.startswith("Mem:")), "?")
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    return {
        "CPU": f"{model}; nproc {len(os.sched_getaffinity(0))} (of {os.cpu_count()})",
        "Memory": f"{total_mb} MB (free -m)",
        "Load average at start": load_average(),
        "System": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
        "PostgreSQL": dataset.server_version(settings.database_url),
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("[")[0].strip(),
    }


def load_average():
    """The 1, 5 and 15 minute load averages: others' work on a shared machine shows here."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# Profiling


def profile(settings, key):
    """Record one API worker with py-spy while wrk drives workload ``key`` at the first size (a history
    workload: against the employees with the most prior entries)."""
    workload = WORKLOADS.get(key)
    if workload is None or workload.server != "api":
        api_keys = [k for k, w in WORKLOADS.items() if w.server == "api"]
        raise SystemExit(f"Profile which workload? One of {', '.join(api_keys)}.")
    size = settings.sizes[0]
    extension = {"raw": "txt", "flamegraph": "svg", "speedscope": "json"}.get(settings.profile_format)
    if extension is None:
        raise SystemExit("BENCH_PROFILE_FORMAT must be raw, flamegraph or speedscope.")
    history = dataset.HISTORY_SIZES[-1] if workload.history else None
    output = OUT_DIR / f"profile-{key}-{history or size}.{extension}"
    bench = Bench(settings)
    ids = ids_of(workload, bench.seed(size, history=workload.history), history)
    body = bench.body(workload)
    with bench.server("api", size) as server:
        token = bench.login(server.base_url)
        probe(server.base_url, workload, ids, token, body)
        if settings.warmup:
            wrk(server.base_url, workload, ids, token, body, settings, settings.warmup)
        worker = server.workers()[0]
        load = subprocess.Popen(  # noqa: S603 (wrk, with arguments built here)
            wrk_command(server.base_url, settings, settings.seconds + 2),
            cwd=APP_DIR,
            env=wrk_env(workload, ids, token, body, settings),
            stdout=subprocess.DEVNULL,
        )
        try:
            # --idle keeps the samples where the worker waits on PostgreSQL: round trips are the point.
            subprocess.run(  # noqa: S603 (the venv's py-spy, with arguments built here)
                [
                    str(BIN / "py-spy"), "record", "--pid", str(worker), "--duration", str(settings.seconds),
                    "--rate", "200", "--idle", "--function", "--full-filenames",
                    "--format", settings.profile_format,
                    "--output", str(output),
                ],
                check=True,
            )  # fmt: skip
        finally:
            load.wait(timeout=settings.seconds + 60)
    result = {"key": key, "size": size, "history": history}
    print(f"Profile of worker {worker} under {describe(result)}: {output}")
    if settings.profile_format == "raw":
        summary = summarize(output)
        output.with_suffix(".top.txt").write_text(summary)
        print(summary)
        print("Open the collapsed stacks in https://www.speedscope.app for a flame graph.")


def summarize(path, top=25):
    """Where the worker's samples fall in py-spy's collapsed stacks: by package, by function, and
    inclusive of callees for the app's own functions."""
    own, inclusive, packages = Counter(), Counter(), Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        count = int(count)
        frames = stack.split(";")
        samples += count
        own[frames[-1]] += count
        packages[package(frames[-1])] += count
        for frame in set(frames):
            inclusive[frame] += count

    def table(title, counter, label=shorten, keep=lambda _name: True):
        rows = [
            f"{100 * n / samples:6.1f}%  {label(name)}" for name, n in counter.most_common() if keep(name)
        ]
        return [title, *rows[:top], ""]

    def in_app(frame):
        return package(frame).startswith("app:")

    return "\n".join(
        [
            f"{samples} samples (waiting on PostgreSQL included: py-spy ran with --idle)",
            "",
            *table("Own time by package:", packages, label=str),
            *table("Own time by function:", own),
            *table("Inclusive time of the app's functions (with what they call):", inclusive, keep=in_app),
        ]
    )


def package(frame):
    """Which package a py-spy frame ("function (/full/path/file.py:line)") belongs to; the driver calls
    that send a statement and wait for PostgreSQL's answer count apart."""
    function, _, location = frame.rpartition(" (")
    if function.rpartition(".")[2] in DRIVER_CALLS:
        return "PostgreSQL round trips (the driver in execute, commit, rollback, ping)"
    path = location.rpartition(":")[0]
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0]
    if path.startswith(f"{APP_DIR}/") and "/.venv/" not in path:
        return f"app: {path.removeprefix(f'{APP_DIR}/')}"
    return f"python: {Path(path).name}"


def shorten(frame):
    """A frame with its file path relative to site-packages, the app or the standard library."""
    function, found, location = frame.rpartition(" (")
    if not found:
        return frame
    if "/site-packages/" in location:
        location = location.split("/site-packages/", 1)[1]
    location = location.removeprefix(f"{APP_DIR}/").removeprefix(f"{STDLIB}/")
    return f"{function} ({location}"


if __name__ == "__main__":
    main()
