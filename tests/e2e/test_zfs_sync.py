# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins zfs sync` (the seed zbackup's job) on real ZFS: zfs-fuse pools on file vdevs, the USB pool
found through a by-partuuid directory, imported and exported by the sync."""
import os
import re
import time

from zfsworld import run

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{2}:\d{2}:\d{2}$")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def prepare(zfsw, volumes=("/data",)):
    for v in volumes:
        run("zfs", "create", zfsw.host_pool + v)
    write(os.path.join(zfsw.work, "hostmnt", "data", "a.txt"), b"first\n")


def test_first_run_to_an_empty_usb_pool_sends_in_full_and_exports(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    r = zfsw.sync("usb")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    src, dst = zfsw.host_pool + "/data", zfsw.usb_pool + "/data"
    assert lines[0] == "imported %s from %s under %s" % (zfsw.usb_pool, os.path.join(zfsw.devices, zfsw.partuuid), zfsw.altroot)
    assert lines[1] == "zfs sync %s -> %s (host [host1], USB pool %s)" % (zfsw.host_pool, zfsw.usb_pool, zfsw.usb_pool)
    assert re.match(r"^%s -> %s: sending %s@\S+, full, ~\d+ bytes \(estimated from properties; this zfs has no send -nP\)$"
                    % (src, dst, src), lines[2]), lines[2]
    assert re.match(r"^sent %s@\S+ to %s: \d+ bytes in [\d.]+ s \([\d.]+ MB/s\)$" % (src, dst), lines[3]), lines[3]
    assert lines[-1] == "exported %s" % zfsw.usb_pool
    assert not zfsw.imported(zfsw.usb_pool)
    zfsw.import_usb()
    host, usb = zfsw.snapshots(src), zfsw.snapshots(dst)
    assert len(host) == 1 and DATE.match(host[0][0]) and usb == host  # same name, same guid
    assert "verified %s@%s: guid %d" % (dst, host[0][0], host[0][1]) in lines


def test_second_run_is_incremental_with_intermediates_and_moves_the_hold(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    assert zfsw.sync("usb").returncode == 0
    src, dst = zfsw.host_pool + "/data", zfsw.usb_pool + "/data"
    write(os.path.join(zfsw.work, "hostmnt", "data", "b.txt"), b"second\n")
    run("zfs", "snapshot", src + "@manual")  # made in between by someone else: -I carries it over
    time.sleep(1.1)  # snapshot names have seconds
    r = zfsw.sync("usb")
    assert r.returncode == 0, r.stdout
    base = zfsw.snapshots(src)[0][0]
    assert ", incremental from %s, " % base in r.stdout
    zfsw.import_usb()
    assert zfsw.snapshots(dst) == zfsw.snapshots(src) and [n for n, _ in zfsw.snapshots(dst)][1] == "manual"
    newest = zfsw.snapshots(src)[-1][0]
    refs = {n: run("zfs", "get", "-H", "-p", "-o", "value", "userrefs", "%s@%s" % (ds, n)).stdout.strip()
            for ds in (src, dst) for n in (base, newest)}
    assert refs == {base: "0", newest: "1"}  # the hold moved to the new common snapshot on both sides


def test_nothing_to_send_in_the_os_direction_when_both_are_current(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    assert zfsw.sync("usb").returncode == 0
    r = zfsw.sync("os")
    assert r.returncode == 0, r.stdout
    newest = zfsw.snapshots(zfsw.host_pool + "/data")[-1][0]
    assert "%s/data -> %s/data: nothing to send, both have %s/data@%s" % (zfsw.usb_pool, zfsw.host_pool, zfsw.usb_pool, newest) in r.stdout


def test_os_direction_restores_a_lost_host_dataset_from_the_usb_pool(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    assert zfsw.sync("usb").returncode == 0
    src = zfsw.host_pool + "/data"
    snaps = zfsw.snapshots(src)
    run("zfs", "release", "bp-zsync-%s-%s" % (zfsw.host_pool, zfsw.usb_pool), "%s@%s" % (src, snaps[-1][0]))
    gone = run("zfs", "destroy", "-r", "-f", src, check=False)
    assert gone.returncode == 0, gone.stderr
    r = zfsw.sync("os")
    assert r.returncode == 0, r.stdout
    assert zfsw.snapshots(src) == snaps
    assert open(os.path.join(zfsw.work, "hostmnt", "data", "a.txt"), "rb").read() == b"first\n"
