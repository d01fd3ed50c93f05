# SPDX-License-Identifier: AGPL-3.0-or-later
"""Sizes and percentages as lvm prints them: libdm/libdm-string.c dm_size_to_string, lib/display/display.c."""
import re
import struct
import sys

from . import store


_SIZE_STR = {  # base -> suffixes [long, short, unit] by prefix index (E P T G M K B)
    "1024": [(" Exbibyte", " EiB", "e"), (" Pebibyte", " PiB", "p"), (" Tebibyte", " TiB", "t"),
             (" Gibibyte", " GiB", "g"), (" Mebibyte", " MiB", "m"), (" Kibibyte", " KiB", "k"),
             (" Byte    ", " B", "b")],
    "1000": [(" Exabyte", " EB", "E"), (" Petabyte", " PB", "P"), (" Terabyte", " TB", "T"),
             (" Gigabyte", " GB", "G"), (" Megabyte", " MB", "M"), (" Kilobyte", " kB", "K"),
             (" Byte    ", " B ", "B")],
    "special": [(" Byte    ", " B ", "B"), (" Units   ", " Un", "U"), (" Sectors ", " Se", "S")],
    "unknown": [("         ", "   ", " ")],
}
UNIT, SHORT, LONG = 2, 1, 0


class Units:
    """--units (default lvm.conf global/units "r", si_unit_consistency on) and --nosuffix."""

    def __init__(self, spec="r", suffix=True):
        self.type = spec[-1:] if spec else "r"
        self.suffix = suffix

    @staticmethod
    def valid(spec):
        return bool(re.fullmatch(r"[rRhHbBsSkKmMgGtTpPeE]", spec or ""))

    def base(self):
        t = self.type
        if t in "EPTGMK":
            return "1000", "EPTGMK".index(t)
        if t in "eptgmk":
            return "1024", "eptgmk".index(t)
        if t.upper() in "BUS":
            return "special", "BUS".index(t.upper())
        return None, 0

    def factor(self):
        t = self.type
        if t in "eptgmk":
            return 1024 ** (6 - "eptgmk".index(t))
        if t in "EPTGMK":
            return 1000 ** (6 - "EPTGMK".index(t))
        return {"b": 1, "B": 1, "s": 512, "S": 512}.get(t, 1)

    def format(self, sectors, suffix_type=UNIT):
        base, s = self.base()
        suffix = self.suffix
        if sectors == 0:
            table = _SIZE_STR[base or "unknown"]
            return "0" + (table[s if base else 0][suffix_type] if suffix else "")
        size = sectors * store.SECTOR
        prefix = ""
        if base is not None:
            byte = self.factor()
        else:
            units = 1000 if self.type in "HR" else 1024
            base = "1000" if units == 1000 else "1024"
            byte = units ** 6
            s = 0
            while s < 6 and size < byte:
                byte //= units
                s += 1
            if s < 6 and self.type in "Rr":
                d = 100.0 * size / byte
                if abs(int(d) - round(d)) >= sys.float_info.epsilon:  # floor(d) != nearbyint(d)
                    prefix = "<"
            suffix = True
        table = _SIZE_STR[base]
        precision = 0 if table[s][UNIT].upper() in "BS" else 2
        return "%s%.*f%s" % (prefix, precision, size / byte, table[s][suffix_type] if suffix else "")


def display_size(sectors):
    """display_size(): messages use the short suffixes (" MiB") and the default units."""
    return Units("r").format(sectors, SHORT)


def percent_string(p):
    """dm_report_field_percent(): "%.2f" of a float, never 0.00 for a non-zero fill nor 100.00 for a partial one."""
    f = struct.unpack("f", struct.pack("f", p / store.PERCENT_1 + 0.0))[0]
    r = store.PERCENT_1 * 0.01
    if 0 < p < r:
        f = struct.unpack("f", struct.pack("f", 0.01))[0]
    elif store.PERCENT_100 - r < p < store.PERCENT_100:
        f = (store.PERCENT_100 - r) / store.PERCENT_1
    return "%.2f" % f
