# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake XAPI (tests/fakes/xapi) through its wire formats, with stdlib clients only: JSON-RPC 1.0/2.0 and
XML-RPC answers and errors, logins (TCP, Unix socket, slave), records, snapshots and SR space, blocked operations,
the XVA export (tar, ova.xml, chunk checksums, data), raw/VHD VDI export, imports, the database dump, faults and
calls.log."""
import gzip
import hashlib
import http.client
import io
import json
import os
import socket
import struct
import tarfile
import time
import xml.etree.ElementTree as ET
import xmlrpc.client

import pytest

from xapiworld import GiB, ODD_NAME, XapiWorld
from xapifake.xxh64 import xxh64, xxhash_hex

MiB = 1 << 20


class Failure(Exception):
    def __init__(self, details):
        super().__init__(details)
        self.details = details


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def connect(target):
    """An HTTP connection to a world/instance: ("tcp", port) or ("unix", path)."""
    kind, where = target
    return UnixHTTPConnection(where) if kind == "unix" else http.client.HTTPConnection("127.0.0.1", where, timeout=30)


class JsonRpc:
    """A tiny JSON-RPC client, turning errors into Failure([name, *params]) as the SDKs do."""

    def __init__(self, target, version=2):
        self.target, self.version, self.last = target, version, None

    def raw(self, method, params):
        body = {"method": method, "params": list(params), "id": 7}
        if self.version == 2:
            body["jsonrpc"] = "2.0"
        c = connect(self.target)
        c.request("POST", "/jsonrpc", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        assert r.status == 200
        self.last = json.loads(r.read())
        c.close()
        return self.last

    def __call__(self, method, *params):
        d = self.raw(method, params)
        if self.version == 2:
            if "error" in d:
                raise Failure([d["error"]["message"]] + d["error"]["data"])
            return d["result"]
        if d["error"] is not None:
            raise Failure(d["error"])
        return d["result"]


class XmlRpc:
    def __init__(self, target):
        if target[0] == "unix":
            class T(xmlrpc.client.Transport):
                def make_connection(self, host):
                    return UnixHTTPConnection(target[1])
            self.proxy = xmlrpc.client.ServerProxy("http://localhost/", transport=T(), allow_none=True)
        else:
            self.proxy = xmlrpc.client.ServerProxy("http://127.0.0.1:%d/" % target[1], allow_none=True)

    def __call__(self, method, *params):
        r = getattr(self.proxy, method)(*params)
        if r["Status"] != "Success":
            raise Failure(r["ErrorDescription"])
        return r["Value"]


def failure(fn, *args):
    with pytest.raises(Failure) as e:
        fn(*args)
    return e.value.details


@pytest.fixture
def xw(work):
    w = XapiWorld(work).start()
    w.pool, w.host = w.create_pool()
    w.sr = w.add_sr(size=8 * GiB)
    w.net = w.add_network()
    w.web = w.add_vm("web", disks=[w.disk(w.sr, GiB, {0: b"MBR!" * 128, 5 * MiB + 7: b"data" * 1000,
                                                       GiB - 4096: b"tail"}),
                                   w.disk(w.sr, 64 * MiB, {MiB: os.urandom(MiB + 100)})],
                     vifs=[w.net], cd=True, os_version={"name": "Debian GNU/Linux 12 (bookworm)", "distro": "debian",
                                                         "major": "12", "minor": "0", "uname": "6.1.0-18-amd64"})
    w.halted = w.add_vm("db", power_state="Halted", disks=[w.disk(w.sr, 16 * MiB, {0: b"halted"})])
    w.odd = w.add_vm(ODD_NAME, power_state="Halted", name_description="ä\"<&>'\t")
    w.tcp, w.unix = ("tcp", w.port), ("unix", w.unix_socket)
    w.j = JsonRpc(w.tcp)
    w.s = w.j("session.login_with_password", "root", "xenroot", "2.21", "test_xapi_fake")
    yield w
    w.teardown()


def http_get(target, path, headers=None):
    c = connect(target)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    return r, c


def export(w, vm, extra=""):
    task = w.j("task.create", w.s, "export", "")
    r, c = http_get(w.tcp, "/export?session_id=%s&uuid=%s&task_id=%s%s" % (w.s, w.vm(vm)["uuid"], task, extra))
    assert r.status == 200, r.read()
    data = r.read()
    c.close()
    return data, task, r


# ---- logins and errors ----------------------------------------------------------------------------------------------------
def test_login_password_and_error_shapes(xw):
    assert failure(xw.j, "session.login_with_password", "root", "wrong", "2.21", "t") == \
        ["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]
    assert failure(xw.j, "session.login_with_password", "admin", "x") == \
        ["SESSION_AUTHENTICATION_FAILED", "admin", "User not known to the underlying authentication module"]
    v1 = JsonRpc(xw.tcp, version=1)
    assert v1.raw("session.login_with_password", ["root", "wrong"]) == \
        {"result": None, "error": ["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"], "id": 7}
    s1 = v1("session.login_with_password", "root", "xenroot")
    assert v1.last == {"result": s1, "error": None, "id": 7}
    xw.j.raw("VM.get_uuid", [xw.s, "OpaqueRef:nope"])
    assert xw.j.last == {"jsonrpc": "2.0", "error": {"code": 1, "message": "HANDLE_INVALID",
                                                     "data": ["VM", "OpaqueRef:nope"]}, "id": 7}
    x = XmlRpc(xw.tcp)
    assert x.proxy.session.login_with_password("root", "wrong") == {
        "Status": "Failure", "ErrorDescription": ["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"]}
    sx = x("session.login_with_password", "root", "xenroot")
    assert x("VM.get_power_state", sx, xw.web) == "Running"
    x("session.logout", sx)
    assert failure(x, "VM.get_power_state", sx, xw.web) == ["SESSION_INVALID", sx]


def test_unix_socket_login_needs_no_password(xw):
    for rpc in (JsonRpc(xw.unix), XmlRpc(xw.unix)):
        s = rpc("session.login_with_password", "root", "", "2.21", "local")
        assert xw.web in rpc("VM.get_all", s)
        rec = rpc("session.get_record", s, s)
        assert rec["is_local_superuser"] is True and rec["this_host"] == xw.host


def test_dispatch_errors(xw):
    j, s = xw.j, xw.s
    assert failure(j, "VM.frobnicate", s) == ["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"]
    assert failure(j, "Async.VM.get_record", s, xw.web) == ["MESSAGE_METHOD_UNKNOWN", "Async.VM.get_record"]
    assert failure(j, "VM.get_record", s) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "0"]
    assert failure(j, "VM.get_record") == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "-1"]
    assert failure(j, "VM.snapshot", s, xw.web) == ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.snapshot", "2", "1"]
    assert failure(j, "VM.get_record", "OpaqueRef:gone", xw.web) == ["SESSION_INVALID", "OpaqueRef:gone"]
    assert failure(j, "VM.get_by_uuid", s, "no-such-uuid") == ["UUID_INVALID", "VM", "no-such-uuid"]
    assert failure(j, "VDI.get_record", s, xw.web) == ["HANDLE_INVALID", "VDI", xw.web]
    assert j("VM_get_power_state", s, xw.web) == "Running"  # alternative wire name


def test_slave_refuses_with_master_address(xw):
    slave = xw.start_slave("xcp-host2", "192.0.2.11")
    sj = JsonRpc(("tcp", slave.port))
    assert failure(sj, "session.login_with_password", "root", "xenroot") == ["HOST_IS_SLAVE", "192.0.2.10"]
    assert failure(sj, "VM.get_all", xw.s) == ["HOST_IS_SLAVE", "192.0.2.10"]
    assert failure(sj, "VM.get_all", "OpaqueRef:bogus") == ["SESSION_INVALID", "OpaqueRef:bogus"]
    local = JsonRpc(("unix", slave.unix_socket))  # the local socket: login works, calls go to the master
    s = local("session.login_with_password", "root", "")
    assert xw.web in local("VM.get_all", s)
    assert local("host.get_address", s, local("session.get_this_host", s, s)) == "192.0.2.11"
    assert xw.calls()[-1]["slave"] is True


def test_slave_on_the_masters_port(work):
    """A master at 127.0.0.1 and a slave at 127.0.0.2 on one port: HOST_IS_SLAVE names an address that works."""
    w = XapiWorld(work).start()
    try:
        w.create_pool(address="127.0.0.1")
        slave = w.start_slave("xcp-host2", "127.0.0.2", bind="127.0.0.2")
        c = http.client.HTTPConnection("127.0.0.2", w.port, timeout=10)
        c.request("POST", "/jsonrpc", json.dumps({"jsonrpc": "2.0", "method": "session.login_with_password",
                                                  "params": ["root", "xenroot"], "id": 1}))
        err = json.loads(c.getresponse().read())["error"]
        assert [err["message"]] + err["data"] == ["HOST_IS_SLAVE", "127.0.0.1"]
        master = JsonRpc(("tcp", w.port))  # 127.0.0.1, the same port
        s = master("session.login_with_password", "root", "xenroot")
        assert master("host.get_address", s, master("session.get_this_host", s, s)) == "127.0.0.1"
        assert slave.url == "http://127.0.0.2:%d" % w.port
    finally:
        w.teardown()


# ---- records ----------------------------------------------------------------------------------------------------------------
def test_vm_records_shape(xw):
    j, s = xw.j, xw.s
    dup1 = xw.add_vm("twin", power_state="Halted")
    dup2 = xw.add_vm("twin", power_state="Halted")
    odd = xw.odd
    tmpl = xw.add_template("Debian Bookworm 12")
    recs = j("VM.get_all_records", s)
    dom0 = [r for r in recs.values() if r["is_control_domain"]]
    dom0_ref = [ref for ref, r in recs.items() if r["is_control_domain"]][0]
    assert len(dom0) == 1 and dom0[0]["power_state"] == "Running" and dom0[0]["domid"] == 0
    web = recs[xw.web]
    assert web["power_state"] == "Running" and web["resident_on"] == xw.host and web["is_a_template"] is False
    assert isinstance(web["memory_dynamic_max"], int) and web["VCPUs_max"] == 2 and web["HVM_shadow_multiplier"] == 1.0
    assert len(web["VBDs"]) == 3 and len(web["VIFs"]) == 1 and web["snapshot_of"] == "OpaqueRef:NULL"
    assert web["blocked_operations"] == {} and "snapshot" in web["allowed_operations"]
    assert sorted(j("VM.get_by_name_label", s, "twin")) == sorted([dup1, dup2])
    assert j("VM.get_by_name_label", s, ODD_NAME) == [odd]
    assert recs[odd]["name_label"] == ODD_NAME and recs[odd]["name_description"] == "ä\"<&>'\t"
    assert recs[tmpl]["is_a_template"] is True and recs[xw.halted]["power_state"] == "Halted"
    assert j("VM.get_by_uuid", s, web["uuid"]) == xw.web and j("VM.get_uuid", s, xw.web) == web["uuid"]
    assert j("VM_guest_metrics.get_os_version", s, web["guest_metrics"])["major"] == "12"
    vbds = [j("VBD.get_record", s, b) for b in web["VBDs"]]
    disks = [b for b in vbds if b["type"] == "Disk"]
    assert [b["device"] for b in disks] == ["xvda", "xvdb"] and [b["userdevice"] for b in disks] == ["0", "1"]
    assert disks[0]["bootable"] is True and disks[0]["mode"] == "RW" and disks[0]["currently_attached"] is True
    cd = [b for b in vbds if b["type"] == "CD"][0]
    assert cd["empty"] is True and cd["VDI"] == "OpaqueRef:NULL" and cd["mode"] == "RO"
    vdi = j("VDI.get_record", s, disks[0]["VDI"])
    assert vdi["virtual_size"] == GiB and vdi["SR"] == xw.sr and vdi["is_a_snapshot"] is False
    assert 0 < vdi["physical_utilisation"] < MiB  # only the data the sparse image holds
    vif = j("VIF.get_record", s, web["VIFs"][0])
    assert j("network.get_record", s, vif["network"])["bridge"] == "xenbr0"
    sr = j("SR.get_record", s, xw.sr)
    assert sr["physical_size"] == 8 * GiB and sr["virtual_allocation"] == GiB + 64 * MiB + 16 * MiB
    assert j("SR.get_all_records", s)[xw.sr]["type"] == "ext"
    pool = j("pool.get_all", s)[0]
    assert j("pool.get_master", s, pool) == xw.host and j("pool.get_record", s, pool)["default_SR"] == xw.sr
    host = j("host.get_all_records", s)[xw.host]
    assert host["address"] == "192.0.2.10" and host["control_domain"] == dom0_ref and xw.web in host["resident_VMs"]
    assert j("host.get_record", s, xw.host)["API_version_major"] == 2


def test_xmlrpc_and_jsonrpc_give_the_same_records(xw):
    x = XmlRpc(xw.tcp)
    sx = x("session.login_with_password", "root", "xenroot")
    xml_recs = x("VM.get_all_records", sx)
    assert xml_recs[xw.odd]["name_label"] == ODD_NAME
    assert xmlrpc.client.ServerProxy(xw.url + "/RPC2").VM.get_name_label(sx, xw.odd)["Value"] == ODD_NAME
    json_recs = xw.j("VM.get_all_records", xw.s)
    web_x, web_j = xml_recs[xw.web], json_recs[xw.web]
    assert web_x["memory_target"] == str(web_j["memory_target"])  # int64: a string in XML-RPC, a number in JSON
    assert isinstance(web_x["snapshot_time"], xmlrpc.client.DateTime) and web_j["snapshot_time"] == \
        "19700101T00:00:00Z" and web_x["snapshot_time"].value == "19700101T00:00:00Z"

    def norm(v):
        if isinstance(v, bool) or v is None:
            return v
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return str(v) if isinstance(v, int) else v
        if isinstance(v, xmlrpc.client.DateTime):
            return v.value
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    assert norm(json_recs) == norm(xml_recs)
    sr_x, sr_j = x("SR.get_record", sx, xw.sr), xw.j("SR.get_record", xw.s, xw.sr)
    assert norm(sr_j) == norm(sr_x)


# ---- snapshots, SR space, destroy --------------------------------------------------------------------------------------------
def test_snapshot_makes_a_snapshot_vm_with_new_vdis(xw):
    j, s = xw.j, xw.s
    used_before, _ = xw.sr_usage(xw.sr)
    vm_vdis = xw.vm_vdis(xw.web)
    snap = j("VM.snapshot", s, xw.web, "backup 1")
    rec = j("VM.get_record", s, snap)
    assert (rec["is_a_snapshot"], rec["is_a_template"], rec["power_state"]) == (True, True, "Halted")
    assert rec["snapshot_of"] == xw.web and rec["name_label"] == "backup 1" and rec["resident_on"] == "OpaqueRef:NULL"
    assert rec["snapshot_info"] == {"disk-snapshot-type": "crash_consistent", "power-state-at-snapshot": "Running"}
    assert rec["uuid"] != xw.vm(xw.web)["uuid"] and rec["blocked_operations"] == {}
    web = j("VM.get_record", s, xw.web)
    assert web["snapshots"] == [snap] and web["parent"] == snap
    vbds = [j("VBD.get_record", s, b) for b in rec["VBDs"]]
    assert sorted(b["type"] for b in vbds) == ["CD", "Disk", "Disk"]
    assert all(not b["currently_attached"] for b in vbds)
    new_vdis = [b["VDI"] for b in vbds if b["type"] == "Disk"]
    assert len(set(new_vdis) & set(vm_vdis)) == 0
    for new, old in zip(new_vdis, vm_vdis):
        v = j("VDI.get_record", s, new)
        assert v["is_a_snapshot"] is True and v["snapshot_of"] == old and v["SR"] == xw.sr
        assert v["name_label"] == j("VDI.get_name_label", s, old)
        assert xw.same_data(new, old)
    j("VDI.set_name_label", s, new_vdis[0], "web disk, snapshot 1")
    assert j("VDI.get_by_uuid", s, j("VDI.get_uuid", s, new_vdis[0])) == new_vdis[0]
    assert j("VDI.get_record", s, new_vdis[0])["name_label"] == "web disk, snapshot 1"
    assert j("VIF.get_MAC", s, rec["VIFs"][0]) == j("VIF.get_MAC", s, web["VIFs"][0])
    assert j("VM_guest_metrics.get_os_version", s, rec["guest_metrics"])["distro"] == "debian"
    used_after, _ = xw.sr_usage(xw.sr)
    assert used_after - used_before == sum(j("VDI.get_physical_utilisation", s, v) for v in new_vdis) > MiB
    assert failure(j, "VM.start", s, snap, False, False) == ["VM_IS_SNAPSHOT", snap, "start"]
    assert failure(j, "VM.snapshot", s, j("host.get_control_domain", s, xw.host), "x") == \
        ["OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain"]


def test_sr_full(xw):
    small = xw.add_sr("small", size=3 * MiB, default=False)
    vm = xw.add_vm("full", disks=[xw.disk(small, 32 * MiB, {0: os.urandom(2 * MiB)})])
    before = set(xw.vdis())
    assert failure(xw.j, "VM.snapshot", xw.s, vm, "nope") == \
        ["SR_BACKEND_FAILURE_44", "", "There is insufficient space", ""]
    assert set(xw.vdis()) == before and not xw.snapshots(vm)
    strict = xw.add_sr("strict", size=3 * MiB, default=False, full_error="SR_FULL")
    vm2 = xw.add_vm("full2", disks=[xw.disk(strict, 32 * MiB, {0: os.urandom(2 * MiB)})])
    used, size = xw.sr_usage(strict)
    assert failure(xw.j, "VM.snapshot", xw.s, vm2, "nope") == ["SR_FULL", str(2 * used), str(size)]
    thick = xw.add_sr("lvm", type="lvm", size=100 * MiB, default=False)
    assert xw.sr_usage(thick) == (0, 100 * MiB)
    args = {"name_label": "d", "name_description": "", "SR": thick, "virtual_size": 64 * MiB, "type": "user",
            "sharable": False, "read_only": False, "other_config": {}}
    vdi = xw.j("VDI.create", xw.s, args)
    assert xw.sr_usage(thick)[0] == 64 * MiB  # thick: charged the whole virtual size
    assert failure(xw.j, "VDI.create", xw.s, args)[0] == "SR_BACKEND_FAILURE_44"
    assert failure(xw.j, "VDI.snapshot", xw.s, vdi)[0] == "SR_BACKEND_FAILURE_44"


def test_destroy_snapshot_and_its_vdis(xw):
    j, s = xw.j, xw.s
    used0 = xw.sr_usage(xw.sr)[0]
    snap = j("VM.snapshot", s, xw.web, "to delete")
    vdis = [j("VBD.get_VDI", s, b) for b in j("VM.get_VBDs", s, snap) if j("VBD.get_type", s, b) == "Disk"]
    assert failure(j, "VDI.destroy", s, xw.vm_vdis(xw.web)[0]) == ["VDI_IN_USE", xw.vm_vdis(xw.web)[0], "destroy"]
    assert j("VM.destroy", s, snap) == ""
    assert failure(j, "VM.get_record", s, snap) == ["HANDLE_INVALID", "VM", snap]
    assert all(j("VDI.get_VBDs", s, v) == [] for v in vdis)  # the VDIs outlive the VM
    for v in vdis:
        path = xw.vdi_path(v)
        j("VDI.destroy", s, v)
        assert v not in xw.vdis() and not os.path.exists(path)
    assert xw.sr_usage(xw.sr)[0] == used0 and j("VM.get_snapshots", s, xw.web) == []
    assert failure(j, "VM.destroy", s, xw.web) == ["VM_BAD_POWER_STATE", xw.web, "halted, suspended", "running"]


def test_blocked_start_and_power_states(xw):
    j, s = xw.j, xw.s
    j("VM.add_to_blocked_operations", s, xw.halted, "start", "backup running")
    assert j("VM.get_blocked_operations", s, xw.halted) == {"start": "backup running"}
    assert failure(j, "VM.start", s, xw.halted, False, False) == ["OPERATION_BLOCKED", xw.halted, "backup running"]
    assert failure(j, "VM.add_to_blocked_operations", s, xw.halted, "start", "again") == \
        ["MAP_DUPLICATE_KEY", "VM", "blocked_operations", xw.halted, "start"]
    assert "start" not in j("VM.get_allowed_operations", s, xw.halted)
    j("VM.remove_from_blocked_operations", s, xw.halted, "start")
    assert j("VM.start", s, xw.halted, False, False) == ""
    assert j("VM.get_power_state", s, xw.halted) == "Running"
    assert failure(j, "VM.start", s, xw.halted, False, False) == ["VM_BAD_POWER_STATE", xw.halted, "halted", "running"]
    j("VM.clean_shutdown", s, xw.halted)
    assert j("VM.get_power_state", s, xw.halted) == "Halted"


def test_template_flag_and_ha(xw):
    j, s = xw.j, xw.s
    snap = j("VM.snapshot", s, xw.web, "s")
    j("VM.set_is_a_template", s, snap, False)
    assert j("VM.get_is_a_template", s, snap) is False and j("VM.get_is_a_snapshot", s, snap) is True
    assert failure(j, "VM.set_is_a_template", s, xw.web, True) == \
        ["VM_BAD_POWER_STATE", xw.web, "halted", "running"]
    j("VM.set_ha_always_run", s, xw.web, True)
    assert j("VM.get_ha_always_run", s, xw.web) is True and j("VM.get_ha_restart_priority", s, xw.web) == "restart"
    j("VM.set_ha_always_run", s, xw.web, False)
    assert j("VM.get_ha_always_run", s, xw.web) is False


def test_async_snapshot_task(xw):
    j, s = xw.j, xw.s
    task = j("Async.VM.snapshot", s, xw.web, "async")
    rec = xw.wait_task(task)
    assert rec["status"] == "success" and j("task.get_status", s, task) == "success"
    result = j("task.get_result", s, task)
    snap = xmlrpc.client.loads("<methodResponse><params><param>%s</param></params></methodResponse>" % result)[0][0]
    assert result == "<value>%s</value>" % snap and j("VM.get_snapshot_of", s, snap) == xw.web
    j("task.destroy", s, task)
    assert failure(j, "task.get_status", s, task) == ["HANDLE_INVALID", "task", task]


# ---- export ----------------------------------------------------------------------------------------------------------------------
def read_xva(data):
    """(ova.xml objects by id, {tar member name: bytes}, member order) read with the stdlib tarfile module."""
    tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    members = tf.getmembers()
    assert members[0].name == "ova.xml"
    files = {m.name: tf.extractfile(m).read() for m in members}
    ova = files["ova.xml"].decode("utf-8")
    assert ova.startswith("<value><struct>")
    header = xmlrpc.client.loads("<methodResponse><params><param>%s</param></params></methodResponse>" % ova)[0][0]
    assert header["version"]["export_vsn"] == "2"
    return {o["id"]: o for o in header["objects"]}, files, [m.name for m in members]


def nonzero_chunks(files, prefix):
    """{chunk number: bytes} of the chunks of one disk in an XVA that hold anything but zeros."""
    return {int(name[len(prefix) + 1:]): data for name, data in files.items()
            if name.startswith(prefix + "/") and not name.endswith(".xxhash") and any(data)}


def test_xxh64_known_vectors():
    assert xxh64(b"") == 0xEF46DB3751D8E999
    assert xxh64(b"Nobody inspects the spammish repetition") == 0xFBCEA83C8A378BF1
    data = os.urandom(1 << 20)  # the library the fake uses when it can, and the specification, agree
    assert xxhash_hex(data) == "%016X" % xxh64(data) and xxhash_hex(bytes(4096)) == "%016X" % xxh64(bytes(4096))


def test_export_streams_a_valid_xva(xw):
    j, s = xw.j, xw.s
    snap = j("VM.snapshot", s, xw.web, ODD_NAME)
    t0 = time.monotonic()
    data, task, r = export(xw, snap)
    assert time.monotonic() - t0 < 10  # a 1 GiB sparse disk: only its data chunks are read
    assert r.getheader("task-id") == task and r.getheader("content-type") == "application/octet-stream"
    objs, files, order = read_xva(data)
    by_class = {}
    for o in objs.values():
        by_class.setdefault(o["class"], []).append(o["snapshot"])
    vm = by_class["VM"][0]
    assert vm["name_label"] == ODD_NAME and vm["is_a_snapshot"] is False and vm["is_a_template"] is True
    assert vm["power_state"] == "Halted"
    assert sorted(int(v["virtual_size"]) for v in by_class["VDI"]) == [64 * MiB, GiB]
    assert len(by_class["VBD"]) == 3 and len(by_class["VIF"]) == 1 and len(by_class["SR"]) == 1
    assert by_class["VM_guest_metrics"][0]["os_version"]["major"] == "12"
    snap_vdis = {j("VDI.get_virtual_size", s, v): v for v in xw.vm_vdis(snap)}
    for o in objs.values():
        if o["class"] != "VDI":
            continue
        prefix, size = o["id"], int(o["snapshot"]["virtual_size"])
        chunks = sorted(n for n in files if n.startswith(prefix + "/") and not n.endswith(".xxhash"))
        assert chunks[0] == prefix + "/00000000" and chunks[-1] == "%s/%08d" % (prefix, (size - 1) // MiB)
        for n in chunks:
            assert files[n + ".xxhash"].decode() == "%016X" % xxh64(files[n])
            assert order.index(n + ".xxhash") == order.index(n) + 1
        assert nonzero_chunks(files, prefix) == xw.vdi_chunks(snap_vdis[size])
        if size == GiB:
            assert len(chunks) == 3  # first, the one holding data at 5 MiB, last; the zero chunks are left out
    assert xw.wait_task(task)["status"] == "success"
    assert data[-1024:] == bytes(1024)


def test_export_refuses_a_running_vm_and_unauthenticated(xw):
    task = xw.j("task.create", xw.s, "export", "")
    r, c = http_get(xw.tcp, "/export?session_id=%s&ref=%s&task_id=%s" % (xw.s, xw.web, task))
    body = r.read().decode()
    assert r.status == 500 and "VM_BAD_POWER_STATE: [ %s; halted, suspended; running ]" % xw.web in body
    assert xw.j("task.get_error_info", xw.s, task) == ["VM_BAD_POWER_STATE", xw.web, "halted, suspended", "running"]
    r, c = http_get(xw.tcp, "/export?uuid=%s" % xw.vm(xw.halted)["uuid"])
    assert r.status == 401 and r.getheader("WWW-Authenticate") == 'Basic realm="VM.export"'
    r, c = http_get(xw.tcp, "/export?session_id=OpaqueRef:bad&ref=%s" % xw.halted)
    assert r.status == 401
    r, c = http_get(xw.unix, "/export?ref=%s" % xw.halted)  # the local socket is trusted
    objs, files, _ = read_xva(r.read())
    assert [o["snapshot"]["name_label"] for o in objs.values() if o["class"] == "VM"] == ["db"]
    import base64
    auth = base64.b64encode(b"root:xenroot").decode()
    r, c = http_get(xw.tcp, "/export?ref=%s&use_compression=true" % xw.halted, {"Authorization": "Basic " + auth})
    assert r.status == 200
    objs2, files2, _ = read_xva(gzip.decompress(r.read()))
    def chunks(fs):  # the ids differ: XAPI's counter runs on from export to export
        return sorted((k.split("/", 1)[1], v) for k, v in fs.items() if k != "ova.xml")
    assert chunks(files2) == chunks(files)


def test_export_cut_mid_stream(xw):
    xw.fault("/export", cut_after_bytes=MiB, times=1)
    task = xw.j("task.create", xw.s, "export", "")
    r, c = http_get(xw.tcp, "/export?session_id=%s&ref=%s&task_id=%s" % (xw.s, xw.halted, task))
    assert r.status == 200
    got = b""
    try:
        while True:
            b = r.read(65536)
            if not b:
                break
            got += b
    except (http.client.IncompleteRead, ConnectionError):
        pass
    assert len(got) <= MiB
    rec = xw.wait_task(task)
    assert rec["status"] == "failure" and rec["error_info"][0] == "CLIENT_ERROR"
    data, _, _ = export(xw, xw.halted)  # the fault fired once
    read_xva(data)


def export_metadata(w, query, target=None):
    r, c = http_get(target or w.tcp, "/export_metadata?" + query)
    data = r.read()
    c.close()
    return r, data


def classes(objs):
    by_class = {}
    for o in objs.values():
        by_class.setdefault(o["class"], []).append(o)
    return by_class


def test_export_metadata_of_a_running_vm(xw):
    """xe vm-export metadata=true: export.ml metadata_handler -- a tar of ova.xml alone, power state kept."""
    j, s = xw.j, xw.s
    snap = j("VM.snapshot", s, xw.web, "before")
    task = j("task.create", s, "Export of VM", xw.vm(xw.web)["uuid"])
    t0 = time.time()
    r, data = export_metadata(xw, "session_id=%s&task_id=%s&ref=%s&use_compression=false&preserve_power_state=false"
                              "&export_snapshots=true&excluded_device_types=" % (s, task, xw.web))
    assert r.status == 200 and r.version == 10, data
    assert r.getheader("Content-Length") == str(len(data)) and r.getheader("task-id") == task
    assert r.getheader("Connection") == "close" and r.getheader("Cache-Control") == "no-cache, no-store"
    assert r.getheader("content-type") == "application/octet-stream" and r.getheader("Server") == "xapi/25.6"
    assert r.getheader("Content-Disposition") == 'attachment; filename="export.xva"'
    objs, files, order = read_xva(data)
    assert order == ["ova.xml"]  # no disk chunks: the VDIs are records only
    ova = files["ova.xml"]
    assert len(data) == 512 + len(ova) + (-len(ova) % 512) + 1024 and data[-1024:] == bytes(1024)
    [member] = tarfile.open(fileobj=io.BytesIO(data), mode="r:").getmembers()
    assert member.mode == 0o400 and member.uid == 0 and abs(member.mtime - t0) < 60
    assert data[257:262] != b"ustar"  # ocaml-tar's V7 header
    assert xw.wait_task(task)["status"] == "success"

    by = classes(objs)
    ids = {o["snapshot"]["uuid"]: i for i, o in objs.items() if "uuid" in o["snapshot"]}
    web_uuid, snap_uuid = xw.vm(xw.web)["uuid"], xw.vm(snap)["uuid"]
    vm = objs[ids[web_uuid]]["snapshot"]
    assert vm["power_state"] == "Running" and vm["is_a_snapshot"] is False
    assert vm["resident_on"] == ids[xw.record("host", xw.host)["uuid"]]
    assert objs[vm["resident_on"]]["class"] == "host"
    sv = objs[ids[snap_uuid]]["snapshot"]
    assert sv["is_a_snapshot"] is True and sv["snapshot_of"] == ids[web_uuid] and sv["power_state"] == "Halted"
    assert vm["snapshots"] == [snap]  # make_vm leaves `snapshots` as it is: internal refs
    assert sorted(v["snapshot"]["uuid"] for v in by["VM"]) == sorted([web_uuid, snap_uuid])
    web_vbds = [o for o in by["VBD"] if o["snapshot"]["VM"] == ids[web_uuid]]
    assert len(web_vbds) == 3 and set(vm["VBDs"]) == {o["id"] for o in web_vbds} and len(by["VBD"]) == 6
    assert sorted(o["snapshot"]["currently_attached"] for o in web_vbds) == [False, True, True]  # the empty CD
    vdi_uuids = {j("VDI.get_uuid", s, v) for v in xw.vm_vdis(xw.web) + xw.vm_vdis(snap) if v != "OpaqueRef:NULL"}
    assert {o["snapshot"]["uuid"] for o in by["VDI"]} == vdi_uuids and len(vdi_uuids) == 4
    for o in by["VDI"]:
        assert o["snapshot"]["SR"] == by["SR"][0]["id"] and o["id"] not in files
    [vif] = [o for o in by["VIF"] if o["snapshot"]["VM"] == ids[web_uuid]]
    assert vif["snapshot"]["currently_attached"] is True and len(by["VIF"]) == 2
    assert [n["id"] for n in by["network"]] == [vif["snapshot"]["network"]]
    assert len(by["SR"]) == 1 and len(by["host"]) == 1

    # export_snapshots=false: the VM alone, shown as no snapshot's; excluded_device_types drops the VIFs
    r, data = export_metadata(xw, "session_id=%s&uuid=%s&export_snapshots=false&excluded_device_types=VIF"
                              % (s, web_uuid))
    objs, files, order = read_xva(data)
    by = classes(objs)
    assert order == ["ova.xml"] and [o["snapshot"]["uuid"] for o in by["VM"]] == [web_uuid]
    assert by["VM"][0]["snapshot"]["snapshots"] == [] and by["VM"][0]["snapshot"]["VIFs"] == []
    assert len(by["VBD"]) == 3 and len(by["VDI"]) == 2 and "VIF" not in by and "network" not in by


def test_export_metadata_options_and_errors(xw):
    j, s = xw.j, xw.s
    r, _ = export_metadata(xw, "ref=%s" % xw.web)
    assert r.status == 401 and r.getheader("WWW-Authenticate") == 'Basic realm="get_export_metadata"'
    r, data = export_metadata(xw, "ref=%s" % xw.web, xw.unix)  # the local socket is trusted
    assert r.status == 200 and read_xva(data)[2] == ["ova.xml"]
    # include_vhd_parents: the VDI that sm_config "vhd-parent" names goes in too
    parent = xw.add_vdi(xw.sr, MiB, name="base copy")
    child = xw.vm_vdis(xw.halted)[0]
    with xw.store.tx() as st:
        st.get("VDI", child)["sm_config"]["vhd-parent"] = st.get("VDI", parent)["uuid"]
    for flag, want in (("false", ["db 0"]), ("true", ["base copy", "db 0"])):
        r, data = export_metadata(xw, "session_id=%s&ref=%s&include_vhd_parents=%s" % (s, xw.halted, flag))
        assert sorted(o["snapshot"]["name_label"] for o in classes(read_xva(data)[0])["VDI"]) == want
    # all=true: every VM but the default templates, dom0 unless include_dom0=false
    xw.add_template("Debian Bookworm 12", is_default_template=True)
    mine = xw.add_template("my template")
    dom0 = xw.record("host", xw.host)["control_domain"]
    for query, extra in (("all=true", [dom0]), ("all=true&include_dom0=false", [])):
        r, data = export_metadata(xw, "session_id=%s&%s" % (s, query))
        got = sorted(o["snapshot"]["uuid"] for o in classes(read_xva(data)[0])["VM"])
        assert got == sorted(xw.vm(v)["uuid"] for v in [xw.web, xw.halted, xw.odd, mine] + extra)
    # a VM whose metadata_export is blocked: the writer thread fails -- a bare 500, then the error page follows
    j("VM.add_to_blocked_operations", s, xw.web, "metadata_export", "no")
    task = j("task.create", s, "Export of VM", "")
    sock = socket.create_connection(("127.0.0.1", xw.port), timeout=10)
    sock.sendall(("GET /export_metadata?session_id=%s&task_id=%s&ref=%s HTTP/1.1\r\nHost: x\r\n\r\n"
                  % (s, task, xw.web)).encode())
    raw = b""
    while True:
        b = sock.recv(65536)
        if not b:
            break
        raw += b
    sock.close()
    assert raw.startswith(b"HTTP/1.1 500 internal error\r\ncontent-length: 0\r\n\r\nHTTP/1.1 500 Internal Error\r\n")
    assert b"OPERATION_BLOCKED: [ %s; no ]" % xw.web.encode() in raw
    assert j("task.get_error_info", s, task) == ["OPERATION_BLOCKED", xw.web, "no"]
    # errors before the export: UUID_INVALID, OCaml's bool_of_string, no VM named
    r, data = export_metadata(xw, "session_id=%s&uuid=no-such" % s)
    assert r.status == 500 and b"UUID_INVALID: [ VM; no-such ]" in data
    r, data = export_metadata(xw, "session_id=%s&ref=%s&export_snapshots=yes" % (s, xw.halted))
    assert r.status == 500 and b'Invalid_argument("bool_of_string")' in data
    r, data = export_metadata(xw, "session_id=%s" % s)
    assert r.status == 500 and b"Not_found" in data


def test_export_raw_vdi_raw_and_vhd(xw):
    vdi = xw.vm_vdis(xw.web)[1]  # 64 MiB with data
    uuid = xw.j("VDI.get_uuid", xw.s, vdi)
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=%s&format=raw" % (xw.s, uuid))
    raw = r.read()
    assert r.status == 200 and raw == xw.vdi_bytes(vdi) and len(raw) == 64 * MiB
    assert r.getheader("content-disposition") == 'attachment; filename="%s.raw"' % uuid
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=%s&format=vhd" % (xw.s, vdi))
    v = r.read()
    assert r.status == 200 and r.getheader("content-type") == "application/vhd"
    assert parse_vhd(v) == raw
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=%s&format=qcow3" % (xw.s, vdi))
    assert r.status == 404
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=no-such" % xw.s)
    assert r.status == 500 and "UUID_INVALID: [ VDI; no-such ]" in r.read().decode()


def parse_vhd(v):
    """An independent reading of a dynamic VHD: checksums, geometry-free, BAT, bitmaps."""
    foot = v[-512:]
    assert foot[:8] == b"conectix" and v[:512] == foot
    assert struct.unpack(">I", foot[64:68])[0] == (~sum(foot[:64] + bytes(4) + foot[68:])) & 0xFFFFFFFF
    size, = struct.unpack(">Q", foot[48:56])
    assert struct.unpack(">I", foot[60:64])[0] == 3
    hdr = v[512:1536]
    assert hdr[:8] == b"cxsparse"
    assert struct.unpack(">I", hdr[36:40])[0] == (~sum(hdr[:36] + bytes(4) + hdr[40:])) & 0xFFFFFFFF
    table, = struct.unpack(">Q", hdr[16:24])
    entries, block = struct.unpack(">II", hdr[28:36])
    out = bytearray(size)
    for i in range(entries):
        sector, = struct.unpack(">I", v[table + 4 * i:table + 4 * i + 4])
        if sector != 0xFFFFFFFF:
            start = sector * 512 + 512
            piece = v[start:start + block][:max(0, size - i * block)]
            out[i * block:i * block + len(piece)] = piece
    return bytes(out)


# ---- import ------------------------------------------------------------------------------------------------------------------
def put(target, path, body, headers=None):
    c = connect(target)
    c.request("PUT", path, body=body, headers=headers or {})
    r = c.getresponse()
    r.read()
    c.close()
    return r


def test_import_of_an_export_makes_a_new_halted_vm(xw):
    j, s = xw.j, xw.s
    snap = j("VM.snapshot", s, xw.web, "for import")
    data, _, _ = export(xw, snap)
    target = xw.add_sr("target", size=4 * GiB, default=False)
    task = j("task.create", s, "import", "")
    r = put(xw.tcp, "/import?session_id=%s&task_id=%s&sr_id=%s" % (s, task, target), data)
    assert r.status == 200 and r.getheader("task-id") == task
    rec = xw.wait_task(task)
    assert rec["status"] == "success", rec["error_info"]
    vms = xmlrpc.client.loads("<methodResponse><params><param>%s</param></params></methodResponse>"
                              % rec["result"])[0][0]
    assert rec["result"] == "<value><array><data><value>%s</value></data></array></value>" % vms[0]
    new = j("VM.get_record", s, vms[0])
    assert new["power_state"] == "Halted" and new["name_label"] == "for import" and new["is_a_snapshot"] is False
    assert new["is_a_template"] is True and new["uuid"] not in (xw.vm(snap)["uuid"], xw.vm(xw.web)["uuid"])
    j("VM.set_is_a_template", s, vms[0], False)
    old_vdis, new_vdis = xw.vm_vdis(snap), xw.vm_vdis(vms[0])
    assert len(new_vdis) == 2 and not set(old_vdis) & set(new_vdis)
    for o, n in zip(old_vdis, new_vdis):
        assert j("VDI.get_SR", s, n) == target and xw.same_data(n, o)
    assert j("VIF.get_network", s, new["VIFs"][0]) == xw.net  # matched by name
    # a gzip'ed XVA is read too; chunked transfer is refused as XAPI does
    task2 = j("task.create", s, "import", "")
    r = put(xw.tcp, "/import?session_id=%s&task_id=%s&sr_id=%s" % (s, task2, target), gzip.compress(data, 1))
    assert xw.wait_task(task2)["status"] == "success"
    task3 = j("task.create", s, "import", "")
    r = put(xw.tcp, "/import?session_id=%s&task_id=%s" % (s, task3), iter([b"x" * 100]),
            {"Transfer-Encoding": "chunked"})
    assert r.status == 403 and j("task.get_error_info", s, task3) == ["IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"]


def test_import_rejects_a_corrupt_chunk(xw):
    data, _, _ = export(xw, xw.halted)
    objs, files, order = read_xva(data)
    name = [n for n in order if n.endswith("/00000000")][0]
    at = data.index(files[name][:6])
    bad = data[:at] + b"X" + data[at + 1:]
    task = xw.j("task.create", xw.s, "import", "")
    before = set(xw.vms())
    put(xw.tcp, "/import?session_id=%s&task_id=%s" % (xw.s, task), bad)
    rec = xw.wait_task(task)
    assert rec["status"] == "failure" and rec["error_info"][0] == "IMPORT_ERROR" and "checksum" in rec["error_info"][1]
    assert set(xw.vms()) == before


def test_import_reads_sha1_checksums_and_ustar(xw):
    """An XVA written by another tar writer (Python's: ustar/pax headers) with classic SHA-1 ".checksum" files."""
    data, _, _ = export(xw, xw.halted)
    src = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.USTAR_FORMAT) as dst:
        for m in src.getmembers():
            if m.name.endswith(".xxhash"):
                continue
            body = src.extractfile(m).read()
            info = tarfile.TarInfo(m.name)
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))
            if m.name != "ova.xml":
                csum = hashlib.sha1(body).hexdigest().encode()
                info = tarfile.TarInfo(m.name + ".checksum")
                info.size = len(csum)
                dst.addfile(info, io.BytesIO(csum))
    task = xw.j("task.create", xw.s, "import", "")
    put(xw.tcp, "/import?session_id=%s&task_id=%s&sr_uuid=%s" % (xw.s, task, xw.record("SR", xw.sr)["uuid"]),
        out.getvalue())
    rec = xw.wait_task(task)
    assert rec["status"] == "success", rec["error_info"]
    vm = xmlrpc.client.loads("<methodResponse><params><param>%s</param></params></methodResponse>"
                             % rec["result"])[0][0][0]
    assert xw.same_data(xw.vm_vdis(vm)[0], xw.vm_vdis(xw.halted)[0])


def test_import_raw_vdi(xw):
    j, s = xw.j, xw.s
    vdi = j("VDI.create", s, {"name_label": "restored", "name_description": "", "SR": xw.sr,
                              "virtual_size": str(8 * MiB), "type": "user", "sharable": False, "read_only": False,
                              "other_config": {}})
    payload = os.urandom(MiB) + bytes(6 * MiB) + b"end" + bytes(MiB - 3)
    task = j("task.create", s, "raw", "")
    r = put(xw.tcp, "/import_raw_vdi?session_id=%s&task_id=%s&vdi=%s&format=raw" % (s, task, vdi), payload)
    assert r.status == 200 and xw.wait_task(task)["status"] == "success"
    assert xw.vdi_bytes(vdi) == payload and j("task.get_result", s, task) == "<value>%s</value>" % vdi
    task = j("task.create", s, "raw", "")
    put(xw.tcp, "/import_raw_vdi?session_id=%s&task_id=%s&vdi=%s" % (s, task, vdi), payload + b"more")
    assert j("task.get_error_info", s, task) == ["VDI_IO_ERROR", "Device I/O errors"]
    # a VHD made by the fake's own export goes back in
    src = xw.vm_vdis(xw.web)[1]
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=%s&format=vhd" % (s, src))
    vhd_bytes = r.read()
    dst = j("VDI.create", s, {"name_label": "v", "name_description": "", "SR": xw.sr, "virtual_size": 64 * MiB,
                              "type": "user", "sharable": False, "read_only": False, "other_config": {}})
    task = j("task.create", s, "vhd", "")
    put(xw.tcp, "/import_raw_vdi?session_id=%s&task_id=%s&vdi=%s&format=vhd" % (s, task, dst), vhd_bytes)
    assert xw.wait_task(task)["status"] == "success" and xw.vdi_bytes(dst) == xw.vdi_bytes(src)


# ---- database dump, faults, calls, persistence ---------------------------------------------------------------------------------
def test_xmldbdump(xw):
    r, c = http_get(xw.tcp, "/pool/xmldbdump?session_id=%s" % xw.s)
    assert r.status == 200
    root = ET.fromstring(r.read())
    assert root.tag == "database" and root.find("manifest/pair[@key='schema_major_vsn']").get("value") == "5"
    vms = {row.get("ref"): row for row in root.find("table[@name='VM']")}
    assert vms[xw.web].get("name__label") == "web" and vms[xw.web].get("power_state") == "Running"
    assert vms[xw.web].get("memory__static_max") == str(2 * GiB)
    assert root.find("table[@name='session']") is not None and len(root.find("table[@name='session']")) == 0


def test_faults_and_calls_log(xw):
    j, s = xw.j, xw.s
    xw.clear_calls()
    xw.fault("VM.snapshot", error=["SR_FULL", "100", "50"], times=1)
    assert failure(j, "VM.snapshot", s, xw.web, "f") == ["SR_FULL", "100", "50"]
    snap = j("VM.snapshot", s, xw.web, "ok")  # the fault fired once
    xw.fault("VM.get_power_state", sleep=0.3, times=1)
    t0 = time.monotonic()
    j("VM.get_power_state", s, xw.web)
    assert time.monotonic() - t0 >= 0.3
    xw.fault("/export_raw_vdi", status=503)
    r, c = http_get(xw.tcp, "/export_raw_vdi?session_id=%s&vdi=%s" % (s, xw.vm_vdis(snap)[0]))
    assert r.status == 503
    j("session.login_with_password", "root", "xenroot", "2.21", "calls")
    calls = xw.calls()
    assert [c.get("method") or c["path"] for c in calls] == \
        ["VM.snapshot", "VM.snapshot", "VM.get_power_state", "/export_raw_vdi", "session.login_with_password"]
    assert calls[0]["params"] == [s, xw.web, "f"] and calls[0]["via"] == "jsonrpc" and calls[0]["transport"] == "tcp"
    assert calls[3]["http"] == "GET" and calls[3]["query"]["session_id"] == s
    assert calls[4]["params"] == ["root", "********", "2.21", "calls"]


def test_state_persists_across_restarts(xw):
    snap = xw.j("VM.snapshot", xw.s, xw.web, "kept")
    xw.restart()
    j = JsonRpc(("tcp", xw.port))
    assert failure(j, "VM.get_all", xw.s) == ["SESSION_INVALID", xw.s]  # sessions are not persistent
    s = j("session.login_with_password", "root", "xenroot")
    assert j("VM.get_snapshot_of", s, snap) == xw.web
    assert xw.same_data(xw.vm_vdis(snap)[0], xw.vm_vdis(xw.web)[0])


def test_http_routing(xw):
    r = put(xw.tcp, "/nothing-here", b"")
    assert r.status == 403  # no handler: XAPI's default_callback
    r, c = http_get(xw.tcp, "/nothing-here")
    assert r.status == 404  # GET / is the file server
    c = connect(xw.tcp)
    c.request("DELETE", "/")
    assert c.getresponse().status == 501
    c = connect(xw.tcp)
    c.request("POST", "/jsonrpc", body="{not json", headers={"Content-Type": "application/json"})
    assert c.getresponse().status == 500
    c = connect(xw.tcp)  # keep-alive: two calls on one connection
    for _ in range(2):
        c.request("POST", "/jsonrpc", json.dumps({"jsonrpc": "2.0", "method": "VM.get_all", "params": [xw.s],
                                                  "id": 1}))
        r = c.getresponse()
        assert r.getheader("connection") == "keep-alive" and xw.web in json.loads(r.read())["result"]
