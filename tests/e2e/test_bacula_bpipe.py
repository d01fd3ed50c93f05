# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real Bacula 9.6 job (Debian's director, storage and file daemons, bpipe-fd.so) backs up the restore-truth
corpus through `backup-plugins bpipe-reader` and restores it through `bpipe-writer`; the tree comes back exact."""
import os
import re

import pytest

from baculaworld import Bacula, ensure_packages
from conftest import host_binary
from trees import diff, make_corpus, plain_corpus, snapshot


@pytest.fixture
def bacula_src(built_host, work):
    ensure_packages()
    src = os.path.join(work, "src")
    make_corpus(src)
    line = "bpipe:/BACKUPPLUGINS/src.pax:%s bpipe-reader --source dir --path %s:%s bpipe-writer --where=%%w" % (
        host_binary(), src, host_binary())
    bacula = Bacula(work, line).start()
    yield bacula, src
    bacula.stop()


def test_full_backup_and_restore_through_bpipe_is_exact(bacula_src, work):
    bacula, src = bacula_src
    expected = snapshot(src)
    where = os.path.join(work, "restored")
    bacula.backup_and_restore(where)
    assert diff(expected, snapshot(where + src)) == []


def test_reader_failing_mid_stream_is_not_a_plain_backup_ok_and_says_why(bacula_src, work):
    import socket
    bacula, src = bacula_src
    victim = os.path.join(src, "zz.sock")  # walked last: the archive is cut after every other entry
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(victim)
    try:
        report = bacula.run_job("run job=backup yes")
    finally:
        listener.close()
    assert Bacula.termination(report) == "Backup OK -- with warnings", report
    assert ("bp-fd JobId 1: /BACKUPPLUGINS/src.pax: backup-plugins bpipe-reader: %s: a socket cannot be archived; "
            "the archive is incomplete" % victim) in report
    assert "Error: bpipe-fd: Error closing for file /BACKUPPLUGINS/src.pax" in report


def test_zfs_dataset_through_bacula_bpipe_as_a_raw_send_stream(built_host, zfsw, work):
    """Any source behind Bacula: a zfs dataset's send stream is the one bpipe file; the restore receives it into a new dataset."""
    from test_zfs_stream import dataset, userrefs
    ensure_packages()
    ds, mnt = dataset(zfsw)
    plain_corpus(os.path.join(mnt, "tree"))
    expected = snapshot(mnt)
    target = zfsw.host_pool + "/restored"
    line = ("bpipe:/BACKUPPLUGINS/zfs/%s.zfs:%s bpipe-reader --socket %s/none.sock --source zfs dataset=%s:"
            "%s bpipe-writer --socket %s/none.sock --source zfs --where=%%w target=%s") % (
        ds.replace("/", "_"), host_binary(), work, ds, host_binary(), work, target)
    bacula = Bacula(work, line).start()
    try:
        report = bacula.run_job("run job=backup yes")
        assert Bacula.termination(report) == "Backup OK", report
        assert re.search(r"bpipe-reader: zfs: snapshot %s@bp-F-\d+, sent in full" % re.escape(ds), report), report
        snaps = zfsw.snapshots(ds)
        assert len(snaps) == 1 and userrefs("%s@%s" % (ds, snaps[0][0])) == "1"  # held: the base of the next backup
        report = bacula.run_job("restore jobid=1 client=bp-fd where=/ all done yes")
        assert Bacula.termination(report) == "Restore OK", report
    finally:
        bacula.stop()
    assert diff(expected, snapshot(os.path.join(zfsw.work, "hostmnt", "restored"))) == []
    assert zfsw.snapshots(target) == zfsw.snapshots(ds)
