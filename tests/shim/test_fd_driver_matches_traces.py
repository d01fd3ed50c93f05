# SPDX-License-Identifier: AGPL-3.0-or-later
"""The FD driver must call a plugin exactly as the real Bareos 25.1 file daemon did: the same callbacks, in
the same order, with the same events and I/O functions, for every recorded job type."""
import json
import os
import shutil
import sys
import tempfile
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "fd-driver"))

from fd import FileDaemon  # noqa: E402

TRACES = os.path.join(ROOT, "..", "shared", "fixtures", "bareos-fd-trace")
if not os.path.isdir(TRACES):
    TRACES = os.path.join(os.environ.get("BP_SHARED", "/work/shared"), "fixtures", "bareos-fd-trace")


def recorded(name):
    seq = []
    with open(os.path.join(TRACES, name)) as f:
        for line in f:
            r = json.loads(line)
            args = r.get("args") or {}
            detail = None
            if r["cb"] == "handle_plugin_event":
                detail = args["event"]
            elif r["cb"] == "plugin_io":
                detail = args["iop"]["func"]
            elif r["cb"] == "check_file":
                detail = os.path.basename(args["fname"])
            seq.append((r["cb"], detail))
    return seq


def played(fd_, jobid):
    seq = []
    for name, detail, _tid in fd_.job(jobid)["calls"]:
        if name == "check_file":
            detail = os.path.basename(detail)
        seq.append((name, detail))
    return seq


@pytest.fixture
def scene():
    work = tempfile.mkdtemp(prefix="bp-trace-")
    folder = os.path.join(work, "src")
    os.makedirs(os.path.join(folder, "d_dir"))
    with open(os.path.join(folder, "a_small.txt"), "wb") as f:
        f.write(b"x" * 21)
    with open(os.path.join(folder, "b_medium.bin"), "wb") as f:
        f.write(os.urandom(300000))
    os.symlink("a_small.txt", os.path.join(folder, "c_link"))
    time.sleep(1.1)
    d = FileDaemon(os.path.join(work, "fd"), os.path.join(ROOT, "tests", "fd-driver"), module_name="trace_plugin")
    yield d, folder, work
    shutil.rmtree(work, ignore_errors=True)


def rewrite_small(folder):
    time.sleep(1.1)
    with open(os.path.join(folder, "a_small.txt"), "wb") as f:
        f.write(b"y" * 49)


def test_full(scene):
    d, folder, _ = scene
    assert played(d, d.backup("folder=%s" % folder)) == recorded("full.jsonl")


def test_full_with_no_read_off(scene):
    d, folder, _ = scene
    assert played(d, d.backup("folder=%s:noread=off" % folder)) == recorded("full-noread-off.jsonl")


def test_incremental(scene):
    d, folder, _ = scene
    full = d.backup("folder=%s" % folder)
    rewrite_small(folder)
    assert played(d, d.backup("folder=%s" % folder, level="I", since_job=full)) == recorded("incremental.jsonl")


def test_accurate_full_and_incremental(scene):
    d, folder, _ = scene
    full = d.backup("folder=%s" % folder, accurate=True)
    assert played(d, full) == recorded("accurate-full.jsonl")
    incr = d.backup("folder=%s:omit=c_link" % folder, level="I", accurate=True, since_job=full)
    assert played(d, incr) == recorded("accurate-incremental.jsonl")


@pytest.mark.parametrize("fixture,where", [("restore.jsonl", "/tmp/bareos-restores"),
                                           ("restore-where.jsonl", "WORK/r"), ("restore-inplace.jsonl", "")])
def test_restore(scene, fixture, where):
    d, folder, work = scene
    full = d.backup("folder=%s" % folder)
    rewrite_small(folder)
    incr = d.backup("folder=%s" % folder, level="I", since_job=full)
    where = where.replace("WORK", work)
    if fixture == "restore.jsonl":
        where = os.path.join(work, "bareos-restores")
    assert played(d, d.restore([full, incr], where=where)) == recorded(fixture)


def test_cancel_arrives_on_another_thread_and_job_end_never_comes(scene):
    d, folder, _ = scene
    jobid = d.backup("folder=%s" % folder, cancel_after_reads=1)
    assert played(d, jobid) == recorded("cancel.jsonl")
    calls = d.job(jobid)["calls"]
    cancel = [c for c in calls if c[0] == "handle_plugin_event" and c[1] == 14]
    assert cancel and cancel[0][2] != calls[0][2]
    assert d.job(jobid)["status"] == "A"
