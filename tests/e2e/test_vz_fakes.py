# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake prlctl and ploop refuse what the real tools refuse, with their messages and exit codes
(OpenVZ/ploop lib/ploop.c, tools/ploop.c; lib/libploop.h SYSEXIT_*), and print their output formats."""
import os

from vzworld import UUID


def test_ploop_refuses_what_ploop_refuses(vz):
    vz.create_ct()
    dd = vz.dd()
    unknown = vz.ploop("snapshot-delete", "-u", "12345678-1234-4234-8234-123456789012", dd, check=False)
    assert (unknown.returncode, unknown.stderr) == (38, "Can't find snapshot by uuid {12345678-1234-4234-8234-123456789012}\n")
    top = vz.snapshots()[0][0]
    active = vz.ploop("snapshot-delete", "-u", top, dd, check=False)
    assert (active.returncode, active.stderr) == (38, "Unable to delete active snapshot {%s}\n" % top)
    usage = vz.ploop("snapshot-delete", dd, check=False)
    assert usage.returncode == 38 and usage.stderr.startswith("Usage: ploop snapshot-delete -u UUID DiskDescriptor.xml\n")
    bad = vz.ploop("snapshot", "-u", "not-a-uuid", dd, check=False)
    assert (bad.returncode, bad.stderr) == (38, "Incorrect uuid specified: not-a-uuid\n")

    snap = "0bac0bac-0000-4000-8000-000000000001"
    assert vz.ploop("snapshot", "-u", snap, "-F", dd).stdout.endswith("ploop snapshot {%s} has been successfully created\n" % snap)
    again = vz.ploop("snapshot", "-u", snap, dd, check=False)
    assert (again.returncode, again.stderr) == (38, "The snapshot {%s} already exist\n" % snap)
    mnt = os.path.join(vz.work, "m")
    os.mkdir(mnt)
    base = os.path.join(vz.private_root, UUID, "root.hdd", "root.hds")
    vz.ploop("mount", "-r", "-c", base, "-u", snap, "-m", mnt, dd)
    twice = vz.ploop("mount", "-r", "-c", base, "-u", snap, "-m", mnt, dd, check=False)
    assert twice.returncode == 21 and twice.stderr.startswith("Image %s already used by device /dev/ploop" % base)
    busy = vz.ploop("snapshot-delete", "-u", snap, dd, check=False)
    assert busy.returncode == 17 and busy.stderr.startswith("Unable to merge snapshot {%s}: it is in use by device /dev/ploop" % snap)
    out = vz.ploop("umount", "-c", base, "-m", mnt, dd).stdout.splitlines()
    assert out[0] == "Unmounting file system at %s" % mnt and out[1].startswith("Unmounting device /dev/ploop")
    not_mounted = vz.ploop("umount", "-m", mnt, check=False)
    assert (not_mounted.returncode, not_mounted.stderr) == (38, "Unable to find ploop device by %s\n" % mnt)
    vz.ploop("snapshot-delete", "-u", snap, dd)
    assert [s[1] for s in vz.snapshots()] == [True]


def test_ploop_snapshot_list_has_the_default_columns(vz):
    vz.create_ct()
    lines = vz.ploop("snapshot-list", vz.dd()).stdout.split("\n")
    assert lines[0] == "%-38s %1s %-38s %-32s " % ("PARENT_UUID", "C", "UUID", "FNAME")
    assert lines[1].startswith("{00000000-0000-0000-0000-000000000000} * {")
    assert lines[1].endswith("} " + os.path.join(vz.private_root, UUID, "root.hdd", "root.hds"))


def test_prlctl_lists_and_refuses_like_prlctl(vz):
    vz.create_ct(status="stopped")
    assert vz.prlctl("list", "-o", "name,uuid,status", "--vmtype", "ct", "--all", UUID).stdout.split("\n")[1].split() == [
        "testcustomer.testproject.q3arena", "{%s}" % UUID, "stopped"]
    twice = vz.prlctl("register", os.path.join(vz.private_root, UUID), "--preserve-uuid", check=False)
    # every action but list first prints prlctl's deprecation warning (PrlCtl.cpp main(), vz7-u17 and later)
    assert (twice.returncode, twice.stderr) == (
        1, "WARNING: You are using a deprecated CLI component that won't be installed by default in the next major"
        " release. Please use virsh instead\n"
        "Failed to register the container: the container with UUID {%s} is already registered.\n" % UUID)
    missing = vz.prlctl("list", "11111111-2222-4333-8444-555555555555", check=False)
    # PRL_ERR_VM_UUID_NOT_FOUND's brief and long text (libprlsdk PrlErrStringsStorage_PS.cpp), as get_vm_config prints it
    assert (missing.returncode, missing.stderr) == (
        255, "Failed to get VM config: The virtual machine could not be found. The virtual machine is not registered in"
        " the virtual machine directory on this server. Contact your Virtuozzo administrator for assistance.\n")
