# SPDX-License-Identifier: AGPL-3.0-or-later
"""LV and VG names: lib/misc/lvm-string.c (name rules), tools/toollib.c (device directories, vg/lv)."""
import os
import re

from . import store
from .log import LOG


def validate_name(name):
    """_validate_name(): non-empty, no leading '-', not "." or "..", only [A-Za-z0-9._+-], under 128 bytes."""
    if not name or name[0] == "-" or name in (".", ".."):
        return False
    if not re.fullmatch(r"[A-Za-z0-9._+-]+", name):
        return False
    return len(name.encode()) < 128


_RESERVED_PREFIXES = ("pvmove", "snapshot")
_RESERVED_COMPONENT = ("_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig", "_mimage", "_mlog", "_rimage",
                       "_rmeta", "_tdata", "_tmeta", "_vdata", "_imeta", "_iorig")


def apply_lvname_restrictions(name):
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            LOG.error('Names starting "%s" are reserved. Please choose a different LV name.' % prefix)
            return False
    tail = name[name.index("_"):] if "_" in name else None
    if tail is not None:
        for s in _RESERVED_COMPONENT + ("_pmspare", "_vorigin"):
            if s in tail:
                LOG.error('Names including "%s" are reserved. Please choose a different LV name.' % s)
                return False
    return True


def skip_dev_dir(name):
    """skip_dev_dir(): strip the device directory (lvm.conf devices/dir, here $FAKE_LVM_DEVROOT; /dev/ too) and turn
    <dir>/mapper/<vg>-<lv> into <vg>/<lv>. Returns (name, dev_dir_found)."""
    if name.startswith("/"):
        name = "/" + name.lstrip("/")
    for d in dict.fromkeys([store.devroot().rstrip("/") + "/", "/dev/"]):
        if name.startswith(d):
            rest = name[len(d):].lstrip("/")
            if rest.startswith("mapper/"):
                split = store.split_dm_name(rest[len("mapper/"):].lstrip("/"))
                if split is None:
                    LOG.error("skip_dev_dir: Couldn't split up device name %s." % rest)
                    return rest, True
                vg, lv = split
                return vg + ("/" + lv if lv else ""), True
            return rest, True
    return name, False


def extract_vgname(lv_name):
    """_extract_vgname(): exactly one run of slashes between VG and LV; returns (vg, lv) or None (logged)."""
    stripped, _ = skip_dev_dir(lv_name)
    m = re.fullmatch(r"([^/]*)/+([^/]*)", stripped)
    if not m:
        LOG.error('"%s": Invalid path for Logical Volume.' % lv_name)
        return None
    return m.group(1), m.group(2)


def validate_lvname_param(vg_name, lv_name):
    """validate_lvname_param(): returns (ok, vg_name, lv_name); a VG in the LV name must agree with vg_name."""
    if not lv_name:
        return True, vg_name, lv_name
    if "/" in lv_name:
        split = extract_vgname(lv_name)
        if split is None:
            return False, vg_name, lv_name
        vg, lv_name = split
        if vg_name and vg != vg_name:
            LOG.error('Please use a single volume group name ("%s" or "%s").' % (vg, vg_name))
            return False, vg_name, lv_name
        vg_name = vg
    if not validate_name(lv_name):
        LOG.error('Logical volume name "%s" is invalid.' % lv_name)
        return False, vg_name, lv_name
    return True, vg_name, lv_name


def default_vgname():
    path = os.environ.get("LVM_VG_NAME")
    if not path:
        return None
    path, _ = skip_dev_dir(path)
    if "/" in path:
        LOG.error('"%s": Invalid environment var LVM_VG_NAME set for Volume Group.' % path)
        return None
    return path
