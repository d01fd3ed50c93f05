# SPDX-License-Identifier: AGPL-3.0-or-later
"""StartBackupFileResponse, decoded for speed: it carries every entry of every backup.

An entry becomes a `BackupFile` tuple, or a `FileError` when the host could not read it. Its stat is one
fixed-layout field, read with one struct call straight into the arguments of bareosfd.StatPacket; its xattrs stay
encoded until get_xattr asks for them (an unchanged file of an Incremental never does). Unknown fields are skipped,
as protobuf does. Field numbers are those of messages.BackupFile and proto/ (tests/shim/test_wire_schema.py checks
this decoder against protobuf).
"""
import collections
import struct

from . import messages as m, wire
from .wire import read_varint as _varint

# proto/backupplugins/v1/fd_plugin.proto, "Stat fields travel packed": 96 bytes, little-endian.
PACKED_STAT = struct.Struct("<QQIIIIQqqqqIQIII")
# The same bytes read as StatPacket's thirteen arguments, in its order: dev and rdev as their low 32 bits (the
# packet's fields are C unsigned ints), no sub-second parts.
_STAT_ARGS = struct.Struct("<I4xQIIIII4xqqqqIQ")
_unpack_stat = _STAT_ARGS.unpack_from
SIZE, MTIME = 7, 9  # positions in BackupFile.stat

BackupFile = collections.namedtuple("BackupFile", "fname link type stat no_read data_path open_path xattrs acl")
FileError = collections.namedtuple("FileError", "fname reason")
_new = tuple.__new__


def decode_start_backup_file(data):
    """StartBackupFileResponse -> {"items": [BackupFile or FileError, ...], "more": bool, "messages": [dict, ...]}."""
    items = []
    append = items.append
    messages = []
    more = False
    pos = 0
    end = len(data)
    while pos < end:
        key = data[pos]
        if key == 0x0A:  # an item: its length, then (nearly always) only its file field
            n = data[pos + 1]
            pos += 2
            if n >= 0x80:
                n, pos = _varint(data, pos - 1)
            start = pos
            pos += n
            if data[start] == 0x0A:
                flen = data[start + 1]
                if flen < 0x80:
                    first = start + 2
                elif data[start + 2] < 0x80:
                    flen = (flen & 0x7F) | data[start + 2] << 7
                    first = start + 3
                else:
                    flen, first = _varint(data, start + 1)
                if first + flen == pos:
                    append(_file(data, first, pos))
                    continue
            append(_item(data, start, pos))
            continue
        key, pos = _key(data, pos)
        if key & 7 == 2:
            n, pos = _varint(data, pos)
            start = pos
            pos += n
            if key == 0x1A:
                messages.append(wire.decode(m.JobMessage, data, start, pos))
        elif key == 0x10:
            value, pos = _varint(data, pos)
            more = value != 0
        else:
            pos = _skip(data, pos, key & 7)
    return {"items": items, "more": more, "messages": messages}


def _item(data, pos, end):
    """BackupItem: a oneof of file (1), object (2), error (3); the last one present wins."""
    item = None
    while pos < end:
        key, pos = _key(data, pos)
        if key & 7 != 2:
            pos = _skip(data, pos, key & 7)
            continue
        n, pos = _varint(data, pos)
        start = pos
        pos += n
        if key == 0x0A:
            item = _file(data, start, pos)
        elif key == 0x1A:
            error = wire.decode(m.FileError, data, start, pos)
            item = FileError(error["fname"], error["reason"])
        elif key == 0x12:
            raise ValueError("the host sent a restore object, which this shim does not hand to Bareos")
    if item is None:
        raise ValueError("the host sent an entry that is neither a file nor an error")
    return item


def _file(data, pos, end):
    """BackupFile -> BackupFile tuple. Fields in order of how often they come; everything else is skipped."""
    fname = link = open_path = acl = b""
    ftype = data_path = 0
    no_read = False
    stat = None
    xattrs = ()  # a tuple, not a list: an entry of bytes, ints and tuples only is dropped from the collector's lists
    while pos < end:
        key = data[pos]
        pos += 1
        if key < 0x80 and key & 7 == 2:
            n = data[pos]
            pos += 1
            if n >= 0x80:
                n, pos = _varint(data, pos - 1)
            start = pos
            pos += n
            if key == 0x0A:
                fname = data[start:pos]
            elif key == 0x5A:
                stat = _unpack_stat(data, start) if n >= 84 else _short_stat(data[start:pos])
                if stat[3] > 0xFFFF:
                    stat = _clamp_nlink(stat)
            elif key == 0x42:
                xattrs += (data[start:pos],)
            elif key == 0x12:
                link = data[start:pos]
            elif key == 0x3A:
                open_path = data[start:pos]
            elif key == 0x4A:
                acl = data[start:pos]
        elif key < 0x80 and key & 7 == 0:
            value = data[pos]
            pos += 1
            if value >= 0x80:
                value, pos = _varint(data, pos - 1)
            if key == 0x18:
                ftype = value
            elif key == 0x30:
                data_path = value
            elif key == 0x28:
                no_read = value != 0
        else:
            key, pos = _key(data, pos - 1)
            pos = _skip(data, pos, key & 7)
    if stat is None:
        stat = _short_stat(b"")
    return _new(BackupFile, (fname, link, ftype, stat, no_read, data_path, open_path, xattrs, acl))


def _short_stat(raw):
    """A packed stat shorter than its layout (empty: all zero) is read as if padded with zeros."""
    return _STAT_ARGS.unpack(bytes(raw[:_STAT_ARGS.size]).ljust(_STAT_ARGS.size, b"\0"))


def _clamp_nlink(stat):
    """StatPacket's st_nlink is an unsigned short: more links than it holds are still more than one."""
    return stat[:3] + (0xFFFF,) + stat[4:]


def pack_stat(st):
    """A bareosfd.StatPacket (a restore packet's) packed; None gives b"". Its unsigned size goes into the signed
    field as two's complement (2**64-1, Bareos's unknown size, arrives as -1, as with the old varint field)."""
    if st is None:
        return b""
    return PACKED_STAT.pack(st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_rdev,
                            _signed(st.st_size), st.st_atime, st.st_mtime, st.st_ctime, st.st_blksize & 0xFFFFFFFF,
                            st.st_blocks, 0, 0, 0)


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def decode_xattr(raw):
    """An encoded Xattr message -> (name, value)."""
    n = len(raw)
    if n > 3 and raw[0] == 0x0A and raw[1] < 0x80:  # name, then value, short lengths: as the host writes them
        stop = 2 + raw[1]
        if stop + 1 < n and raw[stop] == 0x12 and raw[stop + 1] < 0x80 and stop + 2 + raw[stop + 1] == n:
            return raw[2:stop], raw[stop + 2:]
    name = value = b""
    pos = 0
    while pos < n:
        key, pos = _key(raw, pos)
        if key & 7 != 2:
            pos = _skip(raw, pos, key & 7)
            continue
        length, pos = _varint(raw, pos)
        if key == 0x0A:
            name = raw[pos:pos + length]
        elif key == 0x12:
            value = raw[pos:pos + length]
        pos += length
    return name, value


def _key(data, pos):
    key = data[pos]
    if key < 0x80:
        return key, pos + 1
    return _varint(data, pos)


def _skip(data, pos, wire_type):
    if wire_type == 0:
        return _varint(data, pos)[1]
    if wire_type == 2:
        n, pos = _varint(data, pos)
        return pos + n
    if wire_type == 1:
        return pos + 8
    if wire_type == 5:
        return pos + 4
    raise ValueError("unsupported wire type %d" % wire_type)
