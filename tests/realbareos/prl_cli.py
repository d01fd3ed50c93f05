#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A Virtuozzo 7 node with a virtual machine (tests/e2e/prlworld.py: the fake prlctl, bundles on btrfs) for the C#
real-Bareos tests:
  prl_cli.py make WORK               makes the node under WORK and a running VM whose bundle holds data in a sparse disk
                                     image and the restore-truth corpus; prints JSON: config (the host's), env (for the
                                     host: the fake's state), uuid, name, home (the bundle), vm_root
  prl_cli.py write WORK              writes into the VM's disk image (the VM ran on), and records the bundle as now
  prl_cli.py compare WORK DIR [NAME…] prints every difference between the bundle at make time and DIR (its root entry and
                                     the NAMEs aside); exits 1 if there is any
  prl_cli.py vms WORK                prints the registered VMs as JSON: {uuid: {name, status, home}}
  prl_cli.py leftovers WORK          prints what a job left: the VM not running, a snapshot, a clone, a journal entry;
                                     exits 1 if there is any
  prl_cli.py teardown WORK           unmounts everything under WORK
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from prlworld import VM_NAME, VM_UUID, PrlWorld, fill_bundle, image  # noqa: E402
from trees import diff, snapshot  # noqa: E402
from trees_cli import jsonable, report  # noqa: E402


def tree(path, skip=()):
    return {k: v for k, v in jsonable(snapshot(path, with_root_times=False)).items() if k != "." and k not in skip}


def main(argv):
    command, work = argv[0], argv[1]
    if command == "make":
        prl = PrlWorld(work)
        home = prl.create_vm(status="running", uptime=3600, disk_mb=64)
        fill_bundle(home)
        with open(os.path.join(work, "expected.json"), "w") as f:
            json.dump(tree(home), f)
        json.dump({"config": prl.config, "env": prl.env, "uuid": VM_UUID, "name": VM_NAME, "home": home,
                   "vm_root": prl.vm_root}, sys.stdout)
        return 0
    prl = PrlWorld(work, attach=True)
    if command == "write":
        home = prl.vm(VM_UUID)["home"].rstrip("/")
        with open(image(home), "r+b") as f:
            f.seek(8 << 20)
            f.write(b"written after the full")
        with open(os.path.join(work, "expected.json"), "w") as f:
            json.dump(tree(home), f)
        return 0
    if command == "compare":
        skip = set(argv[3:])
        expected = {k: v for k, v in json.load(open(os.path.join(work, "expected.json"))).items() if k not in skip}
        problems = diff(expected, tree(argv[2], skip))
    elif command == "vms":
        json.dump({u: {k: vm[k] for k in ("name", "status", "home")} for u, vm in prl.vms().items()}, sys.stdout)
        return 0
    elif command == "leftovers":
        vm = prl.vm(VM_UUID)
        problems = [] if vm["status"] == "running" else ["VM %s is %s" % (VM_UUID, vm["status"])]
        problems += ["snapshot: %s" % s["id"] for s in vm["snapshots"]]
        problems += ["clone: %s" % n for n in os.listdir(prl.vm_root) if n.startswith(".bp-clone-")]
        journal = os.path.join(work, "state", "journal")
        problems += ["journal: %s" % n for n in (os.listdir(journal) if os.path.isdir(journal) else [])]
    elif command == "teardown":
        prl.teardown()
        return 0
    else:
        sys.stderr.write(__doc__)
        return 2
    return report(problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
