# SPDX-License-Identifier: AGPL-3.0-or-later
"""Start-up of the grpc-fd module, as the file daemon meets it for every job: from the exec (three connected socket
pairs as fds 3, 4, 5; tests/e2e/grpcfd.py) to the answer of the daemon's first call (Setup), and from the daemon
closing fd 3 to the module's exit (the daemon kills it after 1 s). The native build (NativeAOT: `dotnet publish -r
linux-x64`, needs clang and zlib1g-dev) beside the development build (JIT). Target: median first answer of the
native build 150 ms or less. Not a test: nothing passes or fails; a figure above its target is marked.
  /usr/bin/python3 tests/benchmark/grpc_module_startup.py [--runs N] [--native PATH]"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from grpcfd import ModuleProcess  # noqa: E402

TARGET_MS = 150


def measure(binary, runs, work):
    first, exits = [], []
    for _ in range(runs):
        module = ModuleProcess(binary, os.path.join(work, "module.err"))
        status, _ = module.unary("Setup")
        first.append((time.perf_counter() - module.started) * 1000)
        assert status == 0, open(os.path.join(work, "module.err")).read()
        module.close()
        closed = time.perf_counter()
        module.proc.wait(5)
        exits.append((time.perf_counter() - closed) * 1000)
    return first, exits


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--native", help="a published native module (default: publish one now, about a minute)")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bp-module-")
    try:
        native = args.native
        if native is None:
            out = os.path.join(work, "native")
            subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src", "BackupPlugins.GrpcModule"), "-c", "Release", "-r", "linux-x64",
                            "-o", out, "--nologo", "-v", "q"], check=True, stdout=subprocess.DEVNULL)
            native = os.path.join(out, "backupplugins")
        development = os.path.join(ROOT, "src", "BackupPlugins.GrpcModule", "bin", "Release", "net10.0", "backupplugins")
        print("%-34s %14s %14s %18s" % ("module (%d runs)" % args.runs, "first ms med", "first ms max", "exit after close"))
        for label, binary in (("native (NativeAOT)", native), ("development build (JIT)", development)):
            first, exits = measure(binary, args.runs, work)
            mark = "  above target %d ms" % TARGET_MS if label.startswith("native") and statistics.median(first) > TARGET_MS else ""
            print("%-34s %14.1f %14.1f %15.1f ms%s" % (label, statistics.median(first), max(first), statistics.median(exits), mark))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
