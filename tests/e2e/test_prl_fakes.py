# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake prlctl for Virtuozzo 7 virtual machines prints what prlctl 7.0.253 (OpenVZ/prlctl vz7-u22) prints and
refuses what the dispatcher refuses, with the same words and exit codes (see tests/fakes/prlvm.py for each source)."""
import json
import os
import re
import subprocess


from prlworld import VM_NAME, VM_UUID
from vzworld import UUID as CT_UUID

W = ("WARNING: You are using a deprecated CLI component that won't be installed by default in the next major release."
     " Please use virsh instead\n")
NOT_FOUND = ("Failed to get VM config: The virtual machine could not be found. The virtual machine is not registered in"
             " the virtual machine directory on this server. Contact your Virtuozzo administrator for assistance.\n")
NOT_RUNNING = ("This action cannot be performed on the specified object. (Details: Requested operation is not valid:"
               " domain is not running)\n")
ALREADY_RUNNING = "Operation failed. Failed to execute the operation. (Details: VM is already running)\n"
ALPHA = "0b0b0b0b-1111-4222-8333-444455556666"
from conftest import PRL_T0 as T0  # noqa: E402


def run(prl, *args):
    r = prl.prlctl(*args, check=False)
    return r.returncode, r.stdout, r.stderr


def info(prl, vm=VM_UUID):
    """The seed's reading of `prlctl list -i <vm>`: whitespace collapsed, split on the first ':'."""
    out = {}
    for line in prl.prlctl("list", "-i", vm).stdout.splitlines():
        key, _, value = re.sub(r"\s+", " ", line).partition(":")
        out.setdefault(key, value)
    return out


def seed_uptime(value):
    """backupParallels.py's uptime regexes, applied as the seed applies them."""
    m = re.search(r"(\d*)\s*days\s*(\d{2}):(\d{2}):(\d{2})\s", value)
    if m:
        d, h, mi, s = (int(x or 0) for x in m.groups())
    else:
        h, mi, s = (int(x) for x in re.search(r"(\d{2}):(\d{2}):(\d{2})\s", value).groups())
        d = 0
    return ((d * 24 + h) * 60 + mi) * 60 + s


def test_list_prints_the_vz7_table_of_vms_and_containers(prl):
    prl.create_vm(status="running")
    prl.create_vm(uuid=ALPHA, name="alpha", status="stopped")
    prl.create_ct(status="running")
    header = "UUID                                    STATUS       IP_ADDR         T  NAME\n"
    vm = "{%s}  running      -               VM %s\n" % (VM_UUID, VM_NAME)
    alpha = "{%s}  stopped      -               VM alpha\n" % ALPHA
    ct = "{%s}  running      -               CT testcustomer.testproject.q3arena\n" % CT_UUID
    assert run(prl, "list", "-a") == (0, header + vm + alpha + ct, "")  # sorted by name, bytewise
    assert run(prl, "list") == (0, header + vm + ct, "")  # running ones only
    assert run(prl, "list", "--vmtype", "vm", "--all") == (0, header + vm + alpha, "")
    assert run(prl, "list", "-S") == (0, header + alpha, "")
    assert run(prl, "list", "-aS") == (0, header + vm + alpha + ct, "")  # -a wins: list_vm filters only without it
    # columns are padded in bytes, as C's printf does: "ü" is two of them
    assert run(prl, "list", "-a", "-H", "-o", "name,status") == (
        0, VM_NAME + " " * 9 + "running\nalpha" + " " * 28 + "stopped\ntestcustomer.testproject.q3arena running\n", "")
    assert run(prl, "list", "-a", "-o", "uuid,name", "-s", "-name")[1].splitlines()[1:] == [
        "{%s}  testcustomer.testproject.q3arena" % CT_UUID, "{%s}  alpha" % ALPHA, "{%s}  %s" % (VM_UUID, VM_NAME)]
    # a single id ignores --vmtype, as get_vm_config does
    assert run(prl, "list", "--vmtype", "vm", CT_UUID)[1].splitlines()[1].endswith("CT testcustomer.testproject.q3arena")
    assert json.loads(run(prl, "list", "-j", "-a", "--vmtype", "vm")[1]) == [
        {"uuid": VM_UUID, "status": "running", "ip_configured": "-", "type": "VM", "name": VM_NAME},
        {"uuid": ALPHA, "status": "stopped", "ip_configured": "-", "type": "VM", "name": "alpha"}]
    assert run(prl, "list", "-o", "name,bogus") == (1, "", "Unknown field: bogus\n")
    assert run(prl, "list", "--vmtype", "box") == (1, "", "An incorrect value for --vmtype is specified: box\n")
    assert run(prl, "list", "-s", "size") == (1, "", "size is an invalid field name in this query.\n")


def expected_info(home, state, uptime):
    return (
        "INFO\n"
        "ID: {%s}\n"
        "EnvID: %d\n"
        "Name: %s\n"
        "Description: \n"
        "Type: VM\n"
        "State: %s\n"
        "OS: centos7\n"
        "Template: no\n"
        "Uptime: %s (since 2024-01-02 03:04:05)\n"
        "Home: %s/\n"
        "Backup path: \n"
        "Owner: root\n"
        "GuestTools: state=possibly_installed\n"
        "GuestTools autoupdate: on\n"
        "Autostart: off\n"
        "Autostop: suspend\n"
        "Autocompact: on\n"
        "Boot order: hdd0 \n"
        "EFI boot: off\n"
        "Allow select boot device: off\n"
        "External boot device: \n"
        "On guest crash: restart\n"
        "Remote display: mode=off\n"
        "Remote display state: stopped\n"
        "Hardware:\n"
        "  cpu sockets=1 cpus=2 cores=2 VT-x accl=high mode=64 ioprio=4 iolimit='0'\n"
        "  memory 1024Mb\n"
        "  video 32Mb 3d acceleration=off vertical sync=yes\n"
        "  memory_guarantee auto\n"
        "  hdd0 (+) scsi:0 image='%s/harddisk.hdd' type='expanded' 65536Mb state=connected subtype=virtio-scsi\n"
        "SmartMount: (-)\n"
        "Disabled Windows logo: on\n"
        "Nested virtualization: off\n"
        "Offline management: (-)\n"
        "\n") % (VM_UUID, int(VM_UUID[:8], 16) & 0x7FFFFFFF, VM_NAME, state, uptime, home, home)


def test_list_info_prints_the_info_block_the_seed_reads(prl):
    home = prl.create_vm(status="running", uptime=3 * 86400 + 3723)
    prl.tick(10)
    block = expected_info(home, "running", "3 days 01:02:13")
    assert run(prl, "list", "-i", VM_UUID) == (0, block, "")
    assert run(prl, "list", "-i", "-ostatus,id,name", VM_NAME) == (0, block, "")  # -o is ignored with -i
    seen = info(prl, "{%s}" % VM_UUID.upper())
    assert seen["State"] == " running" and seen["Home"] == " %s/" % home
    assert seed_uptime(seen["Uptime"]) == 3 * 86400 + 3733
    prl.advance_uptime(-3 * 86400)  # under a day: no "days" at all
    assert info(prl)["Uptime"] == " 01:02:13 (since 2024-01-02 03:04:05)"
    assert seed_uptime(info(prl)["Uptime"]) == 3733
    prl.advance_uptime(86400 - 3733)
    assert info(prl)["Uptime"] == " 1 days 00:00:00 (since 2024-01-02 03:04:05)"  # uptime2str's plural, as is


def test_list_info_json_has_prlctls_keys(prl):
    home = prl.create_vm(status="suspended", uptime=125)
    out = run(prl, "list", "-i", "-j", VM_NAME)[1]
    assert out.startswith('[\n\t{\n\t\t"ID": "%s",\n\t\t"EnvID": "%d",\n' % (VM_UUID, int(VM_UUID[:8], 16) & 0x7FFFFFFF))
    assert out.endswith('\t\t"Offline management": {\n\t\t\t"enabled": false\n\t\t}\n\t}\n]\n')
    vm = json.loads(out)[0]
    assert (vm["Name"], vm["State"], vm["Uptime"], vm["Home"], vm["Type"]) == (VM_NAME, "suspended", "125", home + "/", "VM")
    assert vm["Hardware"]["hdd0"] == {"enabled": True, "port": "scsi:0", "image": home + "/harddisk.hdd",
                                      "type": "expanded", "size": "65536Mb", "state": "connected",
                                      "subtype": "virtio-scsi"}
    assert vm["Hardware"]["cpu"]["VT-x"] is True and vm["Hardware"]["cpu"]["hotplug"] is False


def test_uptime_grows_only_while_the_vm_runs(prl):
    prl.create_vm(status="running", uptime=50)
    prl.create_vm(uuid=ALPHA, name="alpha", status="stopped", uptime=7)
    prl.tick(100)
    assert (prl.vm()["uptime_now"], prl.vm(ALPHA)["uptime_now"]) == (150, 7)
    prl.prlctl("suspend", VM_UUID)
    prl.tick(1000)
    assert seed_uptime(info(prl)["Uptime"]) == 150
    prl.prlctl("resume", VM_UUID)
    prl.tick(5)
    prl.advance_uptime(45)
    assert seed_uptime(info(prl)["Uptime"]) == 200
    prl.prlctl("stop", VM_UUID)
    prl.tick(1000)
    assert prl.vm()["uptime_now"] == 200


def test_suspend_resume_start_stop_and_their_refusals(prl):
    prl.create_vm(status="running")
    prl.create_vm(uuid=ALPHA, name="alpha", status="stopped")
    assert run(prl, "suspend", VM_NAME) == (0, "Suspending the VM...\nThe VM has been successfully suspended.\n", W)
    assert info(prl)["State"] == " suspended"
    assert run(prl, "suspend", VM_UUID) == (255, "Suspending the VM...\n", W + "Failed to suspend the VM: " + NOT_RUNNING)
    assert run(prl, "resume", VM_UUID) == (0, "Resuming the VM...\nThe VM has been successfully resumed.\n", W)
    assert run(prl, "resume", VM_UUID) == (255, "Resuming the VM...\n", W + "Failed to resume the VM: " + ALREADY_RUNNING)
    assert run(prl, "start", VM_UUID) == (255, "Starting the VM...\n", W + "Failed to start the VM: " + ALREADY_RUNNING)
    # resume is the dispatcher's start: a stopped VM starts
    assert run(prl, "resume", "alpha") == (0, "Resuming the VM...\nThe VM has been successfully resumed.\n", W)
    assert info(prl, "alpha")["State"] == " running"
    assert run(prl, "stop", "alpha") == (0, "Stopping the VM...\nThe VM has been successfully stopped.\n", W)
    assert run(prl, "stop", "alpha") == (255, "Stopping the VM...\n", W + "Failed to stop the VM: " + NOT_RUNNING)
    assert run(prl, "suspend", "alpha") == (255, "Suspending the VM...\n", W + "Failed to suspend the VM: " + NOT_RUNNING)
    assert run(prl, "start", "alpha") == (0, "Starting the VM...\nThe VM has been successfully started.\n", W)
    assert run(prl, "stop", "alpha", "--kill") == (0, "Stopping the VM...\nThe VM has been forcibly stopped\n", W)
    prl.set_vm_status("paused")
    assert run(prl, "suspend", VM_UUID)[0] == 0 and info(prl)["State"] == " suspended"
    prl.set_vm_status("paused")
    assert run(prl, "resume", VM_UUID)[0] == 0 and info(prl)["State"] == " running"
    assert run(prl, "suspend", VM_UUID, "--now") == (1, "", "Unrecognized option: --now\n" + W)
    assert run(prl, "frobnicate", VM_UUID) == (1, "", "Unknown action: frobnicate\n" + W)


def test_unknown_vm_is_refused_as_prlctl_refuses_it(prl):
    prl.create_vm()
    assert run(prl, "suspend", "nosuchvm") == (255, "", W + NOT_FOUND)
    assert run(prl, "resume", "11111111-2222-4333-8444-555555555555") == (255, "", W + NOT_FOUND)
    assert run(prl, "list", "-i", "nosuchvm") == (255, "INFO\n", NOT_FOUND)  # the header comes first
    assert run(prl, "list", "-i", "-j", "nosuchvm") == (255, "", NOT_FOUND)
    assert run(prl, "list", "-i", VM_UUID.upper())[0] == 0  # braces and case do not matter


def test_snapshots_create_list_and_delete(prl):
    prl.create_vm(status="running")
    rc, out, errs = run(prl, "snapshot", VM_NAME, "-n", "before backup", "-d", "the one")
    first = re.fullmatch(r"Creating the snapshot\.\.\.\nThe snapshot with id (\{[0-9a-f-]{36}\}) has been successfully"
                         r" created\.\n", out).group(1)
    assert (rc, errs) == (0, W) and info(prl)["State"] == " running"
    second = re.search(r"(\{[0-9a-f-]{36}\})", run(prl, "snapshot", VM_UUID)[1]).group(1)
    hdr = "PARENT_SNAPSHOT_ID                      SNAPSHOT_ID\n"
    assert run(prl, "snapshot-list", VM_UUID) == (0, hdr + "%38s  %s\n%s *%s\n" % ("", first, first, second), W)
    assert run(prl, "snapshot-list", VM_UUID, "-H") == (0, "%38s  %s\n%s *%s\n" % ("", first, first, second), W)
    unknown = "{12345678-1234-4234-8234-123456789012}"
    assert run(prl, "snapshot-delete", VM_UUID, "-i", unknown) == (
        255, "Delete the snapshot...\n", W + "Failed to delete snapshot: Uninitialized. Uninitialized data requested."
        " (Details: Domain snapshot not found: no domain snapshot with matching name '%s')\n" % unknown)
    assert run(prl, "snapshot-delete", VM_UUID) == (255, "", W + "Snapshot id is not specified.\n")
    assert run(prl, "snapshot-delete", VM_UUID, "-i", "not-a-uuid") == (255, "", W + "Snapshot id is not specified.\n")
    assert run(prl, "snapshot-delete", VM_UUID, "-i", first.strip("{}")) == (
        0, "Delete the snapshot...\nThe snapshot has been successfully deleted.\n", W)
    assert run(prl, "snapshot-list", VM_UUID)[1] == hdr + "%38s *%s\n" % ("", second)  # the child moved up
    assert run(prl, "snapshot-delete", VM_UUID, "--id", second)[0] == 0
    assert run(prl, "snapshot-list", VM_UUID)[1] == hdr


def test_register_and_unregister(prl):
    home = prl.create_vm(status="running")
    prl.advance_uptime(600)
    refused = 'Failed to unregister the VM: Unable to perform the operation because the virtual machine "{%s}" is not' \
              " stopped. This operation can be performed for stopped virtual machines only.\n" % VM_UUID
    assert run(prl, "unregister", VM_UUID) == (255, "", W + refused)
    prl.prlctl("suspend", VM_UUID)
    assert run(prl, "unregister", VM_NAME) == (0, "The VM has been successfully unregistered.\n", W)
    assert run(prl, "list", "-a") == (0, "UUID                                    STATUS       IP_ADDR         T  NAME\n", "")
    ok = "Register the virtual environment...\nThe virtual environment has been successfully registered.\n"
    assert run(prl, "register", home, "--preserve-uuid") == (0, ok, W)
    assert (prl.vm()["name"], prl.vm()["status"], prl.vm()["uptime_now"]) == (VM_NAME, "stopped", 600)
    assert run(prl, "register", home + "/", "--preserve-uuid") == (
        255, "Register the virtual environment...\n", W + 'Failed to register the virtual environment: The virtual'
        ' machine "%s" is already registered. You cannot register a virtual machine more than once.\n' % VM_NAME)
    # a copy of the bundle: its UUID and name are taken, so the dispatcher gives it new ones and saves them
    copy = os.path.join(prl.vm_root, "copy.pvm")
    subprocess.run(["cp", "-a", "--reflink=always", home, copy], check=True)
    assert run(prl, "register", "--preserve-uuid", copy) == (0, ok, W)
    (new,) = set(prl.vms()) - {VM_UUID}
    assert prl.vms()[new]["name"] == VM_NAME + " (1)" and prl.vms()[new]["home"] == copy + "/"
    assert "<VmUuid>{%s}</VmUuid>" % new in open(os.path.join(copy, "config.pvs")).read()
    again = os.path.join(prl.vm_root, "again.pvm")
    subprocess.run(["cp", "-a", "--reflink=always", home, again], check=True)
    assert run(prl, "register", again, "--uuid", VM_UUID) == (
        255, "Register the virtual environment...\n", W + "Failed to register the virtual environment: Cannot register"
        " this virtual machine due to an ID conflict. Contact your Virtuozzo administrator for assistance.\n")
    assert run(prl, "register", again, "--uuid", "nope") == (1, "", "An invalid value was specified for --uuid: nope\n" + W)
    assert run(prl, "register", again) == (0, ok, W)  # without --preserve-uuid: always a new UUID
    assert len(prl.vms()) == 3 and sorted(v["name"] for v in prl.vms().values())[-1] == VM_NAME + " (2)"


def test_faults_make_vm_commands_fail_or_lie(prl):
    prl.create_vm(status="running")
    prl.create_vm(uuid=ALPHA, name="alpha", status="running")
    prl.fault("prlctl suspend", exit=255, stderr="Failed to suspend the VM: injected", times=1)
    assert run(prl, "suspend", VM_UUID) == (255, "", W + "Failed to suspend the VM: injected\n")
    assert info(prl)["State"] == " running"
    assert run(prl, "suspend", VM_UUID)[0] == 0 and info(prl)["State"] == " suspended"
    prl.fault("prlctl resume", exit=3, stderr="always", stdout="Resuming the VM...\n")
    for _ in range(2):
        assert run(prl, "resume", VM_UUID) == (3, "Resuming the VM...\n", W + "always\n")
    prl.fault("prlctl resume", noop=True)
    assert run(prl, "resume", VM_UUID) == (0, "Resuming the VM...\nThe VM has been successfully resumed.\n", W)
    assert info(prl)["State"] == " suspended"  # it said so, but the VM did not move
    prl.fault("prlctl suspend", noop=True, vm="alpha", times=1)
    assert run(prl, "suspend", "alpha")[0] == 0 and info(prl, "alpha")["State"] == " running"
    prl.fault("prlctl suspend", state="paused", times=1)
    assert run(prl, "suspend", "alpha")[0] == 0 and info(prl, "alpha")["State"] == " paused"
    prl.fault("prlctl snapshot", noop=True, times=1)
    assert run(prl, "snapshot", "alpha")[0] == 0
    assert run(prl, "snapshot-list", "alpha")[1] == "PARENT_SNAPSHOT_ID                      SNAPSHOT_ID\n"
    prl.fault("prlctl list", exit=255, stderr="Unable to connect to Virtuozzo.", times=1)
    assert run(prl, "list", "-a") == (255, "", "Unable to connect to Virtuozzo.\n")
    assert run(prl, "list", "-a")[0] == 0
    assert [c[:2] for c in prl.calls()].count(["prlctl", "suspend"]) == 4


def test_vm_bundle_is_real_sparse_and_reflinkable(prl):
    home = prl.create_vm(disk_mb=4096)
    assert sorted(os.listdir(home)) == ["config.pvs", "harddisk.hdd"]
    hdd = os.path.join(home, "harddisk.hdd")
    (image,) = [n for n in os.listdir(hdd) if n.endswith(".hds")]
    assert sorted(os.listdir(hdd)) == sorted(["DiskDescriptor.xml", image])
    st = os.stat(os.path.join(hdd, image))
    assert st.st_size == 4096 << 20 and st.st_blocks * 512 < 1 << 20
    subprocess.run(["cp", "--reflink=always", os.path.join(hdd, image), os.path.join(prl.vm_root, "clone")], check=True)
