# SPDX-License-Identifier: AGPL-3.0-or-later
"""XAPI's two wire formats, read from mirage/ocaml-rpc (src/lib/xmlrpc.ml, src/lib/jsonrpc.ml) and
xen-api ocaml/xapi/api_server.ml, api_server_common.ml:

XML-RPC (POST / and /RPC2): the answer is always a methodResponse whose single param is a struct
{Status: "Success", Value: v} or {Status: "Failure", ErrorDescription: [name, params...]} -- never an XML-RPC
<fault>. Values are written non-strict: an int64 is a bare <value>N</value> (so a string to most clients), a string
is a bare <value>text</value> with & < > " escaped and control characters other than tab, LF and CR dropped,
floats are <double> ("%.16g"), times <dateTime.iso8601>, bools <boolean>0|1</boolean>.

JSON-RPC (POST /jsonrpc): a request without "jsonrpc" is 1.0 (params must be an array), "jsonrpc": "2.0" is 2.0
(params optional); an "id" is required (a notification is a malformed request). Answers:
  1.0  {"result": v, "error": null, "id": id}   /  {"result": null, "error": [name, params...], "id": id}
  2.0  {"jsonrpc": "2.0", "result": v, "id": id} / {"jsonrpc": "2.0", "error": {"code": 1, "message": name,
       "data": [params...]}, "id": id}          (code is always 1: api_server_common.ml error_code_lit)
int64 values are JSON numbers. Python's XenAPI.py (python3/examples/XenAPI/XenAPI.py) turns an ErrorDescription
into Failure([name, *params]); the C# SDK's JsonRpc.cs builds the same list from message + data.
"""
import json
import xml.etree.ElementTree as ET


class DateTime(str):
    """A datetime field value ("20240101T12:00:00Z"): <dateTime.iso8601> in XML-RPC, a plain string in JSON."""


class XapiError(Exception):
    """An API error: XAPI's Server_error (name, params) -- ocaml/xapi-consts/api_errors.ml."""

    def __init__(self, name, *params):
        super().__init__(name, *params)
        self.name = name
        self.params = [str(p) for p in params]

    @property
    def description(self):
        return [self.name] + self.params


class Malformed(Exception):
    """A request XAPI cannot parse: it answers HTTP 500 (the exception escapes to http_svr.ml handle_one)."""


# ---- XML-RPC -----------------------------------------------------------------------------------------------------
def _esc(s):
    out = []
    for ch in s:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch < " " and ch not in "\t\n\r":
            continue  # xmlrpc.ml encode_buf drops them
        else:
            out.append(ch)
    return "".join(out)


def _xml_value(v, out):
    if v is None:
        out.append("<value><nil/></value>")
    elif isinstance(v, bool):
        out.append("<value><boolean>%d</boolean></value>" % v)
    elif isinstance(v, int):
        out.append("<value>%d</value>" % v)
    elif isinstance(v, float):
        out.append("<value><double>%s</double></value>" % ("%.16g" % v))
    elif isinstance(v, DateTime):
        out.append("<value><dateTime.iso8601>%s</dateTime.iso8601></value>" % v)
    elif isinstance(v, str):
        out.append("<value>%s</value>" % _esc(v))
    elif isinstance(v, (list, tuple)):
        out.append("<value><array><data>")
        for x in v:
            _xml_value(x, out)
        out.append("</data></array></value>")
    elif isinstance(v, dict):
        out.append("<value><struct>")
        for k, x in v.items():
            out.append("<member><name>%s</name>" % _esc(str(k)))
            _xml_value(x, out)
            out.append("</member>")
        out.append("</struct></value>")
    else:
        raise TypeError("cannot marshal %r" % (v,))


def xml_to_string(v):
    """ocaml-rpc Xmlrpc.to_string: one <value> (what XAPI stores in task.result and writes as ova.xml)."""
    out = []
    _xml_value(v, out)
    return "".join(out)


def xml_response(success, contents):
    body = {"Status": "Success", "Value": contents} if success else {"Status": "Failure",
                                                                      "ErrorDescription": contents}
    return ('<?xml version="1.0"?><methodResponse><params><param>%s</param></params></methodResponse>'
            % xml_to_string(body)).encode("utf-8")


def xml_parse_value(elem):
    children = list(elem)
    if not children:
        return elem.text or ""
    c = children[0]
    tag = c.tag
    if tag == "string":
        return c.text or ""
    if tag in ("int", "i4", "i8"):
        return int((c.text or "0").strip())
    if tag == "boolean":
        return (c.text or "").strip() == "1"
    if tag == "double":
        return float((c.text or "0").strip())
    if tag == "dateTime.iso8601":
        return DateTime((c.text or "").strip())
    if tag == "base64":
        import base64
        return base64.b64decode(c.text or "").decode("utf-8", "replace")
    if tag == "nil":
        return None
    if tag == "array":
        data = c.find("data")
        return [] if data is None else [xml_parse_value(v) for v in data.findall("value")]
    if tag == "struct":
        return {m.findtext("name") or "": xml_parse_value(m.find("value")) for m in c.findall("member")}
    raise Malformed("unknown XML-RPC type %s" % tag)


def xml_from_string(text):
    """Xmlrpc.of_string: one <value> element."""
    try:
        return xml_parse_value(ET.fromstring(text))
    except ET.ParseError as e:
        raise Malformed(str(e))


def parse_xml_call(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise Malformed(str(e))
    if root.tag != "methodCall" or root.findtext("methodName") is None:
        raise Malformed("not a methodCall")
    params = root.find("params")
    try:
        values = [] if params is None else [xml_parse_value(p.find("value")) for p in params.findall("param")]
    except (AttributeError, TypeError, ValueError) as e:
        raise Malformed("bad params: %s" % e)
    return root.findtext("methodName").strip(), values


# ---- JSON-RPC ----------------------------------------------------------------------------------------------------
def parse_json_call(body):
    """(version, id, method, params) as ocaml-rpc's Jsonrpc.version_id_and_call_of_string reads them."""
    try:
        d = json.loads(body)
    except ValueError as e:
        raise Malformed(str(e))
    if not isinstance(d, dict):
        raise Malformed("Invalid request body")
    if not isinstance(d.get("method"), str):
        raise Malformed("Required field method is missing")
    if "jsonrpc" not in d:
        version = 1
    elif d["jsonrpc"] == "2.0":
        version = 2
    else:
        raise Malformed("Invalid field 'jsonrpc' in request body")
    params = d.get("params")
    if version == 1:
        if not isinstance(params, list):
            raise Malformed("Invalid field 'params' in request body")
    elif params is None:
        params = []
    elif isinstance(params, dict):
        params = [params]
    elif not isinstance(params, list):
        raise Malformed("Invalid field 'params' in request body")
    rid = d.get("id")
    if rid is None or isinstance(rid, bool) or not isinstance(rid, (int, str)):
        raise Malformed("Invalid field 'id' in request body")
    return version, rid, d["method"], params


def json_response(version, rid, success, contents):
    if version == 1:
        d = {"result": contents, "error": None, "id": rid} if success else {"result": None, "error": contents,
                                                                             "id": rid}
    elif success:
        d = {"jsonrpc": "2.0", "result": contents, "id": rid}
    else:
        d = {"jsonrpc": "2.0", "error": {"code": 1, "message": contents[0], "data": contents[1:]}, "id": rid}
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
