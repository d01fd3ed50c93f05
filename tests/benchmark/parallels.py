# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins parallels backup` of a 1 GiB sparse VM bundle (512 MiB of data in it), printed side by side (not a
test: nothing passes or fails; rows that miss their target are marked):
  - how long the VM stays suspended: suspend-clone (bundle on btrfs, reflink clone) against the seed's way, tar while
    suspended (the same bundle on a file system without reflinks, the fallback that the job takes there);
  - bytes/s of the whole job (bundle size over wall time, copies to a local sshd included) against `tar -cSf - | gzip`
    of the same bundle into a file.
Runs with the fake prlctl (tests/fakes), real tar, gzip, scp and sshd. Needs root (loop mounts).
  /usr/bin/python3 tests/benchmark/parallels.py [--rounds N]"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "e2e"), os.path.join(ROOT, "tests", "fakes")]

from prlworld import VM_NAME, PrlWorld  # noqa: E402
from sshworld import SshWorld  # noqa: E402

HOST = os.path.join(ROOT, "src", "BackupPlugins.Cli", "bin", "Release", "net10.0", "backup-plugins")
SIZE_MB, DATA_MB = 1024, 512


def ini(work, ssh, status):
    path = os.path.join(work, "bench.ini")
    with open(path, "w") as f:
        f.write("[main]\nStatusDirectory = %s\nprlctl = %s\nTempDirectory = %s\n\n[scp]\ndestinations = dest-a:%s\nssh_config = %s\n\n"
                "[compression]\nprogram = /usr/bin/gzip\ncompressedExtension = gz\narguments = -1 -f\n"
                % (status, os.path.join(ROOT, "tests", "fakes", "prlctl"), os.path.join(work, "tmp"), os.path.join(work, "remote"),
                   ssh.config))
    return path


def bundle(prl, home):
    prl.create_vm(status="running", uptime=3600, disk_mb=SIZE_MB, home=home)
    with open(os.path.join(home, "harddisk.hdd", "data.bin"), "wb") as f:
        for _ in range(DATA_MB):
            f.write(os.urandom(1 << 20))
    subprocess.run(["sync"], check=True)


def backup(work, config, status):
    shutil.rmtree(status, ignore_errors=True)  # every round backs the VM up
    for d in ("remote", "tmp"):
        shutil.rmtree(os.path.join(work, d), ignore_errors=True)
        os.makedirs(os.path.join(work, d))
    started = time.monotonic()
    r = subprocess.run([HOST, "parallels", "backup", "--config", config, "--socket", os.path.join(work, "none.sock"),
                        "--host-config", os.path.join(work, "host.json")], capture_output=True, text=True)
    wall = time.monotonic() - started
    if r.returncode != 0:
        sys.exit("parallels backup failed:\n" + r.stdout + r.stderr)
    suspended = float(re.search(r"suspended for ([0-9.]+) s", r.stdout).group(1))
    return suspended, wall


def tar_gzip(home, work):
    started = time.monotonic()
    with open(os.path.join(work, "plain.tar.gz"), "wb") as out:
        tar = subprocess.Popen(["tar", "-C", os.path.dirname(home), "-cSf", "-", os.path.basename(home)], stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-1"], stdin=tar.stdout, stdout=out, check=True)
        tar.stdout.close()
        assert tar.wait() == 0
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    if not os.path.exists(HOST):
        sys.exit("build first: dotnet build BackupPlugins.sln -c Release")
    work = tempfile.mkdtemp(prefix="bp-bench-prl-")
    prl = ssh = None
    try:
        prl = PrlWorld(work)
        ssh = SshWorld(os.path.join(work, "ssh"))
        with open(os.path.join(work, "host.json"), "w") as f:
            f.write('{"StateDirectory": "%s"}' % os.path.join(work, "state"))
        status = os.path.join(work, "status")
        config = ini(work, ssh, status)
        cloned = os.path.join(prl.vm_root, VM_NAME + ".pvm")  # btrfs: reflink clone
        bundle(prl, cloned)
        figures = {"clone": [], "seed": [], "job": [], "tar": []}
        for _ in range(rounds):
            suspended, wall = backup(work, config, status)
            figures["clone"].append(suspended)
            figures["job"].append(wall)
            figures["tar"].append(tar_gzip(cloned, work))
        # the same bundle where reflinks do not exist (the work directory's own file system): tar while suspended
        prl.teardown()
        os.makedirs(os.path.join(work, "plain-world"))
        prl = PrlWorld(os.path.join(work, "plain-world"))
        plain = os.path.join(work, "plain", VM_NAME + ".pvm")
        os.makedirs(os.path.dirname(plain))
        bundle(prl, plain)
        for _ in range(rounds):
            figures["seed"].append(backup(work, config, status)[0])
        clone, seed = statistics.median(figures["clone"]), statistics.median(figures["seed"])
        job, tar = statistics.median(figures["job"]), statistics.median(figures["tar"])
        size = SIZE_MB << 20
        print("parallels backup of a %d MiB sparse bundle holding %d MiB of data: medians of %d round(s)" % (SIZE_MB, DATA_MB, rounds))
        print("%-52s %10s %10s %10s %10s" % ("", "ours", "baseline", "ratio", "target"))
        ratio = clone / seed
        print("%-52s %10.2f %10.2f %10.3f %10s%s" % ("VM suspended, s (suspend-clone vs tar while suspended)", clone, seed, ratio,
                                                  "<= 0.100", "" if ratio <= 0.1 else "  MISS"))
        print("%-52s %10.0f %10.0f %10.2f %10s" % ("bundle MB/s (whole job vs tar -cS | gzip -1 to a file)", size / job / 1e6,
                                                   size / tar / 1e6, tar / job, "-"))
        print("  the whole job includes the embedded host's start, suspend, clone, resume, the copy to a local sshd with its")
        print("  SHA-256 check and the rename; the baseline only reads and compresses. Load average: %s" % open("/proc/loadavg").read().strip())
    finally:
        if ssh:
            ssh.stop()
        if prl:
            prl.teardown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
