# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=vz7 backups through the FD driver, the shim (also as the seed's module name) and a real host, against
the fake prlctl/ploop on real directories and real bind mounts: exact command lines, what the job log says,
what is left afterwards, and the refusals."""
import fcntl
import os
import time

from conftest import lock_is_free
from trees import make_corpus
from vzworld import NAME, UUID

FATAL, ERROR, INFO = 3, 4, 6


def corpus(path):
    make_corpus(path)
    os.mkdir(os.path.join(path, "lost+found"), 0o700)  # every ext4 image has one
    os.utime(path, ns=(1_600_000_000_000_000_009, 1_600_000_000_000_000_009))


def fileset(vz, host, extra=""):
    """The seed's FileSet string (module bareos-fd-vz7_ct_fs) plus the socket; name/uuid come as FD Plugin Options."""
    return "blocker=tmp/backup_blocker:lockfile=%s:socket=%s%s" % (os.path.join(vz.work, "cts.lock"), host.socket, extra)


def job_options(uuid=UUID, name=NAME, extra=""):
    return ["python3:name=%s:uuid=%s:excluded_backup_paths='/home/admin'%s" % (name, uuid, extra)]


def seed_fd(fd):
    fd.module_name = "bareos-fd-vz7_ct_fs"
    return fd


def messages(fd, jobid, kind):
    return [t for k, t in fd.job(jobid)["messages"] if k == kind]


def assert_nothing_left(vz, uuid=UUID):
    assert vz.our_mounts() == []
    assert [s for s in vz.snapshots(uuid) if not s[1]] == [], vz.snapshots(uuid)
    assert os.listdir(vz.mount_root) == [] if os.path.exists(vz.mount_root) else True
    assert lock_is_free(os.path.join(vz.work, "cts.lock"))


def test_running_container_backup_runs_the_seed_commands_and_leaves_nothing(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    vz.clear_calls()
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    job = fd.job(jobid)
    assert job["status"] == "T", job["messages"]
    dd = vz.dd()
    base = os.path.join(vz.private_root, UUID, "root.hdd", "root.hds")
    mnt = os.path.join(vz.mount_root, "bp-" + UUID)
    calls = vz.calls()
    snap = calls[2][3]
    assert snap.startswith("0bac0bac-")
    assert calls == [
        ["prlctl", "list", "-o", "name,uuid,status", "--vmtype", "ct", "--all", UUID],
        ["ploop", "snapshot-list", dd],
        ["ploop", "snapshot", "-u", snap, "-F", dd],
        ["ploop", "snapshot-list", dd],
        ["ploop", "mount", "-r", "-c", base, "-u", snap, "-m", mnt, dd],
        ["ploop", "umount", "-c", base, "-m", mnt, dd],
        ["ploop", "snapshot-delete", "-u", snap, dd],
    ]
    info = messages(fd, jobid, INFO)
    assert any(m.startswith("vz7: snapshot {%s} of container %s taken; its file system was synced and frozen for "
                            % (snap, NAME)) for m in info), info
    assert "vz7: snapshot {%s} mounted read-only at %s\n" % (snap, mnt) in info
    assert "vz7: unmounted %s\n" % mnt in info
    assert any(m.startswith("vz7: snapshot {%s} merged back into container %s in " % (snap, UUID)) for m in info)
    assert_nothing_left(vz)
    names = [f["fname"] for f in job["files"]]
    # The seed's names: config from the private area (no images), files under /mnt/bareos/<uuid>.
    private = os.path.join(vz.private_root, UUID)
    assert private + "/ve.conf" in names
    assert not [n for n in names if "root.hds" in n or n.endswith("DiskDescriptor.xml")]
    catalog_root = os.path.join(vz.mount_root, UUID)
    assert catalog_root + "/small.txt" in names and catalog_root + "/dir/chardev" in names
    assert not [n for n in names if "/bp-" + UUID in n]
    # Special files, hard links and sparse files are kept (the seed dropped or flattened them).
    types = {f["fname"]: f["type"] for f in job["files"]}
    assert types[catalog_root + "/fifo"] == 17 and types[catalog_root + "/dir/chardev"] == 6  # FT_FIFO, FT_SPEC
    assert types[catalog_root + "/hardlink-c"] == 1  # FT_LNKSAVED


def test_backup_reads_the_frozen_snapshot_not_the_running_container(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    live_file = os.path.join(vz.ct_root, UUID, "small.txt")
    # The container writes after the snapshot was taken (just before the mount): the backup must not see it.
    vz.fault("ploop mount", run=["/usr/bin/python3", "-c", "open(%r, 'ab').write(b'written later\\n')" % live_file], times=1)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    assert open(live_file, "rb").read() == b"hello\nwritten later\n"
    sizes = {f["fname"]: f["statp"]["st_size"] for f in fd.job(jobid)["files"]}
    assert sizes[os.path.join(vz.mount_root, UUID, "small.txt")] == len(b"hello\n")
    # ...and the merged container keeps what it wrote.
    assert_nothing_left(vz)
    assert open(live_file, "rb").read() == b"hello\nwritten later\n"


def test_stopped_container_is_read_from_its_base_image_without_a_snapshot(vzhost, vz, fd):
    vz.create_ct(fill=corpus, status="stopped")
    vz.clear_calls()
    jobid = fd.backup("source=vz7:" + fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    commands = [c[1] for c in vz.calls()]
    assert commands == ["list", "snapshot-list", "snapshot-list", "mount", "umount"]
    top = vz.snapshots()[0][0]
    assert vz.calls()[3][6] == top
    assert_nothing_left(vz)


def test_blocker_inside_the_container_fails_the_job_before_any_snapshot(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    os.makedirs(os.path.join(vz.ct_root, UUID, "tmp"))
    open(os.path.join(vz.ct_root, UUID, "tmp", "backup_blocker"), "w").close()
    vz.clear_calls()
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert fd.job(jobid)["status"] == "f"
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: blocker file %s/tmp/backup_blocker exists in container %s (blocker=tmp/backup_blocker); nothing was "
        "snapshotted or backed up. Remove it when the container's data is consistent again\n" % (os.path.join(vz.ct_root, UUID), NAME)]
    assert [c[1] for c in vz.calls()] == ["list", "snapshot-list"]
    assert fd.job(jobid)["files"] == []
    assert_nothing_left(vz)


def test_second_job_on_the_same_container_fails_after_lock_timeout(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    vz.clear_calls()
    lockfile = os.path.join(vz.work, "cts.lock")
    with open(lockfile, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        started = time.time()
        jobid = seed_fd(fd).backup(fileset(vz, vzhost, ":lock_timeout=1"), plugin_options=job_options())
        assert time.time() - started < 5
    assert fd.job(jobid)["status"] == "f"
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: lockfile %s is held by another job; gave up after 1 s (lock_timeout=). "
        "Wait for that job to finish, or raise lock_timeout\n" % lockfile]
    assert vz.calls() == []  # the lock comes first: nothing was even listed


def test_refusals_name_the_problem(vzhost, vz, fd):
    vz.create_ct(fill=corpus)
    unknown = "11111111-2222-4333-8444-555555555555"
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(uuid=unknown))
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: container %s does not exist on this host (prlctl list shows no container with that UUID)\n" % unknown]

    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options(name="other"))
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: name=other does not match container %s, which is named \"%s\"; fix name= or uuid=\n" % (UUID, NAME)]

    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=["python3:name=%s" % NAME])
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: option \"uuid\" is required for a vz7 backup: give the container's UUID (FD Plugin Options uuid=…)\n"]

    vz.set_status("suspended")
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    assert messages(fd, jobid, FATAL) == [
        "backupplugins: container %s (%s) is suspended; it must be running or stopped to be backed up\n" % (NAME, UUID)]
    vz.set_status("running")

    foreign = vz.ploop("snapshot", "-u", "99999999-2222-4333-8444-555555555555", vz.dd()).stdout
    assert "successfully created" in foreign
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=job_options())
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1 and fatal[0].startswith("backupplugins: container %s has 2 ploop images ({99999999-" % UUID), fatal
    assert "merge or delete its snapshots first" in fatal[0]
    assert vz.our_mounts() == []


def test_bad_option_values_are_all_reported_at_once(vzhost, vz, fd):
    jobid = fd.backup("source=vz7:socket=%s:uuid=not-a-uuid:restore=everything:lock_timeout=x:colour=red" % vzhost.socket)
    fatal = messages(fd, jobid, FATAL)
    assert len(fatal) == 1
    for part in ('option "lock_timeout" must be a whole number from 0 to 86400, got "x"',
                 'option "restore" must be one of ct, files, file, got "everything"',
                 'option "uuid" must be a container UUID such as 2d109ae4-5231-475f-bc44-5cabf5d8503b, got "not-a-uuid"',
                 'unknown option "colour" for source=vz7'):
        assert part in fatal[0], fatal[0]


def test_excluded_backup_paths_are_anchored_at_the_containers_root_with_globs_inside(vzhost, vz, fd):
    def with_junk(path):
        corpus(path)
        os.makedirs(os.path.join(path, "home", "admin", "private"))
        open(os.path.join(path, "home", "admin", "private", "key"), "w").close()
        os.makedirs(os.path.join(path, "home", "other"))
        open(os.path.join(path, "home", "other", "keep.txt"), "w").close()
        open(os.path.join(path, "home", "other", "scratch.tmp"), "w").close()
        open(os.path.join(path, "dir", "sub", "old.tmp"), "w").close()
    vz.create_ct(fill=with_junk)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=[
        "python3:name=%s:uuid=%s:excluded_backup_paths='/home/admin',*.tmp,dir/sub/*.tmp" % (NAME, UUID)])
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    root = os.path.join(vz.mount_root, UUID)
    names = {f["fname"] for f in fd.job(jobid)["files"]}
    assert root + "/home/other/keep.txt" in names and root + "/home/" in names
    assert not [n for n in names if n.startswith(root + "/home/admin")], sorted(names)
    # *.tmp is a path from the root (as the seed joined it), not a name at any depth: only dir/sub's is left out
    assert [n for n in names if n.endswith(".tmp")] == [root + "/home/other/scratch.tmp"], sorted(names)
