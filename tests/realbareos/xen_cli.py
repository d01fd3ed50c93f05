#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A XenServer pool of the XAPI fake (tests/e2e/xapiworld.py, the one implementation) for the C# tests:
  xen_cli.py make WORK        makes a pool under WORK (master "xcp-host1" at 127.0.0.1, a slave "xcp-host2" served on
                              127.0.0.2 at the same port, a 64 GiB SR, a network) with VMs "web" (running; a 64 MiB boot
                              disk and a 16 MiB second disk holding data, a VIF), "db" (halted) and one with an odd name;
                              starts the master and the slave; writes a host configuration for them (Sources:Xen, a
                              0600 password file, the journal under WORK/state); prints JSON: url, unix_socket,
                              password, slave_url, vms {name: uuid}, config (the host's), env ({})
  xen_cli.py disks WORK NAME  prints the SHA-256 of each disk of the VM named NAME (not a snapshot) as a JSON list
  xen_cli.py leftovers WORK   prints every snapshot and journal entry a job left; exits 1 if there is any
  xen_cli.py vms WORK         prints every VM as JSON: [{uuid, name, snapshot, snapshot_of, power_state, blocked}], and
                              the number of VDIs as {"vdis": N} on a second line
  xen_cli.py teardown WORK    stops the fakes
"""
import hashlib
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from xapiworld import XapiWorld  # noqa: E402



def main(argv):
    command, work = argv[0], argv[1]
    w = XapiWorld(work)
    if command == "make":
        os.makedirs(work, exist_ok=True)
        vms = w.standard_pool()
        w.start()
        slave = w.start_slave(bind="127.0.0.2")
        with open(os.path.join(work, "pids"), "w") as f:
            f.write("%d %d\n" % (w.proc.pid, slave.proc.pid))
        config = w.host_config(work)
        json.dump({"url": w.url, "unix_socket": w.unix_socket, "password": w.password, "slave_url": slave.url,
                   "vms": {name: w.record("VM", ref)["uuid"] for name, ref in vms.items()}, "config": config, "env": {}},
                  sys.stdout)
        return 0
    if command == "disks":
        [ref] = [r for r, v in w.records("VM").items() if v["name_label"] == argv[2] and not v["is_a_snapshot"]]
        json.dump([hashlib.sha256(w.vdi_bytes(v)).hexdigest() for v in w.vm_vdis(ref)], sys.stdout)
        return 0
    if command == "leftovers":
        problems = ["snapshot: %s" % r["name_label"] for r in w.records("VM").values() if r["is_a_snapshot"]]
        journal = os.path.join(work, "state", "journal")
        problems += ["journal: %s" % n for n in (os.listdir(journal) if os.path.isdir(journal) else [])]
        for p in problems:
            print(p)
        return 1 if problems else 0
    if command == "vms":
        refs = {ref: r["uuid"] for ref, r in w.records("VM").items()}
        json.dump([{"uuid": r["uuid"], "name": r["name_label"], "snapshot": r["is_a_snapshot"],
                    "snapshot_of": refs.get(r["snapshot_of"]), "power_state": r["power_state"],
                    "blocked": r["blocked_operations"]} for r in w.records("VM").values()], sys.stdout)
        print()
        json.dump({"vdis": len(w.vdis())}, sys.stdout)
        return 0
    if command == "teardown":
        path = os.path.join(work, "pids")
        for pid in (open(path).read().split() if os.path.exists(path) else []):
            try:
                os.killpg(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
