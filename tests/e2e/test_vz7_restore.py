# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=vz7 restores: a whole container (as a copy beside the original, or in place of a deleted one), files into
the running container (moved by regexwhere, or in place), incremental chains; trees compared byte and attribute
exact with what the container held at backup time."""
import os
import shutil
import time

from conftest import lock_is_free
from test_vz7_backup import FATAL, INFO, corpus, fileset, job_options, messages, seed_fd
from trees import diff, snapshot
from vzworld import NAME, UUID, fakevz

COPY = "6f1c8e02-7a43-4b8e-9d21-0c5e4f3a2b10"


def backup(vz, host, fd, **extra):
    jobid = seed_fd(fd).backup(fileset(vz, host), plugin_options=job_options(), **extra)
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    return jobid


def config_snapshot(private):
    """The private area as restored: everything but the image files ploop init makes anew."""
    tree = snapshot(private, with_root_times=False)
    return {k: v for k, v in tree.items() if not k.startswith(b"root.hdd")}


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == "T", job["messages"]
    assert not [m for m in job["messages"] if m[0] <= 4], job["messages"]


def test_restore_ct_as_a_copy_beside_the_original(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    expected_fs = snapshot(vz.live())
    expected_config = config_snapshot(os.path.join(vz.private_root, UUID))
    full = backup(vz, vzhost, fd)
    vz.clear_calls()
    r = fd.restore([full], where="", plugin_options=["python:restore=ct:name=copy:uuid=%s:disk=10" % COPY])
    assert_ok(fd, r)
    private = os.path.join(vz.private_root, COPY)
    dd = os.path.join(private, "root.hdd", "DiskDescriptor.xml")
    mnt = os.path.join(vz.mount_root, "bp-restore-" + COPY)
    assert vz.calls() == [
        ["prlctl", "list", "-o", "name,uuid,status", "--vmtype", "ct", "--all"],
        ["ploop", "init", "-s", "10240M", "-f", "ploop1", "-t", "ext4", os.path.join(private, "root.hdd", "root.hds")],
        ["ploop", "mount", "-m", mnt, dd],
        ["ploop", "umount", dd],
        ["prlctl", "register", private, "--uuid", COPY],
    ]
    assert diff(expected_fs, snapshot(fakevz.live_dir(dd))) == []
    restored_config = config_snapshot(private)
    original_conf = open(os.path.join(vz.private_root, UUID, "ve.conf")).read()
    assert open(os.path.join(private, "ve.conf")).read() == original_conf.replace('NAME="%s"' % NAME, 'NAME="copy"')
    for tree in (expected_config, restored_config):
        del tree[b"ve.conf"]["sha256"], tree[b"ve.conf"]["size"]
    assert diff(expected_config, restored_config) == []
    cts = vz.registered()
    assert cts[COPY]["name"] == "copy" and cts[COPY]["status"] == "stopped"
    assert cts[UUID]["name"] == NAME and cts[UUID]["status"] == "running"
    assert vz.our_mounts() == [] and not os.path.exists(mnt)
    assert "vz7: container copy (%s) restored and registered; it is stopped\n" % COPY in messages(fd, r, INFO)
    assert lock_is_free(os.path.join(vz.work, "cts.lock"))


def test_restore_ct_in_place_of_a_deleted_container_with_the_default_where(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    expected_fs = snapshot(vz.live())
    full = backup(vz, vzhost, fd)
    # The container is lost: stopped, unregistered, its private area gone.
    vz.prlctl("stop", UUID)
    with fakevz.locked_state() as s:
        del s["cts"]["{%s}" % UUID]
    shutil.rmtree(os.path.join(vz.private_root, UUID))
    shutil.rmtree(vz.live())
    vz.clear_calls()
    r = fd.restore([full], where="/tmp/bareos-restores", plugin_options=["python:restore=ct:name=%s:uuid=%s" % (NAME, UUID)])
    assert_ok(fd, r)
    calls = vz.calls()
    assert calls[1][:4] == ["ploop", "init", "-s", "51200M"]  # disk= defaults to 50 GiB, as the seed's diskspace
    assert calls[-1] == ["prlctl", "register", os.path.join(vz.private_root, UUID), "--preserve-uuid"]
    assert diff(expected_fs, snapshot(vz.live())) == []
    assert vz.registered()[UUID]["name"] == NAME
    assert not os.path.exists("/tmp/bareos-restores" + vz.private_root)


def test_restore_ct_refuses_a_container_that_exists(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    full = backup(vz, vzhost, fd)
    vz.clear_calls()
    r = fd.restore([full], where="", plugin_options=["python:restore=ct:disk=250:name=%s:uuid=%s" % (NAME, UUID)])
    assert fd.job(r)["status"] == "f"
    fatal = messages(fd, r, FATAL)
    assert fatal == ["backupplugins: restoring %s/root.hdd/: container \"%s\" (%s) already exists; restore it as a new "
                     "container with a new uuid= and name=, or remove it first\n" % (os.path.join(vz.private_root, UUID), NAME, UUID)]
    assert [c[1] for c in vz.calls()] == ["list"]  # nothing was created, and the preparation ran once for all files
    assert lock_is_free(os.path.join(vz.work, "cts.lock"))


def test_restore_ct_refuses_a_target_that_is_not_empty(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    full = backup(vz, vzhost, fd)
    target = os.path.join(vz.private_root, COPY)
    os.makedirs(target)
    open(os.path.join(target, "something"), "w").close()
    vz.clear_calls()
    r = fd.restore([full], where="", plugin_options=["python:restore=ct:name=copy:uuid=%s" % COPY])
    assert messages(fd, r, FATAL) == [
        "backupplugins: restoring %s/root.hdd/: %s is not empty; restore=ct creates a new container there: move it away "
        "or choose another uuid=\n" % (os.path.join(vz.private_root, UUID), target)]
    assert os.listdir(target) == ["something"]
    assert [c[1] for c in vz.calls()] == ["list"]


def test_restore_files_into_the_running_container_with_the_seed_regexwhere(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    expected = snapshot(vz.live())
    full = backup(vz, vzhost, fd)
    root = os.path.join(vz.ct_root, UUID)
    regexwhere = "!^%s/!%s/tmp/bareos-restore/!" % (os.path.join(vz.mount_root, UUID), root)
    r = fd.restore([full], where="", regexwhere=regexwhere,
                   plugin_options=["python:name=%s:uuid=%s:restore=files" % (NAME, UUID)])
    assert_ok(fd, r)
    restored = snapshot(os.path.join(root, "tmp", "bareos-restore"), with_root_times=False)
    expected_files = {k: v for k, v in expected.items() if k != b"."}
    assert diff(expected_files, restored) == []
    assert "vz7: restore=files does not restore the container's config files (private area)\n" in messages(fd, r, INFO)


def test_restore_files_in_place_brings_back_data_and_times(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    expected = snapshot(vz.live())
    full = backup(vz, vzhost, fd)
    root = os.path.join(vz.ct_root, UUID)
    os.remove(os.path.join(root, "small.txt"))
    with open(os.path.join(root, "dir/sub/deeper/data.bin"), "r+b") as f:
        f.write(b"garbage")
    os.chmod(os.path.join(root, "dir"), 0o777)
    vz.clear_calls()
    r = fd.restore([full], where="", plugin_options=["python:restore=file:name=%s:uuid=%s" % (NAME, UUID)])
    assert_ok(fd, r)
    assert diff(expected, snapshot(vz.live())) == []
    assert vz.calls() == [["prlctl", "list", "-o", "name,uuid,status", "--vmtype", "ct", "--all", UUID]]  # once per job


def test_restore_files_where_is_a_directory_inside_the_container(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    expected = snapshot(vz.live())
    full = backup(vz, vzhost, fd)
    r = fd.restore([full], where="/tmp/restored", plugin_options=["python:restore=files:uuid=%s" % UUID])
    assert_ok(fd, r)
    restored = snapshot(os.path.join(vz.ct_root, UUID, "tmp", "restored"), with_root_times=False)
    assert diff({k: v for k, v in expected.items() if k != b"."}, restored) == []
    assert not os.path.exists("/tmp/restored" + vz.mount_root)


def test_restore_files_refuses_names_outside_the_container_and_a_stopped_container(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    full = backup(vz, vzhost, fd)
    elsewhere = os.path.join(vz.work, "elsewhere")
    regexwhere = "!^%s/!%s/!" % (os.path.join(vz.mount_root, UUID), elsewhere)
    r = fd.restore([full], where="", regexwhere=regexwhere, plugin_options=["python:restore=files:uuid=%s" % UUID])
    ours = [e for e in messages(fd, r, 4) if e.startswith("backupplugins: ")]  # the rest: the FD's "Could not create"
    assert ours and all(e.startswith("backupplugins: refusing to restore %s" % elsewhere) and
                        e.endswith(": it is outside the restore root %s\n" % os.path.join(vz.ct_root, UUID)) for e in ours), ours[:3]
    assert not os.path.exists(elsewhere)
    vz.prlctl("stop", UUID)
    r = fd.restore([full], where="", plugin_options=["python:restore=files:uuid=%s" % UUID])
    fatal = messages(fd, r, FATAL)
    assert len(fatal) == 1 and fatal[0].startswith("backupplugins: restoring ")
    assert ("container %s is stopped, its root %s is not mounted; restore=files needs it running (start it, or restore a "
            "whole container with restore=ct)\n" % (NAME, os.path.join(vz.ct_root, UUID))) in fatal[0]


def change_container(root):
    time.sleep(1.1)  # Bareos compares whole seconds
    with open(os.path.join(root, "small.txt"), "ab") as f:
        f.write(b"more\n")
    with open(os.path.join(root, "new-file"), "wb") as f:
        f.write(b"new\n")
    os.remove(os.path.join(root, "name with spaces.txt"))
    os.remove(os.path.join(root, "dir/hardlink-a"))


def test_incremental_chains_restore_exactly_accurate_and_not(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    root = os.path.join(vz.ct_root, UUID)
    full = backup(vz, vzhost, fd)
    change_container(root)
    time.sleep(1.1)  # the next job starts in a later second than the changes (Bareos compares whole seconds)
    incr = backup(vz, vzhost, fd, level="I", accurate=True, since_job=full)
    saved = [f["fname"] for f in fd.job(incr)["files"] if f["type"] not in (10, 11)]  # not FT_NOCHG/FT_DIRNOCHG
    catalog = os.path.join(vz.mount_root, UUID)
    assert catalog + "/new-file" in saved and catalog + "/small.txt" in saved and catalog + "/dir/chardev" not in saved
    deleted = [f["fname"] for f in fd.job(incr)["files"] if f["type"] == 23]
    assert catalog + "/name with spaces.txt" in deleted
    expected = snapshot(vz.live())
    r = fd.restore([full, incr], where="", plugin_options=["python:restore=ct:name=copy:uuid=%s" % COPY])
    assert_ok(fd, r)
    assert diff(expected, snapshot(fakevz.live_dir(os.path.join(vz.private_root, COPY, "root.hdd", "DiskDescriptor.xml")))) == []

    time.sleep(1.1)
    with open(os.path.join(root, "second-change"), "wb") as f:
        f.write(b"2\n")
    plain = backup(vz, vzhost, fd, level="I", accurate=False, since_job=incr)
    saved = [f["fname"] for f in fd.job(plain)["files"] if f["type"] not in (10, 11)]
    assert catalog + "/second-change" in saved and catalog + "/small.txt" not in saved
