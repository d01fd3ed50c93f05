# SPDX-License-Identifier: AGPL-3.0-or-later
"""XAPI's HTTP handlers that send data: /export, /export_metadata, /export_raw_vdi, /pool/xmldbdump (a mixin of
web.Handler; authentication, tasks, errors and faults: httpcore.py). They answer 200 and Connection: close, then
stream (without a length, but for /export_metadata):
  /export?session_id&(uuid|ref)[&use_compression=true|gzip]  export.ml handler: HTTP/1.0 200, task-id, Server,
      content-type application/octet-stream, Content-Disposition export.xva; VM_BAD_POWER_STATE etc. for a VM that
      may not be exported (running); gzip when asked ("zstd" cannot be done with the standard library: 500)
  /export_metadata?session_id&(uuid|ref|all=true)[&export_snapshots][&include_vhd_parents][&include_dom0]
      [&excluded_device_types]  export.ml metadata_handler: an XVA of ova.xml alone (see h_export_metadata)
  /export_raw_vdi?session_id&vdi=<ref|uuid>[&format=raw|vhd|tar]  export_raw_vdi.ml: an unknown format is 404
  /pool/xmldbdump?session_id  pool_db_backup.ml: the database as Db_xml writes it (see dbdump())
Not implemented: zstd compression; /export_raw_vdi?base= (differences) is ignored; /export ignores
preserve_power_state.
"""
import os

from . import model, schema, store, vhd, xva_write
from .httpcore import xapi_version
from .rpc import XapiError
from .tarstream import tar_end

# Xapi_globs.default_template_key
DEFAULT_TEMPLATE_KEY = "default_template"


class ExportHandlers:
    # ---- /export --------------------------------------------------------------------------------------------------------
    def h_export(self, path):
        fake = self.server.fake
        fault = self.begin("VM.export", "VM.export", path)
        compression = self.query.get("use_compression")
        try:
            with fake.store.tx(write=False) as st:
                if "ref" in self.query:
                    vm = self.query["ref"]
                elif "uuid" in self.query:
                    vm = st.by_uuid("VM", self.query["uuid"])
                else:
                    raise XapiError("INTERNAL_ERROR", "Not_found")
                model.assert_vm_operation(st, vm, "export")
                ova, disks = xva_write.export_plan(st, vm)
        except XapiError as e:
            self.api_error(e)
        if compression == "zstd":
            self.api_error(XapiError("INTERNAL_ERROR", "zstd compression is not available in the fake"))
        self.raw(["HTTP/1.0 200 OK", "Connection: close", "Cache-Control: no-cache, no-store",
                  "task-id: " + self.task, "Server: xapi/" + xapi_version(), "content-type: application/octet-stream",
                  'Content-Disposition: attachment; filename="export.xva"'])
        parts = xva_write.export_stream(ova, disks)
        if compression in ("true", "gzip"):
            parts = xva_write.gzip_stream(parts)
        self.stream_out(parts, fault)

    # ---- /export_metadata -----------------------------------------------------------------------------------------
    def h_export_metadata(self, path):
        """ocaml/xapi/export.ml metadata_handler (registered as "get_export_metadata" in xapi.ml, datamodel.ml).

        Query (not cookies): ref (taken as it is) or uuid (VM.get_by_uuid: UUID_INVALID), or all=true -- every VM
        that is not a default template (is_default_template, or a template whose other_config default_template is
        "true"), dom0s included unless include_dom0=false (Helpers.is_domain_zero: a control domain that is its
        resident host's control_domain); export_snapshots (default true: the snapshots, the parent VM and the
        snapshot fields, Export.vm_metadata ~with_snapshot_metadata), include_vhd_parents (default false),
        excluded_device_types (comma-separated vif, vbd, vgpu, vtpm; any case). Booleans are OCaml bool_of_string:
        only "true"/"false", anything else is Invalid_argument("bool_of_string") (HTTP 500); an unknown device type
        is a Failure; neither ref nor uuid is Not_found. use_compression and preserve_power_state, which xe sends
        too, are not read: the power state is always kept (~preserve_power_state:true).

        Authentication is the add_handler RBAC check (realm "get_export_metadata"), the task is with_context's
        ("VM.export_metadata"), completed when the handler ends. A writer thread locks each VM for
        `metadata_export` (Xapi_vm_lifecycle.assert_operation_valid: allowed in every power state, so a running VM
        can be exported; blocked_operations refuse it) and writes the tar into a pipe, which the handler reads to
        the end first; then it answers HTTP/1.0 200 with Connection: close, Cache-Control, task-id, Server,
        content-type application/octet-stream, Content-Length and Content-Disposition export.xva, and the tar:
        ova.xml (mtime now) and two zero blocks (export_metadata: Tar_helpers.write_block, write_end) -- VDIs are
        records only, no chunks. When the writer failed, the handler writes "HTTP/1.1 500 internal error" with
        content-length: 0 and re-raises, so the error page of http_svr.ml follows it on the same connection
        (clients read the first answer). The fake checks the VMs and builds ova.xml under one database read: the
        lock never shows in current_operations."""
        fake = self.server.fake
        fault = self.begin("get_export_metadata", "VM.export_metadata", path)

        def flag(name, default):
            value = self.query.get(name)
            if value is None:
                return default
            if value not in ("true", "false"):
                raise ValueError('Invalid_argument("bool_of_string")')
            return value == "true"

        def device_types(value):
            out = []
            for x in value.split(",") if value else []:
                if x.lower() not in ("vif", "vbd", "vgpu", "vtpm"):
                    raise ValueError('Failure("Importexport.Devicetype.of_string: Type \'%s\' not one of '
                                     '[vif; vbd; vgpu; vtpm]")' % x)
                out.append(x.lower())
            return out
        try:
            include_vhd_parents = flag("include_vhd_parents", False)
            export_all = flag("all", False)
            export_snapshots = flag("export_snapshots", True)
            include_dom0 = flag("include_dom0", True)
            excluded = device_types(self.query.get("excluded_device_types", ""))
            if not export_all and "ref" not in self.query and "uuid" not in self.query:
                raise ValueError("Not_found")
        except ValueError as e:
            self.exception_error(str(e))
        try:
            with fake.store.tx(write=False) as st:
                if export_all:
                    vms = [vm for vm, rec in st.objs("VM").items() if not _is_default_template(rec)
                           and (include_dom0 or not _is_domain_zero(st, vm, rec))]
                elif "ref" in self.query:
                    vms = [self.query["ref"]]
                else:
                    vms = [st.by_uuid("VM", self.query["uuid"])]
        except XapiError as e:
            self.api_error(e)
        try:
            with fake.store.tx(write=False) as st:
                for vm in vms:
                    if not st.exists("VM", vm):
                        raise XapiError("HANDLE_INVALID", "VM", vm)
                    model.assert_vm_operation(st, vm, "metadata_export")
                _, ova = xva_write.vm_metadata(st, vms, with_snapshot_metadata=export_snapshots,
                                               preserve_power_state=True, include_vhd_parents=include_vhd_parents,
                                               excluded_devices=excluded)
        except XapiError as e:
            self.raw(["HTTP/1.1 500 internal error", "content-length: 0"])
            self.api_error(e)
        data = xva_write.metadata_stream(ova)
        self.raw(["HTTP/1.0 200 OK", "Connection: close", "Cache-Control: no-cache, no-store",
                  "task-id: " + self.task, "Server: xapi/" + xapi_version(), "content-type: application/octet-stream",
                  "Content-Length: %d" % len(data), 'Content-Disposition: attachment; filename="export.xva"'])
        self.stream_out([data], fault)

    # ---- /export_raw_vdi ------------------------------------------------------------------------------------------------
    def h_export_raw_vdi(self, path):
        fake = self.server.fake
        fault = self.begin("VDI.export_raw", "VDI.export_raw_vdi", path)
        try:
            with fake.store.tx(write=False) as st:
                vdi = self.vdi_of_request(st)
                if vdi is None:
                    raise XapiError("INTERNAL_ERROR", "Missing vdi query parameter")
                rec = st.get("VDI", vdi)
                img, size, uuid = st.vdi_path(rec["uuid"]), rec["virtual_size"], rec["uuid"]
        except XapiError as e:
            self.api_error(e)
        fmt = (self.param("format") or "raw").lower()
        types = {"raw": "application/octet-stream", "vhd": "application/vhd", "tar": "application/x-tar"}
        if fmt not in types:
            self.fail(XapiError("INTERNAL_ERROR", "Unknown format " + fmt))
            self.headers_only(["HTTP/1.0 404 Not Found", "Connection: close", "Cache-Control: no-cache, no-store"])
        if fmt == "vhd" and size > vhd.MAX_VHD_SIZE:
            self.api_error(XapiError("VDI_TOO_LARGE", vdi, vhd.MAX_VHD_SIZE))
        self.raw(["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store", "task-id:" + self.task,
                  "content-type:" + types[fmt], 'content-disposition: attachment; filename="%s.%s"' % (uuid, fmt)])
        if fmt == "raw":
            parts = raw_stream(img, size)
        elif fmt == "vhd":
            parts = vhd.stream(img, size)
        else:
            parts = _chain(xva_write.stream_chunks("vdi", img, size), [tar_end()])
        self.stream_out(parts, fault)

    # ---- /pool/xmldbdump ------------------------------------------------------------------------------------------------
    def h_xmldbdump(self, path):
        fake = self.server.fake
        fault = self.begin("get_pool_xml_db_sync", "Dumping database as XML", path)
        with fake.store.tx(write=False) as st:
            data = dbdump(st).encode("utf-8")
        self.raw(["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store"])
        self.stream_out([data], fault)


def _is_default_template(vm):
    """export.ml metadata_handler is_default_template."""
    return vm["is_default_template"] or (vm["is_a_template"]
                                          and vm["other_config"].get(DEFAULT_TEMPLATE_KEY) == "true")


def _is_domain_zero(st, ref, vm):
    """Helpers.is_domain_zero_with_record."""
    host = vm["resident_on"]
    return vm["is_control_domain"] and st.exists("host", host) and st.get("host", host)["control_domain"] == ref


def _chain(*parts):
    for p in parts:
        yield from p


_ZEROS = bytes(1 << 20)


def raw_stream(path, size):
    """Exactly `size` bytes of the image; holes are sent as zeros without being read."""
    fd = os.open(path, os.O_RDONLY)
    try:
        pos = 0
        for off, n in store.extents(fd, size) + [(size, 0)]:
            while pos < off:
                k = min(len(_ZEROS), off - pos)
                yield _ZEROS[:k] if k < len(_ZEROS) else _ZEROS
                pos += k
            end = off + n
            while pos < end:
                k = min(1 << 20, end - pos)
                data = os.pread(fd, k, pos)
                yield data + bytes(k - len(data))
                pos += k
    finally:
        os.close(fd)


# ---- /pool/xmldbdump ------------------------------------------------------------------------------------------------------
def _attr(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def _protect(s):
    """database/xml_spaces.ml protect: whitespace kept through XML attribute normalisation."""
    return s.replace("%", "%%").replace(" ", "%.").replace("\t", "%t").replace("\n", "%n").replace("\r", "%r")


def dbdump(st):
    """The pool database as ocaml/database/db_xml.ml To.database writes it: <database><manifest> (schema 5.909,
    generation_count) then one <table name=...> per class with a <row ref=... __ctime __mtime column="value".../> per
    object; namespaced fields are columns like name__label, sets and maps are S-expressions ('a' 'b') / (('k' 'v'))
    (string_marshall_helper.ml), whitespace protected (%. %t %n %r %%); session and task rows are not written
    (not persistent). Only the fake's classes are dumped, and relation fields (VM.VBDs...) are not columns."""
    gen = st.data.get("generation", 0)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<database><manifest>',
           '<pair key="schema_major_vsn" value="5"/><pair key="schema_minor_vsn" value="909"/>',
           '<pair key="generation_count" value="%d"/></manifest>' % gen]
    for cls in schema.CLASSES:
        out.append('<table name="%s">' % cls)
        if cls not in ("session", "task"):
            for ref, rec in st.objs(cls).items():
                attrs = ['__mtime="%d"' % gen, '__ctime="%d"' % gen, 'ref="%s"' % _attr(ref)]
                for column, value in schema.db_row(cls, rec):
                    attrs.append('%s="%s"' % (column, _attr(_protect(value))))
                out.append("<row %s/>" % " ".join(attrs))
        out.append("</table>")
    out.append("</database>")
    return "".join(out)
