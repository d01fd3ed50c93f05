# SPDX-License-Identifier: AGPL-3.0-or-later
"""State and helpers shared by the fake `prlctl` and `ploop` (Virtuozzo 7 tools cannot run on this machine).

The fakes keep their state in $FAKE_VZ_STATE/state.json (containers, ploop devices; VMs: see prlvm.py), log every
argv to $FAKE_VZ_STATE/calls.log and act on real files: $FAKE_VZ_STATE/fs must be a btrfs file system (the tests
loop-mount one); a container's file system is a btrfs subvolume ($FAKE_VZ_STATE/fs/<key>/live), a ploop snapshot
is a read-only btrfs snapshot of it (copy-on-write, inode times and ctimes kept, as a ploop delta keeps them),
and mounts are real read-only bind mounts, so data, owners, times and leftover mounts are all real. Output formats, messages and exit codes
follow OpenVZ/ploop tools/ploop.c, tools/ploop-snapshot.c, lib/ploop.c and the prlctl reference.

Fault injection: $FAKE_VZ_STATE/faults.json maps "<tool> <command>" to
{"exit": N, "stderr": "...", "times": K} (fail K times, without "times" every time; "stdout" is printed first),
{"stdout": "..."} (exit 0 printing that instead), {"sleep": seconds} (hang before acting), {"run": argv} (run a
command first, e.g. the container writing a file), and for prlctl's VM commands {"noop": true} (print success, change
nothing: a suspend that "works" but leaves the VM running) or {"state": "paused"} (print success, end in that state);
"skip": N lets the first N calls pass; "vm": <name|uuid> limits the fault to calls naming that VM.

Test-side setup (not part of either tool):  fakevz.py create-ct STATE PRIVATE_ROOT CT_ROOT UUID NAME STATUS
"""
import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

NONE_UUID = "{00000000-0000-0000-0000-000000000000}"
UUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")

# lib/libploop.h exit codes
SYSEXIT_EBUSY, SYSEXIT_MOUNT, SYSEXIT_UMOUNT, SYSEXIT_PARAM, SYSEXIT_DEV_NOT_MOUNTED = 17, 21, 22, 38, 40


def state_dir():
    d = os.environ.get("FAKE_VZ_STATE")
    if not d:
        sys.stderr.write("fake tool: FAKE_VZ_STATE is not set\n")
        sys.exit(99)
    return d


@contextlib.contextmanager
def locked_state():
    d = state_dir()
    with open(os.path.join(d, "state.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = os.path.join(d, "state.json")
        state = json.load(open(path)) if os.path.exists(path) else {"cts": {}, "devices": {}, "vms": {}}
        state.setdefault("vms", {})
        yield state
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.replace(tmp, path)


def log_call(tool, argv):
    with open(os.path.join(state_dir(), "calls.log"), "a") as f:
        f.write(json.dumps([tool] + argv) + "\n")


def write_json(path, value):
    """Whole or not at all: a fake killed with its caller (a host SIGKILLed mid-command) leaves no half-written file."""
    with open(path + ".tmp", "w") as f:
        json.dump(value, f)
    os.replace(path + ".tmp", path)


def apply_faults(tool, command, target=None):
    """Acts on the fault for "<tool> <command>", if any. A fault with "vm": <name|uuid> applies only to calls whose
    target argument is exactly that. Returns the fault when it is one the command itself carries out ("noop": true,
    "state": ...), else None."""
    path = os.path.join(state_dir(), "faults.json")
    if not os.path.exists(path):
        return None
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        faults = json.load(open(path))
        fault = faults.get("%s %s" % (tool, command))
        if not fault or ("vm" in fault and fault["vm"] != target):
            return None
        if fault.get("skip"):  # let this many calls pass first
            fault["skip"] -= 1
            write_json(path, faults)
            return None
        if fault.get("times") is not None:
            fault["times"] -= 1
            if fault["times"] <= 0:
                del faults["%s %s" % (tool, command)]
            write_json(path, faults)
    if fault.get("run"):
        subprocess.run(fault["run"], check=True)  # something else happens on the machine right now
    if fault.get("sleep"):
        time.sleep(fault["sleep"])
    if fault.get("exit"):
        sys.stdout.write(fault.get("stdout", ""))  # what the tool printed before it failed
        sys.stderr.write(fault.get("stderr", "injected failure") + "\n")
        sys.exit(fault["exit"])
    if "stdout" in fault:  # the tool "succeeds" but prints something else than it should
        sys.stdout.write(fault["stdout"])
        sys.exit(0)
    if fault.get("noop") or "state" in fault:  # the tool says it worked; the VM is not (or not so) changed
        return fault
    return None


def parse_uuid(text):
    """ploop's parse_uuid(): braces optional, stored with braces."""
    m = UUID_RE.match(text or "")
    if not m:
        sys.stderr.write("Incorrect uuid specified: %s\n" % text)
        sys.exit(SYSEXIT_PARAM)
    return "{%s}" % m.group(1).lower()


def new_uuid():
    r = "%032x" % random.getrandbits(128)
    return "{%s-%s-4%s-a%s-%s}" % (r[:8], r[8:12], r[13:16], r[17:20], r[20:32])


# ---- DiskDescriptor.xml ------------------------------------------------------------------------------
def read_dd(path):
    """(images: [(guid, file)], snapshots: [(guid, parent)], top_guid) from a DiskDescriptor.xml."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        sys.stderr.write("failed to read %s: %s\n" % (path, e))
        sys.exit(39)  # SYSEXIT_DISKDESCR
    images = [(i.findtext("GUID"), i.findtext("File")) for i in root.iter("Image")]
    shots = [(s.findtext("GUID"), s.findtext("ParentGUID")) for s in root.iter("Shot")]
    return images, shots, root.findtext("Snapshots/TopGUID")


def write_dd(path, images, shots, top, size_sectors=104857600):
    root = ET.Element("Parallels_disk_image", Version="1.0")
    params = ET.SubElement(root, "Disk_Parameters")
    ET.SubElement(params, "Disk_size").text = str(size_sectors)
    storage = ET.SubElement(ET.SubElement(root, "StorageData"), "Storage")
    ET.SubElement(storage, "Start").text = "0"
    ET.SubElement(storage, "End").text = str(size_sectors)
    ET.SubElement(storage, "Blocksize").text = "2048"
    for guid, fname in images:
        image = ET.SubElement(storage, "Image")
        ET.SubElement(image, "GUID").text = guid
        ET.SubElement(image, "Type").text = "Compressed"
        ET.SubElement(image, "File").text = fname
    snapshots = ET.SubElement(root, "Snapshots")
    ET.SubElement(snapshots, "TopGUID").text = top
    for guid, parent in shots:
        shot = ET.SubElement(snapshots, "Shot")
        ET.SubElement(shot, "GUID").text = guid
        ET.SubElement(shot, "ParentGUID").text = parent
    ET.indent(root)
    tmp = path + ".tmp"
    ET.ElementTree(root).write(tmp, xml_declaration=True, encoding="utf-8")
    os.replace(tmp, path)


def _data(dd):
    """An image's file system lives outside the private area (a real image holds it inside root.hds)."""
    key = hashlib.sha1(os.path.realpath(dd).encode()).hexdigest()[:16]
    return os.path.join(state_dir(), "fs", key)


def live_dir(dd):
    return os.path.join(_data(dd), "live")


def frozen_dir(dd, guid):
    return os.path.join(_data(dd), guid.strip("{}"))


def image_path(dd, fname):
    return fname if fname.startswith("/") else os.path.join(os.path.dirname(dd), fname)


def make_subvolume(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    subprocess.run(["btrfs", "-q", "subvolume", "create", path], check=True)


def snapshot_subvolume(source, target):
    subprocess.run(["btrfs", "-q", "subvolume", "snapshot", "-r", source, target], check=True)


def delete_subvolume(path):
    if os.path.exists(path):
        subprocess.run(["btrfs", "-q", "subvolume", "delete", path], check=True)


# ---- mounts --------------------------------------------------------------------------------------------
def is_mountpoint(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def bind_mount(source, target, read_only):
    subprocess.run(["mount", "--bind", source, target], check=True)
    if read_only:
        subprocess.run(["mount", "-o", "remount,bind,ro", target], check=True)


def umount(target):
    subprocess.run(["umount", target], check=True)


# ---- test-side setup ---------------------------------------------------------------------------------
def create_ct(state, private_root, ct_root, uuid, name, status):
    """A registered container with a ploop image of one delta; running ones have their root bind-mounted."""
    os.makedirs(state, exist_ok=True)
    os.environ["FAKE_VZ_STATE"] = state
    guid = "{%s}" % uuid
    private = os.path.join(private_root, uuid)
    hdd = os.path.join(private, "root.hdd")
    os.makedirs(hdd)
    with open(os.path.join(hdd, "root.hds"), "wb") as f:
        f.write(b"WithoutFreeSpace\0fake ploop1 image header\n")
    base = new_uuid()
    write_dd(os.path.join(hdd, "DiskDescriptor.xml"), [(base, "root.hds")], [(base, NONE_UUID)], base)
    with open(os.path.join(private, "ve.conf"), "w") as f:
        f.write('NAME="%s"\nVE_ROOT="%s/$VEID"\nVE_PRIVATE="%s/$VEID"\nOSTEMPLATE=".centos-7-x86_64"\n'
                % (name, ct_root, private_root))
    make_subvolume(live_dir(os.path.join(hdd, "DiskDescriptor.xml")))
    with locked_state() as s:
        s["private_root"], s["ct_root"] = private_root, ct_root
        s["cts"][guid] = {"name": name, "status": "stopped", "private": private}
    if status == "running":
        start_ct(guid)
    return os.path.join(hdd, "DiskDescriptor.xml")


def start_ct(guid):
    with locked_state() as s:
        ct = s["cts"][guid]
        root = os.path.join(s["ct_root"], guid.strip("{}"))
        os.makedirs(root, exist_ok=True)
        bind_mount(live_dir(os.path.join(ct["private"], "root.hdd", "DiskDescriptor.xml")), root, read_only=False)
        ct["status"] = "running"


def stop_ct(guid):
    with locked_state() as s:
        ct = s["cts"][guid]
        umount(os.path.join(s["ct_root"], guid.strip("{}")))
        ct["status"] = "stopped"


if __name__ == "__main__":
    if sys.argv[1] == "create-ct":
        print(create_ct(*sys.argv[2:8]))
