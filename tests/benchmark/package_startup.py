# SPDX-License-Identifier: AGPL-3.0-or-later
"""Start-up of the packaged command line: `backup-plugins --help` and `--version` from the files of the built
backup-plugins .deb (self-contained, ReadyToRun), unpacked with dpkg-deb -x exactly as dpkg installs them, and run
through the package's /usr/bin symlink; beside it the same commands of the development build (framework-dependent,
JIT). Wall time of each run, median and worst of --runs after one warm-up run (the page cache warm, as on a machine
where the command ran before). Target: median of the packaged `--help` 0.3 s or less. Not a test: nothing passes or
fails; a figure above its target is marked.
  /usr/bin/python3 tests/benchmark/package_startup.py [--deb PATH] [--runs N]
Without --deb it builds the packages first (packaging/build-deb into a temp directory, about a minute)."""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = 0.3


def times(argv, runs):
    subprocess.run(argv, capture_output=True, check=True)  # warm-up
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        took.append(time.perf_counter() - start)
    return statistics.median(took), max(took)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deb")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bp-startup-")
    try:
        deb = args.deb
        if deb is None:
            subprocess.run([os.path.join(ROOT, "packaging", "build-deb"), os.path.join(work, "debs")], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deb = glob.glob(os.path.join(work, "debs", "backup-plugins_*_amd64.deb"))[0]
        tree = os.path.join(work, "root")
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
        packaged = os.path.join(tree, "usr", "bin", "backup-plugins")
        development = os.path.join(ROOT, "src", "BackupPlugins.Cli", "bin", "Release", "net10.0", "backup-plugins")
        print("%-48s %10s %10s" % ("command (%d runs)" % args.runs, "median s", "worst s"))
        for label, binary in (("packaged", packaged), ("development build", development)):
            if not os.path.exists(binary):
                print("%-48s %10s" % (label, "not built"))
                continue
            for words in (["--help"], ["--version"], ["check", "--help"]):
                median, worst = times([binary] + words, args.runs)
                mark = "  above target %.1f s" % TARGET if label == "packaged" and words == ["--help"] and median > TARGET else ""
                print("%-48s %10.3f %10.3f%s" % ("%s: backup-plugins %s" % (label, " ".join(words)), median, worst, mark))
        print("package: %s (%.1f MiB; installed %d MiB)" % (os.path.basename(deb), os.path.getsize(deb) / 1048576,
              int(subprocess.run(["dpkg-deb", "-f", deb, "Installed-Size"], capture_output=True, text=True).stdout) // 1024))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
