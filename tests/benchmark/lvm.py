# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=lvm against source=dir on the same tree: a logical volume (the fake LVM tools, tests/fakes/lvm; its ext4 file
system real, on a loop device) holding 20,000 small files (1 to 8 KiB, in nested directories) and one 1 GiB file,
mounted read-write at a live mount point. A Full job of `source=lvm` (snapshot, mounted read-only, walked, unmounted,
removed) and a Full job of `source=dir:path=<the live mount point>` through the FD driver with the shim into a host,
the data discarded (the driver's volume is /dev/null); files/s and MB/s of each, medians of --rounds, the two jobs'
order swapped every round. The page cache is dropped before every job (sync; echo 3 > /proc/sys/vm/drop_caches), so
both read from disk; the tree is read once before the first job (ext4's relatime writes each file's atime on its first
read, and only the origin is mounted read-write); the origin's and the snapshot's loop devices read ahead alike
(--read-ahead-kib). The snapshot's fixed cost (lvcreate + mount + umount + lvremove, as the host's log times each
command) is printed apart, and the read path of source=lvm is the job's wall time without it and the lvs lookups
around it: its ratio to source=dir must be 0.95 or more (the snapshot must cost nothing on the read path). The host
looks at the snapshot's fill every 10 s (Sources:Lvm:FillPollSeconds' default). Not a test: nothing passes or fails; a
row below its target is marked. Needs root (loop devices, mounts, drop_caches).
  /usr/bin/python3 tests/benchmark/lvm.py [--rounds N] [--files N] [--big-mib N] [--read-ahead-kib N]"""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "e2e"), os.path.join(ROOT, "tests", "fd-driver")]

from conftest import SHIM, Host, host_binary  # noqa: E402
from fd import FileDaemon  # noqa: E402
from lvmworld import LvmWorld  # noqa: E402

MiB = 1 << 20
SNAPSHOT_TOOLS = ("lvcreate", "mount", "umount", "lvremove")
EXITED = re.compile(r"ToolRunner: (\S+)[^\n]*? exited with \d+ after (\d+) ms")


def fill(files, big_mib):
    """The tree: `files` files of 1..8 KiB, 100 to a directory, 10 directories to a parent; one file of big_mib MiB."""
    def write(root):
        rnd = random.Random(1)
        for i in range(files):
            d = os.path.join(root, "tree", "d%02d" % (i // 1000), "e%d" % (i // 100 % 10))
            if i % 100 == 0:
                os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "f%05d.dat" % i), "wb") as f:
                f.write(os.urandom(rnd.randint(1024, 8192)))
        with open(os.path.join(root, "big.bin"), "wb") as f:
            for _ in range(big_mib):
                f.write(os.urandom(MiB))
    return write


def drop_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def read_all(root):
    for directory, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(directory, name), "rb") as f:
                while f.read(MiB):
                    pass


def set_read_ahead(device, kib):
    """A loop device's read-ahead (ext4 reads its files ahead by its block device's): the value it had."""
    path = "/sys/block/%s/queue/read_ahead_kb" % os.path.basename(os.path.realpath(device))
    with open(path) as f:
        before = int(f.read())
    with open(path, "w") as f:
        f.write("%d\n" % kib)
    return before


class SnapshotReadAhead(threading.Thread):
    """Gives the job's snapshot device the origin's read-ahead as soon as lvcreate links it, before the job mounts it
    (a loop device keeps the read-ahead a former user left on it: some here have 2560 KiB, a fresh one 128 KiB; LVM's
    snapshot and origin read ahead alike). found: the value it had; late: it was mounted already."""

    def __init__(self, links, kib):
        super().__init__(daemon=True)
        self.links, self.kib, self.done, self.found, self.late = links, kib, threading.Event(), None, False

    def run(self):
        while not self.done.is_set():
            names = [n for n in (os.listdir(self.links) if os.path.isdir(self.links) else []) if n.startswith("bp-")]
            if names:
                device = os.path.realpath(os.path.join(self.links, names[0]))
                self.found = set_read_ahead(device, self.kib)
                rdev = os.stat(device).st_rdev
                with open("/proc/self/mountinfo") as f:
                    self.late = any(line.split()[2] == "%d:%d" % (os.major(rdev), os.minor(rdev)) for line in f)
                return
            time.sleep(0.005)


def tool_runs(log_part):
    """The commands the host ran in a slice of its log, in order: [(basename, seconds), ...]."""
    return [(os.path.basename(program), int(ms) / 1000) for program, ms in EXITED.findall(log_part)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--files", type=int, default=20000)
    p.add_argument("--big-mib", type=int, default=1024)
    p.add_argument("--read-ahead-kib", type=int, default=128, help="of the origin's and the snapshot's loop devices")
    args = p.parse_args()
    if not os.path.exists(host_binary()):
        sys.exit("build first: dotnet build BackupPlugins.sln -c Release")
    work = tempfile.mkdtemp(prefix="bp-bench-lvm-")
    lvm = host = origin_read_ahead = None
    srv = os.path.join(work, "srv")
    try:
        lvm = LvmWorld(work)
        lv_mb = (args.big_mib + args.files * 12 // 1024 + 64) * 5 // 4  # data, ext4's blocks and inodes, some room
        lvm.create_vg("vg0", size_mb=lv_mb * 2)  # room for the snapshot's 20%ORIGIN
        device = lvm.create_lv("vg0", "data", size_mb=lv_mb, fs="ext4", fill=fill(args.files, args.big_mib))
        os.makedirs(srv)
        subprocess.run(["mount", device, srv], check=True)
        origin_read_ahead = set_read_ahead(device, args.read_ahead_kib)
        read_all(srv)  # untimed: relatime writes each file's atime on its first read, once, as on a volume in use
        host = Host(host_binary(), work, extra=["--config", lvm.host_config(work, fill_poll_seconds=10)]).start()
        jobs = {"dir": "source=dir:path=%s:socket=%s" % (srv, host.socket),
                "lvm": "source=lvm:vg=vg0:lv=data:socket=%s" % host.socket}
        figures = {k: {"wall": [], "read": [], "files": 0, "bytes": 0} for k in jobs}
        fixed, serial_costs, lookups, snapshot_read_ahead = [], [], [], []
        for round_ in range(args.rounds):
            for kind in (("dir", "lvm") if round_ % 2 == 0 else ("lvm", "dir")):  # neither always first
                fd = FileDaemon(os.path.join(work, "fd"), SHIM)
                drop_caches()
                offset = os.path.getsize(host.log)
                watch = SnapshotReadAhead(os.path.join(lvm.devroot, "vg0"), args.read_ahead_kib)
                if kind == "lvm":
                    watch.start()
                t = time.monotonic()
                jobid = fd.backup(jobs[kind], volume="/dev/null")
                wall = time.monotonic() - t
                if kind == "lvm":
                    watch.done.set()
                    watch.join()
                    assert watch.found is not None, "the snapshot's device was not seen"
                    snapshot_read_ahead.append("%d%s" % (watch.found, " (set after the mount)" if watch.late else ""))
                job = fd.job(jobid)
                assert job["status"] == "T", job["messages"]
                with open(host.log, errors="replace") as log:
                    log.seek(offset)
                    runs = tool_runs(log.read())
                fig = figures[kind]
                fig["files"] = len(job["files"])
                fig["bytes"] = sum(length for r in job["files"] for _, _, length in r["data"])
                fig["wall"].append(wall)
                if kind == "lvm":
                    names = [n for n, _ in runs]
                    missing = [t for t in SNAPSHOT_TOOLS if t not in names]
                    assert not missing, "no %s in the host's log" % missing
                    fixed.append(sum(s for n, s in runs if n in SNAPSHOT_TOOLS))
                    # before the walk: lookups, lvcreate, the lookup of the snapshot, mount; after it: umount, the
                    # lookup that checks it is ours, lvremove. The fill watch's looks in between stay in the read path.
                    serial = runs[:names.index("mount") + 1] + runs[names.index("umount"):]
                    lookups.append(sum(1 for n, _ in serial if n == "lvs"))
                    serial_costs.append(sum(s for _, s in serial))
                    fig["read"].append(wall - serial_costs[-1])
                else:
                    fig["read"].append(wall)
                shutil.rmtree(os.path.join(work, "fd"), ignore_errors=True)
        assert figures["dir"]["files"] == figures["lvm"]["files"], figures
        print("source=lvm against source=dir: %d files of 1..8 KiB and one %d MiB file on ext4 (%d entries, %.0f MB), "
              "medians of %d round(s), page cache dropped before every job"
              % (args.files, args.big_mib, figures["dir"]["files"], figures["dir"]["bytes"] / 1e6, args.rounds))
        print("%-44s %10s %10s %10s %8s" % ("", "seconds", "files/s", "MB/s", "ratio"))
        d = statistics.median(figures["dir"]["wall"])

        def row(label, seconds, kind, target=None):
            ratio = d / seconds
            mark = "" if target is None else ("  target >= %.2f" % target if ratio >= target else "  << below %.2f" % target)
            print("%-44s %10.2f %10.0f %10.1f %8.3f%s" % (label, seconds, figures[kind]["files"] / seconds,
                                                          figures[kind]["bytes"] / seconds / 1e6, ratio, mark))
        row("source=dir:path=<live mount point>", d, "dir")
        row("source=lvm, read path (job - snapshot cost)", statistics.median(figures["lvm"]["read"]), "lvm", 0.95)
        row("source=lvm, the whole job", statistics.median(figures["lvm"]["wall"]), "lvm")
        print("snapshot fixed cost (lvcreate + mount + umount + lvremove): %.2f s (median; every round: %s)"
              % (statistics.median(fixed), ", ".join("%.2f" % c for c in fixed)))
        print("  with the %d lvs lookups before and after the walk (the fake lvs is a Python program): %.2f s; the whole job"
              " minus these is the read path" % (max(lookups), statistics.median(serial_costs)))
        print("read-ahead of both loop devices %d KiB (they had: origin %d, the snapshot's %s)"
              % (args.read_ahead_kib, origin_read_ahead, ", ".join(snapshot_read_ahead)))
        print("every job: dir %s s, lvm %s s. Load average: %s"
              % (", ".join("%.2f" % w for w in figures["dir"]["wall"]), ", ".join("%.2f" % w for w in figures["lvm"]["wall"]),
                 open("/proc/loadavg").read().strip()))
    finally:
        if host:
            host.stop()
        if origin_read_ahead is not None:
            set_read_ahead(device, origin_read_ahead)  # as the loop device was
        subprocess.run(["umount", srv], check=False, capture_output=True)
        if lvm:
            lvm.teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
