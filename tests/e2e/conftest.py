# SPDX-License-Identifier: AGPL-3.0-or-later
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHIM = os.path.join(ROOT, "bareos-shim")
sys.path.insert(0, os.path.join(ROOT, "tests", "fd-driver"))
sys.path.insert(0, os.path.dirname(__file__))

from fd import FileDaemon  # noqa: E402

sys.path.insert(0, SHIM)
from backupplugins_shim.backup import BATCH as SHIM_BATCH  # noqa: E402  (entries per StartBackupFile call)


def host_binary():
    return os.path.join(ROOT, "src", "BackupPlugins.Cli", "bin", "Release", "net10.0", "backup-plugins")


@pytest.fixture(scope="session")
def built_host():
    if not os.path.exists(host_binary()) or os.environ.get("BP_REBUILD") == "1":
        subprocess.run(["dotnet", "build", "-c", "Release", "--nologo", "-v", "q", os.path.join(ROOT, "src", "BackupPlugins.Cli")],
                       check=True)
    return host_binary()


class Host:
    def __init__(self, binary, workdir, extra=(), env=None):
        self.binary = binary
        self.env = None if env is None else dict(os.environ, **env)
        self.socket = os.path.join(workdir, "host.sock")
        self.log = os.path.join(workdir, "host.log")
        self.extra = list(extra)
        self.state = os.path.join(workdir, "state")  # the journal of open side effects: one per test world
        if "--config" not in self.extra:
            config = os.path.join(workdir, "host-state.json")
            with open(config, "w") as f:
                json.dump({"StateDirectory": self.state}, f)
            self.extra += ["--config", config]
        self.proc = None

    def start(self):
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([self.binary, "serve", "--socket", self.socket] + self.extra,
                                     stdout=log, stderr=log, start_new_session=True, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("host exited: " + open(self.log).read())
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(self.socket)
                s.close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("host did not start: " + open(self.log).read())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_text(self):
        return open(self.log, errors="replace").read()


def lock_is_free(path):
    """Can this lockfile be flocked right now (no job holds it)?"""
    with open(path, "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False


@pytest.fixture
def work():
    d = tempfile.mkdtemp(prefix="bp-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def host(built_host, work):
    h = Host(built_host, work).start()
    yield h
    h.stop()


@pytest.fixture
def fd(work):
    return FileDaemon(os.path.join(work, "fd"), SHIM)


@pytest.fixture
def vz(work):
    from vzworld import VzWorld
    world = VzWorld(work)
    yield world
    world.teardown()  # before `work` is removed: never delete through a bind mount


PRL_T0 = 1_700_000_000  # the fake prlctl's frozen clock in the VM tests


@pytest.fixture
def prl(work):
    """A Virtuozzo 7 node with VMs (fake prlctl, bundles on btrfs), its clock frozen at PRL_T0."""
    from prlworld import PrlWorld
    world = PrlWorld(work)
    world.freeze_clock(PRL_T0)
    yield world
    world.teardown()


@pytest.fixture
def vzhost(built_host, work, vz):
    h = Host(built_host, work, extra=vz.host_args(), env=vz.env).start()
    yield h
    h.stop()


@pytest.fixture
def prlhost(built_host, work, prl):
    h = Host(built_host, work, extra=prl.host_args(), env=prl.env).start()
    yield h
    h.stop()


@pytest.fixture(scope="session")
def zfs_daemon():
    from zfsworld import ensure_daemon
    started = ensure_daemon()
    yield
    if started:
        subprocess.run(["pkill", "-x", "zfs-fuse"], check=False)


@pytest.fixture
def zfsw(built_host, zfs_daemon, work):
    from zfsworld import ZfsWorld
    world = ZfsWorld(work)
    yield world
    world.teardown()
