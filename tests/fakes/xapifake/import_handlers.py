# SPDX-License-Identifier: AGPL-3.0-or-later
"""XAPI's HTTP handlers that receive data: /import and /import_raw_vdi (a mixin of web.Handler; authentication,
tasks, errors and faults: httpcore.py). They answer 200 and Connection: close before the body is read:
  /import?session_id&[task_id]&(sr_id|sr_uuid)  import.ml handler: the 200 goes out before the body is read; a
      Transfer-Encoding is refused (403, IMPORT_ERROR_CANNOT_HANDLE_CHUNKED); the task's result is the XML-RPC text
      of the new VM refs (complete_import); gzip'ed XVAs are read too (xva_read.py)
  /import_raw_vdi?session_id&[task_id]&(vdi | sr_id + Content-Length)[&format=raw|vhd|tar]  import_raw_vdi.ml:
      Transfer-Encoding refused with 404; writes into the VDI (more bytes than its virtual_size: VDI_IO_ERROR)
Not implemented: /import?restore=true is read as a plain import.
"""
import os
import struct

from . import api as apimod
from . import model, vhd, xva_read
from .httpcore import Stop
from .rpc import XapiError, xml_to_string
from .schema import NULL
from .tarstream import Reader


class ImportHandlers:
    # ---- /import ------------------------------------------------------------------------------------------------------
    def h_import(self, path):
        fake = self.server.fake
        fault = self.begin("VM.import", "VM.import", path)
        try:
            with fake.store.tx(write=False) as st:
                sr = self.param("sr_id")
                if sr is None and self.param("sr_uuid") is not None:
                    sr = st.by_uuid("SR", self.param("sr_uuid"))
                if sr is None:
                    pool = next(iter(st.objs("pool").values()), None)
                    sr = pool["default_SR"] if pool else NULL
                    if not st.exists("SR", sr):
                        raise XapiError("DEFAULT_SR_NOT_FOUND", sr)
                content_type = st.get("SR", sr)["content_type"]
        except XapiError as e:
            self.api_error(e)
        if self.headers.get("Transfer-Encoding"):
            self.fail(XapiError("IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"))
            self.headers_only(["HTTP/1.1 403 Forbidden", "Connection: close", "Cache-Control: no-cache, no-store"])
        if content_type == "iso":
            self.fail(XapiError("SR_OPERATION_NOT_SUPPORTED"))
            self.headers_only(["HTTP/1.1 400 Bad Request", "Connection: close", "Cache-Control: no-cache, no-store"])
        self.raw(["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store", "task-id:" + self.task,
                  "content-type: application/octet-stream"])
        self.close_connection = True
        base = r = self.body_reader(fault)
        undo = []
        try:
            r, xml = xva_read.open_archive(r)
            objs = xva_read.parse_ova(xml)
            with fake.store.tx() as st:
                vms, disks, undo = xva_read.create_objects(st, objs, sr)
                paths = {ref: st.vdi_path(st.get("VDI", ref)["uuid"]) for _, ref, _ in disks}
            xva_read.recv_disks(r, disks, paths, force=self.query.get("force") == "true")
            with fake.store.tx() as st:
                if not model.is_thick(st, sr) and model.sr_usage(st, sr) > st.get("SR", sr)["physical_size"]:
                    raise XapiError("IMPORT_ERROR", 'Unix.Unix_error(Unix.ENOSPC, "write", "")')
            base.drain()
        except (XapiError, _Dropped) as e:
            err = e if isinstance(e, XapiError) else XapiError("IMPORT_ERROR_PREMATURE_EOF")
            with fake.store.tx() as st:
                for cls, ref in reversed(undo):
                    if cls == "VDI" and st.exists("VDI", ref):
                        _unlink(st.vdi_path(st.get("VDI", ref)["uuid"]))
                    st.remove(cls, ref)
            self.fail(err)
            self.drop()
            raise Stop()
        self.succeed(xml_to_string(vms))

    # ---- /import_raw_vdi ----------------------------------------------------------------------------------------------
    def h_import_raw_vdi(self, path):
        fake = self.server.fake
        fault = self.begin("VDI.import", "VDI.import", path)
        fmt = (self.param("format") or "raw").lower()
        chunked = "chunked" in self.query or "chunked" in self.cookies
        length = self.headers.get("Content-Length")
        not_found = ["HTTP/1.0 404 Not Found", "Connection: close", "Cache-Control: no-cache, no-store"]
        bad = ["HTTP/1.0 400 Bad Request", "Connection: close", "Cache-Control: no-cache, no-store"]
        if fmt not in ("raw", "vhd", "tar"):
            self.fail(XapiError("INTERNAL_ERROR", "Unknown format " + fmt))
            self.headers_only(not_found)
        if fmt != "raw" and chunked:
            self.fail(XapiError("INTERNAL_ERROR", "Cannot handle chunked VHD"))
            self.headers_only(not_found)
        if self.headers.get("Transfer-Encoding"):
            self.fail(XapiError("INTERNAL_ERROR", "Cannot handle encoding: " + self.headers["Transfer-Encoding"]))
            self.headers_only(not_found)
        try:
            with fake.store.tx() as st:
                vdi = self.vdi_of_request(st)
                sr = self.param("sr_id") or (st.by_uuid("SR", self.param("sr_uuid")) if self.param("sr_uuid") else None)
                if vdi is None:
                    if fmt == "raw" and length is not None and sr is not None:
                        vdi = apimod.create_vdi(st, sr, int(length), name_label="Imported VDI", type="user")
                    else:
                        msg = ("Importing a VHD directly into an SR not yet supported" if fmt == "vhd"
                               else "Not enough info supplied to import")
                        self.fail(XapiError("INTERNAL_ERROR", msg))
                        self.headers_only(bad)
                rec = st.get("VDI", vdi)
                img, size, sr = st.vdi_path(rec["uuid"]), rec["virtual_size"], rec["SR"]
        except XapiError as e:
            self.api_error(e)
        self.raw(["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store", "task-id:" + self.task,
                  "content-type: application/octet-stream"])
        self.close_connection = True
        r = self.body_reader(fault)
        try:
            with open(img, "r+b") as f:
                if fmt == "vhd":
                    vhd.receive(r, f, size, r.limit)
                elif fmt == "tar":
                    xva_read.recv_disks(r, [("vdi", vdi, size)], {vdi: img})
                elif chunked:
                    receive_chunked(r, f, size)
                else:
                    receive_raw(r, f, size)
                f.truncate(size)
            with fake.store.tx(write=False) as st:
                if not model.is_thick(st, sr) and model.sr_usage(st, sr) > st.get("SR", sr)["physical_size"]:
                    raise XapiError("VDI_IO_ERROR", "Device I/O errors")
        except (XapiError, _Dropped) as e:
            err = XapiError("VDI_IO_ERROR", "Device I/O errors") if not isinstance(e, XapiError) or \
                e.name == "IMPORT_ERROR_PREMATURE_EOF" else e
            self.fail(err)
            self.drop()
            raise Stop()
        self.succeed(xml_to_string(vdi))

    # ---- common ---------------------------------------------------------------------------------------------------------
    def body_reader(self, fault):
        length = self.headers.get("Content-Length")
        length = int(length) if length is not None else None
        limit = fault.get("cut_after_bytes")
        return Reader(_CutReader(self, limit) if limit is not None else self.rfile, length)


class _Dropped(Exception):
    pass


class _CutReader:
    """The import side of cut_after_bytes: after N body bytes the fake hangs up."""

    def __init__(self, handler, limit):
        self.h, self.left = handler, limit

    def read(self, n=-1):
        if self.left <= 0:
            self.h.drop()
            raise _Dropped()
        b = self.h.rfile.read(min(n, self.left) if n and n > 0 else self.left)
        self.left -= len(b)
        return b


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def receive_raw(r, f, size):
    """vhd-tool raw: the body is written from offset 0; more than the VDI holds is VDI_IO_ERROR."""
    off = 0
    while r.limit is None or r.pos < r.limit:
        want = 1 << 20 if r.limit is None else min(1 << 20, r.limit - r.pos)
        b = r.f.read(want)
        if not b:
            if r.limit is not None:
                raise XapiError("VDI_IO_ERROR", "Device I/O errors")
            break
        r.pos += len(b)
        if off + len(b) > size:
            raise XapiError("VDI_IO_ERROR", "Device I/O errors")
        if any(b):
            f.seek(off)
            f.write(b)
        off += len(b)


def receive_chunked(r, f, size):
    """import_raw_vdi ?chunked: vhd-tool's "chunked" protocol -- (offset u64 LE, length u32 LE, data)... ended by a
    zero length (not verified against vhd-tool's source)."""
    while True:
        off, n = struct.unpack("<QI", r.read(12))
        if n == 0:
            return
        data = r.read(n)
        if off + n > size:
            raise XapiError("VDI_IO_ERROR", "Device I/O errors")
        f.seek(off)
        f.write(data)
