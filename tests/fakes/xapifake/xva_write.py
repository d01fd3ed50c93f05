# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writing XVAs, as xen-api ocaml/xapi/export.ml, stream_vdi.ml and importexport.ml write them.

An XVA is a tar (tarstream.py: ocaml-tar's default V7 headers as xapi-aux/tar_helpers.ml writes them; mtime = now for
ova.xml, 0 for the chunks) of:
  ova.xml            Xmlrpc.to_string of {version: {hostname, date, product_version, product_brand, build_number,
                     xapi_major, xapi_minor, export_vsn = 2}, objects: [{class, id, snapshot}]} -- one <value>, no
                     XML declaration; "id"s are "Ref:<n>" from a counter that lives as long as the xapi process;
                     object order hosts, VMs, VM_metrics, VM_guest_metrics, VBDs, VIFs, networks, VDIs, SRs
                     (make_all; the VGPU, GPU_group, PVS and VTPM classes after them are not in the fake)
  Ref:<n>/<%08d>     1 MiB chunks of each VDI (the last one shorter), VDIs in lexicographic order of their id;
                     all-zero chunks are left out except the first and the last of a disk (stream_vdi.ml send_one)
  Ref:<n>/<%08d>.xxhash   "%016X" of the chunk's XXH64 (xxh64.py)
  two zero blocks    (Tar_helpers.write_end)
A metadata export (export.ml export_metadata, for /export_metadata) is ova.xml and the two zero blocks, no chunks.

Which objects go in (update_table): the VM; its VIFs and their networks; its VBDs and, for those not empty, their
VDIs and the VDIs' SRs (with include_vhd_parents also the VDI named by sm_config "vhd-parent", recursively; a parent
that cannot be found is skipped); with snapshots, each VM of its `snapshots` and its VM `parent`, walked the same way
but without their own snapshots; the suspend_VDI of a suspended VM when the power state is kept; the refs in
metrics, guest_metrics, resident_on and affinity. excluded_device_types leaves out the VIFs or the VBDs ("vif",
"vbd"; "vgpu" and "vtpm" have nothing to leave out in the fake). NULL refs that the walk meets (guest_metrics of a VM
without one, resident_on of a halted VM) get ids too -- `add` takes any ref, so lookup finds them.

How the records are written (make_vm, make_vbd, ...): refs to objects in the export become their ids, others NULL;
the VM's current/allowed operations, consoles, crash_dumps, blobs emptied, protection_policy NULL. /export
(preserve_power_state and snapshot metadata off) shows the VM Halted, not a snapshot (a snapshot exports as a
template: is_a_template stays true), suspend_VDI NULL, VBDs and VIFs not attached. /export_metadata keeps the power
state, suspend_VDI, currently_attached, and -- with export_snapshots -- is_a_snapshot, snapshot_of, snapshot_time,
transportable_snapshot_id and parent; `snapshots` is then written as it is, internal refs and all (make_vm does not
look it up).
"""
import itertools
import os
import threading
import time
import zlib

from . import model, schema, store
from .rpc import xml_to_string
from .schema import NULL
from .tarstream import pad, tar_end, tar_header, tar_member
from .xxh64 import xxhash_hex

CHUNK = 1 << 20
XAPI_VERSION = (25, 6)   # xapi_major, xapi_minor the fake claims (assert_compatible refuses newer exports)
EXPORT_VSN = 2           # xapi_globs.ml export_vsn
VHD_PARENT = "vhd-parent"  # xapi_globs.ml vhd_parent: the sm_config key naming a VHD's parent VDI by uuid

_ids = itertools.count()
_ids_lock = threading.Lock()


def make_id():
    with _ids_lock:
        return "Ref:%d" % next(_ids)


# ---- ova.xml --------------------------------------------------------------------------------------------------------
_HOST_BLANK = {"PIFs": [], "PBDs": [], "PGPUs": [], "PCIs": [], "host_CPUs": [], "license_params": {}, "blobs": {},
               "external_auth_type": "", "external_auth_service_name": "", "external_auth_configuration": {},
               "metrics": NULL, "patches": [], "crashdumps": [], "logging": {}, "supported_bootloaders": [],
               "cpu_configuration": {}, "other_config": {}, "capabilities": [], "software_version": {},
               "sched_policy": "", "ha_statefiles": [], "ha_network_peers": [], "tags": []}


def vm_metadata(st, vms, with_snapshot_metadata=False, preserve_power_state=False, include_vhd_parents=False,
                excluded_devices=()):
    """(table internal ref -> id, ova.xml text) for the VMs `vms`, as Export.vm_metadata builds them."""
    table = {}

    def add(r):
        if r not in table:
            table[r] = make_id()

    def add_vdi(v):
        add(v)
        rec = st.get("VDI", v)
        add(rec["SR"])
        if include_vhd_parents and VHD_PARENT in rec["sm_config"]:
            parent = st.where("VDI", uuid=rec["sm_config"][VHD_PARENT])
            if parent and parent[0] not in table:
                add_vdi(parent[0])

    def update_table(vm, include_snapshots):
        if not st.exists("VM", vm) or vm in table:
            return
        add(vm)
        rec = st.get("VM", vm)
        if "vif" not in excluded_devices:
            for vif in model.related(st, "VM", "VIFs", vm):
                add(vif)
                add(st.get("VIF", vif)["network"])
        if "vbd" not in excluded_devices:
            for vbd in model.related(st, "VM", "VBDs", vm):
                add(vbd)
                b = st.get("VBD", vbd)
                if not b["empty"] and st.exists("VDI", b["VDI"]):
                    add_vdi(b["VDI"])
        if include_snapshots:
            for snap in model.related(st, "VM", "snapshots", vm):
                update_table(snap, False)
        if preserve_power_state and rec["power_state"] == "Suspended" and st.exists("VDI", rec["suspend_VDI"]):
            add_vdi(rec["suspend_VDI"])
        for r in (rec["metrics"], rec["guest_metrics"], rec["resident_on"], rec["affinity"]):
            add(r)
        if include_snapshots and st.exists("VM", rec["parent"]):
            update_table(rec["parent"], False)

    for vm in vms:
        update_table(vm, with_snapshot_metadata)

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
                if not preserve_power_state:
                    r.update(power_state="Halted", suspend_VDI=NULL)
                else:
                    r["suspend_VDI"] = look(r["suspend_VDI"])
                if with_snapshot_metadata:
                    r.update(snapshot_of=look(r["snapshot_of"]), parent=look(r["parent"]))
                else:
                    r.update(is_a_snapshot=False, snapshot_of=NULL, snapshots=[], snapshot_time=schema.EPOCH,
                             transportable_snapshot_id="", parent=NULL)
                r.update(current_operations={}, allowed_operations=[], VIFs=keep(r["VIFs"]), VBDs=keep(r["VBDs"]),
                         VGPUs=[], crash_dumps=[], VTPMs=[], resident_on=look(r["resident_on"]),
                         affinity=look(r["affinity"]), consoles=[], metrics=look(r["metrics"]),
                         guest_metrics=look(r["guest_metrics"]), protection_policy=NULL, blobs={})
            elif cls in ("VBD", "VIF"):
                if not preserve_power_state:
                    r["currently_attached"] = False
                r.update(VM=look(r["VM"]), metrics=NULL, current_operations={}, allowed_operations=[])
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
    table, ova = vm_metadata(st, [vm])
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

def metadata_stream(ova):
    """What export.ml export_metadata writes: ova.xml (mtime now) and the end of the tar, no disk chunks."""
    return tar_member("ova.xml", ova.encode("utf-8"), int(time.time())) + tar_end()
