# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=dir through the FD driver, the shim and a real host: full, incremental, differential, accurate,
restore to another where and in place; restored trees compared byte and attribute exact."""
import os
import shutil
import time

from trees import allocated, diff, make_corpus, snapshot

OK = "T"


def definition(host, src, extra=""):
    return "source=dir:path=%s:socket=%s%s" % (src, host.socket, extra)


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == OK, job["messages"]
    assert not [m for m in job["messages"] if m[0] <= 4], job["messages"]


def test_full_backup_and_restore_to_where_is_exact(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = fd.backup(definition(host, src))
    assert_ok(fd, full)
    where = os.path.join(work, "restore")
    r = fd.restore([full], where=where)
    assert_ok(fd, r)
    restored = where + src
    assert diff(expected, snapshot(restored)) == []
