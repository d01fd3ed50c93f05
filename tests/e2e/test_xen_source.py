# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=xen through the FD driver, the shim and a real host, against the XAPI fake: a running VM's snapshot streamed
as an XVA straight into the file daemon (no file on local disk) with VmBackup.py's metadata files; restore=import makes
a new VM whose disks hold the same bytes (also for a 1 GiB disk); restore=file; vdi-export raw and its import as a new
disk; mode=metadata; an export cut mid-stream; the host killed mid-stream (the start-up sweep destroys the snapshot)."""
import hashlib
import os
import tarfile
import threading
import time

import pytest

from conftest import Host
from xapiworld import XapiWorld

FATAL, ERROR, WARNING, INFO = 3, 4, 5, 6
MiB = 1 << 20


@pytest.fixture
def xen(work):
    w = XapiWorld(os.path.join(work, "pool"))
    os.makedirs(w.work, exist_ok=True)
    w.standard_pool(odd=False)
    w.start()
    yield w
    w.teardown()


@pytest.fixture
def xenhost(built_host, work, xen):
    h = Host(built_host, work, extra=["--config", xen.host_config(work)]).start()
    yield h
    h.stop()


def definition(host, extra=""):
    return "source=xen:socket=%s%s" % (host.socket, extra)


def messages(fd, jobid, kind):
    return [t for k, t in fd.job(jobid)["messages"] if k == kind]


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == "T", "\n".join(map(str, job["messages"]))
    assert not [m for m in job["messages"] if m[0] <= ERROR], job["messages"]


def snapshots(xen):
    return [r["name_label"] for r in xen.vms().values() if r["is_a_snapshot"]]


def assert_nothing_left(xen, work):
    assert snapshots(xen) == []
    journal = os.path.join(work, "state", "journal")
    assert (os.listdir(journal) if os.path.isdir(journal) else []) == []
    assert os.listdir(os.path.join(work, "xen-work")) == []


def disks_of(xen, name):
    [ref] = [r for r, v in xen.vms().items() if v["name_label"] == name and not v["is_a_snapshot"]]
    return [xen.vdi_bytes(v) for v in xen.vm_vdis(ref)]


def test_a_running_vm_is_streamed_as_an_xva_and_imported_as_a_new_vm_with_the_same_disks(xenhost, xen, fd, work):
    vdis = len(xen.vdis())
    jobid = fd.backup(definition(xenhost, ":vm=web"))
    assert_ok(fd, jobid)
    names = [f["fname"] for f in fd.job(jobid)["files"]]
    # VmBackup.py's metadata files, then the export, then the VM's directory (after its contents)
    assert sorted(names[:-2]) == ["/@xen/web/DISK-xvda/", "/@xen/web/DISK-xvda/vbd.cfg", "/@xen/web/DISK-xvda/vdi.cfg",
                                  "/@xen/web/DISK-xvdb/", "/@xen/web/DISK-xvdb/vbd.cfg", "/@xen/web/DISK-xvdb/vdi.cfg",
                                  "/@xen/web/VIFs/", "/@xen/web/VIFs/vif-0.cfg", "/@xen/web/vm.cfg"], names
    assert names[-2:] == ["/@xen/web/web.xva", "/@xen/web/"], names
    info = messages(fd, jobid, INFO)
    assert [m for m in info if m.startswith("xen: snapshot bp-%d of web taken (" % jobid)], info
    assert [m for m in info if m.startswith("xen: web.xva sent (") and m.endswith(" bytes); its snapshot is destroyed\n")], info
    assert_nothing_left(xen, work)
    assert len(xen.vdis()) == vdis

    r = fd.restore([jobid], where="", plugin_options=["python3:restore=import:name=web-copy"])
    assert_ok(fd, r)
    assert [m for m in messages(fd, r, INFO) if m.startswith("xen: web.xva imported as the new VM \"web-copy\" (")], fd.job(r)["messages"]
    assert disks_of(xen, "web-copy") == disks_of(xen, "web")
    assert [v["power_state"] for v in xen.vms().values() if v["name_label"] == "web-copy"] == ["Halted"]


def test_restore_file_writes_the_xva_and_the_metadata_files_under_where(xenhost, xen, fd, work):
    jobid = fd.backup(definition(xenhost, ":vm=db"))
    assert_ok(fd, jobid)
    assert xen.vm(xen.vm_refs["db"])["blocked_operations"] == {}  # a halted VM's start was blocked, and is again free
    where = os.path.join(work, "r")
    r = fd.restore([jobid], where=where, plugin_options=["python3:restore=file"])
    assert_ok(fd, r)
    with tarfile.open(os.path.join(where, "@xen", "db", "db.xva")) as t:
        assert t.getnames()[0] == "ova.xml"
    assert open(os.path.join(where, "@xen", "db", "vm.cfg")).read().startswith("name_label=db\n")


def test_vdi_export_raw_streams_the_boot_disk_and_imports_it_as_a_new_disk(xenhost, xen, fd, work):
    jobid = fd.backup(definition(xenhost, ":vm=web:mode=vdi-export"))
    assert_ok(fd, jobid)
    [export] = [f for f in fd.job(jobid)["files"] if f["fname"] == "/@xen/web/web.raw"]
    assert_nothing_left(xen, work)
    r = fd.restore([jobid], where="", plugin_options=["python3:name=web-boot-restored"])
    assert_ok(fd, r)
    [boot, _] = disks_of(xen, "web")
    [restored] = [ref for ref, v in xen.vdis().items() if v["name_label"] == "web-boot-restored"]
    assert xen.vdi_bytes(restored) == boot


def test_host_killed_mid_stream_the_start_up_sweep_destroys_the_snapshot(xenhost, xen, fd, work):
    xen.fault("/export", sleep=30, times=1)

    def kill_when_snapshotted():
        deadline = time.time() + 30
        while not snapshots(xen) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        xenhost.kill()
    killer = threading.Thread(target=kill_when_snapshotted)
    killer.start()
    jobid = fd.backup(definition(xenhost, ":vm=web"))
    killer.join()
    assert fd.job(jobid)["status"] == "f"
    assert snapshots(xen) == ["bp-%d" % jobid]
    xenhost.start()
    assert "Start-up sweep: xen vm snapshot bp-%d of VM %s removed=True" % (jobid, xen.vm(xen.vm_refs["web"])["uuid"]) in xenhost.log_text()
    assert_nothing_left(xen, work)


def test_mode_metadata_sends_the_vms_definition_without_a_snapshot_and_import_declines_it(xenhost, xen, fd, work):
    jobid = fd.backup(definition(xenhost, ":vm=web:mode=metadata"))
    assert_ok(fd, jobid)
    assert [f["fname"] for f in fd.job(jobid)["files"]][-2:] == ["/@xen/web/web-metadata.xva", "/@xen/web/"]
    assert "VM.snapshot" not in xen.api_calls()
    assert_nothing_left(xen, work)
    where = os.path.join(work, "r")
    r = fd.restore([jobid], where=where, plugin_options=["python3:restore=file"])
    assert_ok(fd, r)
    with tarfile.open(os.path.join(where, "@xen", "web", "web-metadata.xva")) as t:
        assert t.getnames() == ["ova.xml"]
        assert xen.vm(xen.vm_refs["web"])["uuid"] in t.extractfile("ova.xml").read().decode()
    vms = len(xen.vms())
    r = fd.restore([jobid], where="", plugin_options=["python3:restore=import"])
    assert fd.job(r)["status"] == "T"
    assert ("xen: /@xen/web/web-metadata.xva is a metadata export (no disk data), which restore=import does not import: restore it "
            "with restore=file, then xe vm-import filename=FILE metadata=true on a pool that has the VM's disks\n") in messages(fd, r, WARNING)
    assert len(xen.vms()) == vms


def test_an_export_cut_mid_stream_fails_the_job_and_leaves_no_snapshot(xenhost, xen, fd, work):
    xen.fault("/export", cut_after_bytes=3 * MiB, times=1)  # XAPI closes the connection as at the end; its task says it failed
    jobid = fd.backup(definition(xenhost, ":vm=web"))
    job = fd.job(jobid)
    assert job["status"] == "f", job["messages"]
    assert [m for k, m in job["messages"] if k <= ERROR and "XAPI /export failed: CLIENT_ERROR" in m], job["messages"]
    assert_nothing_left(xen, work)
    assert [t for t in xen.tasks().values() if t["name_label"].startswith("backup-plugins")] == []


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(4 * MiB), b""):
            h.update(block)
    return h.hexdigest()


def test_a_1_gib_vm_goes_through_the_file_daemon_and_comes_back_by_import_with_identical_bytes(xenhost, xen, fd, work):
    sr = xen.record("VDI", xen.vm_vdis(xen.vm_refs["web"])[0])["SR"]
    big = xen.add_vm("big", disks=[xen.disk(sr, 1 << 30)])
    [vdi] = xen.vm_vdis(big)
    block = os.urandom(MiB)
    with open(xen.vdi_path(vdi), "r+b") as f:  # every MiB holds data, and each differs: the XVA is 1 GiB
        for i in range(1024):
            f.write(i.to_bytes(8, "little") + block[8:])
    jobid = fd.backup(definition(xenhost, ":vm=big"))
    assert_ok(fd, jobid)
    [export] = [f for f in fd.job(jobid)["files"] if f["fname"] == "/@xen/big/big.xva"]
    assert sum(n for _, _, n in export["data"]) > 1 << 30
    assert_nothing_left(xen, work)
    r = fd.restore([jobid], where="", plugin_options=["python3:restore=import:name=big-restored"])
    assert_ok(fd, r)
    [restored] = [ref for ref, v in xen.vms().items() if v["name_label"] == "big-restored"]
    [restored_vdi] = xen.vm_vdis(restored)
    assert xen.record("VDI", restored_vdi)["virtual_size"] == 1 << 30
    assert sha256_of(xen.vdi_path(restored_vdi)) == sha256_of(xen.vdi_path(vdi))


def test_over_https_the_export_and_the_import_go_through_tls_with_the_configured_ca(built_host, fd, work):
    xen = XapiWorld(os.path.join(work, "tls-pool"), tls=True)
    os.makedirs(xen.work, exist_ok=True)
    xen.standard_pool(odd=False)
    xen.start()
    host = Host(built_host, work, extra=["--config", xen.host_config(work)]).start()  # Sources:Xen:CaFile = the fake's certificate
    try:
        jobid = fd.backup(definition(host, ":vm=web"))
        assert_ok(fd, jobid)
        r = fd.restore([jobid], where="", plugin_options=["python3:restore=import:name=web-tls"])
        assert_ok(fd, r)
        assert disks_of(xen, "web-tls") == disks_of(xen, "web")
        assert_nothing_left(xen, work)
    finally:
        host.stop()
        xen.teardown()


def test_a_vm_name_that_is_not_a_file_name_stays_one_entry_and_writes_nothing_outside(xenhost, xen, fd, work):
    sr = xen.record("VDI", xen.vm_vdis(xen.vm_refs["web"])[0])["SR"]
    xen.add_vm("../../x/y", power_state="Halted", disks=[xen.disk(sr, 4 * MiB, {0: b"escape"})])
    jobid = fd.backup(definition(xenhost, ":vm=\\.\\./\\.\\./x/y"))  # a regex, as vm= takes one
    assert_ok(fd, jobid)
    names = [f["fname"] for f in fd.job(jobid)["files"]]
    assert names[-2:] == ["/@xen/..%2F..%2Fx%2Fy/..%2F..%2Fx%2Fy.xva", "/@xen/..%2F..%2Fx%2Fy/"], names
    assert not os.path.exists(os.path.join(work, "x"))
    assert_nothing_left(xen, work)
    r = fd.restore([jobid], where="", plugin_options=["python3:restore=import"])
    assert_ok(fd, r)
    assert [v for v in xen.vms().values() if v["name_label"].startswith("../../x/y-restored-")]
