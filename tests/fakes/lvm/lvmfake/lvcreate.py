# SPDX-License-Identifier: AGPL-3.0-or-later
"""lvcreate: tools/lvcreate.c, lib/metadata/lv_manip.c, lib/metadata/snapshot_manip.c, lib/metadata/metadata.c."""
import re

from . import store
from .log import ECMD_FAILED, EINVALID_CMD_LINE, LOG, Exit, fail
from .names import apply_lvname_restrictions, default_vgname, skip_dev_dir, validate_lvname_param, validate_name
from .process_each import read_vg
from .units import display_size


LVCREATE_ARGS = ("activate addtag alloc autobackup available cachesettings contiguous devices devicesfile "
                 "ignoreactivationskip ignoremonitoring journal lockopt metadataprofile monitor mirrors name "
                 "nohints noudevsync permission persistent readahead setactivationskip setautoactivation test "
                 "type").split()
SNAPSHOT_ARGS = set(LVCREATE_ARGS + "major minor extents size stripes stripesize chunksize snapshot thinpool "
                                    "virtualoriginsize virtualsize".split())
COMMON_ARGS = set("commandprofile config debug driverloaded help profile quiet verbose version yes".split())


def _segtype(args):
    """_lvcreate_params(): --type first, then what the options imply."""
    t = args.text("type")
    if t:
        return "striped" if t == "linear" else t, True
    if args.set("snapshot") and (args.set("virtualoriginsize") or not args.set("virtualsize")):
        return "snapshot", False
    if args.set("cache") or args.set("cachepool"):
        return "cache", False
    if args.set("thin") or args.set("thinpool"):
        return "thin", False
    if args.set("vdo") or args.set("vdopool"):
        return "vdo", False
    if args.set("virtualsize"):
        return "snapshot" if args.set("virtualoriginsize") else "thin", False
    if args.get("mirrors") is not None and args.get("mirrors").number:
        return "raid10" if args.get("stripes") is not None and args.get("stripes").number > 1 else "raid1", False
    return "striped", False


def _outside_list(args, allowed, what):
    for opt in args.set_options():
        if opt not in COMMON_ARGS and opt not in allowed:
            fail("Option --%s %s." % (opt, what), EINVALID_CMD_LINE)


def _from_list(args, opts, what):
    for opt in opts:
        if args.set(opt):
            fail("--%s %s." % (opt, what), EINVALID_CMD_LINE)


def lvcreate_params(args):
    """_lvcreate_params() and _lvcreate_name_params() for the two segment types the fake makes (linear and COW
    snapshot); any other type needs a device-mapper target this "kernel" lacks."""
    segtype, typed = _segtype(args)
    if segtype not in ("striped", "snapshot") or (segtype == "snapshot" and args.set("thinpool") and not typed):
        name = "thin" if segtype == "snapshot" else segtype
        fail("%s: Required device-mapper target(s) not detected in your kernel." % name, EINVALID_CMD_LINE)
    lp = {"snapshot": segtype == "snapshot", "vg": None, "origin": None, "name": args.text("name")}
    if lp["snapshot"]:
        _outside_list(args, SNAPSHOT_ARGS, "is unsupported with snapshots")
        if args.set("thinpool"):
            fail("Snapshot segment type is incompatible with thin pools.", EINVALID_CMD_LINE)
        if typed and not args.set("size") and not args.set("extents"):
            fail("Snapshot segment type requires size or extents.", EINVALID_CMD_LINE)
    else:
        _from_list(args, ["virtualoriginsize"], "is supported only with sparse snapshots")
    _from_list(args, ["nosync", "regionsize"], "is supported only with mirrors or raids")
    if args.get("mirrors") is not None and args.get("mirrors").number:
        fail("--mirrors is supported only with mirrors or raids", EINVALID_CMD_LINE)
    if not lp["snapshot"]:
        _from_list(args, ["chunksize"], "is supported only with pools and snapshots")
        _from_list(args, ["virtualsize"], "is supported only with vdo,  sparse snapshots and thins")
    _name_params(args, lp)
    _size_params(args, lp)
    lp["pvs"] = args.positional[1:]
    return lp


def _name_params(args, lp):
    ok, lp["vg"], lp["name"] = validate_lvname_param(lp["vg"], lp["name"])
    if not ok or (lp["name"] and not apply_lvname_restrictions(lp["name"])):
        raise Exit(EINVALID_CMD_LINE)
    if lp["snapshot"]:
        if not args.positional:
            fail("Please specify a logical volume to act as the snapshot origin.", EINVALID_CMD_LINE)
        ok, lp["vg"], lp["origin"] = validate_lvname_param(lp["vg"], args.positional[0])
        if not ok:
            raise Exit(EINVALID_CMD_LINE)
        lp["vg"] = lp["vg"] or default_vgname()
        if not lp["vg"]:
            fail("The origin name should include the volume group.", EINVALID_CMD_LINE)
    elif not args.positional:
        lp["vg"] = lp["vg"] or default_vgname()
        if not lp["vg"]:
            fail("Please provide a volume group name", EINVALID_CMD_LINE)
    else:
        vg, _ = skip_dev_dir(args.positional[0])
        if "/" in vg:
            fail("Volume group name expected (no slash)", EINVALID_CMD_LINE)
        if lp["vg"] and lp["vg"] != vg:
            fail('Inconsistent volume group names given: "%s" and "%s"' % (lp["vg"], vg), EINVALID_CMD_LINE)
        lp["vg"] = vg
    if not validate_name(lp["vg"]):
        fail("Volume group name %s has invalid characters" % lp["vg"], EINVALID_CMD_LINE)


def _size_params(args, lp):
    zero = [o for o in ("chunksize", "extents", "regionsize", "size", "stripes", "stripesize", "virtualsize")
            if args.get(o) is not None and args.get(o).number == 0]
    for opt in zero:
        LOG.error("--%s may not be zero." % opt)
    if zero:
        raise Exit(EINVALID_CMD_LINE)
    lp["extents"] = lp["size"] = lp["percent"] = None
    if args.set("extents"):
        if args.set("size"):
            fail("Please specify either size or extents (not both).", EINVALID_CMD_LINE)
        lp["extents"], lp["percent"] = args.get("extents").number, args.get("extents").percent
    elif args.set("size"):
        lp["size"] = args.get("size").number
    elif not lp["snapshot"]:
        fail("Please specify either size or extents.", EINVALID_CMD_LINE)
    if args.get("stripes") is not None and args.get("stripes").number > 1:
        fail("fake lvm: striping over %d PVs is not faked (the fake VGs have one PV)"
             % args.get("stripes").number, EINVALID_CMD_LINE)
    lp["chunk"] = store.DEFAULT_CHUNK_SECTORS
    if lp["snapshot"] and (lp["extents"] or lp["size"]):
        lp["chunk"] = args.get("chunksize").number if args.set("chunksize") else store.DEFAULT_CHUNK_SECTORS
        c = lp["chunk"]
        if c < 8 or c > 1024 or c & (c - 1):
            fail("Chunk size must be a power of 2 in the range 4K to 512K.", EINVALID_CMD_LINE)
    activate = args.text("activate", "y")
    if activate not in ("y", "ay", "ya", "a", "ey", "ye", "e", "ly", "yl"):
        fail("fake lvm: creating an inactive LV (--activate %s) is not faked" % activate, EINVALID_CMD_LINE)


def _extents(lp, vg, state):
    """_update_extents_params(): a size rounded up to whole extents, or a percentage of the VG, its free space or
    the origin (COW metadata included for %ORIGIN); a COW area never larger than a full copy needs."""
    origin = vg["lvs"].get(lp["origin"]) if lp["snapshot"] else None
    if lp["size"] is not None:
        size = lp["size"]
        if size % vg["extent_size"]:
            size += vg["extent_size"] - size % vg["extent_size"]
            LOG.print_unless_silent("Rounding up size to full physical extent %s" % display_size(size))
        extents = size // vg["extent_size"]
    else:
        extents = lp["extents"]
    pct, free = lp["percent"], store.vg_free_extents(vg)
    if pct == "VG" or pct == "PVS":
        extents = _percent_of(extents, vg["extent_count"], False)
        if pct == "VG" and extents > free:
            LOG.print_unless_silent("Reducing %u%%VG to remaining free space %s in VG." % (
                lp["extents"], display_size(vg["extent_size"] * free)))
            extents = free
    elif pct == "FREE":
        extents = _percent_of(extents, free, False)
    elif pct == "LV":
        fail("Please express size as %%FREE%s, %%PVS or %%VG." % (", %ORIGIN" if lp["snapshot"] else ""),
             ECMD_FAILED)
    elif pct == "ORIGIN":
        if origin is None:
            fail("Couldn't find origin volume '%s'." % lp["origin"], ECMD_FAILED)
        whole = origin["extents"]  # an origin's le_count (a snapshot's own is its COW size)
        extents = store.cow_max_extents(whole * vg["extent_size"], lp["chunk"]) - whole + \
            _percent_of(extents, whole, True)
    if pct is not None and not extents:
        fail("Calculated size of logical volume is 0 extents. Needs to be larger.", ECMD_FAILED)
    if lp["snapshot"] and extents:
        most = store.cow_max_extents(origin["extents"] * vg["extent_size"], lp["chunk"])
        if most < extents:
            LOG.print_unless_silent("Reducing COW size %s down to maximum usable size %s." % (
                display_size(vg["extent_size"] * extents), display_size(vg["extent_size"] * most)))
            extents = most
    return extents


def _percent_of(percent, count, roundup):
    return (percent * count + (99 if roundup else 0)) // 100


def _new_lv_name(vg):
    """generate_lv_name(): lvol<N> one above the highest lvol<N> in the VG."""
    high = -1
    for name in vg["lvs"]:
        m = re.match(r"lvol(-?[0-9]+)", name)
        if m:
            high = max(high, int(m.group(1)))
    return "lvol%d" % (high + 1)


def lvcreate(args):
    lp = lvcreate_params(args)
    with store.locked_state() as state:
        vg = read_vg(state, lp["vg"])
        if vg is None:
            raise Exit(ECMD_FAILED)
        if lp["snapshot"]:
            origin = vg["lvs"].get(lp["origin"])
            if origin is None:
                fail("Snapshot origin LV %s not found in Volume group %s." % (lp["origin"], lp["vg"]), ECMD_FAILED)
            if lp["extents"] is None and lp["size"] is None:
                fail("Please specify either size or extents with snapshots.", ECMD_FAILED)
        for pv in lp["pvs"]:
            fail('Physical Volume "%s" not found in Volume Group "%s".' % (pv, lp["vg"]), ECMD_FAILED)
        extents = _extents(lp, vg, state)
        name = lp["name"] or _new_lv_name(vg)
        if name in vg["lvs"]:
            fail('Logical Volume "%s" already exists in volume group "%s"' % (name, lp["vg"]), ECMD_FAILED)
        if lp["snapshot"] and origin.get("origin"):
            fail("Snapshots of snapshots are not supported.", ECMD_FAILED)
        free = store.vg_free_extents(vg)
        if lp["percent"] is None and free < extents:
            fail('Volume group "%s" has insufficient free space (%u extents): %u required.'
                 % (lp["vg"], free, extents), ECMD_FAILED)
        if lp["percent"] is not None:  # approximate allocation takes what there is
            if not free:
                fail("Insufficient suitable allocatable extents found for logical volume %s." % name, ECMD_FAILED)
            extents = min(extents, free)
        tags = [v.text.lstrip("@") for v in args.values.get("addtag", [])]
        read_only = args.text("permission", "rw") == "r"
        if lp["snapshot"]:
            store.add_snapshot(state, lp["vg"], lp["origin"], name, extents, lp["chunk"], tags, read_only)
        else:
            store.add_linear(state, lp["vg"], name, extents, tags, read_only)
    LOG.print_unless_silent('Logical volume "%s" created.' % name)
