# SPDX-License-Identifier: AGPL-3.0-or-later
"""The XVA format, as xen-api ocaml/xapi/export.ml, import.ml, stream_vdi.ml, importexport.ml write and read it.

An XVA is a tar (ocaml-tar's default V7 headers, as xapi-aux/tar_helpers.ml writes them: mode 0400, uid/gid 0,
typeflag NUL, no "ustar" magic; mtime = now for ova.xml, 0 for the chunks) of:
  ova.xml            Xmlrpc.to_string of {version: {hostname, date, product_version, product_brand, build_number,
                     xapi_major, xapi_minor, export_vsn = 2}, objects: [{class, id, snapshot}]} -- one <value>, no
                     XML declaration; "id"s are "Ref:<n>" from a counter that lives as long as the xapi process;
                     object order hosts, VMs, VM_metrics, VM_guest_metrics, VBDs, VIFs, networks, VDIs, SRs
  Ref:<n>/<%08d>     1 MiB chunks of each VDI (the last one shorter), VDIs in lexicographic order of their id;
                     all-zero chunks are left out except the first and the last of a disk (stream_vdi.ml send_one)
  Ref:<n>/<%08d>.xxhash   "%016X" of the chunk's XXH64 -- what current XAPI writes; the reader also takes the
                     classic ".checksum" (SHA-1, lower-case hex) files (stream_vdi.ml checksum_supported_extension)
  two zero blocks    (Tar_helpers.write_end)
The importer places a chunk at (sum of the chunk lengths read so far) + (gap in chunk numbers) x (length of the very
first chunk of the import), exactly like recv_all_vdi, so the empty keep-alive chunks XAPI sends during a slow export
are read as XAPI reads them.

The exported VM is shown halted, not a snapshot (a snapshot exports as a template: is_a_template stays true), with
refs to objects outside the export left as they are or NULL as make_vm/make_vbd/... do, and NULL refs that the table
walk met (guest_metrics of a VM without one, resident_on of a halted VM) turned into ids too -- update_table adds
them, so lookup finds them.
"""
import gzip
import hashlib
import itertools
import os
import struct
import threading
import time
import zlib

from . import model, schema, store
from .rpc import Malformed, XapiError, xml_from_string, xml_to_string
from .schema import NULL

CHUNK = 1 << 20
BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
XAPI_VERSION = (25, 6)   # xapi_major, xapi_minor the fake claims (assert_compatible refuses newer exports)
EXPORT_VSN = 2           # xapi_globs.ml export_vsn

_ids = itertools.count()
_ids_lock = threading.Lock()


def make_id():
    with _ids_lock:
        return "Ref:%d" % next(_ids)


# ---- XXH64 -----------------------------------------------------------------------------------------------------------
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


_zero_sums = {}


def xxhash_hex(data):
    if not any(data):  # a zero chunk (first or last of a sparse disk) comes often: remember its sum
        if len(data) not in _zero_sums:
            _zero_sums[len(data)] = "%016X" % xxh64(data)
        return _zero_sums[len(data)]
    return "%016X" % xxh64(data)


# ---- tar ---------------------------------------------------------------------------------------------------------------
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


# ---- export ------------------------------------------------------------------------------------------------------------
_HOST_BLANK = {"PIFs": [], "PBDs": [], "PGPUs": [], "PCIs": [], "host_CPUs": [], "license_params": {}, "blobs": {},
               "external_auth_type": "", "external_auth_service_name": "", "external_auth_configuration": {},
               "metrics": NULL, "patches": [], "crashdumps": [], "logging": {}, "supported_bootloaders": [],
               "cpu_configuration": {}, "other_config": {}, "capabilities": [], "software_version": {},
               "sched_policy": "", "ha_statefiles": [], "ha_network_peers": [], "tags": []}


def vm_metadata(st, vm):
    """(table internal ref -> id, ova.xml text) for one VM, as Export.vm_metadata builds them."""
    table = {}

    def add(r):
        if r not in table:
            table[r] = make_id()
    rec = st.get("VM", vm)
    add(vm)
    for vif in model.related(st, "VM", "VIFs", vm):
        add(vif)
        add(st.get("VIF", vif)["network"])
    for vbd in model.related(st, "VM", "VBDs", vm):
        add(vbd)
        b = st.get("VBD", vbd)
        if not b["empty"] and st.exists("VDI", b["VDI"]):
            add(b["VDI"])
            add(st.get("VDI", b["VDI"])["SR"])
    for r in (rec["metrics"], rec["guest_metrics"], rec["resident_on"], rec["affinity"]):
        add(r)

    def look(r):
        return table.get(r, NULL)

    def keep(refs):
        return [table[r] for r in refs if r in table]
    objects = []
    for cls in ("host", "VM", "VM_metrics", "VM_guest_metrics", "VBD", "VIF", "network", "VDI", "SR"):
        for ref in st.objs(cls):
            if ref not in table:
                continue
            r = model.render(st, cls, ref)
            if cls == "host":
                r.update(_HOST_BLANK, crash_dump_sr=look(r["crash_dump_sr"]),
                         suspend_image_sr=look(r["suspend_image_sr"]), resident_VMs=keep(r["resident_VMs"]))
            elif cls == "VM":
                r.update(power_state="Halted", suspend_VDI=NULL, is_a_snapshot=False, snapshot_of=NULL, snapshots=[],
                         snapshot_time=schema.EPOCH, transportable_snapshot_id="", parent=NULL,
                         current_operations={}, allowed_operations=[], VIFs=keep(r["VIFs"]), VBDs=keep(r["VBDs"]),
                         VGPUs=[], crash_dumps=[], VTPMs=[], resident_on=look(r["resident_on"]),
                         affinity=look(r["affinity"]), consoles=[], metrics=look(r["metrics"]),
                         guest_metrics=look(r["guest_metrics"]), protection_policy=NULL, blobs={})
            elif cls in ("VBD", "VIF"):
                r.update(currently_attached=False, VM=look(r["VM"]), metrics=NULL, current_operations={},
                         allowed_operations=[])
                if cls == "VBD":
                    r["VDI"] = look(r["VDI"])
                else:
                    r["network"] = look(r["network"])
            elif cls == "network":
                r.update(VIFs=keep(r["VIFs"]), PIFs=[], current_operations={}, allowed_operations=[])
            elif cls == "VDI":
                r.update(VBDs=keep(r["VBDs"]), crash_dumps=[], SR=look(r["SR"]), current_operations={},
                         allowed_operations=[])
            elif cls == "SR":
                r.update(VDIs=keep(r["VDIs"]), PBDs=[], current_operations={}, allowed_operations=[])
            objects.append({"class": cls, "id": table[ref], "snapshot": model.typed(cls, r)})
    header = {"version": version_record(st), "objects": objects}
    return table, xml_to_string(header)


def version_record(st):
    sv = {}
    for pool in st.objs("pool").values():
        if st.exists("host", pool["master"]):
            sv = st.get("host", pool["master"])["software_version"]
    return {"hostname": sv.get("hostname", "localhost"), "date": sv.get("date", ""),
            "product_version": sv.get("product_version", ""), "product_brand": sv.get("product_brand", ""),
            "build_number": sv.get("build_number", ""), "xapi_major": XAPI_VERSION[0],
            "xapi_minor": XAPI_VERSION[1], "export_vsn": EXPORT_VSN}


def export_plan(st, vm):
    """What /export streams, gathered under the lock: (ova.xml, [(id, image path, virtual_size)]) -- the disks of
    non-CD VBDs on SRs that are not ISO libraries (Export.export)."""
    table, ova = vm_metadata(st, vm)
    disks = []
    for vbd in model.related(st, "VM", "VBDs", vm):
        b = st.get("VBD", vbd)
        if b["type"] == "CD" or b["empty"] or b["VDI"] not in table or not st.exists("VDI", b["VDI"]):
            continue
        vdi = st.get("VDI", b["VDI"])
        if st.exists("SR", vdi["SR"]) and st.get("SR", vdi["SR"])["content_type"] == "iso":
            continue
        disks.append((table[b["VDI"]], st.vdi_path(vdi["uuid"]), vdi["virtual_size"]))
    return ova, disks


def chunks_of(path, size):
    """(chunk number, bytes) of the chunks an export carries: those holding data, and always the first and last."""
    if size <= 0:
        return
    last = (size - 1) // CHUNK
    fd = os.open(path, os.O_RDONLY)
    try:
        wanted = {0, last}
        for off, n in store.extents(fd, size):
            wanted.update(range(off // CHUNK, (off + n - 1) // CHUNK + 1))
        for i in sorted(wanted):
            data = os.pread(fd, min(CHUNK, size - i * CHUNK), i * CHUNK)
            data += bytes(min(CHUNK, size - i * CHUNK) - len(data))
            if i in (0, last) or any(data):
                yield i, data
    finally:
        os.close(fd)


def stream_chunks(prefix, path, size):
    for i, data in chunks_of(path, size):
        name = "%s/%08d" % (prefix, i)
        yield tar_header(name, len(data)) + data + pad(len(data))
        yield tar_member(name + ".xxhash", xxhash_hex(data).encode())


def export_stream(ova, disks):
    yield tar_member("ova.xml", ova.encode("utf-8"), int(time.time()))
    for prefix, path, size in sorted(disks):
        yield from stream_chunks(prefix, path, size)
    yield tar_end()


def gzip_stream(parts):
    z = zlib.compressobj(6, zlib.DEFLATED, 31)
    for p in parts:
        out = z.compress(p)
        if out:
            yield out
    yield z.flush()


# ---- import ------------------------------------------------------------------------------------------------------------
def open_archive(r):
    """The ova.xml text, reading through gzip when the stream is not a plain tar (Import.with_open_archive)."""
    first = r.read(BLOCK)
    try:
        hdr = parse_header(first)
    except ValueError:
        hdr = None
    if hdr is None:
        if first[:4] == b"\x28\xb5\x2f\xfd":
            raise XapiError("IMPORT_ERROR", "zstd-compressed exports are not supported by the fake")
        r = Reader(gzip.GzipFile(fileobj=Prepend(first, r.f if r.limit is None else _Limited(r))))
        try:
            hdr = parse_header(r.read(BLOCK))
        except (OSError, EOFError, ValueError, zlib.error) as e:
            raise XapiError("IMPORT_ERROR", "not an XVA (tar, gzip'ed tar): %s" % e)
    if hdr is None or hdr[0] != "ova.xml":
        raise XapiError("IMPORT_ERROR_UNEXPECTED_FILE", "ova.xml", hdr[0] if hdr else "")
    xml = r.read(hdr[1])
    r.read(-hdr[1] % BLOCK)
    return r, xml.decode("utf-8")


class _Limited:
    def __init__(self, r):
        self.r = r

    def read(self, n=-1):
        left = self.r.limit - self.r.pos
        if left <= 0:
            return b""
        b = self.r.f.read(min(left, n if n and n > 0 else 1 << 20))
        self.r.pos += len(b)
        return b


def parse_ova(xml):
    try:
        header = xml_from_string(xml)
        version, objects = header["version"], header["objects"]
        major, minor = int(version["xapi_major"]), int(version["xapi_minor"])
    except (Malformed, KeyError, TypeError, ValueError) as e:
        raise XapiError("IMPORT_ERROR", "ova.xml: %s" % e)
    if (major, minor) > XAPI_VERSION:
        raise XapiError("IMPORT_INCOMPATIBLE_VERSION")
    return {o["id"]: (o["class"], o["snapshot"]) for o in objects}


def _typed_record(cls, snap):
    out = {}
    for name, ty in schema.FIELDS[cls]:
        if name in snap:
            try:
                out[name] = schema.coerce(cls, name, snap[name])
            except (TypeError, ValueError):
                pass
    return out


def create_objects(st, objs, sr):
    """The database side of a full import into `sr`: (created VM refs, [(id, vdi ref, size)] to stream, undo list)."""
    table, undo, disks = {}, [], []
    recs = {i: (cls, _typed_record(cls, snap)) for i, (cls, snap) in objs.items() if cls in schema.TYPES}

    def of(cls):
        return [(i, r) for i, (c, r) in recs.items() if c == cls]
    for i, r in of("host"):
        table[i] = next(iter(st.where("host", uuid=r.get("uuid"))), NULL)
    for i, r in of("SR"):
        table[i] = sr
    cd_vdis = {r["VDI"] for _, r in of("VBD") if r.get("type") == "CD"}
    for i, r in of("VDI"):
        src_sr = recs.get(r.get("SR"), (None, {}))[1]
        if i in cd_vdis or src_sr.get("content_type") == "iso":
            table[i] = next(iter(st.where("VDI", uuid=r.get("uuid"))), NULL)
            continue
        fields = {k: r[k] for k in ("name_label", "name_description", "type", "sharable", "read_only",
                                    "other_config", "xenstore_data", "tags", "on_boot", "allow_caching") if k in r}
        from .api import create_vdi
        ref = create_vdi(st, sr, r.get("virtual_size", 0), **fields)
        undo.append(("VDI", ref))
        table[i] = ref
        disks.append((i, ref, r.get("virtual_size", 0)))
    for cls in ("VM_guest_metrics", "VM_metrics"):
        for i, r in of(cls):
            r.pop("uuid", None)
            table[i] = st.add(cls, **r)
            undo.append((cls, table[i]))
    vms = []
    for i, r in of("VM"):
        r.pop("uuid", None)
        other = {k: v for k, v in r.get("other_config", {}).items() if k != "grant_api_access"}
        other["mac_seed"] = store.new_uuid()
        r.update(other_config=other, power_state="Halted", suspend_VDI=NULL, version=0, appliance=NULL,
                 protection_policy=NULL, current_operations={}, allowed_operations=[], domid=-1)
        if not r.get("is_a_template"):
            r["generation_id"] = model.fresh_genid(r.get("generation_id", ""))
        for name, ty in schema.FIELDS["VM"]:
            if ty == "ref" and name in r:
                r[name] = table.get(r[name], r[name] if st.exists(_ref_class(name), r[name]) else NULL)
            elif ty == "set" and name in ("VBDs", "VIFs", "snapshots", "children", "consoles", "crash_dumps",
                                          "VUSBs", "VTPMs", "VGPUs", "attached_PCIs"):
                r[name] = []
        table[i] = st.add("VM", **r)
        undo.append(("VM", table[i]))
        vms.append(table[i])
    for i, r in of("network"):
        found = st.where("network", name_label=r.get("name_label")) or st.where("network", bridge=r.get("bridge"))
        if found:
            table[i] = found[0]
        else:
            r.pop("uuid", None)
            r.update(VIFs=[], PIFs=[])
            table[i] = st.add("network", **r)
            undo.append(("network", table[i]))
    for cls in ("VBD", "VIF"):
        for i, r in of(cls):
            r.pop("uuid", None)
            r.update(VM=table.get(r.get("VM"), NULL), currently_attached=False, metrics=NULL)
            if cls == "VBD":
                r["VDI"] = table.get(r.get("VDI"), NULL)
                r["empty"] = r.get("empty", False) or r["VDI"] == NULL
            else:
                r["network"] = table.get(r.get("network"), NULL)
            if r["VM"] == NULL:
                continue
            table[i] = st.add(cls, **r)
            undo.append((cls, table[i]))
    return vms, disks, undo


def _ref_class(field):
    return {"resident_on": "host", "affinity": "host", "scheduled_to_be_resident_on": "host", "metrics": "VM_metrics",
            "guest_metrics": "VM_guest_metrics", "suspend_VDI": "VDI", "suspend_SR": "SR", "parent": "VM",
            "snapshot_of": "VM"}.get(field, "VM")


def recv_disks(r, disks, paths, force=False):
    """Stream_vdi.recv_all_vdi: the chunks of each disk into its (pre-zeroed, sparse) image."""
    first_len = -1
    for prefix, path, size in sorted((d[0], paths[d[1]], d[2]) for d in disks):
        with open(path, "r+b") as f:
            offset, last = 0, "-1"
            while size - offset > 0:
                name, length = next_header(r)
                if first_len < 0:
                    first_len = length
                if not name.startswith(prefix + "/"):
                    raise XapiError("IMPORT_ERROR", "Invalid XVA file: expected a chunk of %s, got %s" % (prefix, name))
                suffix = name[len(prefix) + 1:]
                if suffix <= last:
                    raise XapiError("IMPORT_ERROR", "Invalid XVA file: chunk %s after %s" % (suffix, last))
                skipped = first_len * (int(suffix) - int(last) - 1)
                data = r.read(length)
                r.read(-length % BLOCK)
                if any(data):
                    f.seek(offset + skipped)
                    f.write(data)
                csum_name, csum_len = next_header(r)
                csum = r.read(csum_len).decode("ascii", "replace")
                r.read(-csum_len % BLOCK)
                if csum_name.endswith(".xxhash"):
                    mine = xxhash_hex(data)
                elif csum_name.endswith(".checksum"):
                    mine = hashlib.sha1(data).hexdigest()
                else:
                    raise XapiError("IMPORT_ERROR", "Found unsupported checksum file: %s" % csum_name)
                if csum != mine and not force:
                    raise XapiError("IMPORT_ERROR", "Block %s checksum failed: original = %s; recomputed = %s"
                                    % (name, csum, mine))
                offset += skipped + length
                last = suffix
            f.truncate(size)
