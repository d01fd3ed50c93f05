# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's CPU per entry for a backup of N small files, driven as python3-fd drives it.

    /usr/bin/python3 tests/benchmark/shim_cost.py [--files 20000] [--runs 3] [--incremental] [--profile] [--driver]

A real host walks a tree of N files of 0.5-4 KiB (path data path, io-in-core). Two measurements, both CPU time of
the file daemon's thread (waiting for the host is not counted; the host's CPU is read from /proc):

A. The shim alone: a file daemon's loop in this process (fd_loop.py) with Bareos 25.1's own bareosfd packet types,
   timed as a whole, less the loop's own cost (the same loop with a plugin that does nothing). The headline figure.
   --profile adds cProfile of this loop by function (inflated by the profiler: read the shares, not the µs).
B. With --driver (or without Bareos's module), through the FD driver (a sub-interpreter per job, as python3-fd): this
   thread's CPU inside every callback
   (time.thread_time_ns, less the clock's own cost, which is large here), by callback; the driver's own work (reading
   the data, its records) is outside. Its fake StatPacket gives way to a plain one (fdcore.PlainStatPacket).
--incremental adds an Incremental with nothing changed after the Full, in both.
Measure CPU, not wall time: the machine is shared.
"""
import argparse
import os
import pstats
import random
import shutil
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "fd-driver"), os.path.join(ROOT, "tests", "e2e")]

from conftest import SHIM, Host, host_binary  # noqa: E402
from fd import FileDaemon  # noqa: E402

import fd_loop  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def make_tree(root, n, seed=7):
    rng = random.Random(seed)
    for i in range(n):
        d = os.path.join(root, "d%03d" % (i // 1000))
        if i % 1000 == 0:
            os.makedirs(d)
        with open(os.path.join(d, "f%06d" % i), "wb") as f:
            f.write(b"x" * rng.randint(512, 4096))


def process_cpu(pid):
    """utime + stime of a process in seconds (clock ticks)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def shim_figures(result):
    """µs per entry: the shim's callbacks, by callback, and the driver's own cost, from one job's callback_cpu."""
    cpu = result["callback_cpu"]
    entries = len(result["files"])
    over = cpu["overhead_ns_per_call"]
    by_callback = {name: max(0.0, ns - count * over) for name, (count, ns, _) in cpu["callbacks"].items()}
    waited = sum(wait for _, _, wait in cpu["callbacks"].values())
    shim = sum(by_callback.values())
    driver = cpu["job_cpu_ns"] - sum(ns for _, ns, _ in cpu["callbacks"].values())
    return {"entries": entries, "waited_s": waited / 1e9, "shim_us": shim / entries / 1e3, "driver_us": driver / entries / 1e3,
            "calls_per_entry": cpu["calls"] / entries, "clock_ns": over,
            "by_callback": {k: v / entries / 1e3 for k, v in sorted(by_callback.items(), key=lambda kv: -kv[1])}}


def run_job(d, host, tree, level="F", since_job=None, **extra):
    host_before = process_cpu(host.proc.pid)
    started = time.perf_counter()
    job = d.backup("source=dir:path=%s:socket=%s" % (tree, host.socket), level=level, since_job=since_job,
                   volume="/dev/null", record_calls=False, **extra)
    wall = time.perf_counter() - started
    result = d.job(job)
    assert result["status"] == "T", result["messages"][:5]
    return job, result, wall, process_cpu(host.proc.pid) - host_before


def shim_alone(host, tree, runs, incremental, profile):
    """Measurement A: `runs` Fulls (and unchanged Incrementals) through fd_loop.backup; the best is reported."""
    real = fd_loop.real_bareosfd()
    if real is None:
        print("\nA. The shim alone: skipped (no Bareos 25.1 bareosfd module: see fd_loop.real_bareosfd)")
        return False
    sys.path.insert(0, SHIM)
    from backupplugins_shim.entry import install
    definition = "source=dir:path=%s:socket=%s:" % (tree, host.socket)
    since = int(time.time())

    def job(level="F", plugin=None, fd=None):
        values = fd_loop.job_values(real, level, since)
        fd = fd or fd_loop.fd_module(real, values)
        if plugin is None:
            plugin = {}
            install(plugin, fd)  # what bareos-fd-backupplugins.py does in a job's fresh interpreter
        host_before = process_cpu(host.proc.pid)
        entries, cpu = fd_loop.backup(plugin, fd, definition, values, level, since)
        return entries, cpu, process_cpu(host.proc.pid) - host_before

    def loop_cost(n, level):
        values = fd_loop.job_values(real, level, since)
        fd = fd_loop.fd_module(real, values)
        old = 0 if level == "I" else since
        stat = real.StatPacket(mode=0o100644, size=1000, mtime=old, ctime=old)
        return min(job(level, fd_loop.null_plugin(fd, n, stat), fd)[1] for _ in range(3)) / n

    def report(what, level, results):
        n = results[0][0]
        loop = loop_cost(n, level)
        cpu = [c / n - loop for _, c, _ in results]
        print("  %-21s %7.2f µs/entry   (runs: %s; the loop's own %.2f µs taken out; host %.1f µs/entry)"
              % (what, min(cpu) * 1e6, ", ".join("%.2f" % (c * 1e6) for c in cpu), loop * 1e6,
                 min(h for _, _, h in results) / n * 1e6))
        return n

    print("\nA. The shim alone, Bareos 25.1's packet types (%s)" % time.strftime("%Y-%m-%d %H:%M"))
    job()  # warm-up, not counted: the host's first job compiles its code, the tree comes into the caches
    n = report("Full", "F", [job() for _ in range(runs)])
    if incremental:
        report("unchanged Incremental", "I", [job("I") for _ in range(runs)])
    print("  (%d entries)" % n)
    if profile:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
        job()
        prof.disable()
        path = os.path.join(os.path.dirname(tree), "shim.prof")
        prof.dump_stats(path)
        print_profile(path, n)
    return True


def print_profile(path, entries, top=25):
    stats = pstats.Stats(path)
    total = stats.total_tt
    print("\n  cProfile of a Full through the loop (%d entries; profiler-inflated total %.1f µs/entry, loop included), by"
          "\n  own time (wall clock: a socket's recv includes the wait for the host):" % (entries, total / entries * 1e6))
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (filename, line, func), (cc, nc, tt, ct, _) in rows:
        where = "%s:%d" % (os.path.relpath(filename, ROOT) if filename.startswith(ROOT) else os.path.basename(filename), line)
        print("    %5.1f %%  %6.2f calls/entry  %-32s %s" % (100 * tt / total, nc / entries, func[:32], where))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3, help="Full jobs; the best (least shim CPU) is reported")
    ap.add_argument("--dir", default="/var/tmp")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--incremental", action="store_true")
    ap.add_argument("--driver", action="store_true", help="measurement B too")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bp-shimcost-", dir=a.dir)
    host = Host(host_binary(), work).start()
    try:
        tree = os.path.join(work, "small")
        make_tree(tree, a.files)
        time.sleep(1.1)  # every file's times lie before the Full's start second (an Incremental finds nothing)
        if shim_alone(host, tree, a.runs, a.incremental, a.profile) and not a.driver:
            return
        d = FileDaemon(os.path.join(work, "fd"), SHIM)
        runs = []
        for _ in range(a.runs):
            job, result, wall, host_cpu = run_job(d, host, tree, callback_cpu=True)
            runs.append((shim_figures(result), wall, host_cpu, job))
        fig, wall, host_cpu, full = min(runs, key=lambda r: r[0]["shim_us"])
        n = fig["entries"]
        print("\nB. Through the FD driver, Full of %d small files (%d entries), best of %d" % (a.files, n, a.runs))
        print("  shim callbacks        %7.2f µs/entry   (all runs: %s)" % (fig["shim_us"], ", ".join("%.2f" % r[0]["shim_us"] for r in runs)))
        for name, us in fig["by_callback"].items():
            print("    %-20s %7.2f" % (name, us))
        print("  callbacks per entry   %7.2f          (the clock's own %.0f ns per callback taken out)" % (fig["calls_per_entry"], fig["clock_ns"]))
        print("  FD driver's own work  %7.2f µs/entry   (outside the callbacks: reads, records)" % fig["driver_us"])
        print("  host CPU              %7.2f µs/entry   (whole job, /proc)" % (host_cpu / n * 1e6))
        print("  in callbacks, not CPU %7.2f s          (waiting for the host)" % fig["waited_s"])
        print("  whole job wall        %7.2f s          (shared machine: indicative only)" % wall)
        if a.incremental:
            incremental(d, host, tree, full, n)
    finally:
        host.stop()
        shutil.rmtree(work, ignore_errors=True)


def incremental(d, host, tree, full, n):
    _, result, wall, host_cpu = run_job(d, host, tree, level="I", since_job=full, callback_cpu=True)
    fig = shim_figures(result)
    changed = sum(1 for f in result["files"] if f["type"] not in (10, 11))
    print("\nB. Through the FD driver, Incremental with nothing changed (%d entries, %d saved)" % (fig["entries"], changed))
    print("  shim callbacks        %7.2f µs/entry" % fig["shim_us"])
    for name, us in fig["by_callback"].items():
        print("    %-20s %7.2f" % (name, us))
    print("  FD driver's own work  %7.2f µs/entry" % fig["driver_us"])
    print("  host CPU              %7.2f µs/entry   (%.2f s)" % (host_cpu / n * 1e6, host_cpu))
    print("  in callbacks, not CPU %7.2f s          (waiting for the host)" % fig["waited_s"])
    print("  whole job wall        %7.2f s" % wall)


if __name__ == "__main__":
    main()
