# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake's HTTP/1.1 server: API calls and XAPI's HTTP handlers, on a Unix socket and/or a loopback TCP port.

Routing is XAPI's (ocaml/xapi/xapi.ml handler list, ocaml/libs/http-lib/http_svr.ml): the longest registered path
prefix wins, per method -- POST / and /RPC2 are XML-RPC (so is any other POST path but /jsonrpc), POST /jsonrpc is
JSON-RPC; GET /export, /export_raw_vdi, /pool/xmldbdump; PUT /import, /import_raw_vdi. A path nobody registered is
403 Forbidden (default_callback), a method nobody serves 501. RPC bodies need a Content-Length (read_body); answers
carry content-length, connection keep-alive (close if the request asked), cache-control, content-type and the two
Access-Control-Allow headers (api_server.ml). A request that cannot be parsed is HTTP 500.

HTTP handlers authenticate like ocaml/xapi/xapi_http.ml assert_credentials_ok / with_context: nothing is needed on
the Unix socket; otherwise a session_id (cookie or query) that exists, or HTTP Basic credentials (a login made for
the request), else 401 Unauthorised with WWW-Authenticate: Basic realm="<label>". task_id names the task to finish
(else a task is made for the request and destroyed after it: exec_with_new_task). API errors raised before the
answer's headers are out become HTTP 500 with XAPI's HTML page and "Additional information" "NAME: [ p1; p2 ]" and
fail the task (Http_svr.Generic_error). The data handlers answer 200 and Connection: close, without a length, then
stream:
  /export?session_id&(uuid|ref)[&use_compression=true|gzip]  export.ml handler: HTTP/1.0 200, task-id, Server,
      content-type application/octet-stream, Content-Disposition export.xva; VM_BAD_POWER_STATE etc. for a VM that
      may not be exported (running); gzip when asked ("zstd" cannot be done with the standard library: 500)
  /export_raw_vdi?session_id&vdi=<ref|uuid>[&format=raw|vhd|tar]  export_raw_vdi.ml: an unknown format is 404
  /import?session_id&[task_id]&(sr_id|sr_uuid)  import.ml handler: the 200 goes out before the body is read; a
      Transfer-Encoding is refused (403, IMPORT_ERROR_CANNOT_HANDLE_CHUNKED); the task's result is the XML-RPC text
      of the new VM refs (complete_import); gzip'ed XVAs are read too
  /import_raw_vdi?session_id&[task_id]&(vdi | sr_id + Content-Length)[&format=raw|vhd|tar]  import_raw_vdi.ml:
      Transfer-Encoding refused with 404; writes into the VDI (more bytes than its virtual_size: VDI_IO_ERROR)
  /pool/xmldbdump?session_id  pool_db_backup.ml: the database as Db_xml writes it (see dbdump())

A slave instance serves these handlers too, checking sessions in the shared database (a real slave serves what its
SRs let it and redirects the rest to the master with 302 -- the fake never redirects). Not implemented, answered
404: /export_metadata, /import_metadata, /import_vdi; zstd compression; /import?restore=true is read as a plain
import; /export_raw_vdi?base= (differences) is ignored. "Expect: 100-continue" gets no interim answer, as from XAPI.

Faults (DIR/faults.json, keyed by path like "/export"): {"sleep": s}, {"status": N} (answer that status, fail the
task), {"error": [name, params...]} (fail the task, answer 500), {"cut_after_bytes": N} (close the connection after N
bytes of the body: an export stops mid-stream, an import stops reading), with "times"/"skip" as for API calls.
"""
import base64
import os
import socket
import socketserver
import struct
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler

from . import api as apimod
from . import model, schema, store, vhd, xva
from .rpc import Malformed, XapiError, json_response, parse_json_call, parse_xml_call, xml_response, xml_to_string
from .schema import NULL

REASONS = {400: "Bad Request", 401: "Unauthorised", 403: "Forbidden", 404: "Not Found", 500: "Internal Error",
           501: "Method not implemented", 503: "Service Unavailable"}
ROUTES = {
    "POST": {"/": "xmlrpc", "/RPC2": "xmlrpc", "/json": "xmlrpc", "/jsonrpc": "jsonrpc"},
    "GET": {"/": "root", "/export": "export", "/export_raw_vdi": "export_raw_vdi", "/pool/xmldbdump": "xmldbdump",
            "/export_metadata": "missing"},
    "PUT": {"/import": "import", "/import_raw_vdi": "import_raw_vdi", "/import_metadata": "missing",
            "/import_vdi": "missing"},
    "OPTIONS": {"/": "options", "/json": "options", "/jsonrpc": "options"},
}
MAX_RPC = 300 << 20


class Stop(Exception):
    """The request is answered (or the connection dropped); nothing more to send."""


class Cut(Exception):
    pass


def xapi_version():
    return "%d.%d" % xva.XAPI_VERSION


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xapi/" + xapi_version()

    def log_message(self, *args):
        pass

    def handle_expect_100(self):
        """XAPI does not answer "Expect: 100-continue" (http_svr.ml has no such case): the client sends its body
        when its own wait runs out."""
        return True

    def version(self):
        return "1.0" if self.request_version == "HTTP/1.0" else "1.1"

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.dispatch
        raise AttributeError(name)

    # ---- plumbing -----------------------------------------------------------------------------------------------
    def dispatch(self):
        fake = self.server.fake
        self.headers_sent = False
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.cookies = {}
        for part in (self.headers.get("Cookie") or "").split(";"):
            if "=" in part:
                k, v = part.strip().split("=", 1)
                self.cookies[k] = urllib.parse.unquote(v)
        routes = ROUTES.get(self.command)
        if routes is None:
            return self.error_page(501, "<html><body><h1>HTTP 501 Method Not Implemented</h1><p>%s not supported."
                                   "<br /></p></body></html>" % self.command)
        match = max((p for p in routes if url.path.startswith(p)), key=len, default=None)
        if match is None:
            return self.error_page(403, "<html><body><h1>HTTP 403 forbidden</h1>Access to the requested resource is "
                                   "forbidden.</body></html>")
        kind = routes[match]
        if kind not in ("xmlrpc", "jsonrpc", "options"):
            fake.store.log_call({"http": self.command, "path": url.path, "query": self.query,
                                 "transport": self.server.transport, "slave": bool(fake.config.slave_of)})
        try:
            getattr(self, "h_" + kind)(match)
        except Stop:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug: XAPI answers 500 for any exception a handler lets out (handle_one)
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            if not self.headers_sent:
                try:
                    self.internal_error(_html(repr(e)))
                except Stop:
                    pass
    def raw(self, lines, body=b""):
        self.headers_sent = True
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body)
        self.wfile.flush()

    def error_page(self, code, body, extra=()):
        """http_svr.ml response_error_html: always Connection: close."""
        b = body.encode("utf-8")
        self.raw(["HTTP/%s %d %s" % (self.version(), code, REASONS.get(code, "Error")), "content-length: %d" % len(b),
                  "content-type: text/html", "connection: close", "cache-control: no-cache, no-store"] + list(extra), b)
        self.close_connection = True
        raise Stop()

    def internal_error(self, extra):
        self.error_page(500, "<html><body><h1>HTTP 500 internal server error</h1>An unexpected error occurred; "
                        "please wait a while and try again. If the problem persists, please contact your support "
                        "representative.<h1> Additional information </h1>%s</body></html>" % _html(extra))

    def unauthorised(self, realm):
        self.error_page(401, "<html><body><h1>HTTP 401 unauthorised</h1>Please check your credentials and retry."
                        "</body></html>", ['WWW-Authenticate: Basic realm="%s"' % realm])

    def body(self, limit=MAX_RPC):
        length = self.headers.get("Content-Length")
        if length is None:
            self.internal_error("Failure(&quot;We require a content-length: HTTP header&quot;)")
        if int(length) > limit:
            self.internal_error("Http_svr.Client_requested_size_over_limit")
        return self.rfile.read(int(length))

    # ---- API calls ------------------------------------------------------------------------------------------------
    def h_xmlrpc(self, _):
        try:
            method, params = parse_xml_call(self.body())
        except Malformed as e:
            self.internal_error(str(e))
        ok, contents = self.server.fake.api.dispatch(method, params, self.server.transport, "xmlrpc")
        self.rpc_answer(xml_response(ok, contents), "text/xml")

    def h_jsonrpc(self, _):
        try:
            version, rid, method, params = parse_json_call(self.body())
        except Malformed as e:
            self.internal_error("Jsonrpc.Malformed_method_request(&quot;%s&quot;)" % e)
        ok, contents = self.server.fake.api.dispatch(method, params, self.server.transport, "jsonrpc")
        self.rpc_answer(json_response(version, rid, ok, contents), "application/json")

    def rpc_answer(self, data, content_type):
        self.raw(["HTTP/%s 200 OK" % self.version(), "content-length: %d" % len(data),
                  "connection: %s" % ("close" if self.close_connection else "keep-alive"),
                  "cache-control: no-cache, no-store", "content-type: %s" % content_type,
                  "Access-Control-Allow-Origin: *", "Access-Control-Allow-Headers: X-Requested-With"], data)

    def h_options(self, _):
        acrh = self.headers.get("Access-Control-Request-Headers")
        self.raw(["HTTP/%s 200 OK" % self.version(), "content-length: 0",
                  "connection: %s" % ("close" if self.close_connection else "keep-alive"),
                  "cache-control: no-cache, no-store", "Access-Control-Allow-Origin: *",
                  "Access-Control-Allow-Headers: %s" % ("%s, X-Requested-With" % acrh if acrh else "X-Requested-With"),
                  "Access-Control-Allow-Methods: PUT"])

    def h_root(self, _):
        self.error_page(404, "<html><body><h1>HTTP 404 Not Found</h1></body></html>")

    def h_missing(self, path):
        """Handlers XAPI has and the fake does not (they would otherwise fall to a shorter prefix's handler)."""
        self.error_page(404, "<html><body><h1>HTTP 404 Not Found</h1>%s is not implemented by the fake</body>"
                        "</html>" % path)

    # ---- HTTP handlers: common parts -----------------------------------------------------------------------------------
    def param(self, name):
        return self.cookies.get(name, self.query.get(name))

    def begin(self, realm, label, path):
        """Fault, authentication and the task of a data handler (self.task; self.transient when the fake made it).
        Returns the fault, if any, for the streaming part (cut_after_bytes)."""
        fake = self.server.fake
        fault = fake.store.take_fault(path) or {}
        if fault.get("sleep"):
            time.sleep(fault["sleep"])
        self.authenticate(realm)
        task_id = self.param("task_id")
        with fake.store.tx() as st:
            if task_id and st.exists("task", task_id):
                task, transient = task_id, False
            else:
                task, transient = apimod.new_task(st, label, "", fake.api.local_host(st)), True
        self.task, self.transient = task, transient
        if fault.get("status"):
            self.fail(XapiError("INTERNAL_ERROR", "fault injected: HTTP %d" % fault["status"]))
            code = int(fault["status"])
            self.error_page(code, "<html><body><h1>HTTP %d %s</h1>fault injected</body></html>"
                            % (code, REASONS.get(code, "Error")))
        if fault.get("error"):
            self.api_error(XapiError(*fault["error"]))
        return fault

    def authenticate(self, realm):
        fake = self.server.fake
        if self.server.transport == "unix":
            return
        session = self.param("session_id")
        auth = self.headers.get("Authorization") or ""
        if session is not None:
            with fake.store.tx(write=False) as st:
                if not st.exists("session", session):
                    self.unauthorised(realm)
            return
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
            except ValueError:
                self.unauthorised(realm)
            with fake.store.tx(write=False) as st:
                users = st.data.get("users", {})
            if user not in users or users[user] != pw:
                self.unauthorised(realm)
            return
        self.unauthorised(realm)

    def fail(self, err):
        apimod.finish_task(self.server.fake.store, self.task, error=err.description)
        self.end_task()

    def succeed(self, result=""):
        apimod.finish_task(self.server.fake.store, self.task, result=result)
        self.end_task()

    def end_task(self):
        if self.transient:
            with self.server.fake.store.tx() as st:
                st.remove("task", self.task)

    def api_error(self, err):
        """An API error before the headers: the task fails and the client gets XAPI's 500 page."""
        self.fail(err)
        self.internal_error("%s: [ %s ]" % (err.name, "; ".join(err.params)))

    def headers_only(self, lines):
        self.raw(lines)
        self.close_connection = True
        raise Stop()

    def send_stream(self, parts, fault):
        """Writes the parts; a cut_after_bytes fault shuts the connection after that many body bytes."""
        limit = fault.get("cut_after_bytes")
        sent = 0
        for part in parts:
            if limit is not None and sent + len(part) >= limit:
                self.wfile.write(part[:max(0, limit - sent)])
                self.wfile.flush()
                raise Cut()
            self.wfile.write(part)
            sent += len(part)
        self.wfile.flush()

    def drop(self):
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def stream_out(self, parts, fault):
        try:
            self.send_stream(parts, fault)
        except Cut:
            self.drop()
            self.fail(XapiError("CLIENT_ERROR", 'Unix.Unix_error(Unix.EPIPE, "write", "")'))
            raise Stop()
        except (BrokenPipeError, ConnectionResetError) as e:
            self.fail(XapiError("CLIENT_ERROR", str(e)))
            raise Stop()
        self.succeed()
        self.close_connection = True

    def body_reader(self, fault):
        length = self.headers.get("Content-Length")
        length = int(length) if length is not None else None
        limit = fault.get("cut_after_bytes")
        return xva.Reader(_CutReader(self, limit) if limit is not None else self.rfile, length)

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
                ova, disks = xva.export_plan(st, vm)
        except XapiError as e:
            self.api_error(e)
        if compression == "zstd":
            self.api_error(XapiError("INTERNAL_ERROR", "zstd compression is not available in the fake"))
        self.raw(["HTTP/1.0 200 OK", "Connection: close", "Cache-Control: no-cache, no-store",
                  "task-id: " + self.task, "Server: xapi/" + xapi_version(), "content-type: application/octet-stream",
                  'Content-Disposition: attachment; filename="export.xva"'])
        parts = xva.export_stream(ova, disks)
        if compression in ("true", "gzip"):
            parts = xva.gzip_stream(parts)
        self.stream_out(parts, fault)

    # ---- /export_raw_vdi ------------------------------------------------------------------------------------------------
    def vdi_of_request(self, st):
        vdi = self.param("vdi")
        if vdi is None:
            return None
        return vdi if st.exists("VDI", vdi) else st.by_uuid("VDI", vdi)

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
            parts = _chain(xva.stream_chunks("vdi", img, size), [xva.tar_end()])
        self.stream_out(parts, fault)

    # ---- /pool/xmldbdump ------------------------------------------------------------------------------------------------
    def h_xmldbdump(self, path):
        fake = self.server.fake
        fault = self.begin("get_pool_xml_db_sync", "Dumping database as XML", path)
        with fake.store.tx(write=False) as st:
            data = dbdump(st).encode("utf-8")
        self.raw(["HTTP/1.1 200 OK", "Connection: close", "Cache-Control: no-cache, no-store"])
        self.stream_out([data], fault)

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
            r, xml = xva.open_archive(r)
            objs = xva.parse_ova(xml)
            with fake.store.tx() as st:
                vms, disks, undo = xva.create_objects(st, objs, sr)
                paths = {ref: st.vdi_path(st.get("VDI", ref)["uuid"]) for _, ref, _ in disks}
            xva.recv_disks(r, disks, paths, force=self.query.get("force") == "true")
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
                    xva.recv_disks(r, [("vdi", vdi, size)], {vdi: img})
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


def _html(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


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


# ---- servers ---------------------------------------------------------------------------------------------------------------
class Fake:
    def __init__(self, state_dir, config):
        self.store = store.Store(state_dir)
        self.config = config
        self.api = apimod.Api(self.store, config)


class _Threading(socketserver.ThreadingMixIn):
    daemon_threads = True
    allow_reuse_address = True


class TCPServer(_Threading, socketserver.TCPServer):
    transport = "tcp"


class UnixServer(_Threading, socketserver.UnixStreamServer):
    transport = "unix"

    def get_request(self):
        sock, _ = super().get_request()
        return sock, ("unix", 0)
