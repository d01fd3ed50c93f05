# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins lvm backup` (the seed's LVM snapshot + dar run) with the seed's example profile, against the fake
LVM tools (real ext4 on loop devices) and Debian's real dar and rsync: a month's chain FULL, INC, INC restored with dar
equals the volume; a new month starts a new FULL; a failed dar keeps the chain on the last good archive; a killed run
is cleaned up; an overflowing snapshot fails the run; --noop changes nothing; the profile's problems at once."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import host_binary
from lvmworld import LvmWorld
from trees import diff, make_corpus, snapshot

FAKES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fakes")
# the seed's examples/host-precise.ini, with this machine's names and sizes (its quotes kept: they are stripped now)
EXAMPLE = """
; Example uses 'host' as the hostname, and 'host-xub-precise' on the
; data volume group.
; It also assumes that the '/boot' is mounted on some other non-LVM partition and therefore won't be in the snapshotted LVM volume.

[lvm]
snapshot_size = 200M
snapshot_lv_name = "host-xub-precise-backsnap"
volume_group = data
logical_volume = host-xub-precise

[backup]
source_type = lvm
target = {target}

[bindmounts]
equals = {boot}
"""
LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):backup:")


class Node:
    def __init__(self, work):
        self.work = work
        self.lvm = LvmWorld(work)
        self.lvm.create_vg("data")
        self.boot = os.path.join(work, "boot")  # as /boot: a directory of this machine outside the volume
        os.makedirs(self.boot)
        with open(os.path.join(self.boot, "vmlinuz"), "wb") as f:
            f.write(b"kernel")
        boot = self.boot

        def fill(root):
            make_corpus(os.path.join(root, "home"))
            # dar restores a directory's default ACL before its entries, which then inherit it (an ACL the files did
            # not have): not ours to fix, so the volume has no default ACL and the restored tree is compared exactly
            os.removexattr(os.path.join(root, "home", "dir", "sub"), "system.posix_acl_default")
            os.makedirs(root + boot)  # the empty directory /boot is mounted on
        self.device = self.lvm.create_lv("data", "host-xub-precise", size_mb=320, fill=fill)
        self.live = os.path.join(work, "live")
        os.makedirs(self.live)
        subprocess.run(["mount", self.device, self.live], check=True)
        self.target = os.path.join(work, "backups")
        os.makedirs(self.target)
        self.bin = os.path.join(work, "bin")
        os.makedirs(self.bin)
        os.symlink(os.path.join(FAKES, "with-faults"), os.path.join(self.bin, "dar"))
        self.faults = os.path.join(work, "faults.json")
        config = json.load(open(self.lvm.host_config(work)))
        config["Sources"]["Lvm"]["Dar"] = os.path.join(self.bin, "dar")
        self.host_config = os.path.join(work, "host.json")
        json.dump(config, open(self.host_config, "w"))
        self.spec = os.path.join(work, "host-precise.ini")
        self.write_spec()
        time.sleep(1.1)

    def write_spec(self, extra=""):
        with open(self.spec, "w") as f:
            f.write(EXAMPLE.format(target=self.target, boot=self.boot) + extra)

    def argv(self, *words):
        return [host_binary(), "lvm", "backup", self.spec] + list(words) + [
            "--socket", os.path.join(self.work, "no-host.sock"), "--host-config", self.host_config]

    def run(self, *words):
        r = subprocess.run(self.argv(*words), capture_output=True, text=True, timeout=600, env=dict(os.environ, WITH_FAULTS=self.faults))
        return r.returncode, r.stdout.splitlines(), r.stderr

    def fault(self, key, **fault):
        faults = json.load(open(self.faults)) if os.path.exists(self.faults) else {}
        faults[key] = fault
        json.dump(faults, open(self.faults, "w"))

    def month(self):
        return os.path.join(self.target, time.strftime("%Y-%m"))

    def latest(self):
        return open(os.path.join(self.month(), "latest_successful")).read()

    def restore_chain(self, names, into):
        os.makedirs(into)
        for name in names:
            subprocess.run(["dar", "-x", os.path.join(self.month(), name), "-R", into, "-Q", "-w"], check=True,
                           capture_output=True)

    def teardown(self):
        subprocess.run(["umount", self.live], check=False)
        self.lvm.teardown()


@pytest.fixture
def node(work):
    n = Node(work)
    yield n
    n.teardown()


def assert_nothing_left(node):
    assert node.lvm.leftovers() == {"snapshots": [], "loop_devices": [], "mounts": [node.live]}
    journal = os.path.join(node.work, "state", "journal")
    assert (os.listdir(journal) if os.path.isdir(journal) else []) == []


def change(live, n):
    time.sleep(1.1)
    with open(os.path.join(live, "home", "small.txt"), "ab") as f:
        f.write(b"change %d\n" % n)
    with open(os.path.join(live, "home", "new-%d" % n), "wb") as f:
        f.write(b"new %d\n" % n)
    if n == 1:
        os.remove(os.path.join(live, "home", "name with spaces.txt"))


def test_the_seeds_example_makes_a_full_then_incrementals_whose_chain_restores_the_volume(node):
    code, lines, err = node.run("-l", "INFO")
    assert code == 0, "\n".join(lines) + err
    [full] = [line[len("Full backup: "):] for line in lines if line.startswith("Full backup: ")]
    assert re.fullmatch(r"host-xub-precise-\d{4}-\d{2}-\d{2}T\d{4}-FULL", full)
    assert ("INFO:backup:Command: ['%s', '--snapshot', '--name', 'host-xub-precise-backsnap', '--size', '200M', "
            "'data/host-xub-precise']" % node.lvm.tool("lvcreate")) in lines, lines
    assert ["lvcreate", "--snapshot", "--name", "host-xub-precise-backsnap", "--size", "200M", "data/host-xub-precise"] in node.lvm.calls()
    mnt = os.path.join(node.work, "lvm", "mnt", "data", "host-xub-precise-backsnap")
    assert ("INFO:backup:Command: ['mount', '-o', 'ro,noload', '%s', '%s']" % (node.lvm.lv_path("data", "host-xub-precise-backsnap"), mnt)) in lines
    assert "INFO:backup:Command: ['mount', '--bind', '%s', '%s']" % (node.boot, mnt + node.boot) in lines
    assert node.latest() == full + "\n"
    assert sorted(os.listdir(node.month())) == ["backup_deps", full + "-catalogue.1.dar", full + ".1.dar", "latest_successful"]
    assert_nothing_left(node)

    change(node.live, 1)
    code, lines, err = node.run()
    assert code == 0, "\n".join(lines) + err
    [inc1] = [line[len("Incremental backup: "):] for line in lines if line.startswith("Incremental backup: ")]
    assert "Based on parent: %s" % full in lines and inc1.endswith("-INC")
    assert not [line for line in lines if LINE.match(line)], lines  # WARNING is the default level: nothing to say
    change(node.live, 2)
    code, lines, err = node.run()
    assert code == 0, "\n".join(lines) + err
    [inc2] = [line[len("Incremental backup: "):] for line in lines if line.startswith("Incremental backup: ")]
    assert "Based on parent: %s" % inc1 in lines and inc2 != inc1  # two in one minute: a new name, never overwritten
    assert open(os.path.join(node.month(), "backup_deps")).read() == "%s:\n%s:%s\n%s:%s\n" % (full, inc1, full, inc2, inc1)
    assert_nothing_left(node)

    out = os.path.join(node.work, "restored")
    node.restore_chain([full, inc1, inc2], out)
    expected = snapshot(os.path.join(node.live, "home"))
    problems = diff(expected, snapshot(os.path.join(out, "home")))
    assert problems == [], "\n".join(problems)
    assert open(out + node.boot + "/vmlinuz", "rb").read() == b"kernel"  # the bind mount was in the archive


def test_a_new_month_starts_a_new_full_and_keep_months_prunes_the_oldest(node):
    old = os.path.join(node.target, "2001-01")
    os.makedirs(old)
    with open(os.path.join(old, "latest_successful"), "w") as f:
        f.write("host-xub-precise-2001-01-31T2359-INC\n")
    with open(node.spec) as f:
        text = f.read()
    with open(node.spec, "w") as f:
        f.write(text.replace("[backup]\n", "[backup]\nkeep_months = 1\n"))
    code, lines, err = node.run("-l", "INFO")
    assert code == 0, "\n".join(lines) + err
    assert [line for line in lines if line.startswith("Full backup: ")], lines
    assert "INFO:backup:removing the month set %s (keep_months = 1)" % old in lines
    assert sorted(os.listdir(node.target)) == [".lvm-backup.lock", os.path.basename(node.month())]


def test_a_failed_dar_keeps_the_chain_on_the_last_good_archive(node):
    code, lines, _ = node.run()
    assert code == 0, lines
    full = node.latest().strip()
    node.fault("dar -c", exit=2, stderr="FATAL error, aborting operation: injected")
    code, lines, err = node.run()
    assert code == 2
    assert [line for line in lines if line.startswith("ERROR:backup:") and "exit code 2" in line and "injected" in line], lines
    assert node.latest() == full + "\n"
    assert sorted(f for f in os.listdir(node.month()) if f.endswith(".dar")) == [full + "-catalogue.1.dar", full + ".1.dar"]
    assert_nothing_left(node)
    code, lines, _ = node.run()
    assert code == 0 and "Based on parent: %s" % full in lines, lines


def test_dar_exit_11_is_a_warning_unless_the_policy_says_fail(node):
    node.fault("dar -c", then_exit=11)  # dar made the archive, and says some files changed while it read them
    code, lines, _ = node.run()
    assert code == 1, lines
    [full] = [line[len("Full backup: "):] for line in lines if line.startswith("Full backup: ")]
    assert ("WARNING:backup:dar exited 11 (some files changed while dar read them): %s is kept (dar's messages above say "
            "which files)" % full) in lines, lines
    assert node.latest() == full + "\n"
    with open(node.spec) as f:
        text = f.read()
    with open(node.spec, "w") as f:
        f.write(text.replace("[backup]\n", "[backup]\ndar_warnings = fail\n"))
    node.fault("dar -c", exit=11, stderr="injected")
    code, lines, _ = node.run()
    assert code == 2
    assert [line for line in lines if line.startswith("ERROR:backup:dar exited 11 (some files changed while dar read them) and "
                                                      "[backup] dar_warnings = fail: ")], lines
    assert_nothing_left(node)


def kill_mid_dar(node):
    """Starts a run whose dar sleeps, and SIGKILLs the command and its embedded host once everything is mounted."""
    node.fault("dar -c", sleep=60)
    p = subprocess.Popen(node.argv(), stdout=subprocess.PIPE, text=True, env=dict(os.environ, WITH_FAULTS=node.faults),
                         start_new_session=True)
    deadline = time.time() + 60
    while len([m for m in node.lvm.mounts() if "/lvm/mnt/" in m]) < 2:
        assert time.time() < deadline and p.poll() is None
        time.sleep(0.1)
    os.killpg(p.pid, signal.SIGKILL)  # the command, its embedded host and dar: nobody cleans up now
    p.communicate(timeout=30)
    assert node.lvm.leftovers()["snapshots"] == ["data/host-xub-precise-backsnap"]
    json.dump({}, open(node.faults, "w"))


def test_a_killed_runs_leftovers_are_undone_by_the_sweep(node):
    kill_mid_dar(node)
    s = subprocess.run([host_binary(), "sweep", "--socket", os.path.join(node.work, "no-host.sock"), "--config", node.host_config],
                       capture_output=True, text=True)
    assert s.stdout.startswith("leftovers: 4\n"), s.stdout + s.stderr
    assert "  lvm snapshot data/host-xub-precise-backsnap: removed" in s.stdout, s.stdout
    assert_nothing_left(node)


def test_a_killed_run_leaves_its_snapshot_and_mounts_to_the_next_run_which_cleans_them(node):
    kill_mid_dar(node)
    code, lines, err = node.run()  # the run undoes what the journal says the killed one left, then goes as usual
    assert code == 1, "\n".join(lines) + err
    mnt = os.path.join(node.work, "lvm", "mnt", "data", "host-xub-precise-backsnap")
    assert lines[:4] == ["WARNING:backup:a killed run left bind mount %s: undone" % (mnt + node.boot),
                         "WARNING:backup:a killed run left mount %s: undone" % mnt,
                         "WARNING:backup:a killed run left mount point %s: undone" % mnt,
                         "WARNING:backup:a killed run left snapshot data/host-xub-precise-backsnap: undone"], lines
    assert_nothing_left(node)


def test_an_overflowing_snapshot_fails_the_run_and_records_nothing(node):
    node.fault("dar -c", sleep=4)
    p = subprocess.Popen(node.argv(), stdout=subprocess.PIPE, text=True, env=dict(os.environ, WITH_FAULTS=node.faults))
    deadline = time.time() + 60
    while not node.lvm.leftovers()["snapshots"]:
        assert time.time() < deadline
        time.sleep(0.05)
    node.lvm.set_snap_percent("data", "host-xub-precise-backsnap", 95.0)
    time.sleep(1.5)
    node.lvm.invalidate("data", "host-xub-precise-backsnap", io_errors=False)
    out, _ = p.communicate(timeout=120)
    lines = out.splitlines()
    assert p.returncode == 2, lines
    assert ("WARNING:backup:lvm: snapshot data/host-xub-precise-backsnap is 95.00% full (fill_limit=90); if it overflows the job "
            "fails: raise snapshot_size") in lines, lines
    assert ("ERROR:backup:lvm: snapshot data/host-xub-precise-backsnap overflowed: the backup would be inconsistent; raise "
            "snapshot_size") in lines, lines
    assert not os.path.exists(os.path.join(node.month(), "latest_successful"))
    assert [f for f in os.listdir(node.month()) if f.endswith(".dar")] == []
    assert_nothing_left(node)


def tree(path):
    return sorted((os.path.relpath(os.path.join(d, n), path), os.lstat(os.path.join(d, n)).st_mtime_ns)
                  for d, ds, fs in os.walk(path) for n in ds + fs)


def test_noop_logs_the_commands_and_changes_nothing(node):
    before, state = tree(node.target), node.lvm.lvs()
    node.lvm.clear_calls()
    code, lines, err = node.run("-n", "-l", "INFO")
    assert code == 1, "\n".join(lines) + err  # the --noop warning
    assert lines[0] == "WARNING:backup:--noop set, won't do anything for real"
    assert [line for line in lines if line.startswith("INFO:backup:Command: ['%s', '-c', '%s/" % (os.path.join(node.bin, "dar"), node.month()))], lines
    assert tree(node.target) == before and node.lvm.lvs() == state and node.lvm.calls() == []
    assert not os.path.exists(node.month())


def test_the_profiles_problems_are_said_at_once(node):
    with open(node.spec, "w") as f:
        f.write("[backup]\nsource_type = lvm\ntarget = relative/path\ncolour = blue\n[lvm]\nsnapshot_size = lots\n"
                "volume_group = data\n[rsync]\nenabled = yes\n")
    code, lines, _ = node.run()
    assert code == 2
    for problem in ("ERROR:backup:%s line 4: unknown key colour in [backup] (known: source_type, target, archive_prefix, subdirs, "
                    "source_root, keep_months, verify, dar_warnings)" % node.spec,
                    "ERROR:backup:[backup] target = relative/path: give an absolute path",
                    "ERROR:backup:[lvm] logical_volume is missing: the logical volume to back up",
                    "ERROR:backup:[lvm] snapshot_size = lots: give a size such as 2G or 500M, or N%ORIGIN, N%FREE, N%VG",
                    "ERROR:backup:[rsync] enabled = yes needs target_dir, an absolute path"):
        assert problem in lines, lines
    assert node.lvm.calls() == []


def test_rsync_mirrors_after_a_good_backup_only_and_touches_the_file(node):
    mirror = os.path.join(node.work, "mirror")
    os.makedirs(mirror)
    touch = os.path.join(node.work, "mirrored")
    with open(node.spec, "a") as f:
        f.write("\n[rsync]\nenabled = yes\ntarget_dir = %s\ntouch_file = %s\n" % (mirror, touch))
    code, lines, _ = node.run()
    assert code == 0, lines
    assert sorted(os.listdir(os.path.join(mirror, os.path.basename(node.month())))) == sorted(os.listdir(node.month()))
    assert not os.path.exists(os.path.join(mirror, ".lvm-backup.lock")) and os.path.exists(touch)
    shutil.rmtree(mirror)
    os.makedirs(mirror)
    os.remove(touch)
    node.fault("dar -c", exit=2, stderr="injected")
    code, lines, _ = node.run()
    assert code == 2
    assert ("WARNING:backup:rsync to %s skipped: the backup failed (set [rsync] even_if_backup_failed = yes to mirror anyway)" % mirror) in lines
    assert os.listdir(mirror) == [] and not os.path.exists(touch)


def test_source_type_dir_backs_up_source_root(node, work):
    src = os.path.join(work, "plain")
    make_corpus(src)
    os.removexattr(os.path.join(src, "dir", "sub"), "system.posix_acl_default")  # see Node: dar's restore order
    with open(node.spec, "w") as f:
        f.write("[backup]\nsource_type = dir\nsource_root = %s\ntarget = %s\narchive_prefix = plain_\n" % (src, node.target))
    time.sleep(1.1)
    code, lines, err = node.run()
    assert code == 0, "\n".join(lines) + err
    [full] = [line[len("Full backup: "):] for line in lines if line.startswith("Full backup: ")]
    assert full.startswith("plain_")
    out = os.path.join(work, "restored")
    node.restore_chain([full], out)
    problems = diff(snapshot(src, with_root_times=False), snapshot(out, with_root_times=False))  # -R's own times are not archived
    assert problems == [], "\n".join(problems)
    assert node.lvm.calls() == []


def test_a_second_run_into_the_same_target_is_refused_while_one_runs(node):
    import fcntl
    with open(os.path.join(node.target, ".lvm-backup.lock"), "a") as held:  # as a run in progress holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        code, lines, _ = node.run()
    assert code == 2
    assert ("ERROR:backup:another lvm backup into %s is running (lock %s/.lvm-backup.lock); try again when it has finished"
            % (node.target, node.target)) in lines, lines
    assert node.lvm.calls() == [] and not os.path.exists(node.month())
