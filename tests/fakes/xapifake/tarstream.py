# SPDX-License-Identifier: AGPL-3.0-or-later
"""Tar framing of the XVA and of /export_raw_vdi?format=tar, and exact reads of a request body.

Written as ocaml/xapi-aux/tar_helpers.ml writes it with ocaml-tar's Tar.Header.make defaults: V7 headers (no "ustar"
magic), mode 0400, uid/gid 0, typeflag NUL, the data padded to 512 bytes, two zero blocks at the end (write_end).
Read as ocaml-tar reads it: V7 or ustar (a ustar prefix is joined to the name), octal or GNU base-256 numbers, the
checksum taken as unsigned or signed bytes; a zero block is an end-of-archive block, skipped between members.
A body that ends before the bytes asked for is XAPI's IMPORT_ERROR_PREMATURE_EOF.
"""
from .rpc import XapiError

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)


def tar_header(name, size, mtime=0):
    h = bytearray(BLOCK)
    raw = name.encode("utf-8")
    if len(raw) > 100:
        raise ValueError("tar member name too long: %s" % name)
    h[0:len(raw)] = raw
    h[100:108] = b"%07o\0" % 0o400
    h[108:116] = b"%07o\0" % 0
    h[116:124] = b"%07o\0" % 0
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[148:156] = b" " * 8
    h[148:156] = b"%07o\0" % sum(h)
    return bytes(h)


def pad(size):
    return bytes(-size % BLOCK)


def tar_member(name, data, mtime=0):
    return tar_header(name, len(data), mtime) + data + pad(len(data))


def tar_end():
    return ZERO_BLOCK * 2


def _octal(field):
    if field and field[0] & 0x80:  # GNU base-256
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.replace(b"\0", b" ").strip()
    return int(text, 8) if text else 0


def parse_header(block):
    """(name, size) of a tar header block; None for an end-of-archive (zero) block; ValueError if not a header."""
    if block == ZERO_BLOCK:
        return None
    stored = _octal(block[148:156])
    unsigned = sum(block[:148]) + 256 + sum(block[156:])
    signed = sum(b - 256 if b > 127 else b for b in block[:148] + block[156:]) + 256
    if stored not in (unsigned, signed):
        raise ValueError("bad tar header checksum")
    name = block[0:100].split(b"\0", 1)[0]
    if block[257:262] == b"ustar":
        prefix = block[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return name.decode("utf-8", "replace"), _octal(block[124:136])


class Reader:
    """Exactly-n reads from a stream, counting what was read; EOF before n bytes is XAPI's premature EOF."""

    def __init__(self, f, limit=None):
        self.f, self.limit, self.pos = f, limit, 0

    def read(self, n):
        out = []
        while n > 0:
            want = n if self.limit is None else min(n, self.limit - self.pos)
            b = self.f.read(min(want, 1 << 20)) if want > 0 else b""
            if not b:
                raise XapiError("IMPORT_ERROR_PREMATURE_EOF")
            out.append(b)
            self.pos += len(b)
            n -= len(b)
        return b"".join(out)

    def drain(self):
        while self.limit is not None and self.pos < self.limit:
            b = self.f.read(min(self.limit - self.pos, 1 << 20))
            if not b:
                return
            self.pos += len(b)


class Prepend:
    def __init__(self, first, f):
        self.first, self.f = first, f

    def read(self, n=-1):
        if self.first:
            b, self.first = self.first[:n], self.first[n:]
            return b
        return self.f.read(n)


def next_header(r):
    while True:
        hdr = parse_header(r.read(BLOCK))
        if hdr is not None:
            return hdr
