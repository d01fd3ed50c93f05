# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake LVM tools (tests/fakes/lvm) print what lvm2 2.03.40 prints, refuse what it refuses with the same words and
exit codes, and back every LV with a real file system on a loop device (see tests/fakes/lvm/README.md)."""
import json
import os
import subprocess

import pytest

from lvmworld import LvmWorld
from trees import diff, make_corpus, snapshot

PRODUCT_LVS = ["lvs", "--noheadings", "--separator", ",", "--units", "b", "--nosuffix",
               "-o", "lv_name,vg_name,lv_attr,origin,snap_percent,lv_size,lv_path"]
PRODUCT_VGS = ["vgs", "--noheadings", "--separator", ",", "-o", "vg_name,vg_free", "--units", "b", "--nosuffix"]


@pytest.fixture
def lvm(work):
    world = LvmWorld(work)
    yield world
    world.teardown()


@pytest.fixture
def vg0(lvm):
    """vg0 (2 GiB, 512 extents) with vg0/root: 256 MiB of ext4 holding one file."""
    lvm.create_vg("vg0")
    lvm.create_lv("vg0", "root", fill=lambda root: open(os.path.join(root, "hello.txt"), "w").write("hello\n"))
    return lvm


def corpus(root):
    make_corpus(os.path.join(root, "corpus"))


def test_create_list_and_remove_print_what_lvm_prints(vg0):
    dev = vg0.devroot
    assert vg0.run(*PRODUCT_LVS) == (0, "  root,vg0,-wi-a-----,,,268435456,%s/vg0/root\n" % dev, "")
    assert vg0.run(*PRODUCT_VGS) == (0, "  vg0,1879048192\n", "")
    assert vg0.run("lvcreate", "--snapshot", "--name", "snap", "--size", "100M", "vg0/root") == (
        0, '  Logical volume "snap" created.\n', "")
    assert vg0.run("lvcreate", "-s", "-n", "snap2", "-L", "1G", "%s/vg0/root" % dev) == (
        0, "  Reducing COW size 1.00 GiB down to maximum usable size 260.00 MiB.\n"
           '  Logical volume "snap2" created.\n', "")
    assert vg0.run(*PRODUCT_LVS) == (0, "  root,vg0,owi-a-s---,,,268435456,%s/vg0/root\n"
                                        "  snap,vg0,swi-a-s---,root,0.00,104857600,%s/vg0/snap\n"
                                        "  snap2,vg0,swi-a-s---,root,0.00,272629760,%s/vg0/snap2\n"
                                        % (dev, dev, dev), "")
    assert vg0.run(*PRODUCT_LVS + ["vg0/snap"]) == (
        0, "  snap,vg0,swi-a-s---,root,0.00,104857600,%s/vg0/snap\n" % dev, "")
    assert vg0.run(*PRODUCT_VGS) == (0, "  vg0,1501560832\n", "")  # 448 - 25 - 65 extents free
    # the devices are links to the snapshot's own loop device, also under mapper/ with '-' doubled
    assert os.path.realpath("%s/vg0/snap" % dev).startswith("/dev/loop")
    assert os.path.realpath("%s/mapper/vg0-snap" % dev) == os.path.realpath("%s/vg0/snap" % dev)
    assert vg0.run("lvremove", "-f", "vg0/snap") == (0, '  Logical volume "snap" successfully removed.\n', "")
    assert vg0.run("lvremove", "--yes", "%s/vg0/snap2" % dev) == (
        0, '  Logical volume "snap2" successfully removed.\n', "")
    assert not os.path.lexists("%s/vg0/snap" % dev) and not os.path.lexists("%s/mapper/vg0-snap2" % dev)
    assert vg0.run(*PRODUCT_LVS) == (0, "  root,vg0,-wi-a-----,,,268435456,%s/vg0/root\n" % dev, "")
    assert vg0.leftovers() == {"snapshots": [], "loop_devices": [], "mounts": []}


def test_default_tables_and_the_lvm_front_end(vg0):
    vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root")
    table = ("  LV   VG  Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert\n"
             "  root vg0 owi-a-s--- 256.00m                                                    \n"
             "  snap vg0 swi-a-s--- 100.00m      root   0.00                                   \n")
    assert vg0.run("lvs") == (0, table, "")
    assert vg0.run("lvm", "lvs") == (0, table, "")
    vg0.create_vg("vg1", size_mb=2044)  # 1.996 GiB: shown rounded up, so marked "<"
    assert vg0.run("vgs") == (0, "  VG  #PV #LV #SN Attr   VSize  VFree \n"
                                 "  vg0   1   2   1 wz--n-  2.00g  1.65g\n"
                                 "  vg1   1   0   0 wz--n- <2.00g <2.00g\n", "")
    assert vg0.run("vgs", "--units", "m", "-o", "name,size,free,extent_size,free_count", "vg0") == (
        0, "  VG  VSize    VFree    Ext   Free\n  vg0 2048.00m 1692.00m 4.00m  423\n", "")
    assert vg0.run("lvs", "-o", "name,origin_size,lv_snapshot_invalid", "-O", "-name") == (
        0, "  LV   OSize   SnapInvalid    \n  snap 256.00m %s\n  root %s %15s\n" % (" " * 15, " " * 7, "unknown"), "")
    assert vg0.run("lvm", "--version") == (3, "", "  Specify options after a command: lvm [command] [options].\n")
    assert vg0.run("lvm", "lvdisplay")[0] == 3  # not faked: the product does not use it
    assert vg0.run("lvm", "frobnicate") == (2, "", "  No such command.  Try 'lvm help'.\n")


def test_json_reports_and_their_command_log(vg0):
    vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root")
    code, out, err = vg0.run("lvs", "--reportformat", "json", "-o", "lv_name,lv_attr,origin,snap_percent", "vg0")
    assert (code, err) == (0, "")
    assert out == ('  {\n'
                   '      "report": [\n'
                   '          {\n'
                   '              "lv": [\n'
                   '                  {"lv_name":"root", "lv_attr":"owi-a-s---", "origin":"", "snap_percent":""},\n'
                   '                  {"lv_name":"snap", "lv_attr":"swi-a-s---", "origin":"root", '
                   '"snap_percent":"0.00"}\n'
                   '              ]\n'
                   '          }\n'
                   '      ]\n'
                   '      ,\n'
                   '      "log": [\n'
                   '      ]\n'
                   '  }\n')
    assert json.loads(vg0.run("lvs", "--reportformat", "json_std", "-o", "name,snap_percent")[1])["report"][0]["lv"] \
        == [{"lv_name": "root", "snap_percent": None}, {"lv_name": "snap", "snap_percent": 0.0}]
    # errors go into the log section (log/report_command_log is on for JSON), not to stderr
    code, out, err = vg0.run("lvs", "--reportformat", "json", "vg0/nope")
    log = json.loads(out)["log"]
    assert (code, err, json.loads(out)["report"]) == (5, "", [{"lv": []}])
    assert [(r["log_type"], r["log_object_type"], r["log_object_name"], r["log_message"], r["log_ret_code"])
            for r in log] == [("error", "lv", "nope", 'Failed to find logical volume "vg0/nope"', "0"),
                              ("status", "lv", "nope", "failure", "5"), ("status", "vg", "vg0", "failure", "5")]
    code, out, err = vg0.run("vgs", "--reportformat", "json", "nosuch")
    assert (code, err) == (5, "")
    assert [r["log_message"] for r in json.loads(out)["log"]] == [
        'Volume group "nosuch" not found', "Cannot process volume group nosuch", "failure"]


def test_what_lvcreate_and_lvremove_refuse(vg0):
    vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root")
    assert vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root") == (
        5, "", '  Logical Volume "snap" already exists in volume group "vg0"\n')
    assert vg0.run("lvcreate", "-s", "-n", "root", "-L", "100m", "vg0/root") == (
        5, "", '  Logical Volume "root" already exists in volume group "vg0"\n')
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "vg0/snap") == (
        5, "", "  Snapshots of snapshots are not supported.\n")
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "vg0/nope") == (
        5, "", "  Snapshot origin LV nope not found in Volume group vg0.\n")
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "vgx/root") == (
        5, "", '  Volume group "vgx" not found\n  Cannot process volume group vgx\n')
    assert vg0.run("lvcreate", "-s", "-n", "s2", "vg0/root") == (
        5, "", "  Please specify either size or extents with snapshots.\n")
    assert vg0.run("lvcreate", "--type", "snapshot", "-n", "s2", "vg0/root") == (  # no definition matches
        3, "  lvcreate --type snapshot -L|--size Size[m|UNIT] LV\n  Create a COW snapshot LV of an origin LV\n"
           "  (also see --snapshot).\n\n",
        "  No command with matching syntax recognised.  Run 'lvcreate --help' for more information.\n"
        "  Nearest similar command has syntax:\n")
    assert vg0.run("lvcreate", "-s", "-n", "snapshot1", "-L", "8m", "vg0/root") == (
        3, "", '  Names starting "snapshot" are reserved. Please choose a different LV name.\n')
    assert vg0.run("lvcreate", "-s", "-n", "pvmove0", "-L", "8m", "vg0/root")[2] == (
        '  Names starting "pvmove" are reserved. Please choose a different LV name.\n')
    assert vg0.run("lvcreate", "-s", "-n", "a_tmeta", "-L", "8m", "vg0/root") == (
        3, "", '  Names including "_tmeta" are reserved. Please choose a different LV name.\n')
    assert vg0.run("lvcreate", "-s", "-n", "bad:name", "-L", "8m", "vg0/root") == (
        3, "", '  Logical volume name "bad:name" is invalid.\n')
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "root") == (
        3, "", "  The origin name should include the volume group.\n")
    assert vg0.run("lvcreate", "-s", "-n", "vgx/s2", "-L", "8m", "vg0/root") == (
        3, "", '  Please use a single volume group name ("vg0" or "vgx").\n')
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "-l", "2", "vg0/root") == (
        3, "", "  Please specify either size or extents (not both).\n")
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "0", "vg0/root") == (3, "", "  --size may not be zero.\n")
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-l", "10%LV", "vg0/root") == (
        5, "", "  Please express size as %FREE, %ORIGIN, %PVS or %VG.\n")
    assert vg0.run("lvcreate", "-s", "-n", "s2", "-L", "8m", "vg0/root", "/dev/sdz") == (
        5, "", '  Physical Volume "/dev/sdz" not found in Volume Group "vg0".\n')
    assert vg0.run("lvcreate", "--type", "thin", "-n", "t", "vg0/root") == (
        3, "", "  thin: Required device-mapper target(s) not detected in your kernel.\n")
    assert vg0.run("lvremove", "-f", "vg0/nope") == (5, "", '  Failed to find logical volume "vg0/nope"\n')
    assert vg0.run("lvremove", "-f", "vgx/nope") == (5, "", '  Volume group "vgx" not found\n'
                                                            '  Cannot process volume group vgx\n')
    assert vg0.run("lvs", "vgx") == (5, "", '  Volume group "vgx" not found\n  Cannot process volume group vgx\n')
    # without --force or --yes lvremove asks; no answer is no
    assert vg0.run("lvremove", "vg0/snap") == (
        5, "", "Do you really want to remove active logical volume vg0/snap? [y/n]: [n]\n"
               "  Logical volume vg0/snap not removed.\n")
    assert vg0.run("lvremove", "vg0/snap", stdin="y\n") == (0, '  Logical volume "snap" successfully removed.\n',
                                                            "Do you really want to remove active logical volume "
                                                            "vg0/snap? [y/n]: ")
    assert list(vg0.lvs()) == ["vg0/root"]


def test_bad_command_lines_are_exit_3(vg0):
    lvcreate = vg0.tool("lvcreate")
    assert vg0.run("lvcreate", "--bogus", "vg0/root") == (
        3, "", "%s: unrecognized option '--bogus'\n  Error during parsing of command line.\n" % lvcreate)
    assert vg0.run("lvcreate", "-X", "vg0/root") == (
        3, "", "%s: invalid option -- 'X'\n  Error during parsing of command line.\n" % lvcreate)
    assert vg0.run("lvcreate", "-s", "vg0/root", "-L") == (
        3, "", "%s: option requires an argument -- 'L'\n  Error during parsing of command line.\n" % lvcreate)
    assert vg0.run("lvcreate", "-s", "-L", "lots", "vg0/root") == (
        3, "", "  Size requires number argument.\n  Invalid argument for --size: lots\n"
               "  Error during parsing of command line.\n")
    assert vg0.run("lvcreate", "-s", "-l", "5%BOGUS", "vg0/root") == (
        3, "", "  Specified %BOGUS is unknown.\n  Invalid argument for --extents: 5%BOGUS\n"
               "  Error during parsing of command line.\n")
    assert vg0.run("lvcreate", "-s", "-n", "a", "-n", "b", "-L", "8m", "vg0/root") == (
        3, "", "  Option -n/--name may not be repeated.\n  Error during parsing of command line.\n")
    assert vg0.run("lvcreate", "-L", "8m", "-n", "x") == (
        3, "  lvcreate --type error -L|--size Size[m|UNIT] VG\n  Create an LV that returns errors when used.\n\n",
        "  No command with matching syntax recognised.  Run 'lvcreate --help' for more information.\n"
        "  Nearest similar command has syntax:\n")
    assert vg0.run("lvcreate", "-s", "-L", "8m", "--cachemode", "writeback", "vg0/root") == (
        3, "", "  Command does not accept option: --cachemode writeback.\n")
    assert vg0.run("lvremove") == (
        3, "  lvremove VG|LV|Tag|Select ...\n\n",
        "  No command with matching syntax recognised.  Run 'lvremove --help' for more information.\n"
        "  Correct command syntax is:\n")
    assert vg0.run("lvs", "--noheadings", "--headings", "full") == (
        3, "", "  Command does not accept option combination: --noheadings  with --headings \n")
    assert vg0.run("lvs", "-o", "lv_name,bogus") == (5, "", "  Unrecognised field: bogus\n")
    assert vg0.run("lvs", "--units", "x") == (3, "", "  Invalid units specification\n")
    assert vg0.run("lvs", "--snapshot")[0] == 3  # an lvcreate option is not an lvs option
    # long options may be abbreviated and may carry hyphens, as with getopt_long and lvm's hyphen removal
    assert vg0.run("lvs", "--no-head", "--separator=,", "-oname") == (0, "  root\n", "")
    assert list(vg0.lvs()) == ["vg0/root"]


def test_a_snapshot_holds_the_origin_as_it_was_when_taken(vg0):
    with vg0.origin_mount("vg0", "root") as origin:
        corpus(origin)
        before = snapshot(origin)
        assert vg0.run("lvcreate", "-s", "-n", "snap", "-l", "100%ORIGIN", "vg0/root")[0] == 0  # origin mounted
        with open(os.path.join(origin, "corpus", "small.txt"), "w") as f:
            f.write("changed after the snapshot\n")
        open(os.path.join(origin, "later.txt"), "w").write("later\n")
        # an ext4 snapshot of a mounted origin mounts read-only without replaying its journal
        with vg0.mount("vg0", "snap", "ro", "noload") as snap:
            assert diff(before, snapshot(snap)) == []
            assert not os.path.exists(os.path.join(snap, "later.txt"))
        assert vg0.run(*PRODUCT_LVS + ["vg0"])[1].splitlines()[0].startswith("  root,vg0,owi-aos---,")
    assert vg0.run("lvremove", "-f", "vg0/snap")[0] == 0


def test_an_xfs_snapshot_mounts_only_with_nouuid_while_its_origin_is_mounted(lvm):
    lvm.create_vg("vg0")
    lvm.create_lv("vg0", "data", size_mb=320, fs="xfs", fill=corpus)
    with lvm.origin_mount("vg0", "data") as origin:
        before = snapshot(origin)
        assert lvm.run("lvcreate", "-s", "-n", "snap", "-L", "64m", "vg0/data")[0] == 0
        open(os.path.join(origin, "later.txt"), "w").write("later\n")
        point = os.path.join(lvm.root, "plain")
        os.mkdir(point)
        r = subprocess.run(["mount", "-o", "ro", lvm.lv_path("vg0", "snap"), point], capture_output=True, text=True)
        assert r.returncode != 0  # same XFS UUID as the mounted origin
        with lvm.mount("vg0", "snap", "ro", "nouuid") as snap:
            assert diff(before, snapshot(snap)) == []
            assert not os.path.exists(os.path.join(snap, "later.txt"))


def test_a_mounted_snapshot_is_in_use_and_open(vg0):
    vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root")
    with vg0.mount("vg0", "snap", "ro", "noload"):
        assert vg0.run("lvs", "-o", "name,attr,device_open", "vg0/snap") == (
            0, "  LV   Attr       DevOpen   \n  snap swi-aos---       open\n", "")
        assert vg0.run("lvremove", "-f", "vg0/snap") == (
            5, "", "  Logical volume vg0/snap contains a filesystem in use.\n")
        assert vg0.run("lvremove", "-f", "vg0/root") == (
            5, "", "  Logical volume vg0/snap contains a filesystem in use.\n"
                   "  LV vg0/root has open 1 snapshot(s), not deactivating.\n"
                   "  Logical volume vg0/root not removed.\n")
        assert vg0.leftovers()["mounts"] != []
    assert vg0.run("lvs", "-o", "name,attr", "--noheadings", "vg0/snap") == (0, "  snap swi-a-s---\n", "")
    # an origin goes with its snapshots, snapshots first
    assert vg0.run("lvremove", "-f", "vg0/root") == (
        0, '  Logical volume "snap" successfully removed.\n  Logical volume "root" successfully removed.\n', "")


def test_the_test_drives_snap_percent_and_invalidation(vg0):
    vg0.run("lvcreate", "-s", "-n", "snap", "-L", "100m", "vg0/root")
    vg0.set_snap_percent("vg0", "snap", 12.5)
    assert vg0.run(*PRODUCT_LVS + ["vg0/snap"])[1] == "  snap,vg0,swi-a-s---,root,12.50,104857600,%s\n" % (
        vg0.lv_path("vg0", "snap"))
    vg0.set_snap_percent("vg0", "snap", 0.001)  # lvm never shows a non-zero fill as 0.00, nor a partial one as 100.00
    assert vg0.run("lvs", "--noheadings", "-o", "snap_percent", "vg0/snap")[1] == "  0.01  \n"
    vg0.set_snap_percent("vg0", "snap", 99.999)
    assert vg0.run("lvs", "--noheadings", "-o", "data_percent", "vg0/snap")[1] == "  99.99 \n"
    with vg0.mount("vg0", "snap", "ro", "noload") as snap:
        vg0.invalidate("vg0", "snap")  # from now on its I/O fails, as dm-snapshot fails an invalid snapshot's
        with pytest.raises(OSError) as e:
            open(os.path.join(snap, "hello.txt")).read()
        assert e.value.errno == 5
        assert vg0.run("lvs", "--noheadings", "-o", "attr", "vg0/snap")[1] == "  swi-Ios---\n"
    assert vg0.run(*PRODUCT_LVS + ["vg0/snap"])[1] == "  snap,vg0,swi-I-s---,root,100.00,104857600,%s\n" % (
        vg0.lv_path("vg0", "snap"))
    assert vg0.run("lvs", "--noheadings", "-o", "snapshot_invalid", "vg0/snap")[1] == "  snapshot invalid\n"
    size = subprocess.run(["blockdev", "--getsize64", vg0.lv_path("vg0", "snap")], capture_output=True, text=True)
    assert size.stdout.strip() == "0"
    assert vg0.run("lvremove", "-f", "vg0/snap")[0] == 0


def test_sizes_in_extents_percentages_and_free_space(lvm):
    lvm.create_vg("vg0", size_mb=1024)  # 256 extents
    lvm.create_lv("vg0", "big", size_mb=768, fs=None)  # 192 extents: 64 left
    assert lvm.run("lvcreate", "-s", "-n", "s1", "-L", "5m", "vg0/big") == (
        0, "  Rounding up size to full physical extent 8.00 MiB\n" '  Logical volume "s1" created.\n', "")
    assert lvm.run("lvcreate", "-s", "-n", "s2", "-L", "500m", "vg0/big") == (
        5, "", '  Volume group "vg0" has insufficient free space (62 extents): 125 required.\n')
    assert lvm.run("lvcreate", "-s", "-n", "s2", "-l", "50%FREE", "vg0/big")[0] == 0  # 31 extents
    assert lvm.run("lvcreate", "-s", "-n", "s3", "-l", "100%ORIGIN", "vg0/big")[0] == 0  # takes the 31 left
    assert lvm.run("lvs", "--noheadings", "--units", "m", "-o", "name,size")[1] == (
        "  big  768.00m\n  s1     8.00m\n  s2   124.00m\n  s3   124.00m\n")  # the LV column is 4 wide at least
    assert lvm.run("lvcreate", "-s", "-n", "s4", "-l", "10%ORIGIN", "vg0/big") == (
        5, "", "  Insufficient suitable allocatable extents found for logical volume s4.\n")
    for name in ("s1", "s2", "s3"):
        lvm.run("lvremove", "-f", "vg0/" + name)
    # %ORIGIN adds the exception store's header and metadata chunks: 100% of 768 MiB (192 extents) is 193
    lvm.create_vg("vg1", size_mb=2048)
    lvm.create_lv("vg1", "o", size_mb=768, fs=None)
    for pct, extents in (("100", 193), ("50", 97), ("1", 3)):
        assert lvm.run("lvcreate", "-s", "-n", "p" + pct, "-l", pct + "%ORIGIN", "vg1/o")[0] == 0
        assert lvm.lvs()["vg1/p" + pct]["extents"] == extents
    assert lvm.run("lvcreate", "-s", "-l", "10%VG", "vg1/o") == (  # 51 extents wanted, 27 free
        0, '  Reducing 10%VG to remaining free space 108.00 MiB in VG.\n  Logical volume "lvol0" created.\n', "")
    assert lvm.lvs()["vg1/lvol0"]["extents"] == 27


def test_calls_are_logged_and_faults_injected(vg0):
    vg0.clear_calls()
    vg0.fault("lvcreate", 5, "  Volume group \"vg0\" has insufficient free space (0 extents): 25 required.")
    argv = ["lvcreate", "--snapshot", "--name", "snap", "--size", "100M", "vg0/root"]
    assert vg0.run(*argv) == (5, "", '  Volume group "vg0" has insufficient free space (0 extents): 25 required.\n')
    assert "vg0/snap" not in vg0.lvs()
    assert vg0.run(*argv)[0] == 0  # times=1
    vg0.fault("lvremove", 5, "  injected", times=1, skip=1)
    assert vg0.run("lvremove", "-f", "vg0/nope")[2] == '  Failed to find logical volume "vg0/nope"\n'
    assert vg0.run("lvremove", "-f", "vg0/snap") == (5, "", "  injected\n")
    assert vg0.run("lvm", "lvremove", "-f", "vg0/snap")[0] == 0
    assert vg0.calls() == [argv, argv, ["lvremove", "-f", "vg0/nope"], ["lvremove", "-f", "vg0/snap"],
                           ["lvm", "lvremove", "-f", "vg0/snap"]]


def test_device_names_and_teardown(lvm, work):
    lvm.create_vg("vg-a")
    lvm.create_lv("vg-a", "lv-1", size_mb=8, fs=None)
    assert lvm.run("lvcreate", "-s", "-n", "snap-1", "-L", "4m", "/dev/mapper/vg--a-lv--1") == (
        0, '  Logical volume "snap-1" created.\n', "")
    assert os.path.islink(os.path.join(lvm.devroot, "mapper", "vg--a-snap--1"))
    assert lvm.run("lvs", "--noheadings", "-o", "dm_path", "vg-a/snap-1")[1] == "  %s/mapper/vg--a-snap--1\n" % (
        lvm.devroot)
    mounted = lvm.create_lv("vg-a", "fs", size_mb=16)
    point = os.path.join(work, "left-mounted")
    os.mkdir(point)
    subprocess.run(["mount", mounted, point], check=True)
    devs = lvm.our_loop_devices()
    assert len(devs) == 3
    assert lvm.leftovers() == {"snapshots": ["vg-a/snap-1"], "loop_devices": [lvm.loop_device("vg-a", "snap-1")],
                               "mounts": [point]}
    lvm.teardown()
    assert lvm.our_loop_devices() == [] and lvm.mounts() == []
    with open("/proc/self/mountinfo") as f:
        assert not [line for line in f if work in line]
    backing = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    assert work not in backing
