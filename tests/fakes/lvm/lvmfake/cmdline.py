# SPDX-License-Identifier: AGPL-3.0-or-later
"""The command line: getopt_long as tools/lvmcmdline.c drives it, its _find_command, tools/command.c usage."""
import os
import sys

from .log import EINVALID_CMD_LINE, LOG, Exit, fail
from .options import COMMANDS, OPTIONS, SYNONYMS, VALID
from .values import Value, check_value


class Args:
    def __init__(self, command, prog):
        self.command = command
        self.prog = prog
        self.values = {}  # option -> [Value, ...] in the order given
        self.positional = []

    def set(self, opt):
        return opt in self.values or (opt in SYNONYMS.values() and any(
            s in self.values for s, std in SYNONYMS.items() if std == opt))

    def get(self, opt):
        for name in [opt] + [s for s, std in SYNONYMS.items() if std == opt]:
            if name in self.values:
                return self.values[name][-1]
        return None

    def text(self, opt, default=None):
        v = self.get(opt)
        return v.text if v is not None else default

    def count(self, opt):
        return len(self.values.get(opt, []))

    def set_options(self):
        return sorted(self.values, key=lambda o: OPTIONS[o]["order"])


def _getopt_error(prog, msg):
    sys.stdout.flush()
    sys.stderr.write("%s: %s\n" % (prog, msg))
    return False


def _strip_long_hyphens(arg):
    """lvm removes every '-' from a long option before any '=' ("--no-headings" is "--noheadings")."""
    head, eq, tail = arg[2:].partition("=")
    return "--" + head.replace("-", "") + eq + tail


def _take_option(args, opt, value):
    """Counting, repeats and value checks, as _process_command_line does for each option getopt returns."""
    spec = OPTIONS[opt]
    if opt in args.values and "c" not in spec["flags"] and "g" not in spec["flags"]:
        short = spec["short"]
        LOG.error("Option%s%s%s may not be repeated." % (" -" + short if short else " ", "/" if short else "",
                                                           "--" + opt))
        return False
    v = Value(value)
    if spec["val"] is not None and not check_value(spec["val"], v):
        LOG.error("Invalid argument for --%s: %s" % (opt, value))
        return False
    args.values.setdefault(opt, []).append(v)
    return True


def _long_option(args, argv, i, valid):
    body = argv[i][2:]
    name, eq, value = body.partition("=")
    exact = [o for o in valid if o == name]
    matches = exact or sorted((o for o in valid if o.startswith(name)), key=lambda o: OPTIONS[o]["order"])
    if not matches:
        return _getopt_error(args.prog, "unrecognized option '--%s'" % body), i
    if len(matches) > 1:
        return _getopt_error(args.prog, "option '--%s' is ambiguous; possibilities:%s" % (
            body, "".join(" '--%s'" % o for o in matches))), i
    opt = matches[0]
    if OPTIONS[opt]["val"] is None:
        if eq:
            return _getopt_error(args.prog, "option '--%s' doesn't allow an argument" % opt), i
        return _take_option(args, opt, None), i
    if not eq:
        if i + 1 >= len(argv):
            return _getopt_error(args.prog, "option '--%s' requires an argument" % opt), i
        i += 1
        value = argv[i]
    return _take_option(args, opt, value), i


def _short_options(args, argv, i, valid):
    by_short = {OPTIONS[o]["short"]: o for o in valid if OPTIONS[o]["short"]}
    word = argv[i]
    j = 1
    while j < len(word):
        c = word[j]
        opt = by_short.get(c)
        if opt is None:
            return _getopt_error(args.prog, "invalid option -- '%s'" % c), i
        if OPTIONS[opt]["val"] is None:
            if not _take_option(args, opt, None):
                return False, i
            j += 1
            continue
        if j + 1 < len(word):
            value = word[j + 1:]
        elif i + 1 < len(argv):
            i += 1
            value = argv[i]
        else:
            return _getopt_error(args.prog, "option requires an argument -- '%s'" % c), i
        return _take_option(args, opt, value), i
    return True, i


def parse_command_line(command, argv):
    """Options anywhere (GNU permutation), "--" ends them; errors end in "Error during parsing of command line."."""
    args = Args(command, argv[0])
    end = argv.index("--") if "--" in argv else len(argv)  # hyphens are kept from "--" on
    words = [_strip_long_hyphens(a) if a.startswith("--") and len(a) > 2 and i < end else a
             for i, a in enumerate(argv)]
    valid = VALID[command]
    i = 1
    while i < len(words):
        w = words[i]
        if w == "--":
            args.positional += words[i + 1:]
            break
        if w.startswith("--"):
            ok, i = _long_option(args, words, i, valid)
        elif w.startswith("-") and w != "-":
            ok, i = _short_options(args, words, i, valid)
        else:
            args.positional.append(w)
            ok = True
        if not ok:
            fail("Error during parsing of command line.", EINVALID_CMD_LINE)
        i += 1
    return args


def _required_opt_matches(args, opt, const):
    """_command_required_opt_matches(): set (or its synonym; --extents stands for --size), and equal to a literal
    value the definition requires (lowercase: "--type snapshot"; capitalised words are value types)."""
    if not args.set(opt) and not (opt == "size" and args.set("extents")):
        return False
    if const is not None and const[0].islower():
        value = args.text(opt, "")
        return value == const or (const == "raid" and value.startswith("raid"))
    return True


def _required_pos_matches(args, d, rp):
    if rp < len(args.positional):
        return True
    spec = d["rp"][rp].replace(" ...", "").split("|")
    if "Select" in spec and args.set("select"):
        return True
    if args.command == "lvcreate" and rp == 0 and "VG" in spec:
        if os.environ.get("LVM_VG_NAME"):
            return True
        return any("/" in (args.text(o) or "") for o in ("name", "thinpool", "cachepool", "vdopool"))
    return False


def _skip_for_type(d, type_arg):
    for opt, const in d["ro"]:
        if opt == "type":
            return not (const == type_arg or (const.startswith("raid") and type_arg.startswith("raid")))
    return "type" not in d["oo"]  # an optional --type takes any SegType


def _unused_options(args, d):
    unused = []
    for opt in args.set_options():
        std = SYNONYMS.get(opt, opt)
        if std == "extents":
            continue
        if std in (o for o, _ in d["ro"]) or std in d["oo"]:
            continue
        if std in d["io"] and (d["io"][std] is None or args.text(opt) == d["io"][std]):
            continue
        unused.append(opt)
    return unused


def find_command(args):
    defs = COMMANDS[args.command]
    type_arg = args.text("type")
    best = close = None
    best_required = best_type = best_unused = 0
    close_ro = close_type = 0
    for d in defs:
        if any(args.set(o) for o in ("help", "longhelp", "version")):
            return d
        if type_arg and any(a != type_arg for a in d["autotype"]):
            continue
        if type_arg and _skip_for_type(d, type_arg):
            continue
        match_required = 0 if d["ro"] or d["rp"] else 1
        match_ro = match_rp = mismatch = match_type = 0
        for opt, const in d["ro"]:
            if _required_opt_matches(args, opt, const):
                match_required += 1
                match_ro += 1
                match_type = match_type or opt == "type"
            else:
                mismatch += 1
        for rp in range(len(d["rp"])):
            if _required_pos_matches(args, d, rp):
                match_required += 1
                match_rp += 1
            else:
                mismatch += 1
        if mismatch:
            if (match_type and not close_type) or (match_type == close_type and match_ro > close_ro):
                close, close_ro, close_type = d, match_ro, match_type
            continue
        if (d["ro"] or d["rp"]) and (match_ro or match_rp):
            match_required += 1
        unused = _unused_options(args, d)
        if (not best_required or (match_required > best_required and not unused) or len(unused) < best_unused
                or match_type > best_type or (match_required == best_required and match_type == best_type
                                              and len(unused) < best_unused)):
            best, best_required, best_type, best_unused, best_unused_opts = \
                d, match_required, match_type, len(unused), unused
    name = args.command
    if best is None:
        LOG.error("No command with matching syntax recognised.  Run '%s --help' for more information." % name)
        if len(defs) == 1:
            LOG.warn("Correct command syntax is:")
            print_usage(defs[0])
        elif close_ro:
            LOG.warn("Nearest similar command has syntax:")
            print_usage(close)
        raise Exit(EINVALID_CMD_LINE)
    if best_unused_opts:
        for opt in best_unused_opts:
            value = args.text(opt)
            LOG.error("Command does not accept option: --%s%s." % (opt, " " + value if value is not None else ""))
        raise Exit(EINVALID_CMD_LINE)
    repeats = (best["rp"] and best["rp"][-1].endswith("...")) or best["op"]
    if not repeats and len(args.positional) > len(best["rp"]):
        fail("Command does not accept argument: %s." % args.positional[len(best["rp"])], EINVALID_CMD_LINE)
    for opt, bad in best.get("rules", []):
        if args.set(opt) and args.set(bad):
            fail("Command does not accept option combination: --%s  with --%s " % (opt, bad), EINVALID_CMD_LINE)
    for opt in best["io"]:  # ignored options are unset
        args.values.pop(opt, None)
    return best


_USAGE = {"SizeMB": "Size[m|UNIT]", "PNumber": "Number", "Number": "Number", "LV_new": "LV_new", "PV": "PV"}


def print_usage(d):
    """tools/command.c print_usage() without longhelp: the required options and positional args, then the
    description (stdout)."""
    out = "  " + d["name"]
    for opt, arg in d["ro"]:
        short = OPTIONS[opt]["short"]
        out += (" -%s|" % short if short else " ") + "--" + opt
        if arg is not None:
            out += " " + (arg if arg[0].islower() else _USAGE.get(arg, arg.split("_")[0]))
    for spec in d["rp"]:
        parts = spec.replace(" ...", "").split("|")
        vals = ["VG"] if "VG" in parts else []
        vals += [p if p == "LV_new" else p.split("_")[0] for p in parts if p != "VG"]
        out += " " + "|".join(vals) + (" ..." if spec.endswith("...") else "")
    sys.stdout.write(out + "\n")
    for line in d["desc"]:
        sys.stdout.write("  %s\n" % line)
    sys.stdout.write("\n")
