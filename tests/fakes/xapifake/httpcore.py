# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake's HTTP/1.1 server core: the request handler's plumbing, error pages, authentication and tasks of the data
handlers, streaming out, and the servers on a Unix socket and/or a loopback TCP port. The routes and the API calls are
in web.py, the data handlers in export_handlers.py and import_handlers.py.

Error pages are ocaml/libs/http-lib/http_svr.ml response_error_html (always Connection: close). RPC bodies need a
Content-Length (read_body). A request that cannot be parsed is HTTP 500, and so is any exception a handler lets out
(handle_one).

HTTP handlers authenticate like ocaml/xapi/xapi_http.ml assert_credentials_ok / with_context: nothing is needed on
the Unix socket; otherwise a session_id (cookie or query) that exists, or HTTP Basic credentials (a login made for
the request), else 401 Unauthorised with WWW-Authenticate: Basic realm="<label>". task_id names the task to finish
(else a task is made for the request and destroyed after it: exec_with_new_task). API errors raised before the
answer's headers are out become HTTP 500 with XAPI's HTML page and "Additional information" "NAME: [ p1; p2 ]" and
fail the task (Http_svr.Generic_error); another exception gets its OCaml text there (Printexc.to_string) and fails
the task with INTERNAL_ERROR.

Faults (DIR/faults.json, keyed by path like "/export"): {"sleep": s}, {"status": N} (answer that status, fail the
task), {"error": [name, params...]} (fail the task, answer 500), {"cut_after_bytes": N} (close the connection after N
bytes of the body: an export stops mid-stream, an import stops reading), {"stall_after_bytes": N, "stall": s} (an export
sends N bytes, then nothing for s seconds, then the rest), with "times"/"skip" as for API calls.
"""
import base64
import socket
import socketserver
import ssl
import sys
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler

from . import api as apimod
from . import store
from .rpc import XapiError
from .xva_write import XAPI_VERSION

REASONS = {400: "Bad Request", 401: "Unauthorised", 403: "Forbidden", 404: "Not Found", 500: "Internal Error",
           501: "Method not implemented", 503: "Service Unavailable"}
MAX_RPC = 300 << 20


class Stop(Exception):
    """The request is answered (or the connection dropped); nothing more to send."""


class Cut(Exception):
    pass


def xapi_version():
    return "%d.%d" % XAPI_VERSION


class BaseHandler(BaseHTTPRequestHandler):
    """A request is routed by the subclass's `routes` ({method: {path prefix: kind}}) to its method h_<kind>."""
    protocol_version = "HTTP/1.1"
    server_version = "xapi/" + xapi_version()
    routes = {}

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
        routes = self.routes.get(self.command)
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

    def exception_error(self, text):
        """Another exception before the headers (Failure, Invalid_argument, Not_found...): the task fails with
        INTERNAL_ERROR [text] (ExnHelper.error_of_exn) and the page shows the exception (http_svr.ml handle_one)."""
        self.fail(XapiError("INTERNAL_ERROR", text))
        self.internal_error(text)

    def headers_only(self, lines):
        self.raw(lines)
        self.close_connection = True
        raise Stop()

    def send_stream(self, parts, fault):
        """Writes the parts; a cut_after_bytes fault shuts the connection after that many body bytes."""
        limit = fault.get("cut_after_bytes")
        stall_at = fault.get("stall_after_bytes")
        sent = 0
        for part in parts:
            if stall_at is not None and sent + len(part) >= stall_at:
                self.wfile.write(part[:max(0, stall_at - sent)])
                self.wfile.flush()
                time.sleep(fault.get("stall", 60))
                part, sent, stall_at = part[max(0, stall_at - sent):], stall_at, None
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

    def vdi_of_request(self, st):
        vdi = self.param("vdi")
        if vdi is None:
            return None
        return vdi if st.exists("VDI", vdi) else st.by_uuid("VDI", vdi)


def _html(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


class TLSServer(TCPServer):
    """HTTPS, as XAPI serves on 443 with the host's certificate (/etc/xensource/xapi-ssl.pem): the handshake happens
    on the connection's own thread, at its first read."""
    transport = "tcp"

    def __init__(self, address, handler, cert, key):
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(cert, key)
        super().__init__(address, handler)

    def get_request(self):
        sock, address = super().get_request()
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address


class UnixServer(_Threading, socketserver.UnixStreamServer):
    transport = "unix"

    def get_request(self):
        sock, _ = super().get_request()
        return sock, ("unix", 0)
