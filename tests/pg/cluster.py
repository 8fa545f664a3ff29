#!/usr/bin/env python3
"""A throwaway PostgreSQL 15 cluster for the tests (docs/operations.md, "Several workers on
PostgreSQL"): initdb into a temporary directory, pg_ctl start on a free loopback port, one
database `crmx` owned by a user `crmx` with a password, and everything removed at the end.

As a library: `with Cluster() as pg: pg.url, pg.password`.
As a command: `cluster.py -- COMMAND ARGS...` runs COMMAND with CRMX_TEST_PG_URL and
CRMX_TEST_PG_PASSWORD set, and exits with its status.

Where PostgreSQL's server is not installed, it says so and exits 77 (ctest's SKIP_RETURN_CODE);
on CI (CI=true) a missing server is a failure instead: scripts/setup.sh installs it.
"""
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

BIN_DIRS = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"]


def find_bin():
    for d in BIN_DIRS:
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    path = shutil.which("initdb")
    return os.path.dirname(path) if path else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Missing(Exception):
    pass


class Cluster:
    def __init__(self):
        self.bin = find_bin()
        if self.bin is None:
            raise Missing("PostgreSQL's server (initdb, pg_ctl) is not installed: apt-get install postgresql")
        self.dir = None
        self.port = None
        self.password = "pw-" + secrets.token_hex(8)
        self.url = None
        self.as_user = []

    def _run(self, *args, **kw):
        return subprocess.run(self.as_user + list(args), check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, **kw)

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="crmx-pg-")
        data = os.path.join(self.dir, "data")
        # initdb refuses to run as root: the cluster belongs to the `postgres` user then.
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.dir, 0o755)
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if self.as_user:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        try:
            self._run(os.path.join(self.bin, "initdb"), "-D", data, "-U", "crmx", "--pwfile", pwfile,
                      "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale", "C")
        except subprocess.CalledProcessError as e:
            raise RuntimeError("initdb failed:\n" + e.stdout)
        self.port = free_port()
        try:
            self.start_server()
        except subprocess.CalledProcessError as e:
            log = open(os.path.join(self.dir, "log")).read() if os.path.exists(os.path.join(self.dir, "log")) else ""
            raise RuntimeError("pg_ctl start failed:\n" + e.stdout + log)
        env = dict(os.environ, PGPASSWORD=self.password)
        subprocess.run([self._createdb(), "-h", "127.0.0.1", "-p", str(self.port), "-U", "crmx", "crmx"],
                       check=True, env=env)
        self.url = f"postgresql://crmx@127.0.0.1:{self.port}/crmx"
        return self

    def _opts(self):
        return (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
                "-c fsync=off -c full_page_writes=off -c max_connections=200")

    def stop_server(self):
        """Stops the server at once (-m immediate: a crash, for the outage tests)."""
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "stop")

    def start_server(self):
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"), "-o", self._opts(), "-l",
                  os.path.join(self.dir, "log"), "-w", "-t", "60", "start")

    def _createdb(self):
        path = os.path.join(self.bin, "createdb")
        return path if os.path.exists(path) else "createdb"

    def database(self, name):
        """A fresh database of the cluster; its URL."""
        env = dict(os.environ, PGPASSWORD=self.password)
        subprocess.run([self._createdb(), "-h", "127.0.0.1", "-p", str(self.port), "-U", "crmx", name], check=True, env=env)
        return f"postgresql://crmx@127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc):
        if self.dir:
            subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                           "-m", "immediate", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


def main():
    if "--" not in sys.argv:
        print("usage: cluster.py -- COMMAND ARGS...", file=sys.stderr)
        return 2
    cmd = sys.argv[sys.argv.index("--") + 1:]
    try:
        with Cluster() as pg:
            env = dict(os.environ, CRMX_TEST_PG_URL=pg.url, CRMX_TEST_PG_PASSWORD=pg.password)
            return subprocess.run(cmd, env=env).returncode
    except Missing as e:
        if os.environ.get("CI") == "true":
            print(f"error: {e} (CI must run the PostgreSQL tests)", file=sys.stderr)
            return 1
        print(f"SKIPPED (loudly): {e}", file=sys.stderr)
        return 77


if __name__ == "__main__":
    sys.exit(main())
