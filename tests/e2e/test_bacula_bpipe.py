# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real Bacula 9.6 job (Debian's director, storage and file daemons, bpipe-fd.so) backs up the restore-truth
corpus through `backup-plugins bpipe-reader` and restores it through `bpipe-writer`; the tree comes back exact."""
import os

import pytest

from baculaworld import Bacula, ensure_packages
from conftest import host_binary
from trees import diff, make_corpus, snapshot


@pytest.fixture
def bacula_src(built_host, work):
    ensure_packages()
    src = os.path.join(work, "src")
    make_corpus(src)
    line = "bpipe:/BACKUPPLUGINS/src.pax:%s bpipe-reader --source dir --path %s:%s bpipe-writer --where %%w" % (
        host_binary(), src, host_binary())
    bacula = Bacula(work, line).start()
    yield bacula, src
    bacula.stop()


def test_full_backup_and_restore_through_bpipe_is_exact(bacula_src, work):
    bacula, src = bacula_src
    expected = snapshot(src)
    report = bacula.run_job("run job=backup yes")
    assert Bacula.termination(report) == "Backup OK", report
    where = os.path.join(work, "restored")
    report = bacula.run_job("restore jobid=1 client=bp-fd where=%s all done yes" % where)
    assert Bacula.termination(report) == "Restore OK", report
    assert diff(expected, snapshot(where + src)) == []
