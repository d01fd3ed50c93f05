# SPDX-License-Identifier: AGPL-3.0-or-later
"""prlctl's output formatters, as the fake prlctl prints them.

Read from OpenVZ/prlctl branch vz7-u22 (prlctl 7.0.253, the last Virtuozzo 7 update), src/PrlOutFormatter.cpp
(PrlOutFormatterPlain / PrlOutFormatterJSON) and src/Utils.cpp (uptime2str). One info writer drives either
formatter, as PrlVm::append_configuration does, so `list -i` and `list -i -j` can never disagree."""


def uptime2str(uptime):
    """Utils.cpp uptime2str(): "[<d> days ]HH:MM:SS". The source appends "s" when days >= 1, so it is "1 days"."""
    days = uptime // 86400
    minutes = uptime // 60
    hours = (minutes // 60) % 24
    minutes %= 60
    secs = uptime - (60 * minutes + 3600 * hours + 86400 * days)
    out = "%d days " % days if days else ""
    return out + "%02d:%02d:%02d" % (hours, minutes, secs)


class Plain:
    """PrlOutFormatterPlain with the default tab of two spaces (get_formatter(use_json, "  "))."""

    def __init__(self, tab="  "):
        self.out, self.indent, self.tab = [], 0, tab

    def text(self):
        return "".join(self.out)

    # --- objects and keys
    def open(self, key, inline=False):
        if inline:
            self.out.append(self.tab * self.indent + key + (":" if self.indent == 0 else ""))
        else:
            self.out.append(key + ":\n")
        self.indent += 1

    def open_dev(self, key):
        self.out.append(self.tab * self.indent + key)
        self.indent += 1

    def open_shf(self, key, enabled):
        self.out.append("%s: %s\n" % (key, "(+)" if enabled else "(-)"))
        self.indent += 1

    def close(self, inline=False):
        if inline:
            self.out.append("\n")
        self.indent -= 1

    def _key(self, key, inline, hide_key):
        if inline and hide_key:
            self.out.append(" ")
        elif inline:
            self.out.append(" %s=" % key)
        else:
            self.out.append(self.tab * self.indent + key + ": ")

    def add(self, key, value, inline=False, quotes=False, hide_key=False):
        self._key(key, inline, hide_key)
        self.out.append("'%s'" % value if quotes else value)
        if not inline:
            self.out.append("\n")

    def add_int(self, key, value, suffix="", inline=False, hide_key=False):
        self._key(key, inline, hide_key)
        self.out.append("%d%s" % (value, suffix))
        if not inline:
            self.out.append("\n")

    def add_bool(self, key, value):
        if value:
            self.out.append(" " + key)

    def add_uptime(self, key, uptime, start_date):
        self.add(key, "%s (since %s)" % (uptime2str(uptime), start_date))

    def add_isenabled(self, enabled):
        self.add("enabled", "(+)" if enabled else "(-)", True, False, True)

    def add_uuid(self, key, uuid):
        self.add(key, uuid)

    # --- tables (prlctl list)
    def open_list(self):
        pass

    def close_list(self):
        pass

    def row_open(self):
        pass

    def row_close(self):
        self.out.append("\n")

    def cell(self, key, fmt, value, uuid=False):
        # tbl_add_item: C's snprintf pads and cuts by bytes, into a 256-byte buffer of which 255 are given: at most
        # 254 bytes (a name with "ü" gets one space less than its length in characters suggests)
        self.out.append((fmt.encode() % value.encode())[:254].decode(errors="ignore"))


class Json:
    """PrlOutFormatterJSON: tabs, one key per line, its own string escaping (only \\ " \\n \\t \\b \\f \\r)."""

    def __init__(self):
        self.out, self.indent, self.first = [], 0, True

    def text(self):
        return "".join(self.out)

    @staticmethod
    def _quote(value):
        table = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\r": "\\r"}
        return '"' + "".join(table.get(c, c) for c in value) + '"'

    def open(self, key, inline=False):
        if not self.first:
            self.out.append(",\n")
        self.first = True
        self.out.append("\t" * (self.indent + 1) + '"%s": {\n' % key)
        self.indent += 1

    open_dev = open

    def open_shf(self, key, enabled):
        self.open(key)
        self.add_bool("enabled", enabled)

    def close(self, inline=False):
        self.indent -= 1
        self.out.append("\n" + "\t" * (self.indent + 1) + "}")
        self.first = False

    def _key(self, key):
        if not self.first:
            self.out.append(",\n")
        self.first = False
        self.out.append("\t" * (self.indent + 1) + '"%s": ' % key)

    def add(self, key, value, inline=False, quotes=False, hide_key=False):
        self._key(key)
        self.out.append(self._quote(value))

    def add_int(self, key, value, suffix="", inline=False, hide_key=False):
        self._key(key)
        self.out.append('"%d%s"' % (value, suffix) if suffix else "%d" % value)

    def add_bool(self, key, value):
        self._key(key)
        self.out.append("true" if value else "false")

    def add_uptime(self, key, uptime, start_date):
        self._key(key)
        self.out.append('"%d"' % uptime)

    def add_isenabled(self, enabled):
        self.add_bool("enabled", enabled)

    def add_uuid(self, key, uuid):
        self.add(key, uuid[1:-1] if uuid else "")

    def open_list(self):
        self.out.append("[\n")

    def close_list(self):
        self.out.append("\n]\n")

    def row_open(self):
        if not self.first:
            self.out.append(",\n")
        self.first = True
        self.out.append("\t" * (self.indent + 1) + "{\n")
        self.indent += 1

    def row_close(self):
        self.close()

    def cell(self, key, fmt, value, uuid=False):
        if uuid:
            self.add_uuid(key, value)
        else:
            self.add(key, value)


def formatter(use_json):
    return Json() if use_json else Plain()
