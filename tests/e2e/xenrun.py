# SPDX-License-Identifier: AGPL-3.0-or-later
"""A run of `backup-plugins xen backup` for the tests: the seed's config file, a 0600 password file and a backup
directory under the test's work directory, against a XapiWorld; the run's output lines without their time stamps."""
import os
import re
import subprocess

import pytest

from conftest import host_binary
from xapiworld import XapiWorld

LINE = re.compile(r"^\d{4}-\d{2}-\d{2}-\(\d{2}:\d{2}:\d{2}\) - ")
MiB = 1 << 20


@pytest.fixture
def xen(work):
    w = XapiWorld(os.path.join(work, "pool"))
    os.makedirs(w.work, exist_ok=True)
    w.standard_pool()
    w.start()
    yield w
    w.teardown()


class Run:
    def __init__(self, work, xen):
        self.work, self.xen = work, xen
        self.backups = os.path.join(work, "BACKUPS")
        os.makedirs(self.backups)
        self.status = os.path.join(work, "NAUbackup", "status.log")
        self.cfg = os.path.join(work, "weekly.cfg")
        self.password = os.path.join(work, "xen.pass")
        with open(self.password, "w") as f:
            f.write("password=%s\n" % xen.password)
        os.chmod(self.password, 0o600)
        with open(os.path.join(work, "host.json"), "w") as f:
            f.write('{"StateDirectory": "%s"}' % os.path.join(work, "state-host"))
        self.config("vm-export=web\nvm-export=db\nvdi-export=Web, .*\n")  # a regex: the odd name

    def config(self, selectors, extra=""):
        with open(self.cfg, "w") as f:
            f.write("# weekly\npool_db_backup=0\nmax_backups=2\nbackup_dir=%s\nstatus_log=%s\n%s#\n%s"
                    % (self.backups, self.status, extra, selectors))

    def argv(self, *words):
        return [host_binary(), "xen", "backup", "--url", self.xen.url, "--password-file", self.password, self.cfg] + list(words) + [
            "--socket", os.path.join(self.work, "no-host.sock"), "--host-config", os.path.join(self.work, "host.json")]

    def run(self, *words):
        r = subprocess.run(self.argv(*words), capture_output=True, text=True, timeout=300)
        for line in r.stdout.splitlines():
            assert LINE.match(line), line
        return r.returncode, [LINE.sub("", line) for line in r.stdout.splitlines()], r.stderr

    def dirs(self, vm):
        d = os.path.join(self.backups, vm)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def sweep(self):
        return subprocess.run([host_binary(), "sweep", "--socket", os.path.join(self.work, "no-host.sock"), "--config",
                               os.path.join(self.work, "host.json")], capture_output=True, text=True)


def no_snapshots(xen):
    return [r["name_label"] for r in xen.vms().values() if r["is_a_snapshot"]] == []


def read_cfg(path):
    return dict(line.rstrip("\n").split("=", 1) for line in open(path, encoding="utf-8"))
