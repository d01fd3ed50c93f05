# SPDX-License-Identifier: AGPL-3.0-or-later
"""Report fields: lib/report/columns.h, lib/report/report.c, lib/metadata/lv.c, libdm/libdm-report.c _get_field."""
from . import store
from .log import ECMD_FAILED, EINVALID_CMD_LINE, fail
from .units import percent_string


STR, NUM, SIZ, PCT, BIN, STR_LIST = "STR", "NUM", "SIZ", "PCT", "BIN", "STR_LIST"


def _lv_attr(vg, name, lv):
    """lib/metadata/lv.c lv_attr_dup_with_info_and_seg_status() for linear LVs, origins and COW snapshots."""
    origin = store.is_origin(vg, name)
    attr = ["o" if origin else ("s" if lv.get("origin") else "-"),
            "r" if lv.get("read_only") else "w", "i", "-", "a", "o" if store.is_open(lv) else "-",
            "s" if origin or lv.get("origin") else "-", "-", "-", "-"]
    if lv.get("origin") and lv.get("invalid"):
        attr[4] = "I"
    return "".join(attr)


def _lv_percent(lv):
    if not lv.get("origin"):
        return None
    return store.PERCENT_100 if lv.get("invalid") else lv.get("percent", 0)


def _binary(word, value, ctx):
    if value is None:
        return ("-1" if ctx["binary"] else "unknown"), -1
    if ctx["binary"]:
        return ("1" if value else "0"), int(bool(value))
    return (word if value else ""), int(bool(value))


def _size_field(sectors, ctx):
    return ctx["units"].format(sectors), sectors


def _pct_field(p):
    return ("" if p is None else percent_string(p)), (-1 if p is None else p)


# id: (heading, width, type, function(ctx, vg_name, vg, lv_name, lv) -> (text, sort value))
LV_FIELDS = {
    "lv_uuid": ("LV UUID", 38, STR, lambda c, g, v, n, lv: (store.format_uuid(lv["uuid"]),) * 2),
    "lv_name": ("LV", 4, STR, lambda c, g, v, n, lv: (n, n)),
    "lv_full_name": ("LV", 4, STR, lambda c, g, v, n, lv: ("%s/%s" % (g, n),) * 2),
    "lv_path": ("Path", 0, STR, lambda c, g, v, n, lv: (store.lv_path(g, n),) * 2),
    "lv_dm_path": ("DMPath", 0, STR, lambda c, g, v, n, lv: (store.mapper_path(g, n),) * 2),
    "lv_attr": ("Attr", 0, STR, lambda c, g, v, n, lv: (_lv_attr(v, n, lv),) * 2),
    "lv_active": ("Active", 0, BIN, lambda c, g, v, n, lv: _binary("active", True, c)),
    "lv_size": ("LSize", 0, SIZ, lambda c, g, v, n, lv: _size_field(lv["extents"] * v["extent_size"], c)),
    "seg_count": ("#Seg", 0, NUM, lambda c, g, v, n, lv: ("1", 1)),
    "origin": ("Origin", 0, STR, lambda c, g, v, n, lv: (lv.get("origin") or "",) * 2),
    "origin_uuid": ("Origin UUID", 38, STR, lambda c, g, v, n, lv: (
        store.format_uuid(v["lvs"][lv["origin"]]["uuid"]) if lv.get("origin") else "",) * 2),
    "origin_size": ("OSize", 0, SIZ, lambda c, g, v, n, lv: _size_field(lv["dev_sectors"], c)
                    if lv.get("origin") else ("", 0)),
    "move_pv": ("Move", 0, STR, lambda c, g, v, n, lv: ("", "")),
    "convert_lv": ("Convert", 0, STR, lambda c, g, v, n, lv: ("", "")),
    "mirror_log": ("Log", 0, STR, lambda c, g, v, n, lv: ("", "")),
    "pool_lv": ("Pool", 0, STR, lambda c, g, v, n, lv: ("", "")),
    "lv_tags": ("LV Tags", 0, STR_LIST, lambda c, g, v, n, lv: (",".join(sorted(lv.get("tags", []))),) * 2),
    "lv_device_open": ("DevOpen", 10, BIN, lambda c, g, v, n, lv: _binary("open", store.is_open(lv), c)),
    "data_percent": ("Data%", 6, PCT, lambda c, g, v, n, lv: _pct_field(_lv_percent(lv))),
    "snap_percent": ("Snap%", 6, PCT, lambda c, g, v, n, lv: _pct_field(_lv_percent(lv))),
    "metadata_percent": ("Meta%", 6, PCT, lambda c, g, v, n, lv: _pct_field(None)),
    "copy_percent": ("Cpy%Sync", 0, PCT, lambda c, g, v, n, lv: _pct_field(None)),
    "lv_snapshot_invalid": ("SnapInvalid", 15, BIN, lambda c, g, v, n, lv: _binary(
        "snapshot invalid", bool(lv.get("invalid")) if lv.get("origin") else None, c)),
}
VG_FIELDS = {
    "vg_uuid": ("VG UUID", 38, STR, lambda c, g, v: (store.format_uuid(v["uuid"]),) * 2),
    "vg_name": ("VG", 0, STR, lambda c, g, v: (g, g)),
    "vg_attr": ("Attr", 5, STR, lambda c, g, v: ("wz--n-",) * 2),
    "vg_size": ("VSize", 0, SIZ, lambda c, g, v: _size_field(v["extent_count"] * v["extent_size"], c)),
    "vg_free": ("VFree", 0, SIZ, lambda c, g, v: _size_field(store.vg_free_extents(v) * v["extent_size"], c)),
    "vg_extent_size": ("Ext", 0, SIZ, lambda c, g, v: _size_field(v["extent_size"], c)),
    "vg_extent_count": ("#Ext", 0, NUM, lambda c, g, v: (str(v["extent_count"]), v["extent_count"])),
    "vg_free_count": ("Free", 0, NUM, lambda c, g, v: (str(store.vg_free_extents(v)), store.vg_free_extents(v))),
    "max_lv": ("MaxLV", 0, NUM, lambda c, g, v: ("0", 0)),
    "pv_count": ("#PV", 0, NUM, lambda c, g, v: ("1", 1)),
    "lv_count": ("#LV", 0, NUM, lambda c, g, v: (str(len(v["lvs"])), len(v["lvs"]))),
    "snap_count": ("#SN", 0, NUM, lambda c, g, v: (str(sum(1 for lv in v["lvs"].values() if lv.get("origin"))),
                                                   sum(1 for lv in v["lvs"].values() if lv.get("origin")))),
    "vg_tags": ("VG Tags", 0, STR_LIST, lambda c, g, v: (",".join(sorted(v.get("tags", []))),) * 2),
}
DEFAULT_COLUMNS = {  # lib/config/defaults.h DEFAULT_LVS_COLS, DEFAULT_VGS_COLS and their sort keys
    "lvs": ("lv_name,vg_name,lv_attr,lv_size,pool_lv,origin,data_percent,metadata_percent,move_pv,mirror_log,"
            "copy_percent,convert_lv", "vg_name,lv_name", "lv"),
    "vgs": ("vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free", "vg_name", "vg"),
}


def _canonical(name):
    return name.replace("_", "").lower()


def find_field(report, name):
    """libdm _get_field(): case-insensitive, '_' ignored, the report's prefix ("lv_"/"vg_") optional."""
    fields = list(LV_FIELDS) + list(VG_FIELDS) if report == "lvs" else list(VG_FIELDS)
    prefix = "lv" if report == "lvs" else "vg"
    want = _canonical(name)
    for field in fields:
        c = _canonical(field)
        if c == want or (c.startswith(prefix) and c[len(prefix):] == want):
            return field
    return None


def _field_list(report, spec):
    out = []
    for name in spec.split(","):
        if not name:
            continue
        field = find_field(report, name)
        if field is None:
            fail("Unrecognised field: %s" % name, ECMD_FAILED)
        out.append(field)
    return out


def report_columns(args, report):
    """_get_report_options(): -o replaces the default columns, -o+ adds, -o- removes; repeated -o apply in order."""
    columns = _field_list(report, DEFAULT_COLUMNS[report][0])
    for v in args.values.get("options", []):
        text = v.text
        if not text:
            fail("Invalid options string: %s" % text, EINVALID_CMD_LINE)
        if text[0] == "+":
            columns += _field_list(report, text[1:])
        elif text[0] == "-":
            drop = set(_field_list(report, text[1:]))
            columns = [c for c in columns if c not in drop]
        elif text[0] == "#":
            pass  # compacting columns is a display nicety the fake leaves out
        else:
            columns = _field_list(report, text)
    return columns


def report_keys(args, report):
    keys = DEFAULT_COLUMNS[report][1]
    for v in args.values.get("sort", []):
        keys = v.text
    out = []
    for key in keys.split(","):
        descending = key.startswith("-")
        field = find_field(report, key.lstrip("+-"))
        if field is None:
            fail("dm_report: Unrecognised field: %s" % key.lstrip("+-"), ECMD_FAILED)
        out.append((field, descending))
    return out


def field_def(field):
    return LV_FIELDS.get(field) or VG_FIELDS[field]


def report_row(ctx, fields, vg_name, vg, lv_name=None, lv=None):
    cells = {}
    for field in dict.fromkeys(fields):
        fn = field_def(field)[3]
        cells[field] = fn(ctx, vg_name, vg, lv_name, lv) if field in LV_FIELDS else fn(ctx, vg_name, vg)
    return cells
