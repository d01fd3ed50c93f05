# SPDX-License-Identifier: AGPL-3.0-or-later
"""Virtuozzo 7 virtual machines (VMs) for the fake prlctl: their state, lookup, info block and commands.

State: state.json["vms"] maps "{uuid}" to a VM: name, status (running, stopped, suspended, paused), home (the
bundle directory the test made, with a trailing "/"), cumulative uptime, snapshots. The fake only records the bundle's
path and reads/writes its config.pvs; the bundle's files are the test's.

Sources (read to learn, nothing copied): OpenVZ/prlctl branch vz7-u22 (prlctl 7.0.253) for prlctl's own words and
formats; the VM-side messages are the dispatcher's, which prlctl prints as "<brief text> <long text>" (Utils.cpp
get_result_error_string) plus " (Details: <detail>)" when the error carries one (get_details); their texts are in
OpenVZ/libprlsdk vz7-u22 Sources/SDK/Handles/Core/PrlErrStringsStorage*.cpp (PRODUCT_NAME_SHORT = "Virtuozzo",
Sources/Makefile.incl) and which error a command meets comes from OpenVZ/prl-disp-service vz7-u22. prlctl exits with
prlerr2exitcode (src/Utils.cpp): 255 for every PRL_RESULT outside 0..255, which all these are.

Uptime is deterministic: a VM's uptime is its stored total plus, while it runs, the time since it was last started;
"now" is the frozen clock in the state (`freeze_clock`, `tick`) when one is set, else the wall clock.
"""
import os
import sys
import time
import xml.etree.ElementTree as ET

import fakevz as vz
import prlfmt

# src/PrlCtl.cpp main(), vz7-u17..u22: printed to stderr for every action but list and exec, before the action runs.
DEPRECATION = ("WARNING: You are using a deprecated CLI component that won't be installed by default in the next major"
               " release. Please use virsh instead")

# PRL_ERR_VM_UUID_NOT_FOUND (PrlErrStringsStorage_PS.cpp), through PrlSrv::get_vm_config's "Failed to get VM config: %s".
# The brief-and-long form is what a real prlctl prints (hashicorp/packer#2828 shows the Parallels Desktop variant).
NOT_FOUND = ("Failed to get VM config: The virtual machine could not be found. The virtual machine is not registered in"
             " the virtual machine directory on this server. Contact your Virtuozzo administrator for assistance.")

# Dispatcher errors as prlctl words them (brief + " " + long, see above).
ERR_FAILURE = "Operation failed. Failed to execute the operation."                       # PRL_ERR_FAILURE
ERR_INVALID_ACTION = "This action cannot be performed on the specified object."        # brief == long: printed once
ERR_UNINITIALIZED = "Uninitialized. Uninitialized data requested."                     # PRL_ERR_UNINITIALIZED
# libvirt's words for an operation on an inactive domain (VIR_ERR_OPERATION_INVALID, qemu driver "domain is not running")
NOT_RUNNING_DETAIL = "Requested operation is not valid: domain is not running"

STATES = ("running", "stopped", "suspended", "paused")


def err(msg, code):
    sys.stderr.write(msg + "\n")
    sys.exit(code)


# ---- clock and uptime -----------------------------------------------------------------------------------------------
def now(state):
    return state["clock"] if state.get("clock") is not None else time.time()


def uptime(state, vm):
    total = vm["uptime"]
    if vm["status"] == "running" and vm.get("started_at") is not None:
        total += max(0.0, now(state) - vm["started_at"])
    return int(total)


def set_status(state, vm, status):
    """Moves a VM to `status`, folding the time it ran into its total (only time spent running counts: the source does
    not say whether a paused VM's uptime grows; we say it does not)."""
    if vm["status"] == "running" and vm.get("started_at") is not None:
        vm["uptime"] += max(0.0, now(state) - vm["started_at"])
    vm["started_at"] = now(state) if status == "running" else None
    vm["status"] = status


def vzid(guid):
    """EnvID of a VM: the first 32 bits of its UUID with the top bit cleared (libprlcommon Uuid::toVzid, set by the
    dispatcher's CDspVmDirHelper for every VM)."""
    return int(guid[1:9], 16) & 0x7FFFFFFF


# ---- lookup -----------------------------------------------------------------------------------------------------------
def find(state, ident):
    """("ct"|"vm", "{uuid}") for a <name|UUID> argument, or (None, None). prlctl normalizes a UUID with or without
    braces (Utils.cpp normalize_uuid) and asks the dispatcher by UUID or name, then by the original text as a name
    (PrlSrv::get_vm_config)."""
    m = vz.UUID_RE.match(ident)
    if m:
        guid = "{%s}" % m.group(1).lower()
        for kind, table in (("ct", state["cts"]), ("vm", state.get("vms", {}))):
            if guid in table:
                return kind, guid
    for kind, table in (("ct", state["cts"]), ("vm", state.get("vms", {}))):
        for guid, env in table.items():
            if env["name"] == ident:
                return kind, guid
    return None, None


# ---- config.pvs -------------------------------------------------------------------------------------------------------
def read_config(bundle):
    """The identity and hardware a config.pvs holds (libprlxmlmodel Schema/VmConfig.xsd element names)."""
    root = ET.parse(os.path.join(bundle, "config.pvs")).getroot()
    ident = root.find("Identification")
    disks = [{"image": h.findtext("SystemName"), "size": int(h.findtext("Size") or 0)}
             for h in root.iter("Hdd")]
    return {"uuid": ident.findtext("VmUuid"), "name": ident.findtext("VmName"),
            "since": ident.findtext("VmUptimeStartDateTime") or "",
            "uptime": int(ident.findtext("VmUptimeInSeconds") or 0),
            "description": root.findtext("Settings/General/VmDescription") or "",
            "cpus": int(root.findtext("Hardware/Cpu/Number") or 1),
            "memsize": int(root.findtext("Hardware/Memory/RAM") or 1024), "disks": disks}


def update_config(bundle, **values):
    """The dispatcher saves what it changed in the VM's config.pvs (a new UUID or name on register, the uptime)."""
    path = os.path.join(bundle, "config.pvs")
    tree = ET.parse(path)
    ident = tree.getroot().find("Identification")
    for key, value in values.items():
        node = ident.find(key)
        if node is None:
            node = ET.SubElement(ident, key)
        node.text = str(value)
    tree.write(path + ".tmp", xml_declaration=True, encoding="utf-8")
    os.replace(path + ".tmp", path)


def write_config(bundle, uuid, name, since, uptime_s=0, description="", cpus=2, memsize=1024, disks=()):
    root = ET.Element("VirtuozzoVirtualMachine", schemaVersion="1.0")  # XML_VM_CONFIG_EL_ROOT in vz7-u22
    ident = ET.SubElement(root, "Identification")
    for key, value in (("VmUuid", uuid), ("SourceVmUuid", uuid), ("VmName", name), ("VmUptimeStartDateTime", since),
                       ("VmUptimeInSeconds", uptime_s)):
        ET.SubElement(ident, key).text = str(value)
    ET.SubElement(ET.SubElement(ET.SubElement(root, "Settings"), "General"), "VmDescription").text = description
    hardware = ET.SubElement(root, "Hardware")
    ET.SubElement(ET.SubElement(hardware, "Cpu"), "Number").text = str(cpus)
    ET.SubElement(ET.SubElement(hardware, "Memory"), "RAM").text = str(memsize)
    for i, disk in enumerate(disks):
        hdd = ET.SubElement(hardware, "Hdd", index=str(i))
        ET.SubElement(hdd, "SystemName").text = disk["image"]
        ET.SubElement(hdd, "Size").text = str(disk["size"])
    ET.indent(root)
    ET.ElementTree(root).write(os.path.join(bundle, "config.pvs"), xml_declaration=True, encoding="utf-8")


# ---- the info block (prlctl list -i [-j]) -----------------------------------------------------------------------------
def append_configuration(f, state, guid, vm):
    """PrlVm::append_configuration (src/PrlVm.cpp, vz7-u22) for a VM, in its order and with its keys. The values the
    fake does not model are fixed to what a default Virtuozzo 7 VM shows (our choice, not read from a real host):
    tools possibly installed, autostop suspend, 1 socket, accl high, mode 64, ioprio 4, iolimit 0, 32 MB video, one
    SCSI (virtio-scsi) disk per config.pvs Hdd, no network device, remote display off."""
    f.add_uuid("ID", guid)
    f.add("EnvID", str(vzid(guid)))
    f.add("Name", vm["name"])
    f.add("Description", vm.get("description", ""))
    f.add("Type", "VM")
    f.add("State", vm["status"])
    f.add("OS", vm.get("dist", "centos7"))
    f.add("Template", "no")
    f.add_uptime("Uptime", uptime(state, vm), vm["since"])
    f.add("Home", vm["home"])
    f.add("Backup path", "")
    f.add("Owner", "root")
    f.open("GuestTools", True)
    f.add("state", "possibly_installed", True)
    f.close(True)
    f.add("GuestTools autoupdate", "on")
    f.add("Autostart", "off")
    f.add("Autostop", "suspend")
    f.add("Autocompact", "on")
    f.add("Boot order", "".join("hdd%d " % i for i in range(len(vm["disks"]))))  # get_bootdev_info: "<id> " each
    f.add("EFI boot", "off")
    f.add("Allow select boot device", "off")
    f.add("External boot device", "")
    f.add("On guest crash", "restart")
    f.open("Remote display", True)  # VncParam::append_info
    f.add("mode", "off", True)
    f.close(True)
    f.add("Remote display state", "stopped")
    f.open("Hardware")
    f.open("cpu", True)
    f.add_int("sockets", 1, "", True)
    f.add_int("cpus", vm["cpus"], "", True)
    f.add_int("cores", vm["cpus"], "", True)
    f.add_bool("VT-x", True)
    f.add_bool("hotplug", False)
    f.add("accl", "high", True)
    f.add("mode", "64", True)
    f.add_int("ioprio", 4, "", True)
    f.add("iolimit", "0", True, True)  # f.add("iolimit", ui2string(val), "", true): "" binds to is_inline, true to quotes
    f.close(True)
    f.open("memory", True)
    f.add_int("size", vm["memsize"], "Mb", True, True)
    f.add_bool("hotplug", False)
    f.close(True)
    f.open("video", True)
    f.add_int("size", 32, "Mb", True, True)
    f.add("3d acceleration", "off", True)
    f.add("vertical sync", "yes", True)
    f.close(True)
    f.open("memory_guarantee", True)  # PrlVm::get_memguarantee
    f.add_bool("auto", True)
    f.close(True)
    for i, disk in enumerate(vm["disks"]):  # PrlDevHdd::append_info_spec (src/PrlDev.cpp)
        f.open_dev("hdd%d" % i)
        f.add_isenabled(True)
        f.add("port", "scsi:%d" % i, True, False, True)
        f.add("image", disk["image"], True, True)
        f.add("type", "expanded", True, True)
        f.add_int("size", disk["size"], "Mb", True, True)
        f.add("state", "connected", True)
        f.add("subtype", "virtio-scsi", True)
        f.close(True)
    f.close()
    f.open_shf("SmartMount", False)
    f.close()
    f.add("Disabled Windows logo", "on")  # PrlVm::get_optimization_info
    f.add("Nested virtualization", "off")
    f.open_shf("Offline management", False)
    f.close()


# ---- commands -----------------------------------------------------------------------------------------------------
def _start_like(guid, fault, verb, action, past):
    """prlctl start and resume: both are the dispatcher's DspCmdVmStart (libprlsdk PrlVm_Resume calls PrlVm_Start),
    whose Body<Tag::Special<DspCmdVmStart>> (prl-disp-service CDspVmManager.cpp) unpauses a paused VM, restores a
    suspended one, starts a stopped one and refuses a running one with Error::Simple(PRL_ERR_FAILURE, "VM is already
    running"). So `resume` of a stopped VM starts it, as on a real Virtuozzo 7 host."""
    print("%s the VM..." % verb)  # PrlVm::start / PrlVm::resume: prl_log(0, "Starting the %s..."), "Resuming the %s..."
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        if vm["status"] == "running":
            err("Failed to %s the VM: %s (Details: VM is already running)" % (action, ERR_FAILURE), 255)
        _finish(state, vm, fault, "running")
    print("The VM has been successfully %s." % past)


def cmd_start(guid, fault):
    _start_like(guid, fault, "Starting", "start", "started")


def cmd_resume(guid, fault):
    _start_like(guid, fault, "Resuming", "resume", "resumed")


def _finish(state, vm, fault, status):
    """The state change a command that succeeded makes, unless a fault says it "worked" without changing the state
    ({"noop": true}) or left the VM in another one ({"state": ...})."""
    if fault and fault.get("noop"):
        return
    set_status(state, vm, fault.get("state", status) if fault else status)


def cmd_suspend(guid, fault):
    """Essence<DspCmdVmSuspend> is libvirt's virDomainSaveFlags (CDspLibvirtAgent.cpp State::suspend); on a domain that
    is not running libvirt fails with VIR_ERR_OPERATION_INVALID, which the dispatcher turns into
    PRL_ERR_INVALID_ACTION_REQUESTED with libvirt's message as the detail (Libvirt::Failure::fabricate). Derived from
    the code path, not seen on a host."""
    print("Suspending the VM...")
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        if vm["status"] not in ("running", "paused"):
            err("Failed to suspend the VM: %s (Details: %s)" % (ERR_INVALID_ACTION, NOT_RUNNING_DETAIL), 255)
        _finish(state, vm, fault, "suspended")
    print("The VM has been successfully suspended.")


def cmd_stop(guid, fault, kill):
    """Essence<DspCmdVmStop>: libvirt shutdown (or destroy with --kill/--fast); on an inactive domain (stopped, or
    suspended: its state is a save file) it fails as suspend does above. Derived from the code path."""
    print("Stopping the VM...")
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        if vm["status"] not in ("running", "paused"):
            err("Failed to stop the VM: %s (Details: %s)" % (ERR_INVALID_ACTION, NOT_RUNNING_DETAIL), 255)
        _finish(state, vm, fault, "stopped")
    print("The VM has been forcibly stopped" if kill else "The VM has been successfully stopped.")


def cmd_snapshot(guid, fault, name, desc):
    """PrlVm::snapshot_create: the new snapshot becomes the current one, a child of the one that was current."""
    print("Creating the snapshot...")
    sid = vz.new_uuid()
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        if not (fault and fault.get("noop")):
            shots = vm["snapshots"]
            parent = next((s["id"] for s in shots if s["current"]), "")
            for s in shots:
                s["current"] = False
            shots.append({"id": sid, "parent": parent, "name": name, "desc": desc, "current": True})
    print("The snapshot with id %s has been successfully created." % sid)


def cmd_snapshot_list(guid, no_header):
    """PrlSnapshotTree::print_list (src/PrlSnapshot.cpp): depth first from the root, children in creation order, rows
    "%38s %c%38s" (the root's id is empty, so a first-level snapshot's parent column is 38 spaces)."""
    with vz.locked_state() as state:
        shots = list(state["vms"][guid]["snapshots"])
    out = [] if no_header else ["PARENT_SNAPSHOT_ID                      SNAPSHOT_ID\n"]

    def walk(parent):
        for s in (s for s in shots if s["parent"] == parent):
            out.append("%38s %s%38s\n" % (s["parent"], "*" if s["current"] else " ", s["id"]))
            walk(s["id"])
    walk("")
    sys.stdout.write("".join(out))


def cmd_snapshot_delete(guid, fault, sid, children):
    """PrlVm::snapshot_delete. An unknown id: Essence<DspCmdVmDeleteSnapshot> looks the libvirt snapshot up by name,
    gets none, and undefine() on the empty handle fails with PRL_ERR_UNINITIALIZED carrying libvirt's last message
    (VIR_ERR_NO_DOMAIN_SNAPSHOT) as the detail. Derived from the code path, not seen on a host. Without -c the children
    of the deleted snapshot move to its parent; a deleted current snapshot hands "current" to its parent."""
    if not sid:
        err("Snapshot id is not specified.", 255)
    print("Delete the snapshot...")
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        shots = vm["snapshots"]
        target = next((s for s in shots if s["id"] == sid), None)
        if target is None:
            err("Failed to delete snapshot: %s (Details: Domain snapshot not found: no domain snapshot with matching"
                " name '%s')" % (ERR_UNINITIALIZED, sid), 255)
        if not (fault and fault.get("noop")):
            doomed = {sid}
            if children:
                grown = True
                while grown:
                    more = {s["id"] for s in shots if s["parent"] in doomed} - doomed
                    grown, doomed = bool(more), doomed | more
            if any(s["current"] for s in shots if s["id"] in doomed):
                for s in shots:
                    s["current"] = s["id"] == target["parent"]
            for s in shots:
                if s["parent"] == sid and not children:
                    s["parent"] = target["parent"]
            vm["snapshots"] = [s for s in shots if s["id"] not in doomed]
    print("The snapshot has been successfully deleted.")


def cmd_unregister(guid, fault):
    """PrlVm::unreg: "Unregister the VM." is logged at L_INFO (hidden by default). Task_DeleteVm refuses a VM that is
    neither stopped nor suspended with PRL_ERR_DISP_VM_IS_NOT_STOPPED naming the VM by its UUID."""
    with vz.locked_state() as state:
        vm = state["vms"][guid]
        if vm["status"] not in ("stopped", "suspended"):
            err('Failed to unregister the VM: Unable to perform the operation because the virtual machine "%s" is not'
                " stopped. This operation can be performed for stopped virtual machines only." % guid, 255)
        if not (fault and fault.get("noop")):
            set_status(state, vm, vm["status"])
            update_config(vm["home"], VmUptimeInSeconds=int(vm["uptime"]))
            del state["vms"][guid]
    print("The VM has been successfully unregistered.")


def _unique_name(name, taken):
    """Task_RegisterVm::getUniqueVmName: "<name> (1)", "<name> (2)", … compared without case (GenerateFilename)."""
    lower = {t.lower() for t in taken} | {(name + " ()").lower()}
    if name.lower() not in lower:
        return name
    n = 1
    while ("%s (%d)" % (name, n)).lower() in lower:
        n += 1
    return "%s (%d)" % (name, n)


def register(bundle, preserve_uuid, custom_uuid):
    """PrlSrv::register_vm with Task_RegisterVm's checks (CDspVmDirManager::checkAndLockNotExistsExclusiveVmParameters):
    the same bundle again (same UUID, path and name) is PRL_ERR_VM_ALREADY_REGISTERED; a --uuid already taken is
    PRL_ERR_VM_ALREADY_REGISTERED_VM_UUID; another bundle with a taken UUID gets a new one, a taken name becomes
    "<name> (N)". Without --preserve-uuid (and without --uuid) the VM always gets a new UUID (PRVF_REGENERATE_VM_UUID).
    The dispatcher writes the new identity into config.pvs."""
    print("Register the virtual environment...")
    fail = "Failed to register the virtual environment: "
    cfg = read_config(bundle)
    home = os.path.normpath(os.path.abspath(bundle)) + "/"
    with vz.locked_state() as state:
        vms = state.setdefault("vms", {})
        uuid = custom_uuid or "{%s}" % cfg["uuid"].strip("{}").lower()
        name = cfg["name"]
        for guid, vm in vms.items():
            if guid == uuid and vm["home"] == home and vm["name"] == name:
                err(fail + 'The virtual machine "%s" is already registered. You cannot register a virtual machine more'
                    " than once." % name, 255)
        if any(vm["home"] == home for vm in vms.values()):
            # the dispatcher then moves the bundle to a directory of a new name (Task_RegisterVm.cpp); not modelled
            err("fake prlctl: registering a bundle whose path is registered under another identity is not modelled", 99)
        taken = set(vms) | set(state["cts"])
        if uuid in taken:
            if custom_uuid:
                err(fail + "Cannot register this virtual machine due to an ID conflict. Contact your Virtuozzo"
                    " administrator for assistance.", 255)
            uuid = vz.new_uuid()
        if not custom_uuid and not preserve_uuid:
            uuid = vz.new_uuid()
        name = _unique_name(name, [e["name"] for e in list(vms.values()) + list(state["cts"].values())])
        if uuid != cfg["uuid"] or name != cfg["name"]:
            update_config(home, VmUuid=uuid, VmName=name)
        vms[uuid] = {"name": name, "status": "stopped", "started_at": None, "home": home, "uptime": cfg["uptime"],
                     "since": cfg["since"], "description": cfg["description"], "cpus": cfg["cpus"],
                     "memsize": cfg["memsize"], "disks": cfg["disks"], "snapshots": []}
    print("The virtual environment has been successfully registered.")


# ---- test-side helpers (not part of the tool) ---------------------------------------------------------------------
def create_vm(state_dir, home, uuid, name, status="stopped", uptime_s=0, since="2024-01-02 03:04:05",
              disk_mb=65536, cpus=2, memsize=1024):
    """A VM bundle at `home` (the test chooses the directory, e.g. "<root>/<name>.pvm" on a btrfs file system): a
    config.pvs and a harddisk.hdd directory holding a DiskDescriptor.xml and a sparse image of `disk_mb` MB, registered
    with the fake (as `prlctl register <home> --preserve-uuid` would) and put in `status`."""
    os.makedirs(state_dir, exist_ok=True)
    os.environ["FAKE_VZ_STATE"] = state_dir
    guid = "{%s}" % uuid.strip("{}").lower()
    hdd = os.path.join(home, "harddisk.hdd")
    os.makedirs(hdd)
    image = "harddisk.hdd.0.%s.hds" % vz.new_uuid()
    with open(os.path.join(hdd, image), "wb") as f:
        f.truncate(disk_mb << 20)
    vz.write_dd(os.path.join(hdd, "DiskDescriptor.xml"), [(vz.NONE_UUID, image)], [(vz.NONE_UUID, vz.NONE_UUID)],
                vz.NONE_UUID, size_sectors=disk_mb << 11)
    write_config(home, guid, name, since, uptime_s, cpus=cpus, memsize=memsize,
                 disks=[{"image": os.path.join(os.path.abspath(home), "harddisk.hdd"), "size": disk_mb}])
    with vz.locked_state() as s:
        s.setdefault("vms", {})
        if guid in s["vms"]:
            raise ValueError("VM %s exists" % guid)
    with open(os.devnull, "w") as null:
        stdout, sys.stdout = sys.stdout, null
        try:
            register(home, True, None)
        finally:
            sys.stdout = stdout
    with vz.locked_state() as s:
        set_status(s, s["vms"][guid], status)
    return guid


def advance_uptime(uuid, seconds):
    """Adds to a VM's cumulative uptime, as if it had run that much longer."""
    with vz.locked_state() as s:
        s["vms"]["{%s}" % uuid.strip("{}").lower()]["uptime"] += seconds


def freeze_clock(epoch):
    """From now on the fake's "now" is `epoch` (None: the wall clock again)."""
    with vz.locked_state() as s:
        s["clock"] = epoch


def tick(seconds):
    """Moves the frozen clock on: running VMs gain that much uptime."""
    with vz.locked_state() as s:
        s["clock"] += seconds


def set_vm_status(uuid, status):
    """Puts a VM straight into a state (e.g. paused, which prlctl cannot do for us here)."""
    assert status in STATES
    with vz.locked_state() as s:
        set_status(s, s["vms"]["{%s}" % uuid.strip("{}").lower()], status)
