# SPDX-License-Identifier: AGPL-3.0-or-later
"""A Virtuozzo 7 node for the tests: the fake prlctl/ploop (tests/fakes), real directories for /vz/private,
/vz/root and /mnt/bareos under a temp dir, real bind mounts, and a host configured to use them."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(os.path.dirname(HERE), "fakes")
sys.path.insert(0, FAKES)

import fakevz  # noqa: E402

UUID = "2d109ae4-5231-475f-bc44-5cabf5d8503b"
NAME = "testcustomer.testproject.q3arena"


class VzWorld:
    def __init__(self, work, attach=False):
        """Makes the node under `work`; with attach=True, stands for one an earlier process made there."""
        self.work = work
        self.state = os.path.join(work, "vzstate")
        self.private_root = os.path.join(work, "vz", "private")
        self.ct_root = os.path.join(work, "vz", "root")
        self.mount_root = os.path.join(work, "mnt", "bareos")
        self.config = os.path.join(work, "host.json")
        os.environ["FAKE_VZ_STATE"] = self.state
        self.prlctl_path, self.ploop_path = os.path.join(FAKES, "prlctl"), os.path.join(FAKES, "ploop")
        if attach:
            return
        os.makedirs(os.path.join(self.state, "fs"))
        image = os.path.join(self.state, "fs.img")
        with open(image, "wb") as f:
            f.truncate(2 << 30)  # sparse
        subprocess.run(["mkfs.btrfs", "-q", image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", image, os.path.join(self.state, "fs")], check=True)
        with open(self.config, "w") as f:
            json.dump({"Sources": {"Vz7": {
                "Prlctl": os.path.join(FAKES, "prlctl"), "Ploop": os.path.join(FAKES, "ploop"),
                "PrivateRoot": self.private_root, "CtRoot": self.ct_root, "MountRoot": self.mount_root,
                "CommandTimeoutSeconds": 60}}, "StateDirectory": os.path.join(work, "state")}, f)

    @property
    def env(self):
        return {"FAKE_VZ_STATE": self.state}

    def host_args(self):
        return ["--config", self.config]

    def create_ct(self, uuid=UUID, name=NAME, status="running", fill=None):
        """A container whose file system `fill(path)` creates (it must create the directory itself)."""
        dd = fakevz.create_ct(self.state, self.private_root, self.ct_root, uuid, name, "stopped")
        live = self.live(uuid)
        if fill is not None:  # filled elsewhere and copied in: the container's root is a subvolume
            staging = os.path.join(self.work, "staging")
            fill(staging)
            subprocess.run(["cp", "-a", staging + "/.", live], check=True)
            st = os.lstat(staging)
            os.chmod(live, st.st_mode & 0o7777)
            os.utime(live, ns=(st.st_atime_ns, st.st_mtime_ns))
            subprocess.run(["rm", "-rf", staging], check=True)
        if status == "running":
            self.prlctl("start", uuid)
        return dd

    def live(self, uuid=UUID):
        return fakevz.live_dir(self.dd(uuid))

    def dd(self, uuid=UUID):
        return os.path.join(self.private_root, uuid, "root.hdd", "DiskDescriptor.xml")

    def prlctl(self, *args, check=True):
        return subprocess.run([os.path.join(FAKES, "prlctl")] + list(args), capture_output=True, text=True, check=check,
                              env=dict(os.environ, FAKE_VZ_STATE=self.state))

    def ploop(self, *args, check=True):
        return subprocess.run([os.path.join(FAKES, "ploop")] + list(args), capture_output=True, text=True, check=check,
                              env=dict(os.environ, FAKE_VZ_STATE=self.state))

    def snapshots(self, uuid=UUID):
        """Snapshot rows of the container's image: (uuid, current)."""
        out = self.ploop("snapshot-list", self.dd(uuid)).stdout.splitlines()[1:]
        return [(line[41:79].strip("{}"), line[39] == "*") for line in out]

    def calls(self):
        path = os.path.join(self.state, "calls.log")
        return [json.loads(line) for line in open(path)] if os.path.exists(path) else []

    def clear_calls(self):
        path = os.path.join(self.state, "calls.log")
        if os.path.exists(path):
            os.remove(path)

    def fault(self, command, **fault):
        path = os.path.join(self.state, "faults.json")
        faults = json.load(open(path)) if os.path.exists(path) else {}
        faults[command] = fault
        json.dump(faults, open(path, "w"))

    def registered(self):
        with fakevz.locked_state() as s:
            return {g.strip("{}"): dict(ct) for g, ct in s["cts"].items()}

    def set_status(self, status, uuid=UUID):
        with fakevz.locked_state() as s:
            s["cts"]["{%s}" % uuid]["status"] = status

    def mounts(self):
        """Mount points inside the temp dir (the container roots we started, and anything left behind)."""
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        return sorted(p for p in points if p.startswith(self.work + "/"))

    def our_mounts(self):
        return [p for p in self.mounts() if p.startswith(self.mount_root + "/")]

    def teardown(self):
        for point in reversed(self.mounts()):
            subprocess.run(["umount", "-l", point], check=False)
