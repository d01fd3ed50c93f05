# SPDX-License-Identifier: AGPL-3.0-or-later
"""Reading XVAs, as xen-api ocaml/xapi/import.ml and stream_vdi.ml read them (the format: xva_write.py).

Import.with_open_archive takes a plain tar or a gzip'ed one (a zstd one is refused by the fake); the first member
must be ova.xml (IMPORT_ERROR_UNEXPECTED_FILE), whose xapi_major/xapi_minor may not be newer than the fake's
(IMPORT_INCOMPATIBLE_VERSION). create_objects makes the database side of a full import; recv_disks is
Stream_vdi.recv_all_vdi: a chunk is placed at (sum of the chunk lengths read so far) + (gap in chunk numbers) x (length
of the very first chunk of the import), so the empty keep-alive chunks XAPI sends during a slow export are read as XAPI
reads them; each chunk's ".xxhash" (XXH64) or classic ".checksum" (SHA-1, lower-case hex) file is checked
(stream_vdi.ml checksum_supported_extension) unless force=true.
"""
import gzip
import hashlib
import zlib

from . import model, schema, store
from .rpc import Malformed, XapiError, xml_from_string
from .schema import NULL
from .tarstream import BLOCK, Prepend, Reader, next_header, parse_header
from .xva_write import XAPI_VERSION
from .xxh64 import xxhash_hex


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
