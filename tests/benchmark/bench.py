# SPDX-License-Identifier: AGPL-3.0-or-later
"""Benchmark: data paths and small files through the FD driver + shim + host, against plain baselines.

    bash tests/benchmark/run [--size-mib 1024] [--files 100000] [--dir /var/tmp]

Figures: MB/s of a large file via `cat > /dev/null`, the path data path and the socket data path; files/s of
a small-file tree via a plain Python walk-and-read and via the FD driver; the gRPC streaming RPC from .NET;
host peak RSS (VmHWM) after each phase.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "fd-driver"), os.path.join(ROOT, "tests", "e2e")]

from conftest import SHIM, Host, host_binary  # noqa: E402
from fd import FileDaemon  # noqa: E402


def peak_rss_mb(host):
    with open("/proc/%d/status" % host.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def best(fn, runs):
    return min(fn() for _ in range(runs))


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/var/tmp")
    ap.add_argument("--zfs-mib", type=int, default=1024, help="size of the ZFS stream-mode figure (0: skip)")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bp-bench-", dir=a.dir)
    host = Host(host_binary(), work).start()
    rows = []
    try:
        big_dir = os.path.join(work, "big")
        os.makedirs(big_dir)
        big = os.path.join(big_dir, "big.bin")
        with open(big, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(a.size_mib):
                f.write(chunk)
        size = a.size_mib << 20
        subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        t_cat = best(lambda: timed(lambda: subprocess.run(["cat", big], stdout=subprocess.DEVNULL, check=True)), a.runs)
        d = FileDaemon(os.path.join(work, "fd"), SHIM)

        def backup(extra):
            """Data phase (IO_OPEN to IO_CLOSE of the file, as the in-FD probes measured) and whole-job seconds."""
            started = time.perf_counter()
            job = d.backup("source=dir:path=%s:socket=%s%s" % (big_dir, host.socket, extra), volume="/dev/null")
            wall = time.perf_counter() - started
            assert d.job(job)["status"] == "T", d.job(job)["messages"]
            data = [f["data_seconds"] for f in d.job(job)["files"] if f["fname"].endswith("/big.bin")][0]
            return data, wall

        t_path, w_path = min(backup("") for _ in range(a.runs))
        t_sock, w_sock = min(backup(":datapath=socket") for _ in range(a.runs))
        mb = size / 1e6
        rows.append(("large file: cat > /dev/null", "%.0f MB/s" % (mb / t_cat), "1.00"))
        rows.append(("large file: path data path (data phase)", "%.0f MB/s" % (mb / t_path), "%.2f of cat (target >= 0.95); whole job %.0f MB/s" % (t_cat / t_path, mb / w_path)))
        rows.append(("large file: socket data path (data phase)", "%.0f MB/s" % (mb / t_sock), "%.2f of cat (target >= 0.90); whole job %.0f MB/s" % (t_cat / t_sock, mb / w_sock)))
        bench = os.path.join(ROOT, "tests", "BackupPlugins.Benchmarks", "bin", "Release", "net10.0", "BackupPlugins.Benchmarks")
        out = subprocess.run([bench, host.socket, big_dir, "big.bin", os.path.join(work, "writefile"), str(64 << 10), str(a.runs + 1)],
                             capture_output=True, text=True, check=True).stdout.split()
        note = "best of %d on one connection, 64 KiB messages (target >= 1000 MB/s)" % (a.runs + 1)
        rows.append(("large file: ReadFile streaming RPC, .NET client", "%s MB/s" % out[1], note + ", bulk reader"))
        rows.append(("large file: WriteFile streaming RPC, .NET client", "%s MB/s" % out[2], note))
        rss_big = peak_rss_mb(host)
        rows.append(("host peak RSS after large-file runs", "%.0f MB" % rss_big, "target <= 150 MB"))

        small = os.path.join(work, "small")
        make_small_tree(small, a.files // 10)
        t10 = timed(lambda: d.backup("source=dir:path=%s:socket=%s" % (small, host.socket), volume="/dev/null"))
        rss_10 = peak_rss_mb(host)
        shutil.rmtree(small)
        make_small_tree(small, a.files)
        walk(small)
        t_walk = best(lambda: timed(lambda: walk(small)), a.runs)

        def small_job():
            job = d.backup("source=dir:path=%s:socket=%s" % (small, host.socket), volume="/dev/null", record_calls=False)
            assert d.job(job)["status"] == "T", d.job(job)["messages"][:5]

        t_small = best(lambda: timed(small_job), a.runs)
        local = FileDaemon(os.path.join(work, "fd-local"), os.path.dirname(os.path.abspath(__file__)), module_name="local_plugin")
        t_local = best(lambda: timed(lambda: local.backup("path=%s" % small, volume="/dev/null", record_calls=False)), a.runs)
        rss_100 = peak_rss_mb(host)
        n = a.files
        rows.append(("%d small files: plain Python walk-and-read" % n, "%.0f files/s" % (n / t_walk), "1.00"))
        rows.append(("%d small files: FD driver + in-process plugin, no host" % n, "%.0f files/s" % (n / t_local), "%.2f of plain walk (the driver's own cost)" % (t_walk / t_local)))
        rows.append(("%d small files: FD driver + shim + host" % n, "%.0f files/s" % (n / t_small), "%.2f of plain walk (target >= 0.8); %.2f of the in-process plugin" % (t_walk / t_small, t_local / t_small)))
        rows.append(("host peak RSS: after %d files / after %d files" % (a.files // 10, n), "%.0f MB / %.0f MB" % (rss_10, rss_100), "flat in file count"))
        del t10
        if a.zfs_mib:
            rows.extend(zfs_rows(a, work, d, host))
    finally:
        host.stop()
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    print("\nBackupPlugins benchmark (%s, %d cores)" % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count()))
    for name, value, note in rows:
        print("  %-*s  %16s   %s" % (width, name, value, note))


def zfs_rows(a, work, d, host):
    """source=zfs:mode=stream through the driver, shim and host vs `zfs send … | cat > /dev/null` (zfs-fuse pool on a file vdev)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    from zfsworld import ensure_daemon
    started = ensure_daemon()
    pool = "bpbench%d" % os.getpid()
    vdev = os.path.join(work, "zfs.img")
    with open(vdev, "wb") as f:
        f.truncate((a.zfs_mib + 256) << 20)
    subprocess.run(["zpool", "create", "-m", os.path.join(work, "zfsmnt"), pool, vdev], check=True, capture_output=True)
    try:
        subprocess.run(["zfs", "create", pool + "/data"], check=True)
        with open(os.path.join(work, "zfsmnt", "data", "big.bin"), "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(a.zfs_mib):
                f.write(chunk)
        subprocess.run(["zfs", "snapshot", pool + "/data@bench"], check=True)

        def send_cat():
            send = subprocess.Popen(["zfs", "send", pool + "/data@bench"], stdout=subprocess.PIPE)
            subprocess.run(["cat"], stdin=send.stdout, stdout=subprocess.DEVNULL, check=True)
            send.stdout.close()
            assert send.wait() == 0
        t_cat = best(lambda: timed(send_cat), a.runs)

        def bridge():
            job = d.backup("source=zfs:dataset=%s/data:socket=%s" % (pool, host.socket), volume="/dev/null", record_calls=False)
            assert d.job(job)["status"] == "T", d.job(job)["messages"]
            return [f["data_seconds"] for f in d.job(job)["files"]][0]
        t_bridge = best(bridge, a.runs)
        mb = a.zfs_mib * 1.048576
        return [("zfs stream (%d MiB dataset): zfs send | cat > /dev/null" % a.zfs_mib, "%.0f MB/s" % (mb / t_cat), "1.00"),
                ("zfs stream: source=zfs through driver, shim, host (data phase)", "%.0f MB/s" % (mb / t_bridge),
                 "%.2f of send | cat (target >= 0.95)" % (t_cat / t_bridge))]
    finally:
        subprocess.run(["zpool", "destroy", "-f", pool], capture_output=True)
        if started:
            subprocess.run(["pkill", "-x", "zfs-fuse"])


def make_small_tree(root, n):
    for i in range(n):
        d = os.path.join(root, "d%03d" % (i // 1000))
        if i % 1000 == 0:
            os.makedirs(d)
        with open(os.path.join(d, "f%06d" % i), "wb") as f:
            f.write(b"x" * (i % 4096))


def walk(root):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as f:
                while f.read(262144):
                    pass


if __name__ == "__main__":
    main()
