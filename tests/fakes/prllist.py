# SPDX-License-Identifier: AGPL-3.0-or-later
"""`prlctl list` of the fake prlctl, for containers and VMs alike: PrlSrv::list_vm and vm_field_tbl
(OpenVZ/prlctl vz7-u22 src/PrlList.cpp), its option parsing (src/CmdParam.cpp list_options, src/GetOpt.cpp).

- Default columns "uuid,status,ip_configured,type,name" (header "UUID  STATUS  IP_ADDR  T  NAME", each column padded
  by its printf format, the last one printed bare); sorted by name, or by the first -o column when it has a sort.
  Without an id only running environments are listed; -a lists all, -S only stopped ones.
- --vmtype ct|vm|all (default: both kinds, CmdParamData's vmtype = PVTF_VM | PVTF_CT); ignored for a single id.
- -i prints "INFO" and a blank header line, then each environment's info block and a blank line (plain formatter's
  row end); -o is then ignored. -j prints JSON instead and no header.
- The header is printed before the environment is looked up, so `list <unknown>` prints it and then fails.
- Anything the parser does not know is taken as the id (GETOPTUNKNOWN in a list), the last one winning.
Not modelled (the fake says so and exits 99): -n, -t, -f, -L, --compat, -l, -p, and the info block of a container.
"""
import sys

import fakevz as vz
import prlfmt
import prlvm

# name: (header, printf format, value(kind, guid, env), sortable)
FIELDS = {
    "uuid": ("UUID", "%-39s ", lambda k, g, e: g, True),
    "id": ("UUID", "%-39s ", lambda k, g, e: g, True),
    "ctid": ("UUID", "%-39s ", lambda k, g, e: g, True),
    "veid": ("UUID", "%-39s ", lambda k, g, e: g, True),
    "envid": ("ENVID", "%-10s ", lambda k, g, e: str(prlvm.vzid(g)) if k == "vm" else e.get("ctid", g.strip("{}")),
              False),
    "home": ("HOME", "%-32s ", lambda k, g, e: e["home"] if k == "vm" else e["private"], True),
    "private": ("HOME", "%-32s ", lambda k, g, e: e["home"] if k == "vm" else e["private"], True),
    "type": ("T", "%-2s ", lambda k, g, e: k.upper(), False),
    "name": ("NAME", "%-32s ", lambda k, g, e: e["name"] or "-", True),
    "status": ("STATUS", "%-12s ", lambda k, g, e: e["status"], False),
    "dist": ("DIST", "%-15s ", lambda k, g, e: e.get("dist", "centos7") if k == "vm" else "-", False),
    "owner": ("OWNER", "%-32s ", lambda k, g, e: "root", False),
    "description": ("DESCRIPTION", "%-32s ", lambda k, g, e: e.get("description") or "-", False),
    "numproc": ("NPROC", "%9s ", lambda k, g, e: "-", False),
    "ip": ("IP_ADDR", "%-15s ", lambda k, g, e: "-", False),  # no network devices are modelled
    "ip_configured": ("IP_ADDR", "%-15s ", lambda k, g, e: "-", False),
    "hostname": ("HOSTNAME", "%-32s ", lambda k, g, e: "-", False),
    "-": ("-", "%-10s ", lambda k, g, e: "-", False),
}
REAL_BUT_NOT_MODELLED = {"system-flags", "netif", "mac", "ostemplate", "features", "location", "iolimit", "netdev",
                         "ha_enable", "ha_prio"}
DEFAULT_ORDER = "uuid,status,ip_configured,type,name"

# list_options: (long, short, takes an argument)
OPTIONS = [("verbose", "v", True), ("timeout", None, True), ("login", "l", True), ("read-passwd", "p", True),
           ("compat", None, False), ("output", "o", True), ("all", "a", False), ("no-header", "H", False),
           ("sort", "s", True), ("stopped", "S", False), ("name", "n", False), ("template", "t", False),
           ("vmtype", None, True), ("help", None, False), ("info", "i", False), ("json", "j", False),
           ("full", "f", False), ("list", "L", False)]


def fail(msg, code=1):
    sys.stderr.write(msg + "\n")
    sys.exit(code)


def parse(args):
    """GetOptLong over list_options: "--opt=val", "--opt val", "-o val", "-oval", chained flags "-ai"."""
    opts, ident, i = {}, None, 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            spec = next((o for o in OPTIONS if o[0] == name), None)
            if spec is None:
                ident = a
            elif spec[2]:
                if not eq:
                    if i + 1 >= len(args):
                        fail("The `%s' option requires an argument." % a)
                    i, val = i + 1, args[i + 1]
                opts[name] = val
            else:
                opts[name] = True
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                spec = next((o for o in OPTIONS if o[1] == a[j]), None)
                if spec is None:
                    ident = a
                    break
                if spec[2]:
                    if j + 1 < len(a):
                        opts[spec[0]] = a[j + 1:]
                    elif i + 1 < len(args):
                        i, opts[spec[0]] = i + 1, args[i + 1]
                    else:
                        fail("The `%s' option requires an argument." % a[j:])
                    break
                opts[spec[0]] = True
                j += 1
        else:
            ident = a
        i += 1
    return opts, ident


def field_order(text):
    order = []
    for name in text.split(","):
        if name in REAL_BUT_NOT_MODELLED:
            fail("fake prlctl: list field %s is not modelled" % name, 99)
        if name not in FIELDS:
            fail("Unknown field: %s" % name)
        order.append(name)
    return order


def run(args):
    opts, ident = parse(args)
    for name in ("name", "template", "full", "list", "compat", "login", "read-passwd"):
        if name in opts:
            fail("fake prlctl: list --%s is not modelled" % name, 99)
    kinds = {None: ("ct", "vm"), "ct": ("ct",), "c": ("ct",), "vm": ("vm",), "v": ("vm",),
             "all": ("ct", "vm"), "a": ("ct", "vm")}.get(opts.get("vmtype"))
    if kinds is None:
        fail("An incorrect value for --vmtype is specified: %s" % opts["vmtype"])
    info, use_json, no_hdr = "info" in opts, "json" in opts, "no-header" in opts
    order = [] if info else field_order(opts.get("output", DEFAULT_ORDER))
    sort = "name"
    if "sort" in opts:
        sort = opts["sort"].lstrip("-")
        if sort not in FIELDS:
            fail("%s is an invalid field name in this query." % sort)
    elif "output" in opts and order:
        sort = order[0]
    reverse = opts.get("sort", "").startswith("-")

    out = []
    if not no_hdr and info and not use_json:
        out.append("INFO")
    if not no_hdr and not use_json:
        out.append("".join(("%s" if n == len(order) - 1 else FIELDS[f][1]) % FIELDS[f][0]
                           for n, f in enumerate(order)) + "\n")
    sys.stdout.write("".join(out))
    sys.stdout.flush()

    f = prlfmt.formatter(use_json)
    with vz.locked_state() as state:
        state.setdefault("vms", {})
        if ident is None:
            rows = [(k, g, e) for k in kinds for g, e in state[k + "s"].items()]  # the dispatcher's order: ours
            if FIELDS[sort][3]:
                rows.sort(key=lambda r: FIELDS[sort][2](*r))
            if reverse:
                rows.reverse()
        else:
            kind, guid = prlvm.find(state, ident)
            if kind is None:
                fail(prlvm.NOT_FOUND, 255)
            rows = [(kind, guid, state[kind + "s"][guid])]
        f.open_list()
        for kind, guid, env in rows:
            if not info and ident is None and "all" not in opts:
                if env["status"] != ("stopped" if "stopped" in opts else "running"):
                    continue
            f.row_open()
            if info:
                if kind != "vm":
                    fail("fake prlctl: the info block of a container is not modelled", 99)
                prlvm.append_configuration(f, state, guid, env)
            else:
                for n, name in enumerate(order):
                    fmt = "%s" if n == len(order) - 1 else FIELDS[name][1]
                    f.cell(name, fmt, FIELDS[name][2](kind, guid, env), uuid=name == "uuid")
            f.row_close()
        f.close_list()
    sys.stdout.write(f.text())
