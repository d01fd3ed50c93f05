# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a sweep may destroy on real ZFS (zfs-fuse): only what the journal says a job of ours made and left open.
A Full restored into a new dataset (its received bp-F-… snapshot) survives every kind of sweep and takes the next
Incremental; a snapshot left by a host SIGKILLed between snapshot and send is swept; `@bp-…` snapshots made by hand
are left alone; a snapshot that is held by someone else is reported and retried by the next sweep."""
import json
import os
import subprocess
import time

from conftest import host_binary
from test_zfs_stream import backup, dataset, messages, userrefs
from trees import diff, plain_corpus, snapshot
from zfsworld import run

WARNING = 4


def config_of(host):
    return host.extra[host.extra.index("--config") + 1]


def sweep(host, *flags, embedded=False):
    """`backup-plugins sweep` through the running host, or (embedded) with no host running: its own, same configuration."""
    socket = os.path.join(os.path.dirname(host.socket), "no-host.sock") if embedded else host.socket
    return subprocess.run([host_binary(), "sweep", "--socket", socket, "--config", config_of(host)] + list(flags),
                          capture_output=True, text=True)


def journal(host):
    d = os.path.join(host.state, "journal")
    return sorted(json.load(open(os.path.join(d, f)))["Target"] for f in os.listdir(d)) if os.path.isdir(d) else []


def test_a_restored_full_survives_every_sweep_and_takes_the_next_incremental(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    plain_corpus(os.path.join(mnt, "tree"))
    full = backup(fd, host, ds)
    target = zfsw.host_pool + "/restored"
    r = fd.restore([full], where="", plugin_options=["python:target=%s" % target])
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    received = zfsw.snapshots(target)
    assert [n for n, _ in received] == ["bp-F-%d" % full] and userrefs("%s@bp-F-%d" % (target, full)) == "0"
    # Every kind of sweep: the host's start, on request through it (dry run and real), and with no host running.
    host.stop()
    host.start()
    assert "Start-up sweep" not in host.log_text()
    for flags in (["--dry-run"], []):
        s = sweep(host, *flags)
        assert (s.returncode, s.stdout) == (0, "leftovers: 0\n"), s.stdout + s.stderr
    host.stop()
    s = sweep(host, embedded=True)
    assert (s.returncode, s.stdout) == (0, "leftovers: 0\n"), s.stdout + s.stderr
    host.start()
    assert zfsw.snapshots(target) == received
    # The chain goes on: the next Incremental restores on top of the restored Full.
    time.sleep(1.1)
    with open(os.path.join(mnt, "tree", "after.txt"), "wb") as f:
        f.write(b"after the full\n")
    incr = backup(fd, host, ds, level="I", since_job=full)
    r = fd.restore([incr], where="", plugin_options=["python:target=%s" % target])
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    assert diff(snapshot(mnt), snapshot(os.path.join(zfsw.work, "hostmnt", "restored"))) == []
    assert zfsw.snapshots(target) == zfsw.snapshots(ds)
    assert journal(host) == []


def test_a_host_killed_between_snapshot_and_send_is_swept_and_hand_made_bp_snapshots_are_not(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "a"), "wb") as f:
        f.write(b"1")
    hand_made = ["bp-F-999", "bp-I-1000", "bp-files-7", "bp-something"]
    for name in hand_made:
        run("zfs", "snapshot", "%s@%s" % (ds, name))
    full = backup(fd, host, ds)  # commits: releases and destroys older held snapshots of ours, never these
    killed = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), level="I", since_job=full,
                       kill_before_data_of=[1, host.proc.pid])
    assert fd.job(killed)["status"] == "f"
    left = "%s@bp-I-%d" % (ds, killed)
    assert journal(host) == [left]
    host.proc.wait()
    host.start()
    assert "Start-up sweep: zfs snapshot %s removed=True" % left in host.log_text()
    assert [n for n, _ in zfsw.snapshots(ds)] == hand_made + ["bp-F-%d" % full]
    assert journal(host) == []
    # and no sweep of any kind touches them afterwards
    assert sweep(host).stdout == "leftovers: 0\n"
    assert [n for n, _ in zfsw.snapshots(ds)] == hand_made + ["bp-F-%d" % full]


def test_a_snapshot_held_by_someone_else_is_reported_and_the_next_sweep_retries(zfsw, host, fd):
    """zfs-fuse: a `zfs send -p` that is killed can leave a hold (userrefs 1), and the destroy says "dataset is busy".
    The same happens with any foreign hold; here one is placed by hand on the leftover of a killed host."""
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "big"), "wb") as f:
        f.write(os.urandom(4 << 20))
    killed = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), kill_before_data_of=[1, host.proc.pid])
    left = "%s@bp-F-%d" % (ds, killed)
    host.proc.wait()
    run("zfs", "hold", "someone-else", left)
    host.start()
    log = host.log_text()
    assert "Start-up sweep: zfs snapshot %s removed=False " % left in log
    assert ("cannot destroy '%s': dataset is busy — %s is still busy or held (a stopped `zfs send` can leave a temporary hold "
            "on it: userrefs 1); it stays in the journal and the next sweep (`backup-plugins sweep`, or the host's next start) "
            "tries again" % (left, left)) in log
    assert journal(host) == [left]
    s = sweep(host)
    assert s.returncode == 1 and s.stdout.startswith("leftovers: 1\n  zfs snapshot %s: kept: zfs destroy %s: exit code 1: " % (left, left)), s.stdout
    run("zfs", "release", "someone-else", left)
    s = sweep(host)
    assert (s.returncode, s.stdout) == (0, "leftovers: 1\n  zfs snapshot %s: removed\n" % left)
    assert zfsw.snapshots(ds) == [] and journal(host) == []

