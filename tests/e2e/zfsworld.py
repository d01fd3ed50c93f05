# SPDX-License-Identifier: AGPL-3.0-or-later
"""Real ZFS for the tests: Debian's zfs-fuse daemon, pools on sparse file vdevs under a temp dir, a fake
/dev/disk/by-partuuid directory of symlinks to them, and a zbackup.ini for `backup-plugins zfs sync`."""
import json
import os
import random
import subprocess
import time

from conftest import host_binary


def ensure_daemon():
    """Starts zfs-fuse unless one answers; returns True if this call started it."""
    if subprocess.run(["zpool", "list"], capture_output=True).returncode == 0:
        return False
    deadline = time.time() + 20
    while subprocess.run(["pgrep", "-x", "zfs-fuse"], capture_output=True).returncode == 0:  # one still exiting
        if time.time() > deadline:
            raise RuntimeError("a zfs-fuse process runs but does not answer")
        time.sleep(0.2)
    subprocess.run(["zfs-fuse", "--no-kstat-mount"], check=True)
    while subprocess.run(["zpool", "list"], capture_output=True).returncode != 0:
        if time.time() > deadline:
            raise RuntimeError("zfs-fuse did not come up")
        time.sleep(0.2)
    return True


def run(*argv, check=True):
    return subprocess.run(list(argv), capture_output=True, text=True, check=check)


def destroy(*argv):
    """zfs destroy, retried while zfs-fuse still calls the file system busy (its FUSE mount lets go a moment later)."""
    for _ in range(10):
        r = run("zfs", "destroy", *argv, check=False)
        if r.returncode == 0 or "busy" not in r.stderr:
            return r
        time.sleep(0.5)
    return r


class ZfsWorld:
    def __init__(self, work):
        self.work = work
        tag = "%05d" % random.randint(0, 99999)
        self.host_pool, self.usb_pool = "bph" + tag, "bpu" + tag
        self.partuuid = "0a1b2c3d-%s-4000-8000-000000000001" % tag[:4]
        self.devices = os.path.join(work, "by-partuuid")
        self.altroot = os.path.join(work, "usbmnt")
        os.makedirs(self.devices)
        self.host_vdev, self.usb_vdev = os.path.join(work, "host.img"), os.path.join(work, "usb.img")
        for vdev in (self.host_vdev, self.usb_vdev):
            with open(vdev, "wb") as f:
                f.truncate(192 << 20)
        os.symlink(self.usb_vdev, os.path.join(self.devices, self.partuuid))
        run("zpool", "create", "-m", os.path.join(work, "hostmnt"), self.host_pool, self.host_vdev)
        run("zpool", "create", "-m", "none", self.usb_pool, os.path.join(self.devices, self.partuuid))
        self.host_guid = self.pool_guid(self.host_pool)
        run("zpool", "export", self.usb_pool)
        self.config = os.path.join(work, "zbackup.ini")
        self.host_config = os.path.join(work, "host.json")  # the embedded host's journal, in this test's directory
        with open(self.host_config, "w") as f:
            json.dump({"StateDirectory": os.path.join(work, "state")}, f)

    def pool_guid(self, pool):
        for line in run("zpool", "get", "guid", pool).stdout.splitlines()[1:]:
            return line.split()[2]

    def write_config(self, volumes=("/data",), usb_keep=0, host_keep=0, extra=""):
        with open(self.config, "w") as f:
            f.write("[DEFAULT]\nvolume = %s\n\n[USB device]\npartuuid = %s\nbackup_pool = %s\nmount-point = %s\n"
                    "save-last-snapshots = %d\n\n[host1]\nguid = %s\nsave-last-snapshots = %d\n%s"
                    % ("\n         ".join(volumes), self.partuuid, self.usb_pool, self.altroot, usb_keep, self.host_guid, host_keep, extra))

    def sync_argv(self, to, *flags):
        return [host_binary(), "zfs", "sync", "--to", to, "--config", self.config, "--device-dir", self.devices,
                "--lock-dir", self.work, "--socket", os.path.join(self.work, "no-host.sock"), "--host-config", self.host_config] + list(flags)

    def sync(self, to, *flags, stdin=None):
        return subprocess.run(self.sync_argv(to, *flags), capture_output=True, text=True, input=stdin)

    def sweep(self):
        return subprocess.run([host_binary(), "sweep", "--socket", os.path.join(self.work, "no-host.sock"), "--config", self.host_config],
                              capture_output=True, text=True)

    def imported(self, pool):
        return run("zpool", "list", "-H", "-o", "name").stdout.split().count(pool) == 1

    def import_usb(self):
        if not self.imported(self.usb_pool):
            run("zpool", "import", "-d", self.devices, "-f", "-o", "altroot=" + self.altroot, self.usb_pool)

    def snapshots(self, dataset):
        """[(name, guid)] oldest first, or None if the dataset does not exist."""
        r = run("zfs", "get", "-H", "-p", "-d", "1", "-o", "name,property,value", "guid,createtxg", dataset, check=False)
        if r.returncode != 0:
            return None
        props = {}
        for line in r.stdout.splitlines():
            name, prop, value = line.split("\t")
            if "@" in name:
                props.setdefault(name, {})[prop] = int(value)
        return [(n.split("@")[1], p["guid"]) for n, p in sorted(props.items(), key=lambda kv: kv[1]["createtxg"])]

    def teardown(self):
        self.import_usb()
        for pool in (self.usb_pool, self.host_pool):
            for _ in range(10):  # zfs-fuse calls a pool busy for a moment after its file systems were used
                if run("zpool", "destroy", "-f", pool, check=False).returncode == 0 or not self.imported(pool):
                    break
                time.sleep(0.5)
