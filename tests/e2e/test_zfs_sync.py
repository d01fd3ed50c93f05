# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins zfs sync` (the seed zbackup's job) on real ZFS: zfs-fuse pools on file vdevs, the USB pool
found through a by-partuuid directory, imported and exported by the sync."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from zfsworld import destroy, run

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


SLOW_RECEIVE = """#!/bin/sh
# zfs, its receive fed at about 16 MiB/s: a transfer that lasts seconds
if [ "$1" = receive ]; then
    /usr/bin/python3 -c '
import sys, time
source, sink, start, n = sys.stdin.buffer, sys.stdout.buffer, time.monotonic(), 0
while True:
    chunk = source.read1(1 << 20)
    if not chunk:
        break
    sink.write(chunk)
    n += len(chunk)
    time.sleep(max(0, n / (16 << 20) - (time.monotonic() - start)))
sink.flush()
' | %s "$@"
    exit $?
fi
exec %s "$@"
"""


def test_a_long_transfer_prints_progress_lines_and_its_done_line_when_not_on_a_terminal(zfsw):
    prepare(zfsw)
    with open(os.path.join(zfsw.work, "hostmnt", "data", "big.bin"), "wb") as f:
        f.write(os.urandom(48 << 20))  # incompressible
    zfs = os.path.join(zfsw.work, "zfs")
    with open(zfs, "w") as f:
        f.write(SLOW_RECEIVE % (shutil.which("zfs"), shutil.which("zfs")))
    os.chmod(zfs, 0o755)
    with open(zfsw.host_config, "w") as f:
        json.dump({"StateDirectory": os.path.join(zfsw.work, "state"), "Sources": {"Zfs": {"Zfs": zfs}}}, f)
    zfsw.write_config()
    r = zfsw.sync("usb", "--progress-interval", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    src, dst = zfsw.host_pool + "/data", zfsw.usb_pool + "/data"
    sending = next(i for i, l in enumerate(lines) if l.startswith("%s -> %s: sending " % (src, dst)))
    sent = next(i for i, l in enumerate(lines) if l.startswith("sent %s@" % src))
    progress = [l for l in lines if l.startswith("progress: ")]
    done = [l for l in lines if l.startswith("done: ")]
    assert progress, r.stdout
    # The total is zfs-fuse's estimate from properties (~); a stream past its estimate shows no percentage.
    size, rate = r"\d+(\.\d)? (B|KiB|MiB)", r"\d+(\.\d)? (B|KiB|MiB)/s"
    for line in progress:
        assert re.match(r"^progress: %s@\S+ -> %s: %s of ~%s( \(\d+%%\))?, %s(, \d+ s left)?$" % (src, dst, size, size, rate), line), line
    assert len(done) == 1 and re.match(r"^done: %s@\S+ -> %s: \d+\.\d MiB in \d+ s, %s$" % (src, dst, rate), done[0]), r.stdout
    assert sending < lines.index(progress[0]) and lines.index(progress[-1]) < lines.index(done[0]) < sent, r.stdout
    assert lines[-1] == "exported %s" % zfsw.usb_pool
    zfsw.import_usb()
    assert zfsw.snapshots(dst) == zfsw.snapshots(src)


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
    gone = destroy("-r", "-f", src)
    assert gone.returncode == 0, gone.stderr
    r = zfsw.sync("os")
    assert r.returncode == 0, r.stdout
    assert zfsw.snapshots(src) == snaps
    assert open(os.path.join(zfsw.work, "hostmnt", "data", "a.txt"), "rb").read() == b"first\n"


def synced_twice(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    assert zfsw.sync("usb").returncode == 0
    time.sleep(1.1)
    assert zfsw.sync("usb").returncode == 0
    return zfsw.host_pool + "/data", zfsw.usb_pool + "/data"


def synced_twice_then_newer_on_usb(zfsw, name):
    """Two syncs, then a snapshot made on the USB disk after them (a second later, so the next sync's is newer)."""
    src, dst = synced_twice(zfsw)
    zfsw.import_usb()
    run("zfs", "snapshot", "%s@%s" % (dst, name))
    run("zpool", "export", zfsw.usb_pool)
    time.sleep(1.1)
    return src, dst


def test_destination_with_newer_snapshots_is_refused_then_rolled_back_with_rollback(zfsw):
    src, dst = synced_twice_then_newer_on_usb(zfsw, "made-on-the-usb-disk")
    r = zfsw.sync("usb")
    assert r.returncode == 2
    common = zfsw.snapshots(src)[-2][0]
    assert "error: %s has snapshots newer than the common one %s: made-on-the-usb-disk; --rollback destroys them and sends the rest" \
        % (dst, common) in r.stdout
    assert not zfsw.imported(zfsw.usb_pool)  # exported even after an error
    r = zfsw.sync("usb", "--rollback")
    assert r.returncode == 0, r.stdout
    assert "rolled %s back to %s (--rollback)" % (dst, common) in r.stdout
    zfsw.import_usb()
    assert [n for n, _ in zfsw.snapshots(dst)] == [n for n, _ in zfsw.snapshots(src)]


def test_no_common_base_is_refused_then_sent_in_full_with_force_full(zfsw):
    src, dst = synced_twice(zfsw)
    zfsw.import_usb()
    for name, _ in zfsw.snapshots(dst):
        run("zfs", "release", "bp-zsync-%s-%s" % (zfsw.host_pool, zfsw.usb_pool), "%s@%s" % (dst, name), check=False)
        run("zfs", "destroy", "%s@%s" % (dst, name))
    run("zfs", "snapshot", dst + "@unrelated")
    run("zpool", "export", zfsw.usb_pool)
    time.sleep(1.1)
    dry = zfsw.sync("usb", "--dry-run", "--force-full")
    assert dry.returncode == 0, dry.stdout
    assert re.search(r"%s -> %s: would send %s@\S+ \(new\), full after destroying 1 snapshot\(s\) of %s, size unknown"
                     % (src, dst, src, dst), dry.stdout), dry.stdout
    r = zfsw.sync("usb")
    assert r.returncode == 2
    assert "error: %s and %s have no snapshot in common; --force-full destroys every snapshot of %s (unrelated) and sends " \
        % (src, dst, dst) in r.stdout
    r = zfsw.sync("usb", "--force-full")
    assert r.returncode == 0, r.stdout
    assert "destroyed %s@unrelated (--force-full)" % dst in r.stdout
    zfsw.import_usb()
    assert zfsw.snapshots(dst) == zfsw.snapshots(src)


def test_retention_keeps_the_newest_on_each_side_and_never_the_common_base(zfsw):
    prepare(zfsw)
    zfsw.write_config(usb_keep=2, host_keep=1)
    src, dst = zfsw.host_pool + "/data", zfsw.usb_pool + "/data"
    for _ in range(3):
        assert zfsw.sync("usb").returncode == 0
        time.sleep(1.1)
    host = [n for n, _ in zfsw.snapshots(src)]
    zfsw.import_usb()
    usb = [n for n, _ in zfsw.snapshots(dst)]
    assert len(host) == 1 and len(usb) == 2 and usb[-1] == host[-1]
    run("zpool", "export", zfsw.usb_pool)
    # A hostile retention of 0 on the USB side with --keep 1 still cannot take the common snapshot.
    r = zfsw.sync("os", "--keep", "1")
    assert r.returncode == 0, r.stdout
    zfsw.import_usb()
    assert [n for n, _ in zfsw.snapshots(dst)] == [host[-1]]


def test_dry_run_prints_the_plan_and_changes_nothing(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    assert zfsw.sync("usb").returncode == 0
    before_host, before_usb = zfsw.snapshots(zfsw.host_pool + "/data"), None
    time.sleep(1.1)
    r = zfsw.sync("usb", "--dry-run")
    assert r.returncode == 0, r.stdout
    assert ": dry run, nothing is changed" in r.stdout
    assert re.search(r"would send %s/data@\S+ \(new\), incremental from %s, size unknown until the snapshot exists"
                     % (zfsw.host_pool, before_host[-1][0]), r.stdout), r.stdout
    assert zfsw.snapshots(zfsw.host_pool + "/data") == before_host
    keep = zfsw.sync("usb", "--dry-run", "--keep", "1")
    assert "%s/data: would destroy %s (keeping the newest 1)" % (zfsw.host_pool, before_host[-1][0]) in keep.stdout, keep.stdout
    assert zfsw.snapshots(zfsw.host_pool + "/data") == before_host
    zfsw.import_usb()
    before_usb = zfsw.snapshots(zfsw.usb_pool + "/data")
    assert before_usb == before_host


def test_missing_disk_bad_config_and_a_second_run_are_refused_clearly(zfsw):
    prepare(zfsw)
    zfsw.write_config()
    os.rename(os.path.join(zfsw.devices, zfsw.partuuid), os.path.join(zfsw.work, "unplugged"))
    r = zfsw.sync("usb")
    assert (r.returncode, r.stdout) == (2, "error: USB disk not found: %s does not exist ([USB device] partuuid=%s); connect the disk\n"
                                        % (os.path.join(zfsw.devices, zfsw.partuuid), zfsw.partuuid))
    os.rename(os.path.join(zfsw.work, "unplugged"), os.path.join(zfsw.devices, zfsw.partuuid))
    with open(zfsw.config, "w") as f:
        f.write("[DEFAULT]\nvolume = data\n[USB device]\nbackup_pool = x\n[host1]\nsave-last-snapshots = many\n")
    r = zfsw.sync("usb")
    assert r.returncode == 2
    assert r.stdout == ("error: %s: [USB device] partuuid is missing: the GPT partition UUID of the USB disk (ls -l /dev/disk/by-partuuid); "
                        "[host1] guid is missing: the GUID of this host's pool (zpool get guid); no [host…] section: add one per "
                        "machine with its pool's guid\n" % zfsw.config)
    zfsw.write_config()
    lock = os.path.join(zfsw.work, "backup-plugins-zfs-sync-%s-%s.lock" % (zfsw.host_pool, zfsw.usb_pool))
    import fcntl
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        r = zfsw.sync("usb")
    assert (r.returncode, r.stdout) == (2, "error: another zfs sync of pools %s and %s is running (lock %s); try again when it has "
                                        "finished\n" % (zfsw.host_pool, zfsw.usb_pool, lock))


def test_confirm_asks_before_destroying_and_no_means_no(zfsw):
    src, dst = synced_twice_then_newer_on_usb(zfsw, "newer")
    r = zfsw.sync("usb", "--rollback", "--confirm", stdin="n\n")
    assert r.returncode == 2
    assert "roll %s back to %s, destroying newer? [y/N] error: not done, as answered:" % (dst, zfsw.snapshots(src)[-2][0]) in r.stdout
    zfsw.import_usb()
    assert "newer" in [n for n, _ in zfsw.snapshots(dst)]


def test_a_stopped_sync_exports_the_pool_and_a_killed_one_is_exported_by_the_sweep(zfsw):
    """The sync runs in a host (here one embedded in the command): the USB pool it imports is in the host's journal."""
    src, dst = synced_twice_then_newer_on_usb(zfsw, "newer")

    def waiting_at_the_question():
        p = subprocess.Popen(zfsw.sync_argv("usb", "--rollback", "--confirm"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        seen = ""
        while not seen.endswith("[y/N] "):
            c = p.stdout.read(1)
            assert c, seen
            seen += c
        assert zfsw.imported(zfsw.usb_pool)
        return p, seen

    p, seen = waiting_at_the_question()
    p.send_signal(signal.SIGINT)  # Ctrl-C: the job stops, the host exports the pool it imported, then the command ends
    rest, _ = p.communicate(timeout=60)
    assert p.returncode == 130, seen + rest
    assert rest.endswith("exported %s\nstopped\n" % zfsw.usb_pool), rest
    assert not zfsw.imported(zfsw.usb_pool)
    zfsw.import_usb()
    assert "newer" in [n for n, _ in zfsw.snapshots(dst)]  # not rolled back: the question was never answered
    run("zpool", "export", zfsw.usb_pool)

    p, _ = waiting_at_the_question()
    p.kill()  # the command and its embedded host die at once: nothing exports the pool now
    p.communicate(timeout=60)
    assert zfsw.imported(zfsw.usb_pool)
    s = zfsw.sweep()
    assert s.returncode == 0, s.stdout + s.stderr
    assert s.stdout == "leftovers: 1\n  zfs pool import %s: removed\n" % zfsw.usb_pool, s.stdout
    assert not zfsw.imported(zfsw.usb_pool)
    assert zfsw.sweep().stdout == "leftovers: 0\n"


def test_an_export_that_fails_is_a_warning_and_the_sweep_exports_the_pool_later(zfsw):
    src, dst = synced_twice_then_newer_on_usb(zfsw, "newer")
    zfsw.import_usb()
    run("zfs", "set", "mountpoint=/usbdata", dst)  # mounted (under the altroot) when the sync imports the pool
    run("zpool", "export", zfsw.usb_pool)
    p = subprocess.Popen(zfsw.sync_argv("usb", "--rollback", "--confirm"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    seen = ""
    while not seen.endswith("[y/N] "):
        c = p.stdout.read(1)
        assert c, seen
        seen += c
    mount = run("zfs", "get", "-H", "-o", "value", "mountpoint", dst).stdout.strip()
    busy = subprocess.Popen(["sleep", "60"], cwd=mount)  # keeps the USB dataset busy: zpool export fails
    try:
        rest, _ = p.communicate("n\n", timeout=120)
    finally:
        busy.kill()
        busy.wait()
    assert p.returncode == 2, seen + rest
    assert "warning: could not export %s: " % zfsw.usb_pool in rest, rest
    assert zfsw.imported(zfsw.usb_pool)
    s = zfsw.sweep()  # the import stayed in the journal
    assert s.stdout == "leftovers: 1\n  zfs pool import %s: removed\n" % zfsw.usb_pool, s.stdout + s.stderr
    assert not zfsw.imported(zfsw.usb_pool)
