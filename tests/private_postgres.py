"""A throwaway PostgreSQL cluster on 127.0.0.1 that fault tests may stop, restart and read the log of.

The machine's shared PostgreSQL serves CI and other runs, so tests that take a database down
start their own: ``initdb`` into a temporary directory, trust authentication, a free port, and
the unix socket inside that directory. initdb and postgres refuse to run as root, so as root
they run as the ``postgres`` OS user.
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

from helpers import sqlalchemy_url
from live import free_port

SERVER_USER = "postgres"
PG_CTL_SECONDS = 30  # pg_ctl's own wait for start and stop; subprocess gets a little more


def server_binaries():
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None when none is installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_major_version, reverse=True)
    for bindir in [*candidates, _pg_config_bindir()]:
        if bindir and all((Path(bindir) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(bindir)
    return None


def _major_version(bindir):
    version = Path(bindir).parent.name
    return int(version) if version.isdigit() else 0


def _pg_config_bindir():
    # Debian's /usr/bin/pg_config names the client directory, so it only helps on other layouts.
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
    return result.stdout.strip() or None


class PrivatePostgres:
    """One PostgreSQL cluster in a temporary directory, owned by this test run."""

    def __init__(self, bindir):
        self.bindir = Path(bindir)
        self.root = Path(tempfile.mkdtemp(prefix="pto-faults-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgresql.log"
        self.port = free_port()
        self._as_server_user = []
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_server_user = ["runuser", "-u", SERVER_USER, "--"]

    def url(self, database="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self):
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync")

    def start(self):
        """Start the cluster and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            # Durability is not under test here; a restart must be quick.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "start",
            "-D",
            self.data,
            "-l",
            self.log_path,
            "-o",
            options,
            "-w",
            "-t",
            str(PG_CTL_SECONDS),
        )

    def stop(self):
        """Stop as an operator's restart does: sessions are terminated, open transactions roll back."""
        self._run("pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w", "-t", str(PG_CTL_SECONDS))

    def running(self):
        status = subprocess.run(
            [*self._as_server_user, self.bindir / "pg_ctl", "status", "-D", self.data],
            capture_output=True,
            timeout=PG_CTL_SECONDS,
        )
        return status.returncode == 0

    def log(self):
        """What the server wrote to its log: errors such as "canceling statement due to lock timeout"."""
        return self.log_path.read_text(errors="replace")

    def create_database(self, name, template="template1"):
        engine = sa.create_engine(sqlalchemy_url(self.url()), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def remove(self):
        """Stop the cluster if it runs, and delete its directory."""
        try:
            if self.data.exists() and self.running():
                self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool, *args):
        command = [*self._as_server_user, self.bindir / tool, *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=PG_CTL_SECONDS + 10)
        if result.returncode != 0:
            log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr}{result.stdout}\n{log}")


@contextlib.contextmanager
def private_postgres(bindir):
    """A started cluster, always stopped and deleted afterwards."""
    cluster = PrivatePostgres(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
