# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=xen: a VM with a 1 GiB disk (full of data) exported by the XAPI fake and streamed through the host into a
file daemon, against reading the same export from the fake with curl into /dev/null (the fake's own pace, the ceiling);
and the host's resident memory sampled during the stream (it must stay flat: the export is never staged). The fake runs
on CPU 0 and everything else on CPU 1, as XAPI runs on another machine than the file daemon; the FD driver discards the
data (its volume is /dev/null) as curl does. Not a test: nothing passes or fails; a row below its target is marked.
  /usr/bin/python3 tests/benchmark/xen.py [--rounds N] [--mib N]"""
import argparse
import json
import os
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
from xapiworld import XapiWorld  # noqa: E402

MiB = 1 << 20


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def cpu_seconds(pid):
    """User and system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--mib", type=int, default=1024)
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="bp-bench-xen-")
    xen = XapiWorld(os.path.join(work, "pool"))
    os.makedirs(xen.work, exist_ok=True)
    xen.create_pool(address="127.0.0.1")
    sr = xen.add_sr(size=16 << 30)
    vm = xen.add_vm("big", power_state="Halted", disks=[xen.disk(sr, args.mib * MiB)])  # curl can export it as it is (XAPI refuses a running VM)
    [vdi] = xen.vm_vdis(vm)
    with open(xen.vdi_path(vdi), "r+b") as f:  # every chunk holds data: the export is as large as the disk
        for _ in range(args.mib):
            f.write(os.urandom(MiB))
    xen.start()
    if os.cpu_count() >= 2:
        # XAPI runs on the Xen host, not beside the file daemon: the fake gets a CPU of its own, and curl, the host and
        # the FD driver (this process) share the other one, so that the fake's pace is the same for both readers
        os.sched_setaffinity(xen.proc.pid, {0})
        os.sched_setaffinity(0, {1})
    config = xen.host_config(work)
    host = Host(host_binary(), work, extra=["--config", config]).start()
    try:
        curl, ours, whole, peaks, sizes, cpu = [], [], [], [], [], []
        for _ in range(args.rounds):
            session = subprocess.run(["curl", "-s", "-X", "POST", xen.url + "/jsonrpc", "-H", "Content-Type: application/json", "-d",
                                      json.dumps({"jsonrpc": "2.0", "method": "session.login_with_password",
                                                  "params": ["root", xen.password, "1.0", "bench"], "id": 1})],
                                     capture_output=True, text=True, check=True)
            ref = json.loads(session.stdout)["result"]
            uuid = xen.vm(vm)["uuid"]
            t = time.monotonic()
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}",
                                  "%s/export?session_id=%s&uuid=%s" % (xen.url, ref, uuid)], capture_output=True, text=True, check=True)
            curl.append(int(out.stdout) / MiB / (time.monotonic() - t))
            fd = FileDaemon(os.path.join(work, "fd"), SHIM)
            samples, done = [], threading.Event()

            def sample():
                while not done.is_set():
                    samples.append(rss_mib(host.proc.pid))
                    time.sleep(0.2)
            sampler = threading.Thread(target=sample)
            sampler.start()
            host_cpu, fd_cpu = cpu_seconds(host.proc.pid), time.process_time()
            t = time.monotonic()
            jobid = fd.backup("source=xen:vm=big:socket=%s" % host.socket, volume="/dev/null")
            elapsed = time.monotonic() - t
            cpu.append((cpu_seconds(host.proc.pid) - host_cpu, time.process_time() - fd_cpu))
            done.set()
            sampler.join()
            job = fd.job(jobid)
            assert job["status"] == "T", job["messages"]
            size = int(out.stdout)
            sizes.append(size)
            [export] = [f for f in job["files"] if f["fname"].endswith("/big.xva")]
            ours.append(size / MiB / export["data_seconds"])  # IO_OPEN to IO_CLOSE of the export, as curl's transfer
            whole.append(size / MiB / elapsed)
            peaks.append((min(samples), max(samples)))
            shutil.rmtree(os.path.join(work, "fd"), ignore_errors=True)
        c, o = statistics.median(curl), statistics.median(ours)
        print("export of a %d MiB disk (%d MiB XVA), median of %d rounds" % (args.mib, sizes[0] // MiB, args.rounds))
        print("  curl > /dev/null from the fake      %8.1f MiB/s" % c)
        print("  source=xen into the FD driver       %8.1f MiB/s  %.2f of curl%s  (the export's data phase)"
              % (o, o / c, "" if o / c >= 0.9 else "  << below 0.9"))
        print("  the whole job (login, snapshot, ..) %8.1f MiB/s" % statistics.median(whole))
        gib = sizes[0] / (1 << 30)
        print("  CPU per GiB: host %.2f s, FD driver (Python, with the shim) %.2f s"
              % (statistics.median(c[0] for c in cpu) / gib, statistics.median(c[1] for c in cpu) / gib))
        print("  host RSS during the stream          %8.0f .. %.0f MiB (min .. max of every round)"
              % (min(p[0] for p in peaks), max(p[1] for p in peaks)))
    finally:
        host.stop()
        xen.teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
