# SPDX-License-Identifier: AGPL-3.0-or-later
"""bpipe-reader / bpipe-writer for sources with side effects: a vz7 container archived through the running host and
through an embedded one (snapshot merged, mount and lock gone, even when the consumer stops reading), a sweep
refused while an embedded host lives; zfs mode=stream as a raw send stream, Full then Incremental from Bareos's
environment variables, received by the writer into a new dataset exactly."""
import os
import subprocess
import time

from conftest import host_binary
from test_vz7_backup import assert_nothing_left, corpus
from test_zfs_stream import dataset, userrefs
from trees import diff, plain_corpus, snapshot
from vzworld import NAME, UUID

READER = [host_binary(), "bpipe-reader"]
WRITER = [host_binary(), "bpipe-writer"]


def vz_options(vz):
    return ["name=" + NAME, "uuid=" + UUID, "lockfile=" + os.path.join(vz.work, "cts.lock")]


def env(**bareos):
    e = dict(os.environ)
    e.pop("BACKUP_PLUGINS_SOCKET", None)
    e.update({"Bareos" + k: str(v) for k, v in bareos.items()})
    return e


def corpus_with_big_file(path):
    """The corpus plus 16 MiB: a reader is still writing when the test stops reading or signals it."""
    corpus(path)
    with open(os.path.join(path, "big.bin"), "wb") as f:
        f.write(os.urandom(16 << 20))


def embedded_dirs():
    import glob
    import tempfile
    return glob.glob(os.path.join(tempfile.gettempdir(), "backup-plugins-bpipe-*"))


def no_host(vz):
    """A socket path where no host listens: the commands embed their own."""
    return os.path.join(vz.work, "no-host.sock")


def test_container_archived_through_the_running_host_restores_exactly(vzhost, vz, work):
    vz.create_ct(fill=corpus)
    expected = snapshot(vz.live())
    vz.clear_calls()
    archive = subprocess.run(READER + ["--source", "vz7", "--socket", vzhost.socket] + vz_options(vz), capture_output=True)
    assert archive.returncode == 0, archive.stderr
    # the job ran on the running host (configured with the fakes) and said what it did, line by line
    assert [c[1] for c in vz.calls() if c[0] == "ploop"] == ["snapshot-list", "snapshot", "snapshot-list", "mount", "umount",
                                                             "snapshot-delete"]
    assert b"backup-plugins bpipe-reader: vz7: " in archive.stderr
    assert_nothing_left(vz)
    where = os.path.join(work, "r")
    r = subprocess.run(WRITER + ["--socket", vzhost.socket, "--where", where], input=archive.stdout, capture_output=True)
    assert r.returncode == 0, r.stderr
    assert diff(expected, snapshot(where + os.path.join(vz.mount_root, UUID))) == []


def test_embedded_host_cleans_up_when_the_consumer_stops_reading(vz, work):
    vz.create_ct(fill=corpus_with_big_file)
    reader = subprocess.Popen(READER + ["--source", "vz7", "--socket", no_host(vz), "--config", vz.config] + vz_options(vz),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    reader.stdout.read(1 << 20)
    reader.stdout.close()  # as bpipe does when the job is cancelled: the reader's writes fail
    assert reader.wait(60) == 1
    err = reader.stderr.read().decode()
    assert "; the archive is incomplete\n" in err, err
    assert [c[1] for c in vz.calls() if c[0] == "ploop"][-2:] == ["umount", "snapshot-delete"]
    assert_nothing_left(vz)


def test_reader_terminated_mid_job_cleans_up_before_it_exits(vz, work):
    """SIGTERM (a cancelled job, a stopping file daemon): the embedded host's job is undone before the process ends."""
    import signal

    vz.create_ct(fill=corpus_with_big_file)
    vz.fault("ploop snapshot-delete", sleep=3, times=1)  # a merge that takes a while
    reader = subprocess.Popen(READER + ["--source", "vz7", "--socket", no_host(vz), "--config", vz.config] + vz_options(vz),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    reader.stdout.read(1 << 16)
    reader.send_signal(signal.SIGTERM)
    assert reader.wait(60) == 1
    reader.stdout.close()
    assert "cancelled; the archive is incomplete\n" in reader.stderr.read().decode()
    assert [c[1] for c in vz.calls() if c[0] == "ploop"][-2:] == ["umount", "snapshot-delete"]
    assert_nothing_left(vz)


def test_sweep_is_refused_while_an_embedded_host_runs_a_job(vzhost, vz, work):
    vz.create_ct(fill=corpus_with_big_file)
    reader = subprocess.Popen(READER + ["--source", "vz7", "--socket", no_host(vz), "--config", vz.config] + vz_options(vz),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    reader.stdout.read(1 << 16)  # the job is under way: snapshot taken, mounted, the pipe full
    assert vz.our_mounts() == [os.path.join(vz.mount_root, "bp-" + UUID)]
    sweep = subprocess.run([host_binary(), "sweep", "--socket", vzhost.socket], capture_output=True, text=True)
    assert sweep.returncode == 2
    assert sweep.stdout == ("backup-plugins: FailedPrecondition: bpipe commands are running jobs on their own hosts; "
                            "sweep when they are done\n")
    assert vz.our_mounts() == [os.path.join(vz.mount_root, "bp-" + UUID)]  # untouched
    reader.kill()  # the embedded host dies with it: its snapshot and mount are leftovers now
    reader.wait()
    reader.stdout.close()
    stale = embedded_dirs()
    assert len(stale) == 1
    sweep = subprocess.run([host_binary(), "sweep", "--socket", vzhost.socket], capture_output=True, text=True)
    assert sweep.returncode == 0, sweep.stdout
    assert sweep.stdout.startswith("leftovers: 3\n"), sweep.stdout  # mount, mount point, snapshot
    assert_nothing_left(vz)
    # the next bpipe command with an embedded host removes the killed one's private directory
    r = subprocess.run(READER + ["--source", "dir", "--path", work, "--socket", no_host(vz), "--exclude", "*"], capture_output=True)
    assert r.returncode == 0, r.stderr
    assert embedded_dirs() == []


def test_zfs_stream_full_and_incremental_as_raw_streams_received_by_the_writer(zfsw, work):
    ds, mnt = dataset(zfsw)
    plain_corpus(os.path.join(mnt, "tree"))
    sock = os.path.join(work, "no-host.sock")
    started = int(time.time())
    full = subprocess.run(READER + ["--source", "zfs", "--socket", sock, "dataset=" + ds], capture_output=True,
                          env=env(JobId=41, JobLevel="F", SinceTime=0))
    assert full.returncode == 0, full.stderr
    assert full.stderr.decode() == ("backup-plugins bpipe-reader: zfs: snapshot %s@bp-F-41, sent in full\n"
                                    "backup-plugins bpipe-reader: zfs: %s@bp-F-41 kept and held (bp-bareos) as the base of the "
                                    "next backup\n" % (ds, ds))
    assert userrefs(ds + "@bp-F-41") == "1"
    time.sleep(1.1)
    with open(os.path.join(mnt, "tree", "new.txt"), "wb") as f:
        f.write(b"after the full\n")
    os.remove(os.path.join(mnt, "tree", "small.txt"))
    incr = subprocess.run(READER + ["--source", "zfs", "--socket", sock, "dataset=" + ds], capture_output=True,
                          env=env(JobId=42, JobLevel="I", SinceTime=started))
    assert incr.returncode == 0, incr.stderr
    assert ("zfs: snapshot %s@bp-I-42, sent as an increment from %s@bp-F-41\n" % (ds, ds)) in incr.stderr.decode()
    expected = snapshot(mnt)
    target = zfsw.host_pool + "/restored"
    alone = subprocess.run(WRITER + ["--source", "zfs", "--socket", sock, "--where=", "target=" + target], input=incr.stdout,
                           capture_output=True)
    assert (alone.returncode, alone.stderr.decode()) == (1, (
        "backup-plugins bpipe-writer: %s@bp-I-42 is an increment and %s does not exist: restore the Full stream (bp-F-…) "
        "first, then each increment in job order; the restore is incomplete\n") % (ds, target))
    assert zfsw.snapshots(target) is None
    for stream in (full.stdout, incr.stdout):
        r = subprocess.run(WRITER + ["--source", "zfs", "--socket", sock, "target=" + target], input=stream, capture_output=True,
                           env=env(Where="", Replace="a"))
        assert r.returncode == 0, r.stderr
    assert diff(expected, snapshot(os.path.join(zfsw.work, "hostmnt", "restored"))) == []
    assert zfsw.snapshots(target) == zfsw.snapshots(ds)  # the same snapshots, by guid


def test_zfs_reader_failure_leaves_no_snapshot_and_writer_refuses_what_is_not_a_stream(zfsw, work):
    ds, _ = dataset(zfsw)
    sock = os.path.join(work, "no-host.sock")
    r = subprocess.run(READER + ["--source", "zfs", "--socket", sock, "dataset=" + ds], capture_output=True,
                       env=env(JobId=43, JobLevel="I", SinceTime=0))
    assert r.returncode == 1
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "backup-plugins bpipe-reader: no snapshot of the previous backup of %s is left" % ds), lines
    assert lines[0].endswith("; run a Full backup; the stream is incomplete")
    assert r.stdout == b""
    assert zfsw.snapshots(ds) == []
    w = subprocess.run(WRITER + ["--source", "zfs", "--socket", sock, "--where", "/", "target=%s/x" % zfsw.host_pool],
                       input=b"not a stream at all" * 100, capture_output=True)
    assert w.returncode == 1
    assert w.stderr.decode() == ("backup-plugins bpipe-writer: standard input is not a zfs send stream: no DRR_BEGIN magic at its "
                                 "start (bpipe-reader --source zfs writes one); nothing was restored\n")
    assert zfsw.snapshots(zfsw.host_pool + "/x") is None


def test_without_any_running_host_sweep_undoes_what_a_killed_reader_left(vz, work):
    """A machine that only uses bpipe: `backup-plugins sweep` runs on an embedded host too (and is refused while a
    bpipe job runs)."""
    vz.create_ct(fill=corpus_with_big_file)
    sweep = [host_binary(), "sweep", "--socket", no_host(vz), "--config", vz.config]
    reader = subprocess.Popen(READER + ["--source", "vz7", "--socket", no_host(vz), "--config", vz.config] + vz_options(vz),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    reader.stdout.read(1 << 16)
    busy = subprocess.run(sweep, capture_output=True, text=True)
    assert (busy.returncode, busy.stdout) == (2, "backup-plugins: FailedPrecondition: bpipe commands are running jobs on their "
                                                 "own hosts; sweep when they are done\n")
    reader.kill()
    reader.wait()
    reader.stdout.close()
    r = subprocess.run(sweep, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    mount = os.path.join(vz.mount_root, "bp-" + UUID)
    assert lines[:3] == ["leftovers: 3", "  vz7 mount %s: removed" % mount, "  vz7 mount point %s: removed" % mount]
    assert lines[3].startswith("  vz7 snapshot {0bac0bac-") and lines[3].endswith(" of %s: removed" % vz.dd())
    assert len(lines) == 4
    assert_nothing_left(vz)

