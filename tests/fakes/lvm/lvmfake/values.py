# SPDX-License-Identifier: AGPL-3.0-or-later
"""Option values, checked and converted as tools/lvmcmdline.c's *_arg() parsers do."""
import re

from .log import LOG
from .options import SEGTYPES


class Value:
    def __init__(self, text):
        self.text = text
        self.number = 0  # sectors for sizes, a count for numbers/extents
        self.sign = ""
        self.percent = None  # "VG", "FREE", "LV", "PVS", "ORIGIN"


def _percent_kind(text):
    t = text.upper()
    for kind, names in (("VG", ("V", "VG")), ("LV", ("L", "LV")), ("PVS", ("P", "PV", "PVS")),
                        ("FREE", ("F", "FR", "FREE")), ("ORIGIN", ("O", "OR", "ORIGIN"))):
        if t in names:
            return kind
    LOG.error("Specified %%%s is unknown." % text)
    return None


def _number_prefix(text):
    m = re.match(r"[0-9]+", text)
    return (int(m.group(0)), text[m.end():]) if m else (None, text)


def _size_value(v, factor):
    """_size_arg(): optional sign, a decimal number, an optional unit (k m g t p e: binary; b bytes; s sectors),
    default unit `factor` sectors; the value kept in sectors."""
    val = v.text
    if val[:1] in "+-" and val:
        v.sign, val = val[0], val[1:]
    if val[:1] in ("+", "-"):
        LOG.error("Multiple sign symbols detected.")
        return False
    if not (val[:1].isdigit() or val[:1] == "."):
        LOG.error("Size requires number argument.")
        return False
    m = re.match(r"[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?", val)
    try:
        number = float(m.group(0))
    except ValueError:
        LOG.error("Can't parse size argument at '%s'." % (val[:1]))
        return False
    rest = val[m.end():]
    if rest:
        unit = rest[0].lower()
        if unit not in "kmgtpebs":
            LOG.error("Can't parse size argument.")
            return False
        if unit == "b":
            whole = int(number)
            if whole % 512:
                up = whole + 512 - whole % 512
                LOG.error("Size is not a multiple of 512. Try using %d or %d." % (up - 512, up))
                return False
            number /= 512
        elif unit != "s":
            number *= 1024 ** "kmgtpe".index(unit) * 2
    else:
        number *= factor
    if number >= float((2 ** 64 - 1) >> 9):
        LOG.error("Size is too big (>=16EiB).")
        return False
    v.number = int(number)
    return True


def check_value(kind, v):
    """The type's parser; False means "Invalid argument for --opt: value" (the parser may have logged first)."""
    t = v.text
    if kind in ("string", "pv", "lv", "units"):
        return True
    if kind == "bool":
        v.number = 1 if t == "y" else 0
        return t in ("y", "n")
    if kind == "tag":
        return bool(re.fullmatch(r"@?[A-Za-z0-9_+.\-/=!:&#]{1,1024}", t))
    if kind == "number":
        n, rest = _number_prefix(t)
        v.number = n or 0
        return n is not None and not rest
    if kind in ("sizemb", "sizekb", "regionsizemb"):
        if not _size_value(v, 2048 if kind != "sizekb" else 2):
            return False
        if v.sign and kind == "sizemb":
            LOG.error("Size may not be relative/signed.")
            return False
        if v.sign == "-":
            LOG.error("Size may not be negative." if kind == "sizekb" else "Region size may not be negative.")
            return False
        return True
    if kind == "extents":
        body = t[1:] if t[:1] in "+-" else t
        v.sign = t[0] if t[:1] in "+-" else ""
        n, rest = _number_prefix(body)
        if n is None:
            return False
        v.number = n
        if rest:
            if rest[0] != "%":
                return False
            v.percent = _percent_kind(rest[1:])
            if v.percent is None:
                return False
        if v.sign:
            LOG.error("Extents may not be relative/signed.")
            return False
        return True
    if kind == "permission":
        return t in ("rw", "wr", "r")
    if kind == "activation":
        return t in ("e", "ey", "ye", "s", "sy", "ys", "y", "a", "ay", "ya", "n", "en", "ne", "ln", "nl", "ly", "yl")
    if kind == "alloc":
        return t in ("contiguous", "cling", "cling_by_tags", "normal", "anywhere", "inherit", "next free")
    if kind == "readahead":
        return t.lower() in ("auto", "none") or (_size_value(v, 1) and v.sign != "-")
    if kind == "segtype":
        return t in SEGTYPES
    if kind == "reportformat":
        return t in ("basic", "json", "json_std")
    if kind == "headings":
        return t in ("none", "abbrev", "full", "0", "1", "2")
    if kind == "configreport":
        return t in ("log", "vg", "lv", "pv", "pvseg", "seg")
    if kind == "mirrorlog":
        return t in ("core", "disk", "mirrored")
    if kind == "discards":
        return t in ("passdown", "nopassdown", "ignore")
    if kind == "cachemode":
        return t in ("writethrough", "writeback", "passthrough")
    if kind == "cachemetadataformat":
        return t in ("auto", "1", "2")
    return True
