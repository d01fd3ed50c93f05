# SPDX-License-Identifier: AGPL-3.0-or-later
"""A Virtuozzo 7 node with virtual machines for the tests: the VzWorld (fake prlctl/ploop, containers) plus a btrfs
file system (a loop-mounted sparse image, so reflink copies work) at <work>/vz/vmprivate holding VM bundles
"<name>.pvm/" made by `create_vm` and registered with the fake prlctl (tests/fakes/prlvm.py)."""
import glob
import json
import os
import subprocess
import time

from vzworld import FAKES, VzWorld  # noqa: F401  (FAKES: sys.path holds the fakes from here on)

import prlvm  # noqa: E402
from trees import make_corpus  # noqa: E402

VM_UUID = "6a0e1b52-3f1d-4c3e-9d8e-1f2a3b4c5d6e"
VM_NAME = "Windows 10 \"Büro\" $HOME"  # spaces, quotes and a dollar: the names a real host allows


def image(home):
    """The disk image of a bundle made by `create_vm`."""
    return glob.glob(os.path.join(home, "harddisk.hdd", "*.hds"))[0]


def fill_bundle(home):
    """What a VM's bundle holds besides config.pvs: data in its sparse disk image, and every entry type (the
    restore-truth corpus) in a folder of its own. Its ctimes end up older than a backup started after this."""
    with open(image(home), "r+b") as f:
        f.seek(1 << 20)
        f.write(os.urandom(1 << 20))
        f.seek(40 << 20)
        f.write(b"tail")
    make_corpus(os.path.join(home, "extra"))
    time.sleep(1.1)


class PrlWorld(VzWorld):
    def __init__(self, work, attach=False):
        super().__init__(work, attach)
        self.vm_root = os.path.join(work, "vz", "vmprivate")
        if attach:
            return
        os.makedirs(self.vm_root)
        image = os.path.join(work, "vmfs.img")
        with open(image, "wb") as f:
            f.truncate(1 << 30)  # sparse
        subprocess.run(["mkfs.btrfs", "-q", image], check=True, capture_output=True)
        subprocess.run(["mount", "-o", "loop", image, self.vm_root], check=True)
        with open(self.config) as f:
            config = json.load(f)
        config["Sources"]["Parallels"] = {"Prlctl": self.prlctl_path, "CommandTimeoutSeconds": 60}
        with open(self.config, "w") as f:
            json.dump(config, f)

    def create_vm(self, uuid=VM_UUID, name=VM_NAME, status="stopped", uptime=0, disk_mb=65536, home=None, **kw):
        """A registered VM whose bundle is <vm_root>/<name>.pvm/ (or `home`); returns the bundle path (no slash)."""
        home = home or os.path.join(self.vm_root, name + ".pvm")
        prlvm.create_vm(self.state, home, uuid, name, status, uptime, disk_mb=disk_mb, **kw)
        return home

    def vms(self):
        """Registered VMs by UUID without braces, with their uptime as `prlctl list -i` would show it now."""
        with prlvm.vz.locked_state() as s:
            return {g.strip("{}"): dict(vm, uptime_now=prlvm.uptime(s, vm)) for g, vm in s["vms"].items()}

    def vm(self, uuid=VM_UUID):
        return self.vms()[uuid]

    @staticmethod
    def advance_uptime(seconds, uuid=VM_UUID):
        prlvm.advance_uptime(uuid, seconds)

    @staticmethod
    def freeze_clock(epoch):
        prlvm.freeze_clock(epoch)

    @staticmethod
    def tick(seconds):
        prlvm.tick(seconds)

    @staticmethod
    def set_vm_status(status, uuid=VM_UUID):
        prlvm.set_vm_status(uuid, status)
