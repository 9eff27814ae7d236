"""`make bench`: the API under gunicorn on PostgreSQL, driven by wrk, measured beside its floor.

For each dataset size (BENCH_SIZES employees, ten PTO entries each) the database is reseeded; the
API (wsgi:app) and then bench/reference_app.py are served by gunicorn with gunicorn.conf.py and two
sync workers on 127.0.0.1, and wrk drives each workload for BENCH_SECONDS after a warm-up. The
figures go to stdout and bench/RESULTS.md; logs and wrk's own output to bench/out/.

    .venv/bin/python bench/run.py                      # every workload at every size
    .venv/bin/python bench/run.py --profile employee   # py-spy on one API worker under that load

Settings (environment):
    BENCH_SECONDS (10)  BENCH_WARMUP_SECONDS (2)  BENCH_SIZES (200,20000)  BENCH_CONNECTIONS (4)
    BENCH_THREADS (1)  BENCH_WORKLOADS (all, e.g. employee,post_pto; floors are added as needed)
    BENCH_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/pto_bench: dropped and recreated)
    BENCH_PROFILE_FORMAT (raw: collapsed stacks plus a summary; or flamegraph, speedscope)
"""

import argparse
import json
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
from datetime import UTC, datetime
from pathlib import Path

import dataset
import requests
from werkzeug.security import check_password_hash, generate_password_hash

BENCH_DIR = Path(__file__).resolve().parent
APP_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS = BENCH_DIR / "RESULTS.md"
LUA = BENCH_DIR / "wrk.lua"
BIN = Path(sys.executable).parent
WORKERS = 2
ADMIN = "bench-admin"
START_SECONDS = 30
STOP_SECONDS = 30
# The app's (config.py), so the login workload pays the production cost.
PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a hash method's name, not a password)
SIZE_TARGET = 1.3
STDLIB = sysconfig.get_paths()["stdlib"]
# SQLAlchemy's calls into psycopg2 that send a statement and wait for its answer.
DRIVER_CALLS = {"do_execute", "do_execute_no_params", "do_executemany", "do_commit", "do_rollback", "do_ping"}


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    server: str  # "api" or "reference"
    method: str
    path: str  # "{id}" is replaced by a random id of the ``ids`` range on each request
    expect: int
    ids: str = "readers"  # "readers": the seeded employees; "writers": the ones with huge balances
    body: str = ""
    floor: str | None = None  # the reference workload it is compared with
    every_size: bool = True  # else only at the first size


READ_FLOOR = Workload(
    "read_floor", "read floor: JWT + 1 PK SELECT", "reference", "GET", "/employees/{id}", 200
)
WRITE_FLOOR = Workload(
    "write_floor",
    "write floor: JWT + UPDATE + INSERT",
    "reference",
    "POST",
    "/pto",
    201,
    ids="writers",
    body='{"employee_id": {id}, "hours": 0.01}',
    every_size=False,
)
WORKLOADS = {
    workload.key: workload
    for workload in (
        READ_FLOOR,
        WRITE_FLOOR,
        Workload("employee", "GET /employees/<id>", "api", "GET", "/employees/{id}", 200, floor="read_floor"),
        Workload(
            "employees", "GET /employees (page of 50)", "api", "GET", "/employees?per_page=50", 200,
            floor="read_floor",
        ),
        Workload(
            "pto_by_employee", "GET /pto?employee_id=<id>", "api", "GET", "/pto?employee_id={id}", 200,
            floor="read_floor",
        ),
        Workload(
            "balances", "GET /employees/<id>/balances", "api", "GET", "/employees/{id}/balances", 200,
            floor="read_floor",
        ),
        Workload(
            "post_pto", "POST /pto (approved, 0.01 h)", "api", "POST", "/pto", 201,
            ids="writers", body=WRITE_FLOOR.body, floor="write_floor", every_size=False,
        ),
        Workload("login", "POST /login (scrypt)", "api", "POST", "/login", 200, every_size=False),
    )
}  # fmt: skip
TARGETS = {"read_floor": 0.75, "write_floor": 0.7}


@dataclass(frozen=True)
class Settings:
    seconds: int
    warmup: int
    sizes: list
    connections: int
    threads: int
    workloads: list
    database_url: str
    profile_format: str

    @classmethod
    def from_env(cls, env):
        keys = [key.strip() for key in env.get("BENCH_WORKLOADS", ",".join(WORKLOADS)).split(",") if key]
        unknown = set(keys) - set(WORKLOADS)
        if unknown:
            raise SystemExit(
                f"Unknown BENCH_WORKLOADS {sorted(unknown)}; choose from {', '.join(WORKLOADS)}."
            )
        floors = {WORKLOADS[key].floor for key in keys} - {None}
        return cls(
            seconds=int(env.get("BENCH_SECONDS", "10")),
            warmup=int(env.get("BENCH_WARMUP_SECONDS", "2")),
            sizes=[int(size) for size in env.get("BENCH_SIZES", "200,20000").split(",")],
            connections=int(env.get("BENCH_CONNECTIONS", "4")),
            threads=int(env.get("BENCH_THREADS", "1")),
            workloads=[WORKLOADS[key] for key in WORKLOADS if key in set(keys) | floors],
            database_url=env.get("BENCH_DATABASE_URL", dataset.DEFAULT_URL),
            profile_format=env.get("BENCH_PROFILE_FORMAT", "raw"),
        )


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
            # The write workload is one admin filing hundreds of entries a second: it measures the server,
            # not one user's budget of changes (300 a minute by default), which would answer 429.
            "RATELIMIT_WRITES": "1000000 per minute",
            "DATABASE_URL": settings.database_url,
            "FLASK_APP": "wsgi",
        }
        self.log = (OUT_DIR / "bench.log").open("ab")
        dataset.create_database(settings.database_url)
        dataset.migrate(self.env, self.log)

    def seed(self, size):
        print(f"Seeding {size:,} employees ...", flush=True)
        return dataset.seed(self.settings.database_url, size, ADMIN, self.password_hash)

    def server(self, name, size):
        target = "wsgi:app" if name == "api" else "bench.reference_app:app"
        return Gunicorn(target, self.env, OUT_DIR / f"{name}-{size}.log")

    def login(self, base_url):
        """The admin's access token, from the API."""
        body = {"username": ADMIN, "password": self.password}
        response = requests.post(f"{base_url}/login", json=body, timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

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
    for size in settings.sizes:
        ids = bench.seed(size)
        chosen = [w for w in settings.workloads if w.every_size or size == settings.sizes[0]]
        with bench.server("api", size) as api:
            # The reference app verifies the API's own tokens; a fresh login for each dataset.
            token = bench.login(api.base_url)
            results += measure(bench, api, [w for w in chosen if w.server == "api"], size, ids, token)
        floors = [w for w in chosen if w.server == "reference"]
        if floors:
            with bench.server("reference", size) as reference:
                results += measure(bench, reference, floors, size, ids, token)
    machine["Load average at end"] = load_average()
    report = render(settings, machine, started, results, scrypt_ms(bench))
    RESULTS.write_text(report)
    print("\n" + report)
    print(f"Written to {RESULTS.relative_to(APP_DIR)}; logs in {OUT_DIR.relative_to(APP_DIR)}/.")
    failed = [r for r in results if r["errors"]]
    for result in failed:
        print(
            f"ERROR: {WORKLOADS[result['key']].label} at {result['size']}: {result['errors']}",
            file=sys.stderr,
        )
    return 1 if failed else 0


def measure(bench, server, workloads, size, ids, token):
    """Warm up, then measure each workload against ``server``."""
    results = []
    for workload in workloads:
        body = bench.body(workload)
        workload_ids = ids[workload.ids]
        probe(server.base_url, workload, workload_ids, token, body)
        if bench.settings.warmup:
            wrk(server.base_url, workload, workload_ids, token, body, bench.settings, bench.settings.warmup)
        print(f"  {workload.label} at {size:,} employees ...", end=" ", flush=True)
        result = wrk(server.base_url, workload, workload_ids, token, body, bench.settings)
        results.append({**result, "key": workload.key, "size": size})
        print(
            f"{result['rps']:.1f} req/s, p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms",
            flush=True,
        )
    return results


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
    request_id = str(ids[0])
    response = requests.request(
        workload.method,
        base_url + workload.path.replace("{id}", request_id),
        data=body.replace("{id}", request_id) or None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
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


def wrk_env(workload, ids, token, body):
    return {
        **os.environ,
        "BENCH_METHOD": workload.method,
        "BENCH_PATH": workload.path,
        "BENCH_BODY": body,
        "BENCH_ID_MIN": str(ids[0]),
        "BENCH_ID_MAX": str(ids[1]),
        "BENCH_TOKEN": token,
    }


def wrk(base_url, workload, ids, token, body, settings, seconds=None):
    """Drive ``workload`` with wrk for ``seconds`` (BENCH_SECONDS); return its figures."""
    seconds = settings.seconds if seconds is None else seconds
    command = wrk_command(base_url, settings, seconds)
    completed = subprocess.run(  # noqa: S603 (wrk, with arguments built here)
        command,
        cwd=APP_DIR,
        env=wrk_env(workload, ids, token, body),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    with (OUT_DIR / "wrk.log").open("a") as log:
        log.write(f"$ {' '.join(command)}  # {workload.key}\n{completed.stdout}{completed.stderr}\n")
    line = next(line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON "))
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = {
        name: figures[name]
        for name in ("non_2xx_3xx", "connect_errors", "read_errors", "write_errors", "timeouts")
        if figures[name]
    }
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "mean_ms": figures["mean_us"] / 1000,
        "errors": errors,
        "command": " ".join([*command[:-1], "http://127.0.0.1:<port>"]),
    }


# The report


def render(settings, machine, started, results, scrypt_check_ms):
    """RESULTS.md: what ran where, then the figures against their floors, across sizes, and in full."""
    by = {(r["key"], r["size"]): r for r in results}
    sizes = settings.sizes
    lines = [
        "# Benchmark results",
        "",
        "The latest figures of `make bench` (issue 6), written by `bench/run.py`. The API and a minimal",
        "reference app (`bench/reference_app.py`: the floor) run in turn under gunicorn with",
        f"`gunicorn.conf.py` and {WORKERS} sync workers on 127.0.0.1, over one PostgreSQL database; wrk",
        "drives each workload from a second process. Ratios are requests per second of the API over its",
        "floor's, at the same size.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Command: `{command_line()}`",
        f"- Load: {settings.seconds} s per workload after {settings.warmup} s of warm-up; wrk with "
        f"{settings.threads} thread(s) and {settings.connections} connections; ids drawn at random per "
        "request",
        f"- Dataset: {', '.join(f'{size:,}' for size in sizes)} employees, {dataset.ENTRIES_PER_EMPLOYEE} "
        f"PTO entries, a {dataset.BALANCE_TYPE} balance and a user account each; writes go to "
        f"{dataset.WRITERS} more employees",
        *(f"- {name}: {value}" for name, value in machine.items()),
        "",
        "## Against the floor",
        "",
        "| Workload | Employees | req/s | p50 ms | p99 ms | Floor req/s | Ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|:---:|",
    ]
    for result in results:
        workload = WORKLOADS[result["key"]]
        floor = by.get((workload.floor, result["size"]))
        if workload.floor is None or floor is None:
            continue
        ratio = result["rps"] / floor["rps"]
        target = TARGETS[workload.floor]
        lines.append(
            f"| {workload.label} | {result['size']:,} | {result['rps']:.1f} | {result['p50_ms']:.2f} | "
            f"{result['p99_ms']:.2f} | {floor['rps']:.1f} | {ratio:.2f} | ≥ {target} | "
            f"{yes(ratio >= target)} |"
        )
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        lines += [
            "",
            f"## Scale: {large:,} employees against {small:,}",
            "",
            "Latency ratios (larger over smaller dataset); the target applies to p50.",
            "",
            f"| Workload | p50 ms at {small:,} | p50 ms at {large:,} | p50 ratio | p99 ratio | req/s ratio "
            f"| Target | Met |",
            "|---|---:|---:|---:|---:|---:|---:|:---:|",
        ]
        for workload in settings.workloads:
            before, after = by.get((workload.key, small)), by.get((workload.key, large))
            if before is None or after is None:
                continue
            ratio = after["p50_ms"] / before["p50_ms"]
            lines.append(
                f"| {workload.label} | {before['p50_ms']:.2f} | {after['p50_ms']:.2f} | {ratio:.2f} | "
                f"{after['p99_ms'] / before['p99_ms']:.2f} | {after['rps'] / before['rps']:.2f} | "
                f"≤ {SIZE_TARGET} | {yes(ratio <= SIZE_TARGET) if workload.server == 'api' else '—'} |"
            )
    login = by.get(("login", sizes[0]))
    if login:
        ceiling = WORKERS * 1000 / scrypt_check_ms
        lines += [
            "",
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
        ]
    lines += [
        "",
        "## Every measurement",
        "",
        "| Workload | Server | Employees | Requests | req/s | mean ms | p50 ms | p99 ms | Errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        workload = WORKLOADS[result["key"]]
        errors = ", ".join(f"{name} {count}" for name, count in result["errors"].items()) or "none"
        lines.append(
            f"| {workload.label} | {workload.server} | {result['size']:,} | {result['requests']:,} | "
            f"{result['rps']:.1f} | {result['mean_ms']:.2f} | {result['p50_ms']:.2f} | "
            f"{result['p99_ms']:.2f} | {errors} |"
        )
    commands = sorted({result["command"] for result in results})
    lines += [
        "",
        "wrk ran as (with `bench/wrk.lua` reading the method, path, body and token from BENCH_* variables):",
        "",
        *(f"    {command}" for command in commands),
        "",
    ]
    return "\n".join(lines)


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
    """Record one API worker with py-spy while wrk drives workload ``key`` at the first size."""
    workload = WORKLOADS.get(key)
    if workload is None or workload.server != "api":
        api_keys = [k for k, w in WORKLOADS.items() if w.server == "api"]
        raise SystemExit(f"Profile which workload? One of {', '.join(api_keys)}.")
    size = settings.sizes[0]
    extension = {"raw": "txt", "flamegraph": "svg", "speedscope": "json"}.get(settings.profile_format)
    if extension is None:
        raise SystemExit("BENCH_PROFILE_FORMAT must be raw, flamegraph or speedscope.")
    output = OUT_DIR / f"profile-{key}-{size}.{extension}"
    bench = Bench(settings)
    ids = bench.seed(size)[workload.ids]
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
            env=wrk_env(workload, ids, token, body),
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
    print(f"Profile of worker {worker} under {workload.label} at {size:,} employees: {output}")
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
