# SPDX-License-Identifier: AGPL-3.0-or-later
"""An LVM host for the tests: the fake lvcreate/lvs/lvremove/vgs (tests/fakes/lvm), their state on a btrfs file system
(a loop-mounted sparse image, so an LV snapshot is an instant reflink copy), LVs holding real ext4/XFS file systems
on loop devices, and device links under <work>/lvm/dev instead of /dev."""
import contextlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(os.path.dirname(HERE), "fakes", "lvm")
sys.path.insert(0, FAKES)

from lvmfake import store  # noqa: E402

MKFS = {"ext4": ["mkfs.ext4", "-q", "-F"], "xfs": ["mkfs.xfs", "-q", "-f"]}


class LvmWorld:
    def __init__(self, work):
        self.work = work
        self.root = os.path.join(work, "lvm")
        self.state = os.path.join(self.root, "state")
        self.devroot = os.path.join(self.root, "dev")
        self.bin = FAKES  # put first on PATH, or pass <bin>/lvcreate etc. as tool paths
        os.makedirs(self.state)
        os.makedirs(self.devroot)
        self.fs_image = os.path.join(self.root, "state.img")
        with open(self.fs_image, "wb") as f:
            f.truncate(4 << 30)  # sparse
        subprocess.run(["mkfs.btrfs", "-q", self.fs_image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", self.fs_image, self.state], check=True)
        os.environ["FAKE_LVM_STATE"] = self.state
        os.environ["FAKE_LVM_DEVROOT"] = self.devroot

    @property
    def env(self):
        return {"FAKE_LVM_STATE": self.state, "FAKE_LVM_DEVROOT": self.devroot,
                "PATH": self.bin + os.pathsep + os.environ.get("PATH", "")}

    def host_config(self, directory, fill_poll_seconds=1):
        """A host configuration (its path) whose Sources:Lvm uses the fake tools, the device links under <root>/dev,
        mounts under <root>/mnt, and looks at a snapshot's fill every fill_poll_seconds; the journal under
        <directory>/state."""
        path = os.path.join(directory, "lvm-host.json")
        with open(path, "w") as f:
            json.dump({"StateDirectory": os.path.join(directory, "state"), "Sources": {"Lvm": {
                "Lvcreate": self.tool("lvcreate"), "Lvs": self.tool("lvs"), "Lvremove": self.tool("lvremove"),
                "DeviceRoot": self.devroot, "MountRoot": os.path.join(self.root, "mnt"),
                "FillPollSeconds": fill_poll_seconds}}}, f)
        return path

    def tool(self, name):
        return os.path.join(self.bin, name)

    def run(self, *argv, stdin=None):
        """Runs a fake tool by name (argv[0] "lvcreate", "lvs", ..., or "lvm"): (exit code, stdout, stderr)."""
        r = subprocess.run([self.tool(argv[0])] + list(argv[1:]), capture_output=True, text=True,
                           input=stdin if stdin is not None else "", env=dict(os.environ, **self.env))
        return r.returncode, r.stdout, r.stderr

    # ---- volumes -----------------------------------------------------------------------------------------
    def create_vg(self, name, size_mb=2048):
        store.create_vg(name, size_mb)

    def create_lv(self, vg, lv, size_mb=256, fs="ext4", fill=None):
        """A linear LV of size_mb (whole 4 MiB extents) holding a new file system (fs "ext4", "xfs" or None: left
        zeroed); fill(mountpoint) writes its content (it is mounted at a temp dir meanwhile). XFS needs 300 MiB or
        more (mkfs.xfs refuses smaller file systems). Returns the LV's device path."""
        with store.locked_state() as s:
            extents = -(-size_mb * 2048 // s["vgs"][vg]["extent_size"])
            if lv in s["vgs"][vg]["lvs"] or extents > store.vg_free_extents(s["vgs"][vg]):
                raise ValueError("%s/%s exists or does not fit" % (vg, lv))
            lvinfo = store.add_linear(s, vg, lv, extents)
        dev = lvinfo["dev"]
        if fs is not None:
            subprocess.run(MKFS[fs] + [dev], check=True, capture_output=True)
            if fill is not None:
                with self._mounted(dev, []) as point:
                    fill(point)
        return store.lv_path(vg, lv)

    @contextlib.contextmanager
    def _mounted(self, dev, options):
        point = tempfile.mkdtemp(prefix="mnt-", dir=self.root)
        subprocess.run(["mount"] + (["-o", ",".join(options)] if options else []) + [dev, point], check=True)
        try:
            yield point
        finally:
            subprocess.run(["umount", point], check=True)
            os.rmdir(point)

    @contextlib.contextmanager
    def origin_mount(self, vg, lv):
        """The LV mounted read-write at a temp dir for the length of the block (changes between runs)."""
        with self._mounted(self.lv_path(vg, lv), []) as point:
            yield point

    @contextlib.contextmanager
    def mount(self, vg, lv, *options):
        """The LV mounted with `options` (e.g. "ro", "noload") for the length of the block."""
        with self._mounted(self.lv_path(vg, lv), list(options)) as point:
            yield point

    def lv_path(self, vg, lv):
        return store.lv_path(vg, lv)

    def loop_device(self, vg, lv):
        return os.path.realpath(self.lv_path(vg, lv))

    # ---- what the test drives ----------------------------------------------------------------------------
    @staticmethod
    def set_snap_percent(vg, lv, percent):
        store.set_snap_percent(vg, lv, percent)

    @staticmethod
    def invalidate(vg, lv, io_errors=True):
        store.invalidate(vg, lv, io_errors)

    def fault(self, tool, exit, stderr, times=1, **more):
        path = os.path.join(self.state, "faults.json")
        faults = json.load(open(path)) if os.path.exists(path) else {}
        faults[tool] = dict({"exit": exit, "stderr": stderr, "times": times}, **more)
        store.write_json(path, faults)

    # ---- what the test looks at --------------------------------------------------------------------------
    def lvs(self):
        """The fake's state: {"vg/lv": entry} (entry: extents, dev, origin, percent, invalid, ...)."""
        with store.locked_state(shared=True) as s:
            return {"%s/%s" % (vg, name): dict(lv) for vg, v in s["vgs"].items() for name, lv in v["lvs"].items()}

    def vgs(self):
        with store.locked_state(shared=True) as s:
            return {name: {"extent_count": v["extent_count"], "free": store.vg_free_extents(v)}
                    for name, v in s["vgs"].items()}

    def calls(self):
        path = os.path.join(self.state, "calls.jsonl")
        return [json.loads(line) for line in open(path)] if os.path.exists(path) else []

    def clear_calls(self):
        path = os.path.join(self.state, "calls.jsonl")
        if os.path.exists(path):
            os.remove(path)

    def our_loop_devices(self):
        """Loop devices attached to an image in this world's state (whatever the state file says)."""
        out = []
        for name in sorted(os.listdir("/sys/block")):
            if name.startswith("loop"):
                backing = store.backing_file("/dev/" + name) or ""
                if backing.startswith(self.state + "/"):
                    out.append("/dev/" + name)
        return out

    def mounts(self):
        """Mount points under <work>/lvm (but its state file system), and mounts of our LVs wherever they are."""
        devs = set()
        for dev in self.our_loop_devices():
            with contextlib.suppress(OSError):
                devs.add("%d:%d" % store.dev_numbers(dev))
        points = []
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                point = store.unescape(fields[4])
                if (point.startswith(self.root + "/") and point != self.state) or fields[2] in devs:
                    points.append(point)
        return points

    def leftovers(self):
        """What a finished job must not leave behind: snapshots, loop devices other than those of the (non-snapshot)
        LVs, and mounts (see mounts())."""
        lvs = self.lvs()
        expected = {lv["dev"] for lv in lvs.values() if not lv.get("origin")}
        return {"snapshots": sorted(k for k, lv in lvs.items() if lv.get("origin")),
                "loop_devices": [d for d in self.our_loop_devices() if d not in expected],
                "mounts": self.mounts()}

    def teardown(self):
        """Unmounts what mounts() lists, detaches every loop device backed by an image in this world's state (and no
        other), and unmounts the state's btrfs (whose loop device goes with it)."""
        for point in reversed(self.mounts()):
            subprocess.run(["umount", "-l", point], check=False, capture_output=True)
        for dev in self.our_loop_devices():
            store.detach(dev)
        subprocess.run(["umount", "-l", self.state], check=False, capture_output=True)
