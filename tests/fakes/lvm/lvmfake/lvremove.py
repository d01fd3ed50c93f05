# SPDX-License-Identifier: AGPL-3.0-or-later
"""lvremove: tools/lvremove.c, lib/metadata/lv_manip.c, lib/activate/activate.c, lib/display/display.c."""
import sys

from . import store
from .log import ECMD_FAILED, ECMD_PROCESSED, EINVALID_CMD_LINE, LOG, Exit, fail
from .process_each import lv_arguments, lvs_to_process, read_vg


def _prompt(question):
    """lib/display/display.c yes_no_prompt(): the question on stderr, a y/yes or n/no line from stdin (anything
    else is warned about and asked again); no answer (end of input, or -qq) is no."""
    while True:
        sys.stderr.write(question)
        sys.stderr.flush()
        line = "" if LOG.silent else sys.stdin.readline()
        if not line:
            sys.stderr.write("[n]\n")
            return False
        answer = line.strip().lower()
        if answer in ("y", "ye", "yes", "n", "no"):
            return answer[0] == "y"
        LOG.warn("WARNING: Invalid input '%s'." % line.rstrip("\n"))


def _check_in_use(vg_name, vg, name, force):
    """_lv_remove_check_in_use(): an LV in use cannot go; an active one needs --force/--yes or a yes."""
    lv = vg["lvs"][name]
    why = store.in_use(lv)
    if why:
        LOG.error("Logical volume %s/%s %s." % (vg_name, name, why))
        return False
    if not force:
        snaps = store.snapshots_of(vg, name)
        kind, extra = (" origin", " with %u snapshots(s)" % len(snaps)) if snaps else ("", "")
        if not _prompt("Do you really want to remove active%s logical volume %s/%s%s? [y/n]: "
                       % (kind, vg_name, name, extra)):
            LOG.error("Logical volume %s/%s not removed." % (vg_name, name))
            return False
    return True


def _remove_with_dependencies(state, vg_name, name, force, removed):
    """lv_remove_with_dependencies(): an origin goes after its snapshots, each checked as it goes."""
    vg = state["vgs"][vg_name]
    snaps = store.snapshots_of(vg, name)
    if snaps:
        if not _check_in_use(vg_name, vg, name, force):
            return False
        # deactivating the origin first (lib/activate/activate.c lv_deactivate, _lv_has_open_snapshots)
        open_snaps = [snap for snap in snaps if store.in_use(vg["lvs"][snap])]
        for snap in open_snaps:
            LOG.error("Logical volume %s/%s %s." % (vg_name, snap, store.in_use(vg["lvs"][snap])))
        if open_snaps:
            LOG.error("LV %s/%s has open %d snapshot(s), not deactivating." % (vg_name, name, len(open_snaps)))
            LOG.error("Logical volume %s/%s not removed." % (vg_name, name))
            return False
        for snap in snaps:
            if not _remove_with_dependencies(state, vg_name, snap, force, removed):
                return False
    elif not _check_in_use(vg_name, vg, name, force):
        return False
    store.drop_lv(state, vg_name, name)
    removed.append(name)
    return True


def lvremove(args):
    if not args.positional and not args.set("select"):
        fail("Please enter one or more logical volume paths or use --select for selection.", EINVALID_CMD_LINE)
    if args.set("select"):
        fail("fake lvm: --select is not faked", EINVALID_CMD_LINE)
    force = args.count("force") or args.set("yes")
    targets, ret = lv_arguments(args.positional, ECMD_PROCESSED)
    if ret != ECMD_PROCESSED:  # process_each_lv stops at a bad argument
        raise Exit(ret)
    with store.locked_state() as state:
        for vg_name, vg, wanted, missing in lvs_to_process(state, targets):
            if vg is None:
                read_vg(state, vg_name)
                ret = max(ret, ECMD_FAILED)
                continue
            removed, vg_ret = [], ECMD_PROCESSED
            for name in wanted:
                if name in vg["lvs"] and not _remove_with_dependencies(state, vg_name, name, force, removed):
                    vg_ret = ECMD_FAILED
            for name in missing:
                LOG.error('Failed to find logical volume "%s/%s"' % (vg_name, name))
                vg_ret = ECMD_FAILED
            for name in removed:  # printed once the VG metadata is committed
                LOG.print_unless_silent('Logical volume "%s" successfully removed.' % name)
            ret = max(ret, vg_ret)
    if ret != ECMD_PROCESSED:
        raise Exit(ret)
