# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=parallels through the FD driver, the shim and a real host: VMs of the fake prlctl whose bundles are real
directories on btrfs (real reflink clones, sparse disk images), each consistency mode, Incremental, the faults (a
suspend that does not suspend, no reflinks, the host killed while the VM is suspended), restore=files and restore=vm
(registered beside the original, or in place of a deleted one), and bpipe. Trees compared byte and attribute exact."""
import os
import shutil
import subprocess

from conftest import SHIM_BATCH, host_binary
from prlworld import VM_NAME, VM_UUID, fill_bundle, image
from trees import allocated, diff, snapshot

FATAL, ERROR, INFO = 3, 4, 6
OK = "T"


def definition(host, extra=""):
    return "source=parallels:socket=%s%s" % (host.socket, extra)


def messages(fd, jobid, kind):
    return [t for k, t in fd.job(jobid)["messages"] if k == kind]


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == OK, "\n".join(map(str, job["messages"]))
    assert not [m for m in job["messages"] if m[0] <= ERROR], job["messages"]


def journal(work):
    d = os.path.join(work, "state", "journal")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def many_entries(home):
    """More than two batches of entries in the bundle: a shim whose host was killed must ask the dead host again."""
    os.mkdir(os.path.join(home, "many"))
    for i in range(2 * SHIM_BATCH + 100):
        open(os.path.join(home, "many", "f%05d" % i), "w").close()


def assert_nothing_left(prl, work, home):
    assert journal(work) == []
    assert os.listdir(os.path.dirname(home)) == [os.path.basename(home)]  # no .bp-clone-*
    assert prl.vm()["status"] == "running"


def test_running_vm_is_suspended_only_for_the_clone_and_its_bundle_restores_exactly(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=64)
    fill_bundle(home)
    expected = snapshot(home)
    prl.clear_calls()
    jobid = fd.backup(definition(prlhost), plugin_options=["python3:vm=" + VM_NAME])
    assert_ok(fd, jobid)
    assert prl.calls() == [
        ["prlctl", "list", "-i", "-j", VM_NAME],  # by name once, by UUID from then on
        ["prlctl", "suspend", VM_UUID], ["prlctl", "list", "-i", "-j", VM_UUID],  # suspended? checked
        ["prlctl", "list", "-i", "-j", VM_UUID], ["prlctl", "resume", VM_UUID],  # still suspended? then resumed
        ["prlctl", "list", "-i", "-j", VM_UUID],  # running? checked
    ]
    info = messages(fd, jobid, INFO)
    assert [m for m in info if m.startswith("parallels: %s was suspended for " % VM_NAME)
            and m.endswith(" s (reflink clone of its bundle), and runs again\n")], info
    assert_nothing_left(prl, work, home)
    names = [f["fname"] for f in fd.job(jobid)["files"]]
    assert home + "/config.pvs" in names and image(home) in names
    assert all(n == home or n.startswith(home + "/") for n in names), names  # the bundle's own names, not the clone's
    where = os.path.join(work, "r")
    r = fd.restore([jobid], where=where)
    assert_ok(fd, r)
    assert diff(expected, snapshot(where + home)) == []
    assert allocated(image(where + home)) < 4 << 20  # 64 MB image, 1 MiB of data: still sparse


def test_incremental_sends_only_what_changed_in_the_bundle(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=64)
    fill_bundle(home)
    full = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert_ok(fd, full)
    with open(image(home), "r+b") as f:  # the VM wrote to its disk
        f.seek(8 << 20)
        f.write(b"written after the full")
    expected = snapshot(home)
    incr = fd.backup(definition(prlhost, ":vm=" + VM_UUID), level="I", since_job=full)
    assert_ok(fd, incr)
    saved = [f["fname"] for f in fd.job(incr)["files"] if f["type"] not in (10, 11)]
    assert saved == [image(home)], saved  # the clone's new inodes do not make every file look changed
    where = os.path.join(work, "r")
    assert_ok(fd, fd.restore([full, incr], where=where))
    assert diff(expected, snapshot(where + home)) == []


def test_consistency_suspend_keeps_the_vm_suspended_while_bareos_reads(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    prl.clear_calls()
    jobid = fd.backup(definition(prlhost, ":vm=%s:consistency=suspend" % VM_UUID))
    assert_ok(fd, jobid)
    calls = [c[1] for c in prl.calls()]
    assert calls == ["list", "suspend", "list", "list", "resume", "list"], prl.calls()
    info = messages(fd, jobid, INFO)
    assert "parallels: %s is suspended until the backup of its bundle ends (consistency=suspend)\n" % VM_NAME in info
    assert_nothing_left(prl, work, home)


def test_consistency_snapshot_takes_and_deletes_a_prlctl_snapshot(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    expected = snapshot(home)
    prl.clear_calls()
    jobid = fd.backup(definition(prlhost, ":vm=%s:consistency=snapshot" % VM_UUID))
    assert_ok(fd, jobid)
    calls = prl.calls()
    snap = calls[1]
    assert snap == ["prlctl", "snapshot", VM_UUID, "-n", "bp-%d" % jobid, "-d",
                    "made by backup-plugins for Bareos job %d (job-%d); deleted when the job ends" % (jobid, jobid)]
    info = messages(fd, jobid, INFO)
    taken = [m for m in info if m.startswith("parallels: snapshot bp-%d {" % jobid)]
    assert taken, info
    sid = taken[0].split("{")[1].split("}")[0]
    assert calls[2:] == [["prlctl", "list", "-i", "-j", VM_UUID], ["prlctl", "snapshot-list", VM_UUID, "-H"],
                         ["prlctl", "snapshot-delete", VM_UUID, "-i", "{%s}" % sid]], calls
    assert prl.vm()["snapshots"] == [] and prl.vm()["status"] == "running"
    assert journal(work) == []
    where = os.path.join(work, "r")
    assert_ok(fd, fd.restore([jobid], where=where))
    assert diff(expected, snapshot(where + home)) == []


def test_without_reflinks_suspend_clone_is_refused_before_any_suspend_and_suspend_works(prlhost, prl, fd, work):
    home = os.path.join(work, "plain", VM_NAME + ".pvm")  # the temp directory's file system: no reflinks
    os.makedirs(os.path.dirname(home))
    prl.create_vm(status="running", uptime=3600, disk_mb=16, home=home)
    fill_bundle(home)
    expected = snapshot(home)
    prl.clear_calls()
    jobid = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert fd.job(jobid)["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert [m for m in fatal if "consistency=suspend-clone needs reflinks, and the file system of %s makes none (" % home in m
            and m.endswith("nothing was suspended. Use consistency=suspend (the VM stays suspended while Bareos reads it) "
                           "or consistency=snapshot\n")], fatal
    assert prl.calls() == [["prlctl", "list", "-i", "-j", VM_UUID]]
    assert os.listdir(os.path.dirname(home)) == [os.path.basename(home)]
    again = fd.backup(definition(prlhost, ":vm=%s:consistency=suspend" % VM_UUID))
    assert_ok(fd, again)
    where = os.path.join(work, "r")
    assert_ok(fd, fd.restore([again], where=where))
    assert diff(expected, snapshot(where + home)) == []
    assert prl.vm()["status"] == "running" and journal(work) == []


def test_a_suspend_that_does_not_suspend_fails_the_job_and_leaves_nothing(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    prl.fault("prlctl suspend", noop=True)  # prlctl says it suspended the VM, and did not
    jobid = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert fd.job(jobid)["status"] == "f"
    fatal = messages(fd, jobid, FATAL)
    assert [m for m in fatal if "prlctl suspend %s" % VM_UUID in m and "the virtual machine is running, not suspended" in m], fatal
    assert_nothing_left(prl, work, home)


def test_host_killed_while_the_vm_is_suspended_is_resumed_by_the_start_up_sweep(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    many_entries(home)
    jobid = fd.backup(definition(prlhost, ":vm=%s:consistency=suspend" % VM_UUID), kill_after_files=[3, prlhost.proc.pid])
    assert fd.job(jobid)["status"] == "f"
    assert prl.vm()["status"] == "suspended"  # the killed host could not resume it
    assert len(journal(work)) == 1
    prlhost.proc.wait()
    prlhost.start()
    assert "Start-up sweep: parallels vm suspend %s (%s) removed=True" % (VM_NAME, VM_UUID) in prlhost.log_text()
    assert_nothing_left(prl, work, home)


def test_restore_vm_beside_the_registered_original_gets_a_new_uuid_and_name(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    expected = snapshot(home)
    full = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert_ok(fd, full)
    prl.clear_calls()
    where = os.path.join(prl.vm_root, "restored")
    r = fd.restore([full], where=where, plugin_options=["python3:restore=vm"])
    assert_ok(fd, r)
    bundle = where + home
    calls = prl.calls()
    new = calls[2][4]
    assert calls == [["prlctl", "list", "-a", "-i", "-j", "--vmtype", "vm"], ["prlctl", "list", "-a", "-i", "-j", "--vmtype", "vm"],
                     ["prlctl", "register", bundle, "--uuid", new], ["prlctl", "list", "-i", "-j", new]]
    vms = prl.vms()
    assert vms[new]["name"] == VM_NAME + " (1)" and vms[new]["status"] == "stopped"
    assert vms[new]["home"] == bundle + "/"
    assert vms[VM_UUID]["status"] == "running" and vms[VM_UUID]["home"] == home + "/"
    assert ("parallels: %s registered as virtual machine \"%s (1)\" {%s}, stopped; %s is taken by \"%s\", so the copy has a new "
            "UUID and prlctl gave it a free name\n" % (bundle, VM_NAME, new, VM_UUID, VM_NAME)) in messages(fd, r, INFO)
    actual = snapshot(bundle, with_root_times=False)
    del expected[b"."]
    for tree in (expected, actual):  # the dispatcher wrote the copy's new identity into its config.pvs (and so the bundle's mtime)
        del tree[b"config.pvs"]
    assert diff(expected, actual) == []


def test_restore_vm_in_place_of_a_deleted_vm_registers_it_as_it_was(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    expected = snapshot(home)
    full = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert_ok(fd, full)
    prl.prlctl("stop", VM_UUID)
    prl.prlctl("unregister", VM_UUID)
    shutil.rmtree(home)
    prl.clear_calls()
    r = fd.restore([full], where="/", plugin_options=["python3:restore=vm"])
    assert_ok(fd, r)
    assert prl.calls()[2] == ["prlctl", "register", home, "--preserve-uuid"]
    vm = prl.vm()
    assert (vm["name"], vm["status"], vm["home"]) == (VM_NAME, "stopped", home + "/")
    assert diff(expected, snapshot(home)) == []  # config.pvs too: the same identity, nothing for prlctl to rewrite


def test_restores_never_write_into_the_bundle_of_a_vm_that_runs(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    full = fd.backup(definition(prlhost, ":vm=" + VM_UUID))
    assert_ok(fd, full)
    with open(os.path.join(home, "extra", "small.txt"), "w") as f:
        f.write("changed since the backup\n")
    before = snapshot(home)
    # restore=vm in place while the original is registered: every entry refused
    r = fd.restore([full], where="/", plugin_options=["python3:restore=vm"])
    assert fd.job(r)["status"] != OK
    errors = messages(fd, r, ERROR) + messages(fd, r, FATAL)
    assert [m for m in errors if "is inside the bundle of the registered virtual machine %s (running); restore=vm never writes into "
            "a registered VM's bundle: restore with where=DIR to register a copy beside it" % VM_NAME in m], errors
    # restore=files in place: only into the named VM, and only while it is stopped
    r = fd.restore([full], where="/", plugin_options=["python3:restore=files:vm=" + VM_UUID])
    assert fd.job(r)["status"] == "f"
    assert [m for m in messages(fd, r, FATAL) if "virtual machine %s is running: files are restored in place only into a stopped "
            "VM's bundle (stop it, or restore with where=DIR)" % VM_NAME in m], fd.job(r)["messages"]
    assert diff(before, snapshot(home)) == [] and len(prl.vms()) == 1
    prl.prlctl("stop", VM_UUID)
    r = fd.restore([full], where="/", plugin_options=["python3:restore=files:vm=" + VM_UUID])
    assert_ok(fd, r)
    assert open(os.path.join(home, "extra", "small.txt")).read() == "hello\n"


def test_bpipe_reader_archives_a_vm_through_the_running_host(prlhost, prl, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    fill_bundle(home)
    expected = snapshot(home)
    archive = subprocess.run([host_binary(), "bpipe-reader", "--source", "parallels", "--socket", prlhost.socket, "vm=" + VM_UUID],
                             capture_output=True)
    assert archive.returncode == 0, archive.stderr
    assert b"backup-plugins bpipe-reader: parallels: %s was suspended for " % VM_NAME.encode() in archive.stderr
    assert_nothing_left(prl, work, home)
    where = os.path.join(work, "r")
    r = subprocess.run([host_binary(), "bpipe-writer", "--socket", prlhost.socket, "--where", where], input=archive.stdout,
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    assert diff(expected, snapshot(where + home)) == []


def test_stopped_vm_is_read_from_a_clone_without_any_suspend_and_accurate_records_deletions(prlhost, prl, fd, work):
    home = prl.create_vm(status="stopped", uptime=3600, disk_mb=16)
    fill_bundle(home)
    prl.clear_calls()
    full = fd.backup(definition(prlhost, ":vm=" + VM_UUID), accurate=True)
    assert_ok(fd, full)
    assert prl.calls() == [["prlctl", "list", "-i", "-j", VM_UUID]]  # looked up, never suspended
    assert ("parallels: %s is stopped: its bundle is read as it is (from a reflink clone), nothing suspended\n" % VM_NAME
            in messages(fd, full, INFO))
    os.remove(os.path.join(home, "extra", "name with spaces.txt"))
    expected = snapshot(home)
    incr = fd.backup(definition(prlhost, ":vm=" + VM_UUID), level="I", accurate=True, since_job=full)
    assert_ok(fd, incr)
    assert [f["fname"] for f in fd.job(incr)["files"] if f["type"] == 23] == [os.path.join(home, "extra", "name with spaces.txt")]
    where = os.path.join(work, "r")
    assert_ok(fd, fd.restore([full, incr], where=where))
    assert diff(expected, snapshot(where + home)) == []
    assert prl.vm()["status"] == "stopped" and journal(work) == []


def test_a_snapshot_prlctl_refuses_fails_the_job_before_anything_is_read(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    refusal = ("Failed to create the snapshot: Unable to create a snapshot of the virtual machine. The virtual machine "
               "configuration does not support snapshots.")
    prl.fault("prlctl snapshot", exit=255, stderr=refusal)
    jobid = fd.backup(definition(prlhost, ":vm=%s:consistency=snapshot" % VM_UUID))
    assert fd.job(jobid)["status"] == "f"
    assert [m for m in messages(fd, jobid, FATAL) if refusal in m and "prlctl snapshot %s" % VM_UUID in m], fd.job(jobid)["messages"]
    assert fd.job(jobid)["files"] == []
    assert_nothing_left(prl, work, home)
    assert prl.vm()["snapshots"] == []


def test_host_killed_with_a_snapshot_taken_has_it_deleted_by_the_start_up_sweep(prlhost, prl, fd, work):
    home = prl.create_vm(status="running", uptime=3600, disk_mb=16)
    many_entries(home)
    jobid = fd.backup(definition(prlhost, ":vm=%s:consistency=snapshot" % VM_UUID), kill_after_files=[3, prlhost.proc.pid])
    assert fd.job(jobid)["status"] == "f"
    assert len(prl.vm()["snapshots"]) == 1
    prlhost.proc.wait()
    prlhost.start()
    assert "Start-up sweep: parallels vm snapshot %s (%s) removed=True" % (VM_NAME, VM_UUID) in prlhost.log_text()
    assert prl.vm()["snapshots"] == []
    assert_nothing_left(prl, work, home)
