# SPDX-License-Identifier: AGPL-3.0-or-later
"""Every prlctl and ploop call of source=vz7, failing with a distinctive message: the job that failed says that
command, its exit code and its message — never another condition ("does not exist", "not running") — and nothing is
left behind (after a sweep where the failing command was the undo itself). Output a tool should not print is that
tool's failure too."""
import os
import subprocess

import pytest

from conftest import host_binary, lock_is_free
from test_vz7_backup import ERROR, FATAL, assert_nothing_left, corpus, fileset, job_options, messages, seed_fd
from test_vz7_restore import COPY, backup
from vzworld import UUID

BACKUP_STEPS = [
    # fault key, calls let through first, a cleanup step (the job still ends "with warnings")?
    ("prlctl list", 0, False),
    ("ploop snapshot-list", 0, False),
    ("ploop snapshot", 0, False),
    ("ploop snapshot-list", 1, False),  # the re-list after the snapshot
    ("ploop mount", 0, False),
    ("ploop umount", 0, True),
    ("ploop snapshot-delete", 0, True),
]


def sweep_if_needed(vz, host, cleanup):
    if cleanup:
        s = subprocess.run([host_binary(), "sweep", "--socket", host.socket], capture_output=True, text=True)
        assert s.returncode == 0, s.stdout + s.stderr


@pytest.mark.parametrize("key,skip,cleanup", BACKUP_STEPS, ids=["%s-%d" % (k.replace(" ", "-"), s) for k, s, _ in BACKUP_STEPS])
def test_a_failing_backup_step_is_reported_as_that_command(vzhost, vz, fd, key, skip, cleanup):
    vz.create_ct(fill=corpus)
    text = "FAULT in %s: the tool's own words" % key
    vz.fault(key, exit=42, stderr=text, times=1, skip=skip)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    job = fd.job(jobid)
    assert job["status"] == ("W" if cleanup else "f"), job["messages"]
    said = messages(fd, jobid, ERROR if cleanup else FATAL)
    argv = " ".join([key.split()[0] == "prlctl" and vz.prlctl_path or vz.ploop_path] + key.split()[1:])
    assert [m for m in said if argv in m and ": exit code 42: %s" % text in m], said
    assert not [m for m in job["messages"] if "does not exist" in m[1] or "not running" in m[1]], job["messages"]
    sweep_if_needed(vz, vzhost, cleanup)
    assert_nothing_left(vz)


def test_prlctl_failing_is_never_taken_for_a_missing_container(vzhost, vz, fd):
    """The acceptance finding: prlctl list exiting non-zero with a message made the job say the container does not exist."""
    vz.create_ct(fill=corpus)
    vz.fault("prlctl list", exit=255, stderr="Unable to connect to Virtuozzo. You may experience a connection problem "
             "or the server may be down.", times=1)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: %s list -o name,uuid,status --vmtype ct --all %s: exit code 255: Unable to connect to Virtuozzo. "
        "You may experience a connection problem or the server may be down.\n" % (vz.prlctl_path, UUID)]
    # and a container prlctl really does not know is still said so
    other = "11111111-2222-4333-8444-555555555555"
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(uuid=other))
    assert messages(fd, jobid, FATAL) == ["backupplugins: container %s does not exist on this host (prlctl list shows no "
                                          "container with that UUID)\n" % other]
    assert_nothing_left(vz)


@pytest.mark.parametrize("key,stdout,what", [
    ("prlctl list", "", "no header line NAME UUID STATUS (it printed nothing)"),
    ("prlctl list", "Operation in progress, please wait\n", "no header line NAME UUID STATUS (it printed \"Operation in progress, please wait\")"),
    ("ploop snapshot-list", "", "no image listed (it printed nothing)"),
    ("ploop snapshot-list", "PARENT_UUID C UUID FNAME\nsomething else\n",
     "unexpected line in ploop snapshot-list output: \"something else\" (it printed \"PARENT_UUID C UUID FNAME\nsomething else\")"),
])
def test_output_a_tool_should_not_print_is_that_tools_failure(vzhost, vz, fd, key, stdout, what):
    vz.create_ct(fill=corpus)
    vz.fault(key, stdout=stdout, times=1)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(jobid)["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and fatal[0].endswith(": exit code 0 but %s\n" % what), fatal
    assert_nothing_left(vz)


RESTORE_CT_STEPS = [("prlctl list", False), ("ploop init", False), ("ploop mount", False), ("ploop umount", True),
                    ("prlctl register", False)]


@pytest.mark.parametrize("key,cleanup", RESTORE_CT_STEPS, ids=[k.replace(" ", "-") for k, _ in RESTORE_CT_STEPS])
def test_a_failing_container_restore_step_is_reported_as_that_command(vzhost, vz, fd, key, cleanup):
    vz.create_ct(fill=corpus)
    full = backup(vz, vzhost, fd)
    text = "FAULT in %s: the tool's own words" % key
    vz.fault(key, exit=42, stderr=text, times=1)
    r = fd.restore([full], where="", plugin_options=["python:restore=ct:name=copy:uuid=%s:disk=10" % COPY])
    job = fd.job(r)
    assert job["status"] == "f", job["messages"]
    said = [m for k, m in job["messages"] if k <= ERROR]
    assert [m for m in said if m.endswith(": exit code 42: %s\n" % text)], said
    sweep_if_needed(vz, vzhost, cleanup)
    assert vz.our_mounts() == [] and lock_is_free(os.path.join(vz.work, "cts.lock"))
    assert COPY not in vz.registered()


def test_a_failing_prlctl_in_a_files_restore_is_reported_as_prlctl(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    full = backup(vz, vzhost, fd)
    vz.fault("prlctl list", exit=42, stderr="FAULT: prlctl's own words", times=1)
    r = fd.restore([full], where="/tmp/r", plugin_options=["python:restore=files:uuid=%s" % UUID])
    assert fd.job(r)["status"] == "f"
    assert [m for m in messages(fd, r, FATAL) if m.endswith(": exit code 42: FAULT: prlctl's own words\n")], fd.job(r)["messages"]
    assert_nothing_left(vz)
