#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""An LVM host of the fake LVM tools (tests/e2e/lvmworld.py, the one implementation) for the C# real-Bareos tests:
  lvm_cli.py make WORK            makes the world under WORK: a VG vg0 and an LV vg0/data (ext4, 320 MiB) holding the
                                  restore-truth corpus under corpus/ and a 4 MiB file big.bin, mounted read-write at
                                  WORK/srv (its live mount point); writes a host configuration (Sources:Lvm with the
                                  fakes, the journal under WORK/state); prints JSON: config (the host's), env (for the
                                  host: FAKE_LVM_STATE, FAKE_LVM_DEVROOT), srv, vg, lv, device
  lvm_cli.py change WORK          appends to srv/corpus/small.txt, a second and more after make (Bareos compares whole
                                  seconds)
  lvm_cli.py compare WORK DIR     prints every difference between WORK/srv as it is now and DIR (their root entries
                                  aside), bytes and attributes; exits 1 if there is any
  lvm_cli.py leftovers WORK       prints every snapshot LV, loop device (other than the LVs'), mount (other than the
                                  origin's own at WORK/srv) and journal entry a job left; exits 1 if there is any
  lvm_cli.py teardown WORK        unmounts WORK/srv and everything of the world, detaches its loop devices
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from lvmworld import FAKES, LvmWorld  # noqa: E402
from trees import diff, make_corpus, snapshot  # noqa: E402
from trees_cli import jsonable, report  # noqa: E402

VG, LV = "vg0", "data"


def fill(root):
    make_corpus(os.path.join(root, "corpus"))
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(4 << 20))


def tree(path):
    return {k: v for k, v in jsonable(snapshot(path, with_root_times=False)).items() if k != "."}


def attach(work):
    """The world make built under WORK (LvmWorld's constructor makes a new one)."""
    w = LvmWorld.__new__(LvmWorld)
    w.work, w.root = work, os.path.join(work, "lvm")
    w.state, w.devroot, w.bin = os.path.join(w.root, "state"), os.path.join(w.root, "dev"), FAKES
    w.fs_image = os.path.join(w.root, "state.img")
    os.environ["FAKE_LVM_STATE"], os.environ["FAKE_LVM_DEVROOT"] = w.state, w.devroot
    return w


def main(argv):
    command, work = argv[0], argv[1]
    srv = os.path.join(work, "srv")
    if command == "make":
        os.makedirs(work, exist_ok=True)
        w = LvmWorld(work)
        w.create_vg(VG)
        device = w.create_lv(VG, LV, size_mb=320, fs="ext4", fill=fill)
        os.makedirs(srv)
        subprocess.run(["mount", device, srv], check=True)
        time.sleep(1.1)  # Bareos compares whole seconds: nothing may change in the second the Full starts
        json.dump({"config": w.host_config(work), "env": {"FAKE_LVM_STATE": w.state, "FAKE_LVM_DEVROOT": w.devroot},
                   "srv": srv, "vg": VG, "lv": LV, "device": device}, sys.stdout)
        return 0
    if command == "teardown":
        subprocess.run(["umount", srv], check=False, capture_output=True)
        if os.path.isdir(os.path.join(work, "lvm", "state")):
            attach(work).teardown()
        return 0
    w = attach(work)
    if command == "change":
        time.sleep(1.1)  # after the Full's second
        with open(os.path.join(srv, "corpus", "small.txt"), "ab") as f:
            f.write(b"changed after the full\n")
        return 0
    if command == "compare":
        problems = diff(tree(srv), tree(argv[2]))
    elif command == "leftovers":
        left = w.leftovers()
        problems = ["snapshot: %s" % s for s in left["snapshots"]]
        problems += ["loop device: %s" % d for d in left["loop_devices"]]
        problems += ["mounted: %s" % p for p in left["mounts"] if p != srv]
        journal = os.path.join(work, "state", "journal")
        problems += ["journal: %s" % n for n in (os.listdir(journal) if os.path.isdir(journal) else [])]
    else:
        sys.stderr.write(__doc__)
        return 2
    return report(problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
