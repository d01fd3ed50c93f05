#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""A Virtuozzo 7 node of fakes (tests/e2e/vzworld.py, the one implementation) for the C# real-Bareos tests:
  vz_cli.py make WORK            makes the node under WORK and a running container holding the restore-truth corpus;
                                 prints JSON: config (the host's), env (for the host: the fakes' state), uuid, name,
                                 mount_root, ct_root, live (the container's root as the fakes keep it)
  vz_cli.py compare WORK DIR     prints every difference between the container's tree at make time and DIR (its root
                                 entry aside); exits 1 if there is any
  vz_cli.py leftovers WORK       prints every mount, ploop snapshot (other than the current one) and mount point a job
                                 left behind; exits 1 if there is any
  vz_cli.py teardown WORK        unmounts everything under WORK
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from test_vz7_backup import corpus  # noqa: E402
from trees import diff, snapshot  # noqa: E402
from trees_cli import jsonable, report  # noqa: E402
from vzworld import NAME, UUID, VzWorld  # noqa: E402


def tree(path):
    return {k: v for k, v in jsonable(snapshot(path, with_root_times=False)).items() if k != "."}


def main(argv):
    command, work = argv[0], argv[1]
    if command == "make":
        vz = VzWorld(work)
        vz.create_ct(fill=corpus)
        with open(os.path.join(work, "expected.json"), "w") as f:
            json.dump(tree(vz.live()), f)
        json.dump({"config": vz.config, "env": vz.env, "uuid": UUID, "name": NAME, "mount_root": vz.mount_root,
                   "ct_root": vz.ct_root, "live": vz.live()}, sys.stdout)
        return 0
    vz = VzWorld(work, attach=True)
    if command == "compare":
        problems = diff(json.load(open(os.path.join(work, "expected.json"))), tree(argv[2]))
    elif command == "leftovers":
        problems = ["mounted: %s" % m for m in vz.our_mounts()]
        problems += ["snapshot: %s" % s for s, current in vz.snapshots() if not current]
        if os.path.exists(vz.mount_root):
            problems += ["mount point: %s" % p for p in os.listdir(vz.mount_root)]
    elif command == "teardown":
        vz.teardown()
        return 0
    else:
        sys.stderr.write(__doc__)
        return 2
    return report(problems)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
