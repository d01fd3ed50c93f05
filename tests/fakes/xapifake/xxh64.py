# SPDX-License-Identifier: AGPL-3.0-or-later
"""XXH64, the checksum current XAPI writes next to each XVA chunk (ocaml/xapi/stream_vdi.ml: "<chunk>.xxhash" holds
"%016X" of XXHash.XXH64.hash of the chunk, seed 0), written from the xxHash specification (XXH64)."""
import ctypes
import struct

_P1, _P2, _P3, _P4, _P5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x85EBCA77C2B2AE63,
                           0x27D4EB2F165667C5)
_M = (1 << 64) - 1


def _round(acc, lane):
    acc = (acc + lane * _P2) & _M
    return (((acc << 31) | (acc >> 33)) & _M) * _P1 & _M


def xxh64(data, seed=0):
    """XXH64 (the xxHash specification), seed 0 as XAPI's XXHash.XXH64.hash uses it."""
    n, p = len(data), 0
    if n >= 32:
        v1, v2, v3, v4 = (seed + _P1 + _P2) & _M, (seed + _P2) & _M, seed, (seed - _P1) & _M
        stripes = n // 32
        words = struct.unpack_from("<%dQ" % (stripes * 4), data)
        it = iter(words)
        for a, b, c, d in zip(it, it, it, it):
            v1 = (v1 + a * _P2) & _M
            v1 = (((v1 << 31) | (v1 >> 33)) & _M) * _P1 & _M
            v2 = (v2 + b * _P2) & _M
            v2 = (((v2 << 31) | (v2 >> 33)) & _M) * _P1 & _M
            v3 = (v3 + c * _P2) & _M
            v3 = (((v3 << 31) | (v3 >> 33)) & _M) * _P1 & _M
            v4 = (v4 + d * _P2) & _M
            v4 = (((v4 << 31) | (v4 >> 33)) & _M) * _P1 & _M
        h = (((v1 << 1) | (v1 >> 63)) + ((v2 << 7) | (v2 >> 57)) + ((v3 << 12) | (v3 >> 52))
             + ((v4 << 18) | (v4 >> 46))) & _M
        for v in (v1, v2, v3, v4):
            h = ((h ^ _round(0, v)) * _P1 + _P4) & _M
        p = stripes * 32
    else:
        h = (seed + _P5) & _M
    h = (h + n) & _M
    while p + 8 <= n:
        h ^= _round(0, int.from_bytes(data[p:p + 8], "little"))
        h = ((((h << 27) | (h >> 37)) & _M) * _P1 + _P4) & _M
        p += 8
    if p + 4 <= n:
        h ^= int.from_bytes(data[p:p + 4], "little") * _P1 & _M
        h = ((((h << 23) | (h >> 41)) & _M) * _P2 + _P3) & _M
        p += 4
    while p < n:
        h ^= data[p] * _P5 & _M
        h = (((h << 11) | (h >> 53)) & _M) * _P1 & _M
        p += 1
    h ^= h >> 33
    h = h * _P2 & _M
    h ^= h >> 29
    h = h * _P3 & _M
    return h ^ (h >> 32)


def _libxxhash():
    """Debian's libxxhash (the xxHash reference implementation, libxxhash0) when it is there: the same sums at memory
    speed, so that the fake, not its checksums, sets the pace of an export (pure Python manages about 20 MB/s)."""
    try:
        lib = ctypes.CDLL("libxxhash.so.0")
    except OSError:
        return None
    lib.XXH64.restype = ctypes.c_uint64
    lib.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return lambda data: lib.XXH64(bytes(data), len(data), 0)


_fast = _libxxhash()
_zero_sums = {}


def xxhash_hex(data):
    if _fast is not None:
        return "%016X" % _fast(data)
    if not any(data):  # a zero chunk (first or last of a sparse disk) comes often: remember its sum
        if len(data) not in _zero_sums:
            _zero_sums[len(data)] = "%016X" % xxh64(data)
        return _zero_sums[len(data)]
    return "%016X" % xxh64(data)
