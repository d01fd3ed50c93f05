# SPDX-License-Identifier: AGPL-3.0-or-later
"""lvs: tools/reporter.c over tools/toollib.c process_each_lv, with the JSON command log's object rows."""
from . import store
from .fields import report_row
from .log import ECMD_FAILED, ECMD_PROCESSED, LOG
from .process_each import lv_arguments, lvs_to_process, read_vg
from .report import log_status, run_report, set_log_object


def lvs(args):
    def collect(ctx, state, fields, cmdlog):
        targets, ret = lv_arguments(args.positional, ECMD_PROCESSED)
        rows = []
        if ret != ECMD_PROCESSED:  # process_each_lv stops at a bad argument
            return rows, ret
        for vg_name, vg, wanted, missing in lvs_to_process(state, targets):
            set_log_object(cmdlog, "vg", vg_name)
            if vg is None:
                read_vg(state, vg_name)
                log_status(cmdlog, ECMD_FAILED)
                ret = max(ret, ECMD_FAILED)
                continue
            vg_id = store.format_uuid(vg["uuid"])
            for name in wanted:
                lv = vg["lvs"][name]
                set_log_object(cmdlog, "lv", name, store.format_uuid(lv["uuid"]), vg_name, vg_id)
                rows.append(report_row(ctx, fields, vg_name, vg, name, lv))
                log_status(cmdlog, ECMD_PROCESSED)
            for name in missing:
                set_log_object(cmdlog, "lv", name, "", vg_name, vg_id)
                LOG.error('Failed to find logical volume "%s/%s"' % (vg_name, name))
            if missing:
                log_status(cmdlog, ECMD_FAILED)
            vg_ret = ECMD_FAILED if missing else ECMD_PROCESSED
            set_log_object(cmdlog, "vg", vg_name, vg_id)
            log_status(cmdlog, vg_ret)
            ret = max(ret, vg_ret)
        return rows, ret

    run_report(args, "lvs", collect)
