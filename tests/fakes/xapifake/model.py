# SPDX-License-Identifier: AGPL-3.0-or-later
"""What XAPI does to its objects: records as get_record shows them, VM operation checks, snapshots, destroys, SR space.

Sources (xapi-project/xen-api, read to learn): ocaml/xapi/xapi_vm_lifecycle.ml (allowed_power_states,
check_operation_error: blocked operations first, then the power state, then template/snapshot/control-domain rules;
VM_BAD_POWER_STATE [vm, "halted, suspended", "running"] lists the allowed states in lower case),
ocaml/xapi/xapi_vm_clone.ml (a snapshot VM: new uuid, Halted, is_a_template, is_a_snapshot, snapshot_of, snapshot_time,
snapshot_info {"disk-snapshot-type": "crash_consistent", "power-state-at-snapshot": ...}, no blocked operations,
ha_always_run false, parent = the VM's parent and the VM's parent = the snapshot; disks snapshotted one by one and
those made so far destroyed when one fails; CD VBDs keep their VDI, empty VBDs stay empty; VIFs keep their MAC),
ocaml/xapi/xapi_vbd_helpers.ml copy, ocaml/xapi/xapi_vdi.ml (snapshot_and_clone: name, description, type, sharable,
other_config, xenstore_data, on_boot, allow_caching, tags copied; destroy: VDI_IN_USE [vdi, "destroy"] while a VBD is
attached, the VDI's VBDs destroyed with it), ocaml/xapi/xapi_vm_helpers.ml destroy (VBDs, VIFs, metrics go with the
VM, VDIs stay).

SR space -- the fake's rule (XAPI leaves it to the SM driver): an SR of a thick type (lvm, lvmoiscsi, lvmohba,
lvmofcoe) charges every VDI its virtual_size; any other type charges the bytes its image file really holds (its data
extents). SR.physical_utilisation is the sum over its VDIs (plus sr_config "base_utilisation"), virtual_allocation
the sum of virtual sizes. An operation that would take the SR past physical_size fails before it changes anything.
The error is what SM raises for SRNoSpace (sm drivers/XE_SR_ERRORCODES.xml code 44, mapped by ocaml/xapi/sm_exec.ml
to SR_BACKEND_FAILURE_44 ["", "There is insufficient space", ""]); XAPI declares SR_FULL [requested, maximum] in
datamodel_errors.ml but never raises it itself -- an SR whose sr_config has "full_error": "SR_FULL" raises that
instead, with requested = what the SR's utilisation would have become, maximum = physical_size.
"""
import os
import random

from . import schema, store
from .rpc import DateTime, XapiError
from .schema import NULL

THICK_SR_TYPES = {"lvm", "lvmoiscsi", "lvmohba", "lvmofcoe"}

# xapi_vm_lifecycle.ml allowed_power_states (the operations the fake performs or lists in allowed_operations).
_ALL = ["Halted", "Paused", "Suspended", "Running"]
POWER = {
    "snapshot": _ALL, "metadata_export": _ALL, "start": ["Halted"], "start_on": ["Halted"],
    "make_into_template": ["Halted"], "provision": ["Halted"], "unpause": ["Paused"], "resume": ["Suspended"],
    "clean_shutdown": ["Running"], "clean_reboot": ["Running"], "suspend": ["Running"], "pause": ["Running"],
    "changing_dynamic_range": ["Halted", "Running"], "destroy": ["Halted", "Suspended"],
    "export": ["Halted", "Suspended"], "hard_reboot": ["Paused", "Running"],
    "checkpoint": ["Paused", "Suspended", "Running"], "hard_shutdown": ["Paused", "Suspended", "Running"],
    "changing_VCPUs": ["Halted"], "changing_static_range": ["Halted"], "changing_memory_limits": ["Halted"],
}
TEMPLATE_OPS = {"changing_dynamic_range", "changing_static_range", "changing_memory_limits", "changing_shadow_memory",
                "changing_VCPUs", "changing_NVRAM", "clone", "copy", "export", "metadata_export", "provision"}
SNAPSHOT_OPS = {"revert", "clone", "copy", "export", "destroy", "hard_shutdown", "metadata_export"}
CONTROL_DOMAIN_OPS = {"data_source_op", "changing_memory_live", "awaiting_memory_live", "metadata_export",
                      "changing_dynamic_range", "changing_memory_limits", "changing_static_range", "start", "start_on",
                      "changing_VCPUs", "destroy"}
LISTED_OPS = ["snapshot", "clone", "copy", "export", "destroy", "start", "clean_shutdown", "clean_reboot",
              "hard_shutdown", "hard_reboot", "suspend", "pause", "unpause", "resume", "checkpoint",
              "make_into_template", "changing_dynamic_range", "metadata_export"]


def power_allowed(vm, op):
    states = list(POWER.get(op, _ALL))
    if op in ("clone", "copy"):
        states = ["Halted", "Suspended"] if vm["is_a_snapshot"] else ["Halted"]
    if op == "changing_VCPUs" and vm["is_control_domain"]:
        states = ["Halted", "Running"]
    return states


def vm_operation_error(st, ref, op):
    """check_operation_error: the first error `op` meets on this VM, or None."""
    vm = st.get("VM", ref)
    if op in vm["blocked_operations"]:
        return XapiError("OPERATION_BLOCKED", ref, vm["blocked_operations"][op])
    states = power_allowed(vm, op)
    if vm["power_state"] not in states:
        return XapiError("VM_BAD_POWER_STATE", ref, ", ".join(s.lower() for s in states), vm["power_state"].lower())
    if vm["is_a_template"] and not vm["is_a_snapshot"]:
        default_template = vm["is_default_template"] or vm["other_config"].get("default_template") in ("true", "1")
        if not (op in TEMPLATE_OPS or (op in ("destroy", "migrate_send") and not default_template)):
            return XapiError("VM_IS_TEMPLATE", ref, op)
    if vm["is_a_snapshot"] and op not in SNAPSHOT_OPS:
        return XapiError("VM_IS_SNAPSHOT", ref, op)
    if vm["is_control_domain"]:
        if op in ("changing_VCPUs", "destroy") and vm["domid"] == 0:
            return XapiError("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0")
        if op not in CONTROL_DOMAIN_OPS:
            return XapiError("OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain")
    return None


def assert_vm_operation(st, ref, op):
    err = vm_operation_error(st, ref, op)
    if err:
        raise err


# ---- records as the API shows them -------------------------------------------------------------------------------
def related(st, cls, field, ref):
    other, back = schema.RELATIONS[(cls, field)]
    return [r for r, rec in st.objs(other).items() if rec.get(back) == ref]


def is_thick(st, sr):
    return st.exists("SR", sr) and st.get("SR", sr)["type"] in THICK_SR_TYPES


def vdi_usage(st, ref):
    vdi = st.get("VDI", ref)
    if is_thick(st, vdi["SR"]):
        return vdi["virtual_size"]
    return store.allocated(st.vdi_path(vdi["uuid"]))


def sr_usage(st, sr):
    return sum(vdi_usage(st, v) for v in related(st, "SR", "VDIs", sr)) + int(st.sr_config(sr).get("base_utilisation", 0))


def need_space(st, sr, need):
    """Raises the SR's out-of-space error when `need` more bytes do not fit."""
    rec = st.get("SR", sr)
    if rec["content_type"] == "iso" or need <= 0:
        return
    used = sr_usage(st, sr)
    if used + need > rec["physical_size"]:
        raise sr_full(st, sr, used + need)


def sr_full(st, sr, requested):
    if st.sr_config(sr).get("full_error") == "SR_FULL":
        return XapiError("SR_FULL", requested, st.get("SR", sr)["physical_size"])
    return XapiError("SR_BACKEND_FAILURE_44", "", "There is insufficient space", "")


def render(st, cls, ref):
    """The record get_record returns: relations and usage computed, datetimes marked for XML-RPC."""
    rec = dict(st.get(cls, ref))
    for (c, field) in schema.RELATIONS:
        if c == cls:
            rec[field] = related(st, cls, field, ref)
    if cls == "VM":
        rec["allowed_operations"] = [op for op in LISTED_OPS if vm_operation_error(st, ref, op) is None]
    elif cls == "VDI":
        rec["physical_utilisation"] = vdi_usage(st, ref)
    elif cls == "SR":
        rec["physical_utilisation"] = sr_usage(st, ref)
        rec["virtual_allocation"] = sum(st.get("VDI", v)["virtual_size"] for v in rec["VDIs"])
    return typed(cls, rec)


def typed(cls, rec):
    types = schema.TYPES[cls]
    return {k: DateTime(v) if types.get(k) == "datetime" else v for k, v in rec.items()}


# ---- operations ----------------------------------------------------------------------------------------------------
def new_vdi_file(st, uuid, size):
    store.create_sparse(st.vdi_path(uuid), size)


def vdi_snapshot(st, ref):
    """VDI.snapshot: a copy of the data (holes kept) in the same SR, marked as a snapshot of `ref`."""
    src = st.get("VDI", ref)
    sr = src["SR"]
    need = src["virtual_size"] if is_thick(st, sr) else store.allocated(st.vdi_path(src["uuid"]))
    need_space(st, sr, need)
    uuid = store.new_uuid()
    store.copy_sparse(st.vdi_path(src["uuid"]), st.vdi_path(uuid), src["virtual_size"])
    keep = ("name_label", "name_description", "type", "sharable", "other_config", "xenstore_data", "on_boot",
            "allow_caching", "tags", "virtual_size")
    return st.add("VDI", uuid=uuid, SR=sr, location=uuid, managed=True, is_a_snapshot=True, snapshot_of=ref,
                  snapshot_time=store.now(), **{k: src[k] for k in keep})


def vdi_destroy(st, ref):
    vdi = st.get("VDI", ref)
    vbds = related(st, "VDI", "VBDs", ref)
    if any(st.get("VBD", b)["currently_attached"] for b in vbds):
        raise XapiError("VDI_IN_USE", ref, "destroy")
    try:
        os.unlink(st.vdi_path(vdi["uuid"]))
    except FileNotFoundError:
        pass
    st.remove("VDI", ref)
    for b in vbds:
        st.remove("VBD", b)
    for vm in st.where("VM", suspend_VDI=ref):
        st.get("VM", vm)["suspend_VDI"] = NULL


def copy_metrics(st, cls, ref):
    if not st.exists(cls, ref):
        return NULL
    rec = dict(st.get(cls, ref))
    rec.pop("uuid")
    return st.add(cls, **rec)


def fresh_genid(current):
    return "" if current == "" else "%d:%d" % (random.getrandbits(63), random.getrandbits(63))


def vm_snapshot(st, ref, new_name, ignore_vdis=()):
    assert_vm_operation(st, ref, "snapshot")
    vm = st.get("VM", ref)
    vbds = [b for b in related(st, "VM", "VBDs", ref) if st.get("VBD", b)["VDI"] not in ignore_vdis]
    cloned, made = [], []
    try:
        for b in vbds:
            vbd = st.get("VBD", b)
            if vbd["empty"]:
                cloned.append((b, NULL))
            elif vbd["type"] == "CD":
                cloned.append((b, vbd["VDI"]))
            else:
                new = vdi_snapshot(st, vbd["VDI"])
                made.append(new)
                cloned.append((b, new))
    except XapiError:
        for v in made:
            vdi_destroy(st, v)
        raise
    rec = dict(vm)
    other_config = {k: v for k, v in vm["other_config"].items() if k not in ("default_template", "xensource_internal")}
    if vm["is_a_template"] and "base_template_name" not in other_config:
        other_config["base_template_name"] = vm["name_label"]
    rec.update(
        uuid=store.new_uuid(), power_state="Halted", allowed_operations=[], current_operations={},
        blocked_operations={}, name_label=new_name, is_a_template=True, is_default_template=False,
        is_a_snapshot=True, snapshot_of=ref, snapshot_time=store.now(),
        snapshot_info={"disk-snapshot-type": "crash_consistent", "power-state-at-snapshot": vm["power_state"]},
        transportable_snapshot_id="", resident_on=NULL, scheduled_to_be_resident_on=NULL, suspend_VDI=NULL,
        domid=-1, domarch="", metrics=copy_metrics(st, "VM_metrics", vm["metrics"]),
        guest_metrics=copy_metrics(st, "VM_guest_metrics", vm["guest_metrics"]), blobs={}, ha_always_run=False,
        protection_policy=NULL, is_snapshot_from_vmpp=False, is_vmss_snapshot=False, snapshot_schedule=NULL,
        appliance=NULL, start_delay=0, shutdown_delay=0, order=0, suspend_SR=NULL, version=0,
        generation_id=fresh_genid(vm["generation_id"]), requires_reboot=False, pending_guidances=[],
        pending_guidances_recommended=[], pending_guidances_full=[], other_config=other_config)
    for f in ("VBDs", "VIFs", "snapshots", "children", "consoles", "crash_dumps", "VUSBs", "VTPMs", "VGPUs"):
        rec[f] = []
    rec["snapshot_metadata"] = schema.sexpr(schema.db_row("VM", vm))  # Helpers.vm_to_string: the VM's row
    snap = st.add("VM", **rec)
    vm["parent"] = snap
    for b, vdi in cloned:
        vbd_copy(st, b, snap, vdi)
    for vif in related(st, "VM", "VIFs", ref):
        vif_copy(st, vif, snap)
    return snap


def vbd_copy(st, b, vm, vdi):
    """Xapi_vbd_helpers.copy, then force_state_reset Halted (currently_attached false)."""
    vbd = st.get("VBD", b)
    keep = ("userdevice", "device", "bootable", "mode", "type", "unpluggable", "qos_algorithm_type",
            "qos_algorithm_params")
    other_config = dict(vbd["other_config"])
    if vbd["type"] == "Disk":
        other_config.setdefault("owner", "")  # xapi_vm_clone.ml CA-58405
    return st.add("VBD", VM=vm, VDI=vdi, empty=vbd["empty"] or vdi == NULL, other_config=other_config,
                  **{k: vbd[k] for k in keep})


def vif_copy(st, v, vm):
    vif = st.get("VIF", v)
    keep = ("device", "network", "MAC", "MTU", "other_config", "qos_algorithm_type", "qos_algorithm_params",
            "MAC_autogenerated", "locking_mode", "ipv4_allowed", "ipv6_allowed", "ipv4_configuration_mode",
            "ipv4_addresses", "ipv4_gateway", "ipv6_configuration_mode", "ipv6_addresses", "ipv6_gateway")
    return st.add("VIF", VM=vm, **{k: vif[k] for k in keep})


def vm_destroy(st, ref):
    assert_vm_operation(st, ref, "destroy")
    vm = st.get("VM", ref)
    if vm["other_config"].get("default_template") == "true":
        raise XapiError("VM_CANNOT_DELETE_DEFAULT_TEMPLATE")
    for child in related(st, "VM", "children", ref):
        st.get("VM", child)["parent"] = vm["parent"]
    for b in related(st, "VM", "VBDs", ref):
        st.remove("VBD", b)
    for v in related(st, "VM", "VIFs", ref):
        st.remove("VIF", v)
    for cls, field in (("VM_metrics", "metrics"), ("VM_guest_metrics", "guest_metrics")):
        if vm[field] != NULL:
            st.remove(cls, vm[field])
    st.remove("VM", ref)


def set_power_state(st, ref, state, host=NULL):
    """force_state_reset: a running or paused VM lives on a host with a domain and its devices attached; a halted
    or suspended one has none of these."""
    vm = st.get("VM", ref)
    vm["power_state"] = state
    running = state in ("Running", "Paused")
    vm["resident_on"] = host if running else NULL
    if not running:
        vm["domid"] = -1
    elif vm["domid"] < 0:
        vm["domid"] = max([r["domid"] for r in st.objs("VM").values()] + [0]) + 1
    for b in related(st, "VM", "VBDs", ref):
        st.get("VBD", b)["currently_attached"] = running and not st.get("VBD", b)["empty"]
    for v in related(st, "VM", "VIFs", ref):
        st.get("VIF", v)["currently_attached"] = running
