# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=zfs:mode=stream through the FD driver, the shim and a real host on real ZFS (zfs-fuse): Full,
Incremental and Differential streams, restore of a chain with zfs receive, the bases held, failed jobs leaving
no snapshot, and a restarted host sweeping what a killed one left."""
import os
import time

from trees import diff, make_corpus, plain_corpus, snapshot
from zfsworld import run

FATAL, INFO = 3, 6


def messages(fd, jobid, kind):
    return [t for k, t in fd.job(jobid)["messages"] if k == kind]


def dataset(zfsw):
    ds = zfsw.host_pool + "/data"
    run("zfs", "create", ds)
    return ds, os.path.join(zfsw.work, "hostmnt", "data")


def userrefs(name):
    return run("zfs", "get", "-H", "-p", "-o", "value", "userrefs", name).stdout.strip()


def backup(fd, host, ds, **kw):
    jobid = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), **kw)
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    return jobid


def test_full_and_incremental_streams_restore_into_a_new_dataset_exactly(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    plain_corpus(os.path.join(mnt, "tree"))
    full = backup(fd, host, ds)
    assert [f["fname"] for f in fd.job(full)["files"]] == ["/@zfs/%s@bp-F-%d" % (ds, full)]
    assert "zfs: snapshot %s@bp-F-%d, sent in full\n" % (ds, full) in messages(fd, full, INFO)
    assert userrefs("%s@bp-F-%d" % (ds, full)) == "1"
    time.sleep(1.1)
    with open(os.path.join(mnt, "tree", "new.txt"), "wb") as f:
        f.write(b"after the full\n")
    os.remove(os.path.join(mnt, "tree", "small.txt"))
    incr = backup(fd, host, ds, level="I", since_job=full)
    assert "zfs: snapshot %s@bp-I-%d, sent as an increment from %s@bp-F-%d\n" % (ds, incr, ds, full) in messages(fd, incr, INFO)
    expected = snapshot(mnt)
    target = zfsw.host_pool + "/restored"
    r = fd.restore([full, incr], where="", plugin_options=["python:target=%s" % target])
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    assert diff(expected, snapshot(os.path.join(zfsw.work, "hostmnt", "restored"))) == []
    got = zfsw.snapshots(target)
    assert [n for n, _ in got] == ["bp-F-%d" % full, "bp-I-%d" % incr]
    assert got == [(n, g) for n, g in zfsw.snapshots(ds)]  # the same snapshots, by guid


def test_differential_starts_from_the_last_full_and_old_bases_are_released(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "a"), "wb") as f:
        f.write(b"1")
    full = backup(fd, host, ds)
    time.sleep(1.1)
    incr = backup(fd, host, ds, level="I", since_job=full)
    time.sleep(1.1)
    diffj = backup(fd, host, ds, level="D", since_job=full)
    assert "zfs: snapshot %s@bp-D-%d, sent as an increment from %s@bp-F-%d\n" % (ds, diffj, ds, full) in messages(fd, diffj, INFO)
    time.sleep(1.1)
    incr2 = backup(fd, host, ds, level="I", since_job=diffj)
    # Kept: the last Full, this job's base (the Differential) and this job; the first Incremental is gone.
    assert [n for n, _ in zfsw.snapshots(ds)] == ["bp-F-%d" % full, "bp-D-%d" % diffj, "bp-I-%d" % incr2]
    assert "bp-I-%d" % incr not in [n for n, _ in zfsw.snapshots(ds)]


def test_incremental_without_a_base_and_an_existing_target_are_refused(zfsw, host, fd):
    ds, _ = dataset(zfsw)
    jobid = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), level="I")
    assert fd.job(jobid)["status"] == "f"
    assert messages(fd, jobid, FATAL)[0].startswith(
        "backupplugins: no snapshot of the previous backup of %s is left (held bp-… snapshots created since " % ds)
    assert zfsw.snapshots(ds) == []
    full = backup(fd, host, ds)
    r = fd.restore([full], where="", replace="n")  # Bareos's default is replace=always
    assert fd.job(r)["status"] == "f"
    assert messages(fd, r, FATAL) == ["backupplugins: restoring /@zfs/%s@bp-F-%d: dataset %s exists; restore with replace=always "
                                      "to replace it (it is renamed aside, not destroyed), or give another target=\n" % (ds, full, ds)]
    r = fd.restore([full], where="", replace="a")
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    assert zfsw.snapshots(ds + "-bp-replaced-%d" % r) is not None


def test_failed_or_cancelled_job_leaves_no_snapshot_and_a_killed_host_is_swept(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "big"), "wb") as f:
        f.write(os.urandom(20 << 20))
    cancelled = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), cancel_after_reads=1, stop_reading_on_cancel=True)
    assert fd.job(cancelled)["status"] == "A"
    deadline = time.time() + 10
    while zfsw.snapshots(ds) and time.time() < deadline:
        time.sleep(0.2)
    assert zfsw.snapshots(ds) == []
    killed = fd.backup("source=zfs:dataset=%s:socket=%s" % (ds, host.socket), kill_after_files=[1, host.proc.pid])
    # The stream was complete when the host died, but the job could not be ended: said, and not taken as a base.
    assert fd.job(killed)["status"] == "W"
    assert messages(fd, killed, 4) == ["backupplugins: ending the job: lost the connection to the BackupPlugins host at %s "
                                       "(Connection reset by peer): the host stopped during the job; it undoes what the job "
                                       "left behind when it starts again\n" % host.socket]
    assert [n for n, _ in zfsw.snapshots(ds)] == ["bp-F-%d" % killed]
    assert userrefs("%s@bp-F-%d" % (ds, killed)) == "0"  # never held: the next Incremental will not start from it
    host.proc.wait()
    host.start()
    assert zfsw.snapshots(ds) == []
    assert "Start-up sweep: zfs snapshot %s@bp-F-%d removed=True" % (ds, killed) in host.log_text()


def test_files_mode_reads_a_snapshot_with_its_children_and_leaves_no_clone(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    plain_corpus(os.path.join(mnt, "tree"))
    run("zfs", "create", ds + "/child")
    with open(os.path.join(mnt, "child", "in-child.txt"), "wb") as f:
        f.write(b"child dataset\n")
    with open(os.path.join(mnt, "skip.tmp"), "wb") as f:
        f.write(b"excluded\n")
    expected = {k: v for k, v in snapshot(mnt).items() if k != b"skip.tmp"}
    full = fd.backup("source=zfs:mode=files:dataset=%s:exclude=*.tmp:socket=%s" % (ds, host.socket))
    assert fd.job(full)["status"] == "T", fd.job(full)["messages"]
    names = [f["fname"] for f in fd.job(full)["files"]]
    assert mnt + "/child/in-child.txt" in names and names.count(mnt + "/child/") == 1
    assert not [n for n in names if "bp-clone" in n or n.endswith(".tmp")]
    assert zfsw.snapshots(ds) == [] and zfsw.snapshots(ds + "/child") == []
    assert [n for n in run("zfs", "list", "-H", "-o", "name").stdout.split() if n.startswith(zfsw.host_pool + "/bp-clone")] == []
    where = os.path.join(zfsw.work, "restored")
    r = fd.restore([full], where=where)
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    assert diff(expected, snapshot(where + mnt)) == []


def test_an_estimate_leaves_no_snapshot_and_no_base(zfsw, host, fd):
    ds, mnt = dataset(zfsw)
    with open(os.path.join(mnt, "a"), "wb") as f:
        f.write(b"1")
    result = fd.estimate("source=zfs:dataset=%s:socket=%s" % (ds, host.socket))
    assert result["status"] == "T", result["messages"]
    assert [f["fname"] for f in result["files"]] == ["/@zfs/%s@bp-F-%d" % (ds, result["jobid"])]
    assert zfsw.snapshots(ds) == []
