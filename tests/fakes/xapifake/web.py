# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake's HTTP/1.1 routes and API calls: XAPI's handler list on the server core of httpcore.py, with the data
handlers of export_handlers.py and import_handlers.py.

Routing is XAPI's (ocaml/xapi/xapi.ml handler list, ocaml/libs/http-lib/http_svr.ml): the longest registered path
prefix wins, per method -- POST / and /RPC2 are XML-RPC (so is any other POST path but /jsonrpc), POST /jsonrpc is
JSON-RPC; GET /export, /export_metadata, /export_raw_vdi, /pool/xmldbdump; PUT /import, /import_raw_vdi. A path
nobody registered is 403 Forbidden (default_callback), a method nobody serves 501. Answers to API calls carry
content-length, connection keep-alive (close if the request asked), cache-control, content-type and the two
Access-Control-Allow headers (api_server.ml).

A slave instance serves the data handlers too, checking sessions in the shared database (a real slave serves what
its SRs let it and redirects the rest to the master with 302 -- the fake never redirects). Not implemented, answered
404: /import_metadata, /import_vdi. "Expect: 100-continue" gets no interim answer, as from XAPI.
"""
from .export_handlers import ExportHandlers
from .httpcore import BaseHandler, Fake, TCPServer, TLSServer, UnixServer  # noqa: F401  (tests/fakes/xapi serves these)
from .import_handlers import ImportHandlers
from .rpc import Malformed, json_response, parse_json_call, parse_xml_call, xml_response

ROUTES = {
    "POST": {"/": "xmlrpc", "/RPC2": "xmlrpc", "/json": "xmlrpc", "/jsonrpc": "jsonrpc"},
    "GET": {"/": "root", "/export": "export", "/export_raw_vdi": "export_raw_vdi", "/pool/xmldbdump": "xmldbdump",
            "/export_metadata": "export_metadata"},
    "PUT": {"/import": "import", "/import_raw_vdi": "import_raw_vdi", "/import_metadata": "missing",
            "/import_vdi": "missing"},
    "OPTIONS": {"/": "options", "/json": "options", "/jsonrpc": "options"},
}


class Handler(ExportHandlers, ImportHandlers, BaseHandler):
    routes = ROUTES

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
