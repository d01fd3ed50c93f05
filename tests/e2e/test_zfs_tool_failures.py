# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every zfs call of source=zfs, failing with a distinctive message (real zfs-fuse behind tests/fakes/with-faults,
which only injects the failure): the job that failed says that command, its exit code and its message, and nothing
of the job is left behind — after a sweep where the failing command was the undo itself."""
import json
import os
import subprocess
import time

import pytest

from conftest import ROOT, Host, host_binary
from test_zfs_stream import dataset, userrefs
from zfsworld import run

FAKES = os.path.join(ROOT, "tests", "fakes")
FATAL, ERROR, WARNING = 3, 4, 5


@pytest.fixture
def faulty(built_host, zfsw, work):
    """A host whose zfs and zpool go through with-faults; returns (host, inject(key, **fault), calls())."""
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    for tool in ("zfs", "zpool"):
        os.symlink(os.path.join(FAKES, "with-faults"), os.path.join(bindir, tool))
    faults = os.path.join(work, "faults.json")
    config = os.path.join(work, "host-faulty.json")
    with open(config, "w") as f:
        json.dump({"StateDirectory": os.path.join(work, "state"),
                   "Sources": {"Zfs": {"Zfs": os.path.join(bindir, "zfs"), "Zpool": os.path.join(bindir, "zpool")}}}, f)
    host = Host(built_host, work, extra=["--config", config], env={"WITH_FAULTS": faults})
    host.state = os.path.join(work, "state")
    host.start()

    def inject(key, **fault):
        with open(faults, "w") as f:
            json.dump({key: fault}, f)
    yield host, inject
    host.stop()


def job_messages(fd, jobid):
    return [m for k, m in fd.job(jobid)["messages"] if k <= WARNING]


def assert_nothing_left(zfsw, host, ds, kept=()):
    """After a sweep: no snapshot of ours but the held bases `kept`, no clone, an empty journal."""
    s = subprocess.run([host_binary(), "sweep", "--socket", host.socket], capture_output=True, text=True)
    assert s.returncode == 0, s.stdout + s.stderr
    assert [n for n, _ in zfsw.snapshots(ds)] == list(kept)
    assert [n for n in run("zfs", "list", "-H", "-o", "name").stdout.split() if "bp-clone" in n] == []
    journal = os.path.join(host.state, "journal")
    assert not os.path.isdir(journal) or os.listdir(journal) == []


def said(fd, jobid, key):
    text = "FAULT in %s: zfs's own words" % key
    return [m for m in job_messages(fd, jobid) if ": exit code 42: " + text in m]


STREAM_FULL = [("zfs get", 0), ("zfs snapshot", 0), ("zfs get", 1), ("zfs send", 0), ("zfs hold", 0)]


@pytest.mark.parametrize("key,skip", STREAM_FULL, ids=["%s-%d" % (k.split()[1], s) for k, s in STREAM_FULL])
def test_a_failing_zfs_call_of_a_stream_backup_is_reported_as_that_command(zfsw, faulty, fd, key, skip):
    host, inject = faulty
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "a"), "wb") as f:
        f.write(os.urandom(1 << 20))
    inject(key, exit=42, stderr="FAULT in %s: zfs's own words" % key, skip=skip)
    jobid = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket))
    assert said(fd, jobid, key), fd.job(jobid)["messages"]
    if key == "zfs hold":  # the stream is in Bareos, but it cannot be the next base: said, and not kept
        assert fd.job(jobid)["status"] in ("T", "W")
    else:
        assert fd.job(jobid)["status"] == "f", fd.job(jobid)["messages"]
    assert_nothing_left(zfsw, host, ds)


@pytest.mark.parametrize("key", ["zfs release", "zfs destroy"])
def test_a_failing_zfs_call_while_older_bases_are_released_is_reported(zfsw, faulty, fd, key):
    host, inject = faulty
    ds, mnt = dataset(zfsw)
    jobs = [fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket))]
    for _ in range(2):
        time.sleep(1.1)
        jobs.append(fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), level="I", since_job=jobs[-1]))
    time.sleep(1.1)
    inject(key, exit=42, stderr="FAULT in %s: zfs's own words" % key)
    last = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), level="I", since_job=jobs[-1])
    assert fd.job(last)["status"] == "W"
    assert said(fd, last, key), fd.job(last)["messages"]
    # The new base is kept and held; the older one that could not be released stays held for the next commit to retry.
    assert userrefs("%s@bp-I-%d" % (ds, last)) == "1" and userrefs("%s@bp-I-%d" % (ds, jobs[1])) == "1"
    assert_nothing_left(zfsw, host, ds, kept=["bp-F-%d" % jobs[0]] + ["bp-I-%d" % j for j in jobs[1:] + [last]])
    nxt = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), level="I", since_job=last)
    assert fd.job(nxt)["status"] == "T"
    assert [n for n, _ in zfsw.snapshots(ds)] == ["bp-F-%d" % jobs[0], "bp-I-%d" % last, "bp-I-%d" % nxt]


FILES = [("zfs get", 0), ("zfs list", 0), ("zfs snapshot", 0), ("zfs get", 1), ("zfs clone", 0), ("zfs destroy", 0)]


@pytest.mark.parametrize("key,skip", FILES, ids=["%s-%d" % (k.split()[1], s) for k, s in FILES])
def test_a_failing_zfs_call_of_a_files_backup_is_reported_as_that_command(zfsw, faulty, fd, key, skip):
    host, inject = faulty
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "a"), "wb") as f:
        f.write(b"data")
    inject(key, exit=42, stderr="FAULT in %s: zfs's own words" % key, skip=skip)
    jobid = fd.backup("source=zfs:mode=files:dataset=%s:socket=%s" % (ds, host.socket))
    assert said(fd, jobid, key), fd.job(jobid)["messages"]
    # the clone's destroy is cleanup: the backup itself is good
    assert fd.job(jobid)["status"] == ("W" if key == "zfs destroy" else "f"), fd.job(jobid)["messages"]
    assert_nothing_left(zfsw, host, ds)


@pytest.mark.parametrize("key", ["zfs get", "zfs receive", "zfs rename"])
def test_a_failing_zfs_call_of_a_restore_is_reported_as_that_command(zfsw, faulty, fd, key):
    host, inject = faulty
    ds, mnt = dataset(zfsw)
    full = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket))
    assert fd.job(full)["status"] == "T"
    target = zfsw.host_pool + "/restored"
    if key == "zfs rename":  # an existing target is renamed aside first (replace=always)
        run("zfs", "create", target)
    inject(key, exit=42, stderr="FAULT in %s: zfs's own words" % key)
    r = fd.restore([full], where="", plugin_options=["python:target=%s" % target])
    assert fd.job(r)["status"] == ("f" if key == "zfs get" else "W")  # the restore could not begin, or the stream's file failed
    assert said(fd, r, key), fd.job(r)["messages"]
    assert zfsw.snapshots(target) == ([] if key == "zfs rename" else None)
    assert_nothing_left(zfsw, host, ds, kept=["bp-F-%d" % full])
