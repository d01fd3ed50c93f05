#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The FD driver's side of the trace comparison: runs, through the module bareos-fd-bptrace, the same jobs the real
file daemon ran in TraceTests.cs, on a copy of the same tree, and leaves their calls in TRACE_DIR/<jobid>.jsonl:
  driver_trace.py SOCKET TREE WORK TRACE_DIR FLAGS_HEX
job 1: Full, Accurate on; then added.txt is written and small.txt rewritten (as the C# side does); job 2: Incremental
since job 1, Accurate on; job 3: restore of jobs 1 and 2 to WORK/restored."""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fd-driver"))
from fd import FileDaemon  # noqa: E402


def change(tree):
    """The change between the Full and the Incremental; TraceTests.cs makes the same one."""
    with open(os.path.join(tree, "added.txt"), "w") as f:
        f.write("added after the full\n")
    with open(os.path.join(tree, "small.txt"), "w") as f:
        f.write("rewritten after the full\n")


def main(socket, tree, work, trace_dir, flags):
    os.environ["BP_TRACE_DIR"] = trace_dir
    fd = FileDaemon(os.path.join(work, "fd"), HERE, module_name="bareos-fd-bptrace")
    definition = "source=dir:path=%s:socket=%s" % (tree, socket)
    full = fd.backup(definition, accurate=True, flags=flags)
    time.sleep(1.1)
    change(tree)
    incremental = fd.backup(definition, level="I", accurate=True, since_job=full, flags=flags)
    fd.restore([full, incremental], where=os.path.join(work, "restored"))
    for jobid in (full, incremental, 3):
        print(jobid, fd.job(jobid)["status"])


if __name__ == "__main__":
    main(*sys.argv[1:])
