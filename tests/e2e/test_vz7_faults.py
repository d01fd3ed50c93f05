# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=vz7 failures at every step boundary: a failing mount right after the snapshot, a cancel mid-walk and
mid-file, the file daemon dying, the host killed mid-walk and before the merge, a failing merge. Afterwards no
snapshot, mount or lock remains (after a host restart where the host was killed) and the job says why it failed."""
import os
import subprocess
import sys
import threading
import time

from conftest import SHIM, SHIM_BATCH, host_binary
from test_vz7_backup import ERROR, FATAL, assert_nothing_left, corpus, fileset, job_options, messages, seed_fd
from vzworld import UUID


def eventually(check, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            check()
            return
        except AssertionError:
            time.sleep(0.1)
    check()


def test_mount_failing_after_the_snapshot_merges_it_back(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    vz.fault("ploop mount", exit=21, stderr="Image /vz/private/x/root.hdd/root.hds already used by device /dev/ploop12345", times=1)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(jobid)["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and "ploop mount -r -c " in fatal[0] and fatal[0].endswith(
        ": exit code 21: Image /vz/private/x/root.hdd/root.hds already used by device /dev/ploop12345\n"), fatal
    assert [c[1] for c in vz.calls()][-2:] == ["mount", "snapshot-delete"]
    assert_nothing_left(vz)


def test_cancel_mid_walk_unmounts_and_merges(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(), cancel_after_files=5)
    assert fd.job(jobid)["status"] == "A"
    eventually(lambda: assert_nothing_left(vz))


def test_cancel_mid_file_unmounts_and_merges(vzhost, vz, fd):
    def big(path):
        corpus(path)
        with open(os.path.join(path, "big.bin"), "wb") as f:
            f.write(os.urandom(8 << 20))
    vz.create_ct(fill=big)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(), cancel_after_reads=2,
                               stop_reading_on_cancel=True)
    assert fd.job(jobid)["status"] == "A"
    eventually(lambda: assert_nothing_left(vz))


def test_file_daemon_dying_mid_job_leaves_nothing(vzhost, vz, work):
    vz.create_ct(fill=corpus)
    script = ("import sys; sys.path[:0] = [%r, %r]\n"
              "from fd import FileDaemon\n"
              "d = FileDaemon(%r, %r, module_name='bareos-fd-vz7_ct_fs')\n"
              "d.backup(%r, plugin_options=%r, die_after_files=4)\n") % (
        os.path.join(os.path.dirname(SHIM), "tests", "fd-driver"), os.path.dirname(__file__), os.path.join(work, "fd"),
        SHIM, fileset(vz, vzhost), job_options())
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    eventually(lambda: assert_nothing_left(vz))


def restart(host):
    host.proc.wait()
    host.start()


def many_files(path):
    corpus(path)
    os.mkdir(os.path.join(path, "many"))
    for i in range(2 * SHIM_BATCH + 100):  # more than two batches of entries: the shim must ask the (dead) host again
        with open(os.path.join(path, "many", "f%04d" % i), "w") as f:
            f.write("x")


def test_host_killed_mid_walk_is_swept_at_restart(vzhost, vz, fd):
    vz.create_ct(fill=many_files)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(), kill_after_files=[5, vzhost.proc.pid])
    assert fd.job(jobid)["status"] == "f"
    assert any("host at %s " % vzhost.socket in m for m in messages(fd, jobid, FATAL))
    # The killed host could not clean up: its mount and snapshot are still there (the lock died with it).
    assert vz.our_mounts() == [os.path.join(vz.mount_root, "bp-" + UUID)]
    assert [s for s in vz.snapshots() if s[0].startswith("0bac0bac-")]
    restart(vzhost)
    assert_nothing_left(vz)
    log = vzhost.log_text()
    assert "Start-up sweep: vz7 mount %s removed=True" % os.path.join(vz.mount_root, "bp-" + UUID) in log
    assert "Start-up sweep: vz7 snapshot {0bac0bac-" in log
    again = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(again)["status"] == "T", fd.job(again)["messages"]


def test_host_killed_during_the_merge_is_swept_at_restart(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    vz.fault("ploop snapshot-delete", sleep=60, times=1)
    result = {}
    job = threading.Thread(target=lambda: result.update(
        id=seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())))
    job.start()

    def merging():
        assert any(c[1] == "snapshot-delete" for c in vz.calls())
    eventually(merging, seconds=30)
    vzhost.kill()
    job.join(30)
    assert not job.is_alive()
    assert vz.our_mounts() == []  # unmounted before the merge began
    assert [s for s in vz.snapshots() if s[0].startswith("0bac0bac-")]
    restart(vzhost)
    assert_nothing_left(vz)


def test_failing_merge_is_reported_and_swept_on_request(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    vz.fault("ploop snapshot-delete", exit=17, stderr="Unable to merge snapshot: Device or resource busy", times=1)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    errors = messages(fd, jobid, ERROR)
    assert len(errors) == 1 and errors[0].startswith("cleanup failed: could not merge snapshot {0bac0bac-"), errors
    assert errors[0].endswith("exit code 17: Unable to merge snapshot: Device or resource busy; the container keeps running on "
                              "top of the snapshot until it is merged: run `backup-plugins sweep` when no job runs\n")
    assert fd.job(jobid)["status"] == "W"
    assert vz.our_mounts() == []
    sweep = subprocess.run([host_binary(), "sweep", "--socket", vzhost.socket], capture_output=True, text=True)
    assert sweep.returncode == 0, sweep.stderr
    assert sweep.stdout.startswith("leftovers: 1\n  vz7 snapshot {0bac0bac-"), sweep.stdout
    assert sweep.stdout.endswith(" of %s: removed\n" % vz.dd()), sweep.stdout
    assert_nothing_left(vz)


def test_prefixed_mounts_and_snapshots_no_job_recorded_are_reported_not_undone(vzhost, vz, fd):
    """A `bp-…` mount and a `0bac0bac-…` snapshot that no job of ours recorded (made by hand, or by another tool that
    copied our names) are listed by every sweep and left as they are."""
    vz.create_ct(fill=corpus)
    foreign_uuid = "0bac0bac-1111-4222-8333-444455556666"
    vz.ploop("snapshot", "-u", foreign_uuid, vz.dd())
    mount = os.path.join(vz.mount_root, "bp-by-hand")
    os.makedirs(mount)
    subprocess.run(["mount", "--bind", "-o", "ro", vz.live(), mount], check=True)
    vzhost.stop()
    vzhost.start()
    log = vzhost.log_text()
    assert ("Start-up sweep: vz7 mount %s removed=False no job of this host recorded it in the journal, so it is left alone; "
            "if it is a leftover, unmount it with `ploop umount -m %s`" % (mount, mount)) in log
    sweep = subprocess.run([host_binary(), "sweep", "--socket", vzhost.socket], capture_output=True, text=True)
    assert (sweep.returncode, sweep.stdout) == (0, "leftovers: 0\nnot ours, left alone: 2\n"
        "  vz7 mount %s: no job of this host recorded it in the journal, so it is left alone; if it is a leftover, unmount it "
        "with `ploop umount -m %s`\n"
        "  vz7 snapshot {%s} of %s: no job of this host recorded it in the journal, so it is left alone; if it is a leftover, "
        "merge it with `ploop snapshot-delete -u %s %s`\n" % (mount, mount, foreign_uuid, vz.dd(), foreign_uuid, vz.dd()))
    assert vz.our_mounts() == [mount]
    assert [s[0] for s in vz.snapshots() if s[0].startswith("0bac0bac-")] == [foreign_uuid]
    # a backup refuses to start on top of it and says how to merge it by hand
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert messages(fd, jobid, FATAL)[0].endswith(
        "merge it with `ploop snapshot-delete -u %s %s` once you know no backup uses it)\n" % (foreign_uuid, vz.dd()))
    subprocess.run(["umount", mount], check=True)
    os.rmdir(mount)
    vz.ploop("snapshot-delete", "-u", foreign_uuid, vz.dd())
    assert_nothing_left(vz)
