# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=lvm through the FD driver, the shim and a real host, against the fake LVM tools (tests/fakes/lvm) backed by
real ext4 and XFS file systems on loop devices: a snapshot mounted read-only, walked, unmounted and removed; restored
trees compared byte and attribute exact; Incremental; subdirs, bind mounts, excludes; the fill watch and an overflow;
a host killed with the snapshot mounted (the start-up sweep cleans it)."""
import os
import subprocess
import threading
import time

import pytest

from conftest import Host
from lvmworld import LvmWorld
from trees import diff, make_corpus, snapshot

FATAL, ERROR, WARNING, INFO = 3, 4, 5, 6


@pytest.fixture
def lvm(work):
    w = LvmWorld(work)
    w.create_vg("vg0")
    yield w
    w.teardown()


@pytest.fixture
def lvmhost(built_host, work, lvm):
    h = Host(built_host, work, extra=["--config", lvm.host_config(work)]).start()
    yield h
    h.stop()


def definition(host, extra):
    return "source=lvm:socket=%s:%s" % (host.socket, extra)


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == "T", job["messages"]
    assert not [m for m in job["messages"] if m[0] <= ERROR], job["messages"]


def messages(fd, jobid, kind):
    return [t for k, t in fd.job(jobid)["messages"] if k == kind]


def assert_nothing_left(lvm, work):
    assert lvm.leftovers() == {"snapshots": [], "loop_devices": [], "mounts": [p for p in lvm.mounts() if p.startswith(work + "/srv")]}
    journal = os.path.join(work, "state", "journal")
    assert (os.listdir(journal) if os.path.isdir(journal) else []) == []


def corpus(root):
    make_corpus(os.path.join(root, "corpus"))
    os.makedirs(os.path.join(root, "boot"))  # where bind=/…/boot is mounted in the snapshot's view
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(3 << 20))


def mounted_origin(lvm, work, fs="ext4"):
    """vg0/data holding the corpus, mounted read-write at <work>/srv as a live volume is."""
    device = lvm.create_lv("vg0", "data", size_mb=320, fs=fs, fill=corpus)
    srv = os.path.join(work, "srv")
    os.makedirs(srv)
    subprocess.run(["mount", device, srv], check=True)
    time.sleep(1.1)  # Bareos compares whole seconds: nothing may change in the second a backup starts
    return srv


def test_a_mounted_ext4_volume_is_read_from_its_read_only_snapshot_and_restored_exactly(lvm, lvmhost, fd, work):
    srv = mounted_origin(lvm, work)
    try:
        expected = snapshot(srv)
        lvm.clear_calls()
        jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data"))
        assert_ok(fd, jobid)
        names = [f["fname"] for f in fd.job(jobid)["files"]]
        assert srv + "/corpus/small.txt" in names and names[-1] == srv + "/", names[-3:]  # named as under the live mount point
        snap = "bp-data-%d" % jobid
        assert ["lvcreate", "--snapshot", "--name", snap, "--extents", "20%ORIGIN", "vg0/data"] in lvm.calls()
        assert ["lvremove", "--force", "vg0/" + snap] in lvm.calls()
        info = messages(fd, jobid, INFO)
        assert [m for m in info if m.startswith("lvm: snapshot vg0/%s of vg0/data taken (20%%ORIGIN: " % snap)], info
        assert [m for m in info if m.endswith("(ext4) mounted at %s/lvm/mnt/vg0/%s with -o ro,noload\n" % (work, snap))], info
        assert_nothing_left(lvm, work)

        where = os.path.join(work, "r")
        r = fd.restore([jobid], where=where)
        assert_ok(fd, r)
        assert diff(expected, snapshot(where + srv)) == []
    finally:
        subprocess.run(["umount", srv], check=False)


def test_incremental_sends_what_changed_on_the_volume_since(lvm, lvmhost, fd, work):
    srv = mounted_origin(lvm, work)
    try:
        full = fd.backup(definition(lvmhost, "vg=vg0:lv=data"))
        assert_ok(fd, full)
        time.sleep(1.1)
        with open(os.path.join(srv, "corpus", "small.txt"), "ab") as f:
            f.write(b"changed\n")
        inc = fd.backup(definition(lvmhost, "vg=vg0:lv=data"), level="I", since_job=full)
        assert_ok(fd, inc)
        saved = {f["fname"][len(srv):] for f in fd.job(inc)["files"] if f["type"] not in (10, 11)}
        assert saved == {"/corpus/small.txt"}, saved  # the snapshot keeps the volume's times: only what changed
        assert_nothing_left(lvm, work)
    finally:
        subprocess.run(["umount", srv], check=False)


def test_an_unmounted_xfs_volume_subdirs_excludes_and_a_bind_mount(lvm, lvmhost, fd, work):
    lvm.create_lv("vg0", "data", size_mb=320, fs="xfs", fill=corpus)
    boot = os.path.join(work, "host-boot")
    os.makedirs(boot)
    with open(os.path.join(boot, "vmlinuz"), "wb") as f:
        f.write(b"kernel")
    jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data:subdirs='corpus/dir,boot':exclude=*.bin:bind=%s" % boot))
    job = fd.job(jobid)
    # bind= mounts a host path at the same path inside the view: the volume has no such directory
    assert job["status"] == "f"
    assert [m for k, m in job["messages"] if k <= ERROR and ("bind=%s: the volume has no directory %s to mount it on" % (boot, boot)) in m], job["messages"]
    assert_nothing_left(lvm, work)

    jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data:subdirs='corpus/dir':exclude=*.bin"))
    assert_ok(fd, jobid)
    names = [f["fname"] for f in fd.job(jobid)["files"]]
    root = "/@lvm/vg0/data"
    assert all(n in (root + "/", root + "/corpus/") or n.startswith(root + "/corpus/dir") for n in names), names
    assert not [n for n in names if n.endswith(".bin")], names
    info = messages(fd, jobid, INFO)
    assert [m for m in info if "(xfs) mounted at" in m and m.endswith("with -o ro,nouuid\n")], info
    assert_nothing_left(lvm, work)
    r = fd.restore([jobid], where="")
    assert fd.job(r)["status"] != "T"
    assert [m for k, m in fd.job(r)["messages"]
            if "lvm: vg0/data is not mounted on this machine, so its files have no place to go back to: restore with where=DIR" in m]


def test_bind_mounts_the_hosts_directory_read_only_into_the_view(lvm, lvmhost, fd, work):
    srv = mounted_origin(lvm, work)
    host_dir = os.path.join(work, "host-boot")  # as the seed's /boot: a directory of this machine outside the volume
    os.makedirs(host_dir)
    with open(os.path.join(host_dir, "vmlinuz"), "wb") as f:
        f.write(b"kernel")
    os.makedirs(srv + host_dir)  # the empty directory on the volume it is mounted on, in the snapshot's view
    try:
        jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data:bind=%s:subdirs=%s" % (host_dir, host_dir.lstrip("/"))))
        assert_ok(fd, jobid)
        [kernel] = [f for f in fd.job(jobid)["files"] if f["fname"] == srv + host_dir + "/vmlinuz"]
        assert kernel["statp"]["st_size"] == 6
        assert_nothing_left(lvm, work)
        where = os.path.join(work, "r")
        assert_ok(fd, fd.restore([jobid], where=where))
        assert open(where + srv + host_dir + "/vmlinuz", "rb").read() == b"kernel"
    finally:
        subprocess.run(["umount", srv], check=False)


def test_the_fill_watch_warns_above_the_limit_and_an_overflow_fails_the_job(lvm, lvmhost, fd, work):
    srv = mounted_origin(lvm, work)
    try:
        def fill_then_overflow():
            deadline = time.time() + 30
            while time.time() < deadline:
                snaps = [k for k, v in lvm.lvs().items() if v.get("origin")]
                if snaps:
                    vg, lv = snaps[0].split("/")
                    lvm.set_snap_percent(vg, lv, 93.5)
                    time.sleep(2.5)
                    lvm.invalidate(vg, lv)
                    return
                time.sleep(0.05)
        t = threading.Thread(target=fill_then_overflow)
        t.start()
        jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data:fill_limit=90"), pause_before_data_of=[srv + "/big.bin", 5])
        t.join()
        job = fd.job(jobid)
        assert job["status"] == "f", job["messages"]
        snap = "vg0/bp-data-%d" % jobid
        assert ("lvm: snapshot %s is 93.50%% full (fill_limit=90); if it overflows the job fails: raise snapshot_size\n" % snap) \
            in messages(fd, jobid, WARNING), job["messages"]
        assert [m for k, m in job["messages"] if k <= ERROR and
                ("lvm: snapshot %s overflowed: the backup would be inconsistent; raise snapshot_size" % snap) in m], job["messages"]
        assert_nothing_left(lvm, work)
    finally:
        subprocess.run(["umount", srv], check=False)


def test_a_host_killed_with_the_snapshot_mounted_is_cleaned_by_the_start_up_sweep(lvm, built_host, fd, work):
    srv = mounted_origin(lvm, work)
    host = Host(built_host, work, extra=["--config", lvm.host_config(work)]).start()
    try:
        jobid = fd.backup(definition(host, "vg=vg0:lv=data"), kill_before_data_of=[3, host.proc.pid])
        job = fd.job(jobid)
        # the entries already handed out are read from the mount the dead host left; the end of the job is not
        assert job["status"] != "T" and [m for k, m in job["messages"] if k <= ERROR and "the host stopped during the job" in m], job["messages"]
        snap = "vg0/bp-data-%d" % jobid
        assert lvm.leftovers()["snapshots"] == [snap]
        assert [p for p in lvm.mounts() if "/lvm/mnt/" in p]
        host.start()
        log = host.log_text()
        assert "Start-up sweep: lvm mount %s/lvm/mnt/%s removed=True" % (work, snap) in log, log[-3000:]
        assert "Start-up sweep: lvm snapshot %s removed=True" % snap in log, log[-3000:]
        assert_nothing_left(lvm, work)
    finally:
        host.stop()
        subprocess.run(["umount", srv], check=False)


def test_bad_options_are_said_at_once(lvm, lvmhost, fd, work):
    jobid = fd.backup(definition(lvmhost, "device=/dev/vg0:snapshot_size=lots:subdirs=../etc:bind=boot"))
    job = fd.job(jobid)
    assert job["status"] == "f"
    text = "\n".join(m for _, m in job["messages"])
    for problem in ('option "device" must be /dev/VG/LV, got "/dev/vg0"',
                    'option "snapshot_size" must be a size such as 2G or 500M, or N%ORIGIN, N%FREE, N%VG, got "lots"',
                    'option "subdirs" holds "../etc": each must be a path inside the volume, without . or ..',
                    'option "bind" holds "boot": each must be an absolute path other than /, without . or ..'):
        assert problem in text, text
    assert lvm.calls() == []


def test_bpipe_reader_archives_the_volume_through_the_host_and_the_writer_restores_it_exactly(lvm, lvmhost, work):
    from conftest import host_binary
    srv = mounted_origin(lvm, work)
    try:
        expected = snapshot(srv)
        env = {k: v for k, v in os.environ.items() if k != "BACKUP_PLUGINS_SOCKET"}
        archive = subprocess.run([host_binary(), "bpipe-reader", "--source", "lvm", "--socket", lvmhost.socket, "vg=vg0", "lv=data"],
                                 capture_output=True, env=env)
        assert archive.returncode == 0, archive.stderr
        assert b"backup-plugins bpipe-reader: lvm: snapshot vg0/bp-data-" in archive.stderr, archive.stderr
        assert_nothing_left(lvm, work)
        where = os.path.join(work, "r")
        r = subprocess.run([host_binary(), "bpipe-writer", "--socket", lvmhost.socket, "--where", where], input=archive.stdout,
                           capture_output=True, env=env)
        assert r.returncode == 0, r.stderr
        assert diff(expected, snapshot(where + srv)) == []
    finally:
        subprocess.run(["umount", srv], check=False)


def test_status_shows_the_running_job_and_what_it_holds(lvm, lvmhost, fd, work):
    import json
    from conftest import host_binary
    srv = mounted_origin(lvm, work)
    seen = {}

    def look():
        deadline = time.time() + 30
        while time.time() < deadline and "json" not in seen:
            r = subprocess.run([host_binary(), "status", "--json", "--socket", lvmhost.socket], capture_output=True, text=True)
            status = json.loads(r.stdout)
            if [s for s in status["sessions"] if s["phase"] == "streaming"]:
                seen["json"] = status
                seen["text"] = subprocess.run([host_binary(), "status", "--socket", lvmhost.socket], capture_output=True, text=True).stdout
            time.sleep(0.2)
    try:
        t = threading.Thread(target=look)
        t.start()
        jobid = fd.backup(definition(lvmhost, "vg=vg0:lv=data"), pause_before_data_of=[srv + "/big.bin", 4])
        t.join()
        assert_ok(fd, jobid)
        [session] = seen["json"]["sessions"]
        assert (session["job_id"], session["source"], session["phase"]) == (jobid, "lvm", "streaming")
        snap = "bp-data-%d" % jobid
        assert "lvremove vg0/%s" % snap in session["undo"] and "unmount %s/lvm/mnt/vg0/%s" % (work, snap) in session["undo"], session
        assert session["bytes_per_second"] >= 0 and int(session["files"]) > 0
        assert "    holds, to undo: lvremove vg0/%s" % snap in seen["text"].splitlines(), seen["text"]
        assert [line for line in seen["text"].splitlines() if "source=lvm  phase=streaming" in line and " MB/s  since " in line]
    finally:
        subprocess.run(["umount", srv], check=False)
