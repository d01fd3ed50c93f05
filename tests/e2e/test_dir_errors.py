# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bad input and failures: each gives the expected job message and outcome, and leaves nothing behind."""
import fcntl
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import SHIM, SHIM_BATCH, host_binary, lock_is_free
from fd import FileDaemon
from trees import make_corpus


def messages(fd, jobid, severity=None):
    return [m[1] for m in fd.job(jobid)["messages"] if severity is None or m[0] == severity]


FATAL, ERROR = 3, 4


def status(host):
    out = subprocess.run([host_binary(), "status", "--socket", host.socket], capture_output=True, text=True, check=True)
    return out.stdout


@pytest.mark.parametrize("options,expected", [
    ("source=dir:path", 'plugin option "path" has no value'),
    ("source=dir:path=/srv:colour=red", 'unknown option "colour" for source=dir'),
    ("source=dir", 'option "path" is required for source=dir'),
    ("source=dir:path=srv/data", 'option "path" must be an absolute path, got "srv/data"'),
    ("source=dir:path=/srv:lock_timeout=soon", 'option "lock_timeout" must be a whole number from 0 to 86400, got "soon"'),
    ("source=tape:path=/srv", 'unknown source "tape" (known: dir, lvm, parallels, vz7, xen, zfs)'),
    ("path=/srv", 'option "source" is required'),
])
def test_bad_options_fail_the_job_with_a_message_naming_the_option(host, fd, options, expected):
    jobid = fd.backup("%s:socket=%s" % (options, host.socket))
    job = fd.job(jobid)
    assert job["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and expected in fatal[0], job["messages"]
    assert [c[0] for c in job["calls"]].count("start_backup_file") == 0
    assert "sessions: 0" in status(host)


def test_blocker_fails_the_job_before_anything_is_saved(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    os.makedirs(os.path.join(src, "app"))
    open(os.path.join(src, "app", "maintenance.flag"), "w").close()
    jobid = fd.backup("source=dir:path=%s:blocker=*/maintenance.flag:socket=%s" % (src, host.socket))
    assert fd.job(jobid)["status"] == "f"
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: blocker file %s/app/maintenance.flag exists (blocker=*/maintenance.flag); nothing was backed up. "
        "Remove it when the data is consistent again\n" % src]
    assert fd.job(jobid)["files"] == []


def test_lock_held_elsewhere_fails_after_lock_timeout(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    lockfile = os.path.join(work, "data.lock")
    with open(lockfile, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.time()
        jobid = fd.backup("source=dir:path=%s:lockfile=%s:lock_timeout=1:socket=%s" % (src, lockfile, host.socket))
        assert time.time() - started < 5
    assert fd.job(jobid)["status"] == "f"
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: lockfile %s is held by another job; gave up after 1 s (lock_timeout=). "
        "Wait for that job to finish, or raise lock_timeout\n" % lockfile]


def test_lock_is_released_after_backup_and_restore(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    lockfile = os.path.join(work, "data.lock")
    opts = "source=dir:path=%s:lockfile=%s:socket=%s" % (src, lockfile, host.socket)
    full = fd.backup(opts)
    assert fd.job(full)["status"] == "T"
    assert lock_is_free(lockfile)
    r = fd.restore([full], where=os.path.join(work, "r"))
    assert fd.job(r)["status"] == "T", fd.job(r)["messages"]
    assert lock_is_free(lockfile)


def test_host_down_fails_the_job_within_ten_seconds_naming_the_socket(fd, work):
    sock = os.path.join(work, "nobody-here.sock")
    started = time.time()
    jobid = fd.backup("source=dir:path=/srv:socket=%s" % sock)
    assert time.time() - started < 10
    assert fd.job(jobid)["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and "socket=%s" % sock in fatal[0] and "cannot connect" in fatal[0]


def test_hung_host_fails_the_job_within_ten_seconds(fd, work):
    sock = os.path.join(work, "hung.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(sock)
    server.listen(5)  # accepts connections, never answers
    started = time.time()
    jobid = fd.backup("source=dir:path=/srv:socket=%s" % sock)
    elapsed = time.time() - started
    server.close()
    assert elapsed < 10
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and "socket=%s" % sock in fatal[0], fatal


def test_file_that_vanishes_before_it_is_read_is_an_error_not_a_failure(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    victim = os.path.join(src, "small.txt")
    entries = 1 + sum(len(d) + len(f) for _, d, f in os.walk(src))
    jobid = fd.backup("source=dir:path=%s:socket=%s" % (src, host.socket), remove_before_open=[victim])
    job = fd.job(jobid)
    assert job["status"] == "W"
    assert messages(fd, jobid, ERROR) == ["Cannot open %s: ERR=No such file or directory\n" % victim]
    assert len([f for f in job["files"] if not f.get("not_saved")]) == entries - 1


def test_file_that_changes_size_while_read_is_reported(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    victim = os.path.join(src, "dir/sub/deeper/data.bin")
    jobid = fd.backup("source=dir:path=%s:socket=%s" % (src, host.socket), grow_before_close=[victim])
    assert fd.job(jobid)["status"] == "W"
    assert messages(fd, jobid, ERROR) == [
        "backupplugins: %s changed while it was being backed up (size 300000, now 300022); "
        "the saved copy may be inconsistent\n" % victim]


def test_cancel_ends_the_job_and_releases_everything(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    lockfile = os.path.join(work, "data.lock")
    jobid = fd.backup("source=dir:path=%s:lockfile=%s:socket=%s" % (src, lockfile, host.socket), cancel_after_files=3)
    job = fd.job(jobid)
    assert job["status"] == "A"
    assert messages(fd, jobid, ERROR) == [] and messages(fd, jobid, FATAL) == []
    names = [c[0] for c in job["calls"]]
    assert names.count("start_backup_file") == 3
    assert ("handle_plugin_event", 2) not in [(c[0], c[1]) for c in job["calls"]]
    deadline = time.time() + 5
    while not lock_is_free(lockfile) and time.time() < deadline:
        time.sleep(0.1)
    assert lock_is_free(lockfile)
    assert "sessions: 0" in status(host)


def test_file_daemon_that_dies_mid_job_leaves_no_session_or_lock(host, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    lockfile = os.path.join(work, "data.lock")
    script = (
        "import sys; sys.path[:0] = [%r, %r]\n"
        "from fd import FileDaemon\n"
        "FileDaemon(%r, %r).backup(%r, die_after_files=2)\n"
    ) % (os.path.join(os.path.dirname(SHIM), "tests", "fd-driver"), os.path.dirname(__file__),
         os.path.join(work, "fd"), SHIM, "source=dir:path=%s:lockfile=%s:socket=%s" % (src, lockfile, host.socket))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    deadline = time.time() + 5
    while not lock_is_free(lockfile) and time.time() < deadline:
        time.sleep(0.1)
    assert lock_is_free(lockfile)
    assert "sessions: 0" in status(host)
    assert "shim disconnected" in host.log_text() or "closed with session" in host.log_text()


def test_restore_refuses_names_outside_the_restore_root(host, fd, work):
    src = os.path.join(work, "src")
    os.makedirs(src)
    open(os.path.join(src, "ok.txt"), "w").close()
    full = fd.backup("source=dir:path=%s:socket=%s" % (src, host.socket))
    # A catalog entry whose name climbs out of the tree (a tampered or hostile backup).
    job = fd.job(full)
    bad = dict(job["files"][0], fname=src + "/../../escaped.txt", file_index=99)
    job["files"].append(bad)
    where = os.path.join(work, "r")
    r = fd.restore([full], where=where)
    errors = messages(fd, r, ERROR)
    assert any("refusing to restore %s%s/../../escaped.txt: it contains a '..' or '.' component" % (where, src) in e
               for e in errors), fd.job(r)["messages"]
    assert not os.path.exists(os.path.join(where + src, "..", "..", "escaped.txt"))
    assert os.path.exists(where + src + "/ok.txt")


def test_host_killed_mid_job_fails_the_job_and_a_restarted_host_is_clean(host, fd, work):
    src = os.path.join(work, "src")
    os.makedirs(src)
    for i in range(2 * SHIM_BATCH + 100):  # more than two batches, so the shim must ask the dead host again
        with open(os.path.join(src, "f%04d" % i), "w") as f:
            f.write("x")
    lockfile = os.path.join(work, "data.lock")
    started = time.time()
    jobid = fd.backup("source=dir:path=%s:lockfile=%s:socket=%s" % (src, lockfile, host.socket),
                      kill_after_files=[10, host.proc.pid])
    assert time.time() - started < 30
    job = fd.job(jobid)
    assert job["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    # Broken pipe or closed connection, depending on when the kill lands; always naming the socket.
    assert len(fatal) == 2 and fatal[0].startswith("backupplugins: ") and "host at %s " % host.socket in fatal[0], fatal
    assert fatal[1] == "startBackupFile failed\n"  # from the file daemon itself
    assert messages(fd, jobid, ERROR) == []
    assert lock_is_free(lockfile)
    host.proc.wait()
    host.start()
    assert "sessions: 0" in status(host)
    again = fd.backup("source=dir:path=%s:lockfile=%s:socket=%s" % (src, lockfile, host.socket))
    assert fd.job(again)["status"] == "T"
