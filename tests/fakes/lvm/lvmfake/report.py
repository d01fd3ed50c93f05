# SPDX-License-Identifier: AGPL-3.0-or-later
"""Report output: libdm/libdm-report.c (columns, JSON), its command log (lib/log/log.c), tools/reporter.c."""
from . import store
from .fields import BIN, DEFAULT_COLUMNS, NUM, PCT, SIZ, STR_LIST, field_def, report_columns, report_keys
from .log import ECMD_PROCESSED, EINVALID_CMD_LINE, LOG, Exit, fail
from .units import Units


def _sort_rows(rows, keys):
    for field, descending in reversed(keys):
        rows.sort(key=lambda r: r[field][1], reverse=descending)
    return rows


class CmdLog:
    """The "log" report that JSON output carries (lib/log/log.c report_cmdlog, tools/toollib.c
    report_log_ret_code): errors as rows, a status row per processed object; status rows saying "success" are
    filtered out by the default log/command_log_selection, though they use up sequence numbers."""

    def __init__(self):
        self.seq = 0
        self.rows = []
        self.object = ("", "", "", "", "")  # type, name, id, group, group id
        self.errno = 0

    def _add(self, kind, msg, ret, shown=True):
        self.seq += 1
        if shown:
            t, name, oid, group, gid = self.object
            self.rows.append({"log_seq_num": str(self.seq), "log_type": kind, "log_context": "processing",
                              "log_object_type": t, "log_object_name": name, "log_object_id": oid,
                              "log_object_group": group, "log_object_group_id": gid, "log_message": msg,
                              "log_errno": str(self.errno), "log_ret_code": str(ret)})

    def error(self, msg):
        self.errno = -1
        self._add("error", msg, 0)

    def status(self, ret):
        ok = ret == ECMD_PROCESSED
        self._add("status", "success" if ok else "failure", ret, shown=not ok)


def _output_basic(ctx, columns, rows):
    """_output_as_columns(): headings then rows, each a log_print (so two leading spaces); aligned columns are as
    wide as their widest value or heading, numbers and sizes right-aligned."""
    if not rows:
        return
    aligned, sep = ctx["aligned"], ctx["separator"]
    widths = {}
    for field in columns:
        heading, width = field_def(field)[0], field_def(field)[1] or len(field_def(field)[0])
        widths[field] = max([width] + [len(r[field][0]) for r in rows])
    if ctx["headings"]:
        names = [field if ctx["headings"] == "full" else field_def(field)[0] for field in columns]
        if ctx["headings"] == "full":
            for field in columns:
                widths[field] = max(widths[field], len(field))
        line = sep.join(("%-*.*s" % (widths[f], widths[f], h)) if aligned else h for f, h in zip(columns, names))
        LOG.print(line)
    for r in rows:
        cells = []
        for field in columns:
            text = r[field][0]
            if aligned:
                right = field_def(field)[2] in (NUM, SIZ, BIN)
                text = ("%*s" if right else "%-*s") % (widths[field], text)
            if ctx["prefixes"]:
                q = "" if not ctx["quoted"] else "'"
                text = "LVM2_%s=%s%s%s" % (field.upper(), q, text, q)
            cells.append(text)
        LOG.print(sep.join(cells))


def _json_escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _json_value(field, text, std):
    kind = field_def(field)[2]
    if std and kind in (NUM, PCT, BIN):
        return text if text else "null"
    if std and kind == STR_LIST:
        return "[%s]" % ",".join('"%s"' % _json_escape(t) for t in text.split(",") if t)
    return '"%s"' % _json_escape(text)


def _json_rows(lines, indent, rows, render):
    for i, r in enumerate(rows):
        lines.append(" " * indent + "{" + ", ".join(render(r)) + "}" + ("," if i < len(rows) - 1 else ""))


def _output_json(ctx, columns, rows, name, cmdlog):
    """libdm's JSON report group: {"report": [{"<lv|vg>": [rows]}], "log": [rows]}, 4-space indents, every line a
    log_print (two more leading spaces)."""
    std = ctx["format"] == "json_std"
    lines = ["{", '    "report": [', "        {", '            "%s": [' % name]
    _json_rows(lines, 16, rows, lambda r: ['"%s":%s' % (f, _json_value(f, r[f][0], std)) for f in columns])
    lines += ["            ]", "        }", "    ]", "    ,", '    "log": [']
    log_fields = ("log_seq_num", "log_type", "log_context", "log_object_type", "log_object_name", "log_object_id",
                  "log_object_group", "log_object_group_id", "log_message", "log_errno", "log_ret_code")
    numeric = ("log_seq_num", "log_errno", "log_ret_code")
    _json_rows(lines, 8, cmdlog.rows, lambda r: ['"%s":%s' % (
        f, r[f] if std and f in numeric else '"%s"' % _json_escape(r[f])) for f in log_fields])
    lines += ["    ]", "}"]
    for line in lines:
        LOG.print(line)


def report_context(args, report):
    fmt = args.text("reportformat", "basic")
    units = args.text("units", "r")
    if not Units.valid(units):
        fail("Invalid units specification", EINVALID_CMD_LINE)
    if args.set("select"):
        fail("fake lvm: --select is not faked", EINVALID_CMD_LINE)
    if args.set("rows"):
        fail("fake lvm: --rows is not faked", EINVALID_CMD_LINE)
    headings = {"none": None, "0": None, "abbrev": "abbrev", "1": "abbrev", "full": "full", "2": "full"}[
        args.text("headings", "abbrev")]
    ctx = {"format": fmt, "units": Units(units, not args.set("nosuffix")),
           "binary": args.set("binary") or fmt == "json_std",  # json_std reports binary fields as numbers
           "aligned": not args.set("separator") or args.set("aligned"), "separator": args.text("separator", " "),
           "headings": None if args.set("noheadings") else headings, "prefixes": args.set("nameprefixes"),
           "quoted": not args.set("unquoted")}
    if ctx["prefixes"]:
        ctx["aligned"] = False
    return ctx


def run_report(args, report, collect):
    """lvs/vgs: columns and keys first (bad fields fail before any VG is read), then the rows, then the output."""
    ctx = report_context(args, report)
    columns = report_columns(args, report)
    keys = report_keys(args, report)
    cmdlog = None
    if ctx["format"] != "basic":
        cmdlog = LOG.cmdlog = CmdLog()
    with store.locked_state(shared=True) as state:
        rows, ret = collect(ctx, state, columns + [k for k, _ in keys], cmdlog)
    LOG.cmdlog = None
    rows = _sort_rows(rows, keys)
    if cmdlog is not None:
        _output_json(ctx, columns, rows, DEFAULT_COLUMNS[report][2], cmdlog)
    else:
        _output_basic(ctx, columns, rows)
    if ret != ECMD_PROCESSED:
        raise Exit(ret)


def set_log_object(cmdlog, *obj):
    if cmdlog is not None:
        cmdlog.object = tuple(obj) + ("",) * (5 - len(obj))


def log_status(cmdlog, ret):
    if cmdlog is not None:
        cmdlog.status(ret)
