# SPDX-License-Identifier: AGPL-3.0-or-later
"""Dynamic VHD streams for /export_raw_vdi?format=vhd and /import_raw_vdi?format=vhd.

XAPI hands both to vhd-tool (ocaml/xapi/vhd_tool_wrapper.ml; xapi-project/vhd-tool, on the ocaml-vhd library).
The fake writes its own valid dynamic VHD (Microsoft "Virtual Hard Disk Image Format Specification" v1.0): a copy of
the footer, the dynamic disk header, the BAT, the allocated 2 MiB blocks in disk order (each behind a 512-byte sector
bitmap with every bit set) and the footer. A block is allocated when the sparse image holds data in it. Byte-for-byte
equality with vhd-tool's output is not a goal (creator fields, block order); validity is. XAPI refuses disks larger
than Constants.max_vhd_size (2040 GiB) with VDI_TOO_LARGE [vdi, max].

The reader takes a dynamic VHD stream (blocks in any order, read in file order) or a fixed VHD (raw data + footer).
"""
import os
import struct
import time
import uuid as uuidlib

from . import store
from .rpc import XapiError

BLOCK_SIZE = 2 << 20
MAX_VHD_SIZE = 2040 << 30
_EPOCH_2000 = 946684800


def checksum(buf):
    return (~sum(buf)) & 0xFFFFFFFF


def geometry(size):
    total = min(size // 512, 65535 * 16 * 255)
    if total >= 65535 * 16 * 63:
        spt, heads = 255, 16
        cth = total // spt
    else:
        spt = 17
        cth = total // spt
        heads = max((cth + 1023) // 1024, 4)
        if cth >= heads * 1024 or heads > 16:
            spt, heads = 31, 16
            cth = total // spt
        if cth >= heads * 1024:
            spt, heads = 63, 16
            cth = total // spt
    return cth // heads, heads, spt


def footer(size, dynamic=True):
    cyl, heads, spt = geometry(size)
    f = bytearray(512)
    struct.pack_into(">8sIIQI4sI4sQQHBBII16sB", f, 0, b"conectix", 2, 0x00010000,
                     512 if dynamic else 0xFFFFFFFFFFFFFFFF, int(time.time()) - _EPOCH_2000, b"xapi", 0x00010000,
                     b"Wi2k", size, size, cyl, heads, spt, 3 if dynamic else 2, 0, uuidlib.uuid4().bytes, 0)
    struct.pack_into(">I", f, 64, checksum(f))
    return bytes(f)


def dyn_header(entries):
    h = bytearray(1024)
    struct.pack_into(">8sQQIII", h, 0, b"cxsparse", 0xFFFFFFFFFFFFFFFF, 1536, 0x00010000, entries, BLOCK_SIZE)
    struct.pack_into(">I", h, 36, checksum(h))
    return bytes(h)


def stream(path, size):
    """The dynamic VHD of a sparse image, as chunks of bytes."""
    entries = (size + BLOCK_SIZE - 1) // BLOCK_SIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        used = set()
        for off, n in store.extents(fd, size):
            used.update(range(off // BLOCK_SIZE, (off + n - 1) // BLOCK_SIZE + 1))
        used = sorted(used)
        bat_bytes = (entries * 4 + 511) // 512 * 512
        bat = bytearray(b"\xff" * bat_bytes)
        sector = (1536 + bat_bytes) // 512
        for b in used:
            struct.pack_into(">I", bat, b * 4, sector)
            sector += 1 + BLOCK_SIZE // 512
        foot = footer(size)
        yield foot + dyn_header(entries) + bytes(bat)
        for b in used:
            yield b"\xff" * 512
            for off in range(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE, 1 << 20):
                n = max(0, min(1 << 20, size - off))
                data = os.pread(fd, n, off) if n else b""
                yield data + bytes((1 << 20) - len(data))
        yield foot
    finally:
        os.close(fd)


def receive(r, f, vdi_size, length):
    """Writes a VHD read from `r` (tarstream.Reader) into the open image `f`; VDI_IO_ERROR when it does not fit or is
    not a VHD (vhd-tool failing: vhd_tool_wrapper.ml run_vhd_tool)."""
    first = r.read(512)
    if first[:8] != b"conectix":
        if length is None or length < 512:
            raise XapiError("VDI_IO_ERROR", "Device I/O errors")
        data_len = length - 512  # a fixed VHD: the data, then the footer
        _raw(r, f, first, data_len, vdi_size)
        if r.read(512)[:8] != b"conectix":
            raise XapiError("VDI_IO_ERROR", "Device I/O errors")
        return
    (disk_type,) = struct.unpack_from(">I", first, 60)
    (cur_size,) = struct.unpack_from(">Q", first, 48)
    (data_offset,) = struct.unpack_from(">Q", first, 16)
    if disk_type != 3 or cur_size > vdi_size:
        raise XapiError("VDI_IO_ERROR", "Device I/O errors")
    pos = 512
    r.read(data_offset - pos)
    hdr = r.read(1024)
    pos = data_offset + 1024
    table_off, _, entries, block_size = struct.unpack_from(">QIII", hdr, 16)
    r.read(table_off - pos)
    bat = struct.unpack(">%dI" % entries, r.read(entries * 4))
    pos = table_off + entries * 4
    bitmap_len = (block_size // 512 // 8 + 511) // 512 * 512
    for sector, b in sorted((s, i) for i, s in enumerate(bat) if s != 0xFFFFFFFF):
        r.read(sector * 512 - pos)
        bitmap = r.read(bitmap_len)
        data = r.read(block_size)
        pos = sector * 512 + bitmap_len + block_size
        base = b * block_size
        for s in range(block_size // 512):
            if bitmap[s // 8] & (0x80 >> (s % 8)) and base + s * 512 < cur_size:
                piece = data[s * 512:(s + 1) * 512]
                if any(piece):
                    f.seek(base + s * 512)
                    f.write(piece)


def _raw(r, f, first, n, vdi_size):
    if n > vdi_size:
        raise XapiError("VDI_IO_ERROR", "Device I/O errors")
    buf, off = first, 0
    while True:
        take = buf[:n - off]
        if any(take):
            f.seek(off)
            f.write(take)
        off += len(take)
        if off >= n:
            return
        buf = r.read(min(1 << 20, n - off))
