# SPDX-License-Identifier: AGPL-3.0-or-later
"""The VGs and LVs that command arguments name: tools/toollib.c process_each_lv/process_each_vg, vg_read."""
import re

from .log import ECMD_FAILED, ECMD_PROCESSED, EINVALID_CMD_LINE, LOG
from .names import default_vgname, extract_vgname, skip_dev_dir


def read_vg(state, name):
    """vg_read() through process_each_*: a missing VG is "not found" and "Cannot process volume group"."""
    vg = state["vgs"].get(name)
    if vg is None:
        LOG.error('Volume group "%s" not found' % name)
        LOG.error("Cannot process volume group %s" % name)
    return vg


def lv_arguments(positional, ret):
    """_get_arg_lvnames(): {vg: [lv names] or None for the whole VG}, tags as {"@": [tags]}."""
    targets = {}
    for arg in positional:
        if arg.startswith("@"):
            if not re.fullmatch(r"[A-Za-z0-9_+.\-/=!:&#]+", arg[1:]):
                LOG.error("Skipping invalid tag %s." % arg)
                continue
            targets.setdefault("@", []).append(arg[1:])
            continue
        name, dev_dir_found = skip_dev_dir(arg)
        if name.startswith("/"):
            LOG.error('"%s": Invalid path for Logical Volume.' % arg)
            ret = max(ret, ECMD_FAILED)
            continue
        if "/" in name:
            split = extract_vgname(name)
            if split is None:
                ret = max(ret, ECMD_FAILED)
                continue
            vg, lv = split
            if targets.get(vg, []) is not None:
                targets.setdefault(vg, []).append(lv)
        elif not dev_dir_found and default_vgname():
            targets.setdefault(default_vgname(), []).append(name)
        else:
            targets[name] = None
    return targets, ret


def _select_lvs(vg, names):
    """The VG's LVs to process, in the VG's order, and the named ones it lacks."""
    order = sorted(vg["lvs"], key=lambda n: vg["lvs"][n]["seq"])
    if names is None:
        return order, []
    wanted = [n for n in order if n in names]
    missing = [n for n in dict.fromkeys(names) if n not in vg["lvs"]]
    return wanted, missing


def lvs_to_process(state, targets):
    """process_each_lv(): the VGs named (every VG when none is, or when a tag is), each with the LVs to process in
    the VG's order and the named LVs it lacks; a VG that does not exist comes with vg None."""
    tags = set(targets.get("@", []))
    named = {k: v for k, v in targets.items() if k != "@"}
    vg_names = set(named) | (set(state["vgs"]) if not named or tags else set())
    out = []
    for vg_name in sorted(vg_names):
        vg = state["vgs"].get(vg_name)
        if vg is None:
            out.append((vg_name, None, [], []))
            continue
        if vg_name in named:
            wanted, missing = _select_lvs(vg, named[vg_name])
        else:
            wanted, missing = ([] if tags else _select_lvs(vg, None)[0]), []
        if tags:
            tagged = {n for n, lv in vg["lvs"].items() if tags & set(lv.get("tags", []))}
            wanted = [n for n in _select_lvs(vg, None)[0] if n in tagged or n in wanted]
        out.append((vg_name, vg, wanted, missing))
    return out


def vg_arguments(positional):
    """_get_arg_vgnames(): VG names (a device directory prefix dropped) and @tags; a slash is an error."""
    names, tags, ret = [], [], ECMD_PROCESSED
    for arg in positional:
        if arg.startswith("@"):
            if not re.fullmatch(r"[A-Za-z0-9_+.\-/=!:&#]+", arg[1:]):
                LOG.error("Skipping invalid tag: %s" % arg)
                ret = max(ret, EINVALID_CMD_LINE)
            else:
                tags.append(arg[1:])
            continue
        name, _ = skip_dev_dir(arg)
        if "/" in name:
            LOG.error("Invalid volume group name %s." % name)
            ret = max(ret, EINVALID_CMD_LINE)
            continue
        names.append(name)
    return names, tags, ret
