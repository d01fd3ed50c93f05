# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins parallels backup` (the seed backupParallels.py's run) with the seed's ini: VMs of the fake prlctl
whose bundles are on btrfs (real reflink clones), real tar and gzip, real copies to a real sshd on loopback, and the
job running in a host embedded in the command."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import host_binary
from prlworld import VM_NAME, VM_UUID
from sshworld import SshWorld
from trees import diff, snapshot
from vzworld import FAKES

LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: ")


@pytest.fixture
def ssh(work):
    world = SshWorld(os.path.join(work, "ssh"))
    yield world
    world.stop()


class Job:
    def __init__(self, work, prl, ssh, tar="/usr/bin/tar"):
        self.work, self.prl = work, prl
        self.status = os.path.join(work, "status")
        self.temp = os.path.join(work, "tmp")
        self.hooks = os.path.join(work, "hooks.log")
        self.remote = [os.path.join(work, "remote-a"), os.path.join(work, "remote-b")]
        for d in [self.temp] + self.remote:
            os.makedirs(d)
        self.ini = os.path.join(work, "backupParallels.ini")
        with open(self.ini, "w") as f:
            f.write("[main]\nStatusDirectory = %s\nprlctl = %s\ntar = %s\nbackupRotations = 2\nTempDirectory = %s\n"
                    "BeforeBackup = echo before >> %s\n    -echo s3cret >> %s\n    +a note, only logged\n"
                    "AfterBackup = echo after >> %s\n\n"
                    "[scp]\ndestinations = dest-a:%s\n    dest-b:%s\nssh_config = %s\n\n"
                    "[compression]\nprogram = /usr/bin/gzip\ncompressedExtension = gz\narguments = -f\n\n"
                    "[%s]\nBeforeSuspend = echo before-suspend >> %s\nAfterResume = echo after-resume >> %s\n"
                    % (self.status, os.path.join(FAKES, "prlctl"), tar, self.temp, self.hooks, self.hooks, self.hooks,
                       self.remote[0], self.remote[1], ssh.config, VM_NAME, self.hooks, self.hooks))
        with open(os.path.join(work, "host.json"), "w") as f:
            f.write('{"StateDirectory": "%s"}' % os.path.join(work, "state-host"))

    def edit(self, old, new):
        """Changes the ini: `old` must be in it."""
        with open(self.ini) as f:
            text = f.read()
        assert old in text
        with open(self.ini, "w") as f:
            f.write(text.replace(old, new))

    def argv(self, *flags):
        return [host_binary(), "parallels", "backup", "--config", self.ini, "--socket", os.path.join(self.work, "no-host.sock"),
                "--host-config", os.path.join(self.work, "host.json")] + list(flags)

    def run(self, *flags):
        r = subprocess.run(self.argv(*flags), capture_output=True, text=True, timeout=300)
        for line in r.stdout.splitlines():
            assert LINE.match(line), line
        return r.returncode, [LINE.sub("", line) for line in r.stdout.splitlines()]

    def sweep(self):
        return subprocess.run([host_binary(), "sweep", "--socket", os.path.join(self.work, "no-host.sock"), "--config",
                               os.path.join(self.work, "host.json")], capture_output=True, text=True)

    def last(self):
        return open(os.path.join(self.status, VM_NAME + ".last")).read()


def test_a_running_vm_is_suspended_only_for_the_clone_and_its_archive_reaches_both_destinations(work, prl, ssh):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=64)
    with open(os.path.join(home, "harddisk.hdd", "data.bin"), "wb") as f:
        f.write(os.urandom(1 << 20))
    before = snapshot(home)
    job = Job(work, prl, ssh)
    code, lines = job.run()
    assert code == 0, "\n".join(lines)
    assert prl.vm()["status"] == "running"
    assert open(job.hooks).read() == "before\ns3cret\nbefore-suspend\nafter-resume\nafter\n"
    assert not any("s3cret" in line for line in lines)  # a "-" line runs unlogged
    assert "a note, only logged" in lines
    assert "Suspending %s" % VM_NAME in lines
    assert [c for c in prl.calls() if c[:2] == ["prlctl", "suspend"]] == [["prlctl", "suspend", VM_UUID]]  # by UUID
    assert any(re.fullmatch(r"Resumed %s: suspended for \d+\.\d\d s" % re.escape(VM_NAME), line) for line in lines), lines
    name = "%s.1.tar.gz" % VM_NAME
    for remote in job.remote:
        assert os.listdir(remote) == [name]
        out = os.path.join(work, "out-" + os.path.basename(remote))
        os.makedirs(out)
        subprocess.run(["tar", "-C", out, "-xzf", os.path.join(remote, name)], check=True)
        # the seed's member names: the bundle's own path without its leading "/", not the clone's
        assert diff(before, snapshot(os.path.join(out, home.lstrip("/")))) == []
    assert job.last() == "1 3600\n"
    assert lines[-1] == "Completed 1 backup(s) to 2 destination(s) with 0 error(s) : %s[1]" % VM_NAME
    assert not [d for d in os.listdir(os.path.dirname(home)) if d.startswith(".bp-clone-")]
    assert os.listdir(job.temp) == []
    assert job.sweep().stdout == "leftovers: 0\n"

    code, lines = job.run()  # the VM did not run since: skipped, not suspended
    assert code == 0
    assert any(line.startswith("Not backing up %s" % VM_NAME) for line in lines), lines
    assert "Suspending %s" % VM_NAME not in lines
    prl.advance_uptime(60)
    code, lines = job.run("--dry-run")
    assert code == 0
    assert any(line.startswith("would back up %s into slot 2" % VM_NAME) for line in lines), lines
    assert prl.vm()["status"] == "running" and job.last() == "1 3600\n"
    code, lines = job.run()
    assert code == 0, "\n".join(lines)
    assert sorted(os.listdir(job.remote[0])) == ["%s.1.tar.gz" % VM_NAME, "%s.2.tar.gz" % VM_NAME]
    assert job.last() == "2 3660\n"


def test_a_suspend_that_does_not_suspend_is_an_error_and_the_vm_is_not_backed_up(work, prl, ssh):
    prl.create_vm(status="running", uptime=3600, disk_mb=16)
    prl.fault("prlctl suspend", noop=True)  # prlctl says it suspended the VM, and did not
    job = Job(work, prl, ssh)
    code, lines = job.run()
    assert code == 2
    assert any("the virtual machine is running, not suspended" in line for line in lines), lines
    assert prl.vm()["status"] == "running"
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))
    assert os.listdir(job.remote[0]) == []
    assert lines[-1] == "Completed 0 backup(s) to 2 destination(s) with 1 error(s) : "


def test_a_failed_copy_leaves_the_status_file_alone_under_require_all(work, prl, ssh):
    prl.create_vm(status="stopped", uptime=10, disk_mb=16)
    job = Job(work, prl, ssh)
    job.edit("    dest-b:", "    dest-refused:")
    code, lines = job.run()
    assert code == 2
    assert "Suspending %s" % VM_NAME not in lines  # a stopped VM is left as it is
    assert any(line.startswith("copy failed: dest-refused:") and "Connection refused" in line for line in lines), lines
    assert os.listdir(job.remote[0]) == ["%s.1.tar.gz" % VM_NAME]
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))


def started_with_the_vm_suspended(work, prl, ssh):
    """A run whose VM's bundle is on a file system without reflinks, so tar reads it while the VM is suspended, with a
    tar that sleeps first: returns the job, the running command, the tar script and its output so far, the VM suspended."""
    home = os.path.join(work, "plain", VM_NAME + ".pvm")
    os.makedirs(os.path.dirname(home))
    prl.create_vm(status="running", uptime=3600, disk_mb=16, home=home)
    slow_tar = os.path.join(work, "slow-tar")
    with open(slow_tar, "w") as f:
        f.write("#!/bin/sh\nsleep 60\nexec tar \"$@\"\n")
    os.chmod(slow_tar, 0o755)
    job = Job(work, prl, ssh, tar=slow_tar)
    p = subprocess.Popen(job.argv(), stdout=subprocess.PIPE, text=True)
    seen = ""
    while "as the seed did" not in seen:
        line = p.stdout.readline()
        assert line, seen
        seen += line
    return job, p, slow_tar, seen


def test_killed_while_the_vm_is_suspended_the_sweep_resumes_it(work, prl, ssh):
    job, p, slow_tar, seen = started_with_the_vm_suspended(work, prl, ssh)
    archive = os.path.join(job.temp, VM_NAME + ".tar.gz")
    deadline = time.time() + 10
    while not os.path.exists(archive):  # the job begins to write its archive (tar is still asleep)
        assert time.time() < deadline
        time.sleep(0.05)
    assert prl.vm()["status"] == "suspended"
    p.kill()  # the command and its embedded host die; the VM stays suspended
    p.communicate(timeout=30)
    subprocess.run(["pkill", "-f", slow_tar])
    assert prl.vm()["status"] == "suspended"
    s = job.sweep()
    assert sorted(s.stdout.splitlines()) == sorted([
        "leftovers: 2", "  parallels vm suspend %s (%s): removed" % (VM_NAME, VM_UUID), "  parallels temp file %s: removed" % archive,
    ]), s.stdout + s.stderr
    assert prl.vm()["status"] == "running"
    assert os.listdir(job.temp) == []
    assert job.sweep().stdout == "leftovers: 0\n"


def test_a_resume_that_does_not_resume_is_an_error_and_the_sweep_resumes_the_vm_later(work, prl, ssh):
    prl.create_vm(status="running", uptime=3600, disk_mb=16)
    prl.fault("prlctl resume", noop=True, times=1)  # prlctl says it resumed the VM, and did not
    job = Job(work, prl, ssh)
    code, lines = job.run()
    assert code == 2
    assert any("the virtual machine is suspended, not running" in line for line in lines), lines
    assert prl.vm()["status"] == "suspended"
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))  # not a backup to count on
    s = job.sweep()  # the resume stayed in the journal: the sweep does it
    assert s.stdout == "leftovers: 1\n  parallels vm suspend %s (%s): removed\n" % (VM_NAME, VM_UUID), s.stdout + s.stderr
    assert prl.vm()["status"] == "running"


def test_a_failing_compressor_fails_the_vm_after_the_resume_and_leaves_no_temp_file(work, prl, ssh):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    job = Job(work, prl, ssh)
    job.edit("program = /usr/bin/gzip", "program = /bin/false")
    code, lines = job.run()
    assert code == 2
    assert any(line.startswith("error: %s: /bin/false -f " % VM_NAME) and "exit code 1" in line for line in lines), lines
    assert prl.vm()["status"] == "running"
    assert os.listdir(job.temp) == [] and os.listdir(job.remote[0]) == []
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))
    assert not [d for d in os.listdir(os.path.dirname(home)) if d.startswith(".bp-clone-")]


def test_too_little_room_in_the_temp_directory_is_refused_before_the_vm_is_suspended(work, prl, ssh):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    with open(os.path.join(home, "harddisk.hdd", "data.bin"), "wb") as f:
        f.write(os.urandom(4 << 20))
    job = Job(work, prl, ssh)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "bp-small", job.temp], check=True)
    try:
        prl.clear_calls()
        code, lines = job.run()
    finally:
        subprocess.run(["umount", job.temp], check=True)
    assert code == 2
    assert any(line.startswith("error: %s: [main] TempDirectory %s has " % (VM_NAME, job.temp)) and "(the VM was not suspended)" in line
               for line in lines), "\n".join(lines)
    assert not [c for c in prl.calls() if c[:2] == ["prlctl", "suspend"]], prl.calls()  # never suspended
    assert prl.vm()["status"] == "running"


def test_an_archive_left_in_the_temp_directory_by_a_run_without_a_journal_is_not_taken_over(work, prl, ssh):
    prl.create_vm(status="running", uptime=3600, disk_mb=16)
    job = Job(work, prl, ssh)
    left = os.path.join(job.temp, VM_NAME + ".tar.gz")
    with open(left, "wb") as f:
        f.write(b"someone's")
    code, lines = job.run()
    assert code == 2
    assert "error: %s: %s exists: an archive an earlier run left; `backup-plugins sweep` removes it if a run of ours made it " \
           "(the VM was not suspended)" % (VM_NAME, left) in lines, lines
    assert open(left, "rb").read() == b"someone's"
    assert prl.vm()["status"] == "running"


def test_the_seeds_ini_shape_found_in_home_runs_as_it_is(work, prl, ssh):
    """The seed's example ini as operators copied it (~ paths, %% escapes, continuation lines, xz, VM hooks with + and -
    lines), found as ~/.backupParallels.ini. One key is added: ssh_config, because this test's sshd is not in root's
    own ~/.ssh/config, which ssh reads whatever $HOME says."""
    prl.create_vm(status="running", uptime=7200, disk_mb=16)
    home = os.path.join(work, "home")
    os.makedirs(home)
    hooks = os.path.join(work, "hooks.log")
    remote = os.path.join(work, "vm backups")
    os.makedirs(remote)
    with open(os.path.join(home, ".backupParallels.ini"), "w") as f:
        f.write("[main]\nStatusDirectory = ~/Parallels/.ParallelsStatus\nprlctl = %s\nbackupRotations = 3\n"
                "BeforeBackup =\n  +Starting the backup\n  -echo token=s3cr3t >> %s\nAfterBackup =\n  echo done >> %s\n\n"
                "[scp]\ndestinations = dest-a:%s\ntimeout = 7200\nssh_config = %s\n\n"
                "[compression]\nprogram = /usr/bin/xz\ncompressedExtension = xz\narguments = -4 -T0 -f\ntimeout = 3600\n\n"
                "[%s]\nBeforeSuspend = echo suspending >> %s\n  +about to suspend\nAfterResume = echo 100%%%% back >> %s\n"
                % (os.path.join(FAKES, "prlctl"), hooks, hooks, remote, ssh.config, VM_NAME.replace("%", "%%"), hooks, hooks))
    with open(os.path.join(work, "host.json"), "w") as f:
        f.write('{"StateDirectory": "%s"}' % os.path.join(work, "state-host"))
    r = subprocess.run([host_binary(), "parallels", "backup", "--socket", os.path.join(work, "no-host.sock"), "--host-config",
                        os.path.join(work, "host.json")], capture_output=True, text=True, timeout=300, env=dict(os.environ, HOME=home))
    lines = [LINE.sub("", line) for line in r.stdout.splitlines()]
    assert r.returncode == 0, r.stdout + r.stderr
    assert open(hooks).read() == "token=s3cr3t\nsuspending\n100% back\ndone\n"
    assert "Starting the backup" in lines and "about to suspend" in lines and not any("s3cr3t" in line for line in lines)
    assert open(os.path.join(home, "Parallels", ".ParallelsStatus", VM_NAME + ".last")).read() == "1 7200\n"
    archive = os.path.join(remote, VM_NAME + ".1.tar.xz")
    listing = subprocess.run(["tar", "-tJf", archive], capture_output=True, text=True, check=True).stdout.splitlines()
    assert any(name.endswith(".pvm/config.pvs") for name in listing), listing
    assert prl.vm()["status"] == "running"


def test_a_failing_tar_fails_the_vm_resumes_it_and_leaves_no_clone_or_temp_file(work, prl, ssh):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    broken_tar = os.path.join(work, "broken-tar")
    with open(broken_tar, "w") as f:
        f.write("#!/bin/sh\necho 'tar: harddisk.hdd: Cannot open: Input/output error' >&2\nexit 2\n")
    os.chmod(broken_tar, 0o755)
    job = Job(work, prl, ssh, tar=broken_tar)
    code, lines = job.run()
    assert code == 2
    assert any(line.startswith("error: %s: %s -C / " % (VM_NAME, broken_tar)) and "Input/output error" in line for line in lines), lines
    assert prl.vm()["status"] == "running"
    assert os.listdir(job.temp) == [] and os.listdir(job.remote[0]) == []
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))
    assert not [d for d in os.listdir(os.path.dirname(home)) if d.startswith(".bp-clone-")]
    assert job.sweep().stdout == "leftovers: 0\n"


def test_ctrl_c_while_the_vm_is_suspended_resumes_it_and_exits_130(work, prl, ssh):
    job, p, slow_tar, seen = started_with_the_vm_suspended(work, prl, ssh)
    assert prl.vm()["status"] == "suspended"
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    subprocess.run(["pkill", "-f", slow_tar])
    assert p.returncode == 130, seen + out
    assert prl.vm()["status"] == "running"
    assert os.listdir(job.temp) == []
    assert not os.path.exists(os.path.join(job.status, VM_NAME + ".last"))
    assert job.sweep().stdout == "leftovers: 0\n"
