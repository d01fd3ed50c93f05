# SPDX-License-Identifier: AGPL-3.0-or-later
"""State and backing of the fake LVM tools (tests/fakes/lvm/lvm, the lvmfake package): volume groups and logical
volumes that hold real file systems although this kernel has no device-mapper.

State: $FAKE_LVM_STATE/state.json, read and written under an flock on $FAKE_LVM_STATE/state.lock (a command holds the
lock from its first read to its last write, as lvm holds its VG lock). Backing: each LV is an image file in
$FAKE_LVM_STATE/images/ attached to a loop device of its own and exposed as <devroot>/<vg>/<lv> and
<devroot>/mapper/<vg>-<lv> (symlinks to /dev/loopN), devroot being $FAKE_LVM_DEVROOT (default /dev). A COW snapshot
is `cp --reflink=always` of its origin's image (the tests keep images/ on btrfs, so that is instant and shares
blocks), taken while the origin's mounted file system is frozen, as device-mapper freezes it when it suspends the
origin to load the snapshot table. What is NOT faked is the copy-on-write accounting: a snapshot's fill (Snap%)
and its invalidation are set by the test (set_snap_percent, invalidate).

Every argv is appended to $FAKE_LVM_STATE/calls.jsonl; $FAKE_LVM_STATE/faults.json injects failures (see
apply_fault). Sizes are in 512-byte sectors internally, as in lvm2's metadata.
"""
import contextlib
import fcntl
import json
import os
import random
import re
import string
import subprocess
import sys
import time

SECTOR = 512
EXTENT_SECTORS = 8192  # lvm2 lib/config/defaults.h DEFAULT_EXTENT_SIZE: 4096 KiB
DEFAULT_CHUNK_SECTORS = 8  # tools/lvcreate.c: --chunksize defaults to 8 sectors (4 KiB)
PERCENT_1 = 1_000_000  # libdm's dm_percent_t: DM_PERCENT_1
PERCENT_100 = 100 * PERCENT_1


# ---- where things live ------------------------------------------------------------------------------------
def state_dir():
    d = os.environ.get("FAKE_LVM_STATE")
    if not d:
        sys.stderr.write("fake lvm: FAKE_LVM_STATE is not set\n")
        sys.exit(99)
    return d


def devroot():
    return os.environ.get("FAKE_LVM_DEVROOT") or "/dev"


def images_dir():
    return os.path.join(state_dir(), "images")


def write_json(path, value):
    """Whole or not at all: a fake killed mid-command leaves no half-written file."""
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1)
    os.replace(path + ".tmp", path)


@contextlib.contextmanager
def locked_state(shared=False):
    """The state, under the lock; written back when the block ends without an exception (readers: shared=True)."""
    d = state_dir()
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "state.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        path = os.path.join(d, "state.json")
        state = json.load(open(path)) if os.path.exists(path) else {"vgs": {}, "seq": 0}
        yield state
        if not shared:
            write_json(path, state)


def log_call(argv):
    """One JSON array per call: the program name as invoked (basename) and its arguments."""
    os.makedirs(state_dir(), exist_ok=True)
    with open(os.path.join(state_dir(), "calls.jsonl"), "a") as f:
        f.write(json.dumps([os.path.basename(argv[0])] + list(argv[1:])) + "\n")


def apply_fault(tool):
    """$FAKE_LVM_STATE/faults.json maps a tool name ("lvcreate", "lvremove", "lvs", "vgs") to
    {"exit": N, "stderr": "...", "stdout": "..."} (print, exit N, change nothing), {"stdout": "..."} (exit 0
    printing that instead), {"sleep": seconds} (hang first, then act); "times": K (default 1) fails K calls,
    "skip": N lets N calls pass first, as tests/fakes/with-faults does."""
    path = os.path.join(state_dir(), "faults.json")
    if not os.path.exists(path):
        return
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        faults = json.load(open(path))
        fault = faults.get(tool)
        if not fault:
            return
        if fault.get("skip"):
            fault["skip"] -= 1
            write_json(path, faults)
            return
        fault["times"] = fault.get("times", 1) - 1
        if fault["times"] <= 0:
            del faults[tool]
        write_json(path, faults)
    if fault.get("sleep"):
        time.sleep(fault["sleep"])
    if "exit" in fault:
        sys.stdout.write(fault.get("stdout", ""))
        sys.stderr.write(fault.get("stderr", "  injected failure") + "\n")
        sys.exit(fault["exit"])
    if "stdout" in fault:
        sys.stdout.write(fault["stdout"])
        sys.exit(0)


# ---- names -----------------------------------------------------------------------------------------------
def new_uuid():
    """lvm2's id format (lib/uuid/uuid.c): 32 characters of [0-9a-zA-Z], shown in groups 6-4-4-4-4-4-6."""
    chars = string.digits + string.ascii_letters
    return "".join(random.choice(chars) for _ in range(32))


def format_uuid(uuid):
    parts, i = [], 0
    for n in (6, 4, 4, 4, 4, 4, 6):
        parts.append(uuid[i:i + n])
        i += n
    return "-".join(parts)


def dm_name(vg, lv):
    """libdm's dm_build_dm_name: VG and LV joined by '-', every '-' inside either doubled."""
    return "%s-%s" % (vg.replace("-", "--"), lv.replace("-", "--"))


def split_dm_name(name):
    """libdm's dm_split_lvm_name: the inverse of dm_name (a lone '-' separates; '--' is a literal '-')."""
    m = re.match(r"^((?:[^-]|--)*)-((?:[^-]|--)*)$", name)
    if not m:
        return None
    return m.group(1).replace("--", "-"), m.group(2).replace("--", "-")


def lv_path(vg, lv):
    return os.path.join(devroot(), vg, lv)


def mapper_path(vg, lv):
    return os.path.join(devroot(), "mapper", dm_name(vg, lv))


# ---- model -----------------------------------------------------------------------------------------------
def vg_free_extents(vg):
    return vg["extent_count"] - sum(lv["extents"] for lv in vg["lvs"].values())


def snapshots_of(vg, origin):
    return sorted(name for name, lv in vg["lvs"].items() if lv.get("origin") == origin)


def is_origin(vg, name):
    return bool(snapshots_of(vg, name))


def cow_max_extents(origin_sectors, chunk_sectors):
    """lib/metadata/snapshot_manip.c cow_max_extents(): the COW size that holds a full copy of the origin (header
    chunk, exception-store metadata chunks, data chunks), in whole extents. The kernel's snapshot target has the
    FIXED_LEAK feature (any kernel since 2.6.x), so no extra leak chunks are added."""
    origin_chunks = (origin_sectors + chunk_sectors - 1) // chunk_sectors
    per_metadata_area = chunk_sectors << (9 - 4)
    metadata_chunks = (origin_chunks + per_metadata_area) // per_metadata_area
    size = (1 + origin_chunks + metadata_chunks) * chunk_sectors
    return -(-size // EXTENT_SECTORS)


# ---- devices and mounts ----------------------------------------------------------------------------------
def _run(argv):
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def attach(image, read_only=False):
    """A loop device of its own for `image` (losetup finds a free one atomically)."""
    return _run(["losetup", "--find", "--show"] + (["--read-only"] if read_only else []) + [image]).strip()


def detach(dev):
    subprocess.run(["losetup", "-d", dev], check=False, capture_output=True)


def backing_file(dev):
    """The file a loop device is attached to, or None (read from sysfs, as losetup does)."""
    name = os.path.basename(dev)
    try:
        with open("/sys/block/%s/loop/backing_file" % name) as f:
            return f.read().strip()
    except OSError:
        return None


def dev_numbers(dev):
    st = os.stat(dev)
    return os.major(st.st_rdev), os.minor(st.st_rdev)


def mounts_of(dev):
    """Mount points whose source is this block device, from /proc/self/mountinfo (field 3 is major:minor), as
    libdm's dm_device_has_mounted_fs() looks them up."""
    try:
        key = "%d:%d" % dev_numbers(dev)
    except OSError:
        return []
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[2] == key:
                out.append(unescape(fields[4]))
    return out


def unescape(field):
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes (\\040)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def holders(dev):
    try:
        return os.listdir("/sys/block/%s/holders" % os.path.basename(dev))
    except OSError:
        return []


def in_use(lv):
    """lib/activate/activate.c lv_check_not_in_use(): "used by another device" (a holder in sysfs) or "contains a
    filesystem in use" (mounted); None when free."""
    dev = lv.get("dev")
    if not dev:
        return None
    if holders(dev):
        return "is used by another device"
    if mounts_of(dev):
        return "contains a filesystem in use"
    return None


def is_open(lv):
    return bool(lv.get("dev")) and bool(mounts_of(lv["dev"]) or holders(lv["dev"]))


def link_device(vg, name, dev):
    for path in (lv_path(vg, name), mapper_path(vg, name)):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(dev, path)


def unlink_device(vg, name):
    for path in (lv_path(vg, name), mapper_path(vg, name)):
        if os.path.lexists(path):
            os.unlink(path)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.join(devroot(), vg))  # udev drops /dev/<vg> with its last LV


@contextlib.contextmanager
def frozen(dev):
    """The origin's file system frozen (fsfreeze) while the snapshot is taken, as dm_suspend freezes it; an unmounted
    origin only has the block device's cache flushed."""
    points = mounts_of(dev)
    if not points:
        fd = os.open(dev, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        yield
        return
    subprocess.run(["fsfreeze", "-f", points[0]], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["fsfreeze", "-u", points[0]], check=True, capture_output=True)


# ---- operations (the tool's and the test world's) --------------------------------------------------------
def create_vg(name, size_mb, extent_sectors=EXTENT_SECTORS):
    """A volume group of size_mb (whole extents); no PV is modelled (the fake reports one)."""
    with locked_state() as s:
        if name in s["vgs"]:
            raise ValueError("volume group %s exists" % name)
        s["vgs"][name] = {"uuid": new_uuid(), "extent_size": extent_sectors,
                          "extent_count": size_mb * 2048 // extent_sectors, "tags": [], "lvs": {}}


def _image_for(vg, name, uuid):
    os.makedirs(images_dir(), exist_ok=True)
    return os.path.join(images_dir(), "%s-%s.img" % (dm_name(vg, name), uuid[:8]))


def _new_device(vg_name, name, image, read_only, make_image):
    """Make the image, attach it and link it; on any failure undo what was done and raise Failed."""
    dev = None
    try:
        make_image()
        dev = attach(image, read_only)
        link_device(vg_name, name, dev)
        return dev
    except (OSError, subprocess.CalledProcessError) as e:
        unlink_device(vg_name, name)
        if dev:
            detach(dev)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(image)
        detail = getattr(e, "stderr", None) or str(e)
        raise Failed("fake lvm: cannot back %s/%s: %s" % (vg_name, name, detail.strip()))


class Failed(Exception):
    """The backing (image, loop device, links) could not be made: the tool reports it and fails."""


def add_linear(state, vg_name, name, extents, tags=(), read_only=False):
    """A new linear LV of `extents`, zeroed (a new sparse image), active: returns its entry."""
    vg = state["vgs"][vg_name]
    uuid = new_uuid()
    image = _image_for(vg_name, name, uuid)
    sectors = extents * vg["extent_size"]

    def make_image():
        with open(image, "wb") as f:
            f.truncate(sectors * SECTOR)

    dev = _new_device(vg_name, name, image, read_only, make_image)
    state["seq"] = state.get("seq", 0) + 1
    lv = {"uuid": uuid, "extents": extents, "dev_sectors": sectors, "image": image, "dev": dev, "origin": None,
          "tags": list(tags), "read_only": read_only, "seq": state["seq"], "time": int(time.time())}
    vg["lvs"][name] = lv
    return lv


def add_snapshot(state, vg_name, origin, name, extents, chunk_sectors=DEFAULT_CHUNK_SECTORS, tags=(),
                 read_only=False):
    """A COW snapshot of `origin` with a COW area of `extents`: the origin's image cloned while it is frozen."""
    vg = state["vgs"][vg_name]
    src = vg["lvs"][origin]
    uuid = new_uuid()
    image = _image_for(vg_name, name, uuid)

    def make_image():
        with frozen(src["dev"]):
            subprocess.run(["cp", "--reflink=always", src["image"], image], check=True, capture_output=True,
                           text=True)

    dev = _new_device(vg_name, name, image, read_only, make_image)
    state["seq"] = state.get("seq", 0) + 1
    lv = {"uuid": uuid, "extents": extents, "dev_sectors": src["dev_sectors"], "image": image, "dev": dev,
          "origin": origin, "chunk_size": chunk_sectors, "percent": 0, "invalid": False, "tags": list(tags),
          "read_only": read_only, "seq": state["seq"], "time": int(time.time())}
    vg["lvs"][name] = lv
    return lv


def drop_lv(state, vg_name, name):
    """Deactivate (detach the loop device, drop the device links) and release the LV's image."""
    lv = state["vgs"][vg_name]["lvs"].pop(name)
    unlink_device(vg_name, name)
    if lv.get("dev"):
        detach(lv["dev"])
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lv["image"])


def set_snap_percent(vg, name, percent):
    """The test's word for how full the snapshot's COW area is (what dm-snapshot's status would say)."""
    with locked_state() as s:
        lv = s["vgs"][vg]["lvs"][name]
        if not lv.get("origin"):
            raise ValueError("%s/%s is not a snapshot" % (vg, name))
        lv["percent"] = make_percent(percent)


def invalidate(vg, name, io_errors=True):
    """The snapshot overflowed: dm-snapshot marks it invalid and fails all its I/O from then on. With io_errors the
    loop device's capacity drops to 0, so every read of a block not cached fails as it would."""
    with locked_state() as s:
        lv = s["vgs"][vg]["lvs"][name]
        if not lv.get("origin"):
            raise ValueError("%s/%s is not a snapshot" % (vg, name))
        lv["invalid"] = True
        lv["percent"] = PERCENT_100
        if io_errors and lv.get("dev"):
            with open(lv["image"], "r+b") as f:
                f.truncate(0)
            subprocess.run(["losetup", "--set-capacity", lv["dev"]], check=False, capture_output=True)


def make_percent(value):
    """libdm dm_make_percent() for a percentage given as a number: 0 and 100 exactly, anything else strictly
    between them."""
    p = int(round(float(value) * PERCENT_1))
    if p <= 0:
        return 0
    if p >= PERCENT_100:
        return PERCENT_100 if float(value) >= 100 else PERCENT_100 - 1
    return p
