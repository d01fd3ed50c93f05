# SPDX-License-Identifier: AGPL-3.0-or-later
"""vgs: tools/reporter.c over tools/toollib.c process_each_vg, with the JSON command log's object rows."""
from . import store
from .fields import report_row
from .log import ECMD_FAILED, ECMD_PROCESSED
from .process_each import read_vg, vg_arguments
from .report import log_status, run_report, set_log_object


def vgs(args):
    def collect(ctx, state, fields, cmdlog):
        names, tags, ret = vg_arguments(args.positional)
        rows = []
        if ret != ECMD_PROCESSED:  # process_each_vg stops at a bad argument
            return rows, ret
        wanted = set(names)
        if not names and not tags:
            wanted = set(state["vgs"])
        wanted |= {n for n, vg in state["vgs"].items() if set(tags) & set(vg.get("tags", []))}
        for vg_name in sorted(wanted):
            set_log_object(cmdlog, "vg", vg_name)
            vg = read_vg(state, vg_name)
            if vg is None:
                log_status(cmdlog, ECMD_FAILED)
                ret = max(ret, ECMD_FAILED)
                continue
            set_log_object(cmdlog, "vg", vg_name, store.format_uuid(vg["uuid"]))
            rows.append(report_row(ctx, fields, vg_name, vg))
            log_status(cmdlog, ECMD_PROCESSED)
        return rows, ret

    run_report(args, "vgs", collect)
