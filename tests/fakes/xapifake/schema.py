# SPDX-License-Identifier: AGPL-3.0-or-later
"""The classes the fake knows, with their fields exactly as XAPI's datamodel has them (name, type, order).

Derived from xen-api doc/data/xenapi.json (generated from ocaml/idl/datamodel*.ml), read at commit e2ee48d6 of
xapi-project/xen-api. Fields whose lifecycle is "Removed" (VBD.metrics, VIF.metrics, VM.is_snapshot_from_vmpp,
VM_metrics.VCPUs_utilisation, VM_guest_metrics.memory/disks) are kept: the OCaml record types that get_record
marshals still carry them (ocaml/xapi/export.ml sets API.vBD_metrics, for instance).

Types: string, int (int64: a bare <value>N</value> in XML-RPC, a number in JSON-RPC -- ocaml-rpc xmlrpc.ml add_value
non-strict / jsonrpc.ml rpc_to_json), bool, float, datetime ("19700101T00:00:00Z", ocaml/libs/clock/date.ml
to_rfc3339; <dateTime.iso8601> in XML-RPC, a string in JSON-RPC), ref, set, map, enum:<name>.
"""

NULL = "OpaqueRef:NULL"
EPOCH = "19700101T00:00:00Z"

_FIELDS = {
    "session": "uuid:string this_host:ref this_user:ref last_active:datetime pool:bool other_config:map "
               "is_local_superuser:bool subject:ref validation_time:datetime auth_user_sid:string "
               "auth_user_name:string rbac_permissions:set tasks:set parent:ref originator:string "
               "client_certificate:bool",
    "task": "uuid:string name_label:string name_description:string allowed_operations:set current_operations:map "
            "created:datetime finished:datetime status:enum:task_status_type resident_on:ref progress:float "
            "type:string result:string error_info:set other_config:map subtask_of:ref subtasks:set backtrace:string",
    "pool": "uuid:string name_label:string name_description:string master:ref default_SR:ref suspend_image_SR:ref "
            "crash_dump_SR:ref other_config:map ha_enabled:bool ha_configuration:map ha_statefiles:set "
            "ha_host_failures_to_tolerate:int ha_plan_exists_for:int ha_allow_overcommit:bool ha_overcommitted:bool "
            "blobs:map tags:set gui_config:map health_check_config:map wlb_url:string wlb_username:string "
            "wlb_enabled:bool wlb_verify_cert:bool redo_log_enabled:bool redo_log_vdi:ref vswitch_controller:string "
            "restrictions:map metadata_VDIs:set ha_cluster_stack:string allowed_operations:set current_operations:map "
            "guest_agent_config:map cpu_info:map policy_no_vendor_device:bool live_patching_disabled:bool "
            "igmp_snooping_enabled:bool uefi_certificates:string custom_uefi_certificates:string is_psr_pending:bool "
            "tls_verification_enabled:bool repositories:set client_certificate_auth_enabled:bool "
            "client_certificate_auth_name:string repository_proxy_url:string repository_proxy_username:string "
            "repository_proxy_password:ref migration_compression:bool coordinator_bias:bool "
            "local_auth_max_threads:int ext_auth_max_threads:int telemetry_uuid:ref "
            "telemetry_frequency:enum:telemetry_frequency telemetry_next_collection:datetime "
            "last_update_sync:datetime update_sync_frequency:enum:update_sync_frequency update_sync_day:int "
            "update_sync_enabled:bool",
    "host": "uuid:string name_label:string name_description:string memory_overhead:int allowed_operations:set "
            "current_operations:map API_version_major:int API_version_minor:int API_version_vendor:string "
            "API_version_vendor_implementation:map enabled:bool software_version:map other_config:map "
            "capabilities:set cpu_configuration:map sched_policy:string supported_bootloaders:set resident_VMs:set "
            "logging:map PIFs:set suspend_image_sr:ref crash_dump_sr:ref crashdumps:set patches:set updates:set "
            "PBDs:set host_CPUs:set cpu_info:map hostname:string address:string metrics:ref license_params:map "
            "ha_statefiles:set ha_network_peers:set blobs:map tags:set external_auth_type:string "
            "external_auth_service_name:string external_auth_configuration:map edition:string license_server:map "
            "bios_strings:map power_on_mode:string power_on_config:map local_cache_sr:ref chipset_info:map PCIs:set "
            "PGPUs:set PUSBs:set ssl_legacy:bool guest_VCPUs_params:map display:enum:host_display "
            "virtual_hardware_platform_versions:set control_domain:ref updates_requiring_reboot:set features:set "
            "iscsi_iqn:string multipathing:bool uefi_certificates:string certificates:set editions:set "
            "pending_guidances:set tls_verification_enabled:bool last_software_update:datetime https_only:bool "
            "latest_synced_updates_applied:enum:latest_synced_updates_applied_state "
            "numa_affinity_policy:enum:host_numa_affinity_policy pending_guidances_recommended:set "
            "pending_guidances_full:set last_update_hash:string",
    "VM": "uuid:string allowed_operations:set current_operations:map name_label:string name_description:string "
          "power_state:enum:vm_power_state user_version:int is_a_template:bool is_default_template:bool "
          "suspend_VDI:ref resident_on:ref scheduled_to_be_resident_on:ref affinity:ref memory_overhead:int "
          "memory_target:int memory_static_max:int memory_dynamic_max:int memory_dynamic_min:int "
          "memory_static_min:int VCPUs_params:map VCPUs_max:int VCPUs_at_startup:int "
          "actions_after_softreboot:enum:on_softreboot_behavior actions_after_shutdown:enum:on_normal_exit "
          "actions_after_reboot:enum:on_normal_exit actions_after_crash:enum:on_crash_behaviour consoles:set "
          "VIFs:set VBDs:set VUSBs:set crash_dumps:set VTPMs:set PV_bootloader:string PV_kernel:string "
          "PV_ramdisk:string PV_args:string PV_bootloader_args:string PV_legacy_args:string HVM_boot_policy:string "
          "HVM_boot_params:map HVM_shadow_multiplier:float platform:map PCI_bus:string other_config:map domid:int "
          "domarch:string last_boot_CPU_flags:map is_control_domain:bool metrics:ref guest_metrics:ref "
          "last_booted_record:string recommendations:string xenstore_data:map ha_always_run:bool "
          "ha_restart_priority:string is_a_snapshot:bool snapshot_of:ref snapshots:set snapshot_time:datetime "
          "transportable_snapshot_id:string blobs:map tags:set blocked_operations:map snapshot_info:map "
          "snapshot_metadata:string parent:ref children:set bios_strings:map protection_policy:ref "
          "is_snapshot_from_vmpp:bool snapshot_schedule:ref is_vmss_snapshot:bool appliance:ref start_delay:int "
          "shutdown_delay:int order:int VGPUs:set attached_PCIs:set suspend_SR:ref version:int "
          "generation_id:string hardware_platform_version:int has_vendor_device:bool requires_reboot:bool "
          "reference_label:string domain_type:enum:domain_type NVRAM:map pending_guidances:set "
          "pending_guidances_recommended:set pending_guidances_full:set",
    "VM_metrics": "uuid:string memory_actual:int VCPUs_number:int VCPUs_utilisation:map VCPUs_CPU:map "
                  "VCPUs_params:map VCPUs_flags:map state:set start_time:datetime install_time:datetime "
                  "last_updated:datetime other_config:map hvm:bool nested_virt:bool nomigrate:bool "
                  "current_domain_type:enum:domain_type",
    "VM_guest_metrics": "uuid:string os_version:map PV_drivers_version:map PV_drivers_up_to_date:bool memory:map "
                        "disks:map networks:map other:map last_updated:datetime other_config:map live:bool "
                        "can_use_hotplug_vbd:enum:tristate_type can_use_hotplug_vif:enum:tristate_type "
                        "PV_drivers_detected:bool",
    "network": "uuid:string name_label:string name_description:string allowed_operations:set current_operations:map "
               "VIFs:set PIFs:set MTU:int other_config:map bridge:string managed:bool blobs:map tags:set "
               "default_locking_mode:enum:network_default_locking_mode assigned_ips:map purpose:set",
    "VIF": "uuid:string allowed_operations:set current_operations:map device:string network:ref VM:ref MAC:string "
           "MTU:int other_config:map currently_attached:bool status_code:int status_detail:string "
           "runtime_properties:map qos_algorithm_type:string qos_algorithm_params:map qos_supported_algorithms:set "
           "metrics:ref MAC_autogenerated:bool locking_mode:enum:vif_locking_mode ipv4_allowed:set ipv6_allowed:set "
           "ipv4_configuration_mode:enum:vif_ipv4_configuration_mode ipv4_addresses:set ipv4_gateway:string "
           "ipv6_configuration_mode:enum:vif_ipv6_configuration_mode ipv6_addresses:set ipv6_gateway:string",
    "SR": "uuid:string name_label:string name_description:string allowed_operations:set current_operations:map "
          "VDIs:set PBDs:set virtual_allocation:int physical_utilisation:int physical_size:int type:string "
          "content_type:string shared:bool other_config:map tags:set sm_config:map blobs:map "
          "local_cache_enabled:bool introduced_by:ref clustered:bool is_tools_sr:bool",
    "VDI": "uuid:string name_label:string name_description:string allowed_operations:set current_operations:map "
           "SR:ref VBDs:set crash_dumps:set virtual_size:int physical_utilisation:int type:enum:vdi_type "
           "sharable:bool read_only:bool other_config:map storage_lock:bool location:string managed:bool "
           "missing:bool parent:ref xenstore_data:map sm_config:map is_a_snapshot:bool snapshot_of:ref snapshots:set "
           "snapshot_time:datetime tags:set allow_caching:bool on_boot:enum:on_boot metadata_of_pool:ref "
           "metadata_latest:bool is_tools_iso:bool cbt_enabled:bool",
    "VBD": "uuid:string allowed_operations:set current_operations:map VM:ref VDI:ref device:string userdevice:string "
           "bootable:bool mode:enum:vbd_mode type:enum:vbd_type unpluggable:bool storage_lock:bool empty:bool "
           "other_config:map currently_attached:bool status_code:int status_detail:string runtime_properties:map "
           "qos_algorithm_type:string qos_algorithm_params:map qos_supported_algorithms:set metrics:ref",
    "PBD": "uuid:string host:ref SR:ref device_config:map currently_attached:bool other_config:map",
}

FIELDS = {cls: [tuple(f.split(":", 1)) for f in spec.split()] for cls, spec in _FIELDS.items()}
TYPES = {cls: dict(fields) for cls, fields in FIELDS.items()}
CLASSES = list(FIELDS)

# The enum values the fake checks (xenapi.json "enums").
ENUMS = {
    "vm_power_state": ["Halted", "Paused", "Running", "Suspended"],
    "vm_operations": ["snapshot", "clone", "copy", "create_template", "revert", "checkpoint", "snapshot_with_quiesce",
                      "provision", "start", "start_on", "pause", "unpause", "clean_shutdown", "clean_reboot",
                      "hard_shutdown", "power_state_reset", "hard_reboot", "suspend", "csvm", "resume", "resume_on",
                      "pool_migrate", "migrate_send", "get_boot_record", "send_sysrq", "send_trigger",
                      "query_services", "shutdown", "call_plugin", "changing_memory_live", "awaiting_memory_live",
                      "changing_dynamic_range", "changing_static_range", "changing_memory_limits",
                      "changing_shadow_memory", "changing_shadow_memory_live", "changing_VCPUs",
                      "changing_VCPUs_live", "changing_NVRAM", "assert_operation_valid", "data_source_op",
                      "update_allowed_operations", "make_into_template", "import", "export", "metadata_export",
                      "reverting", "destroy", "create_vtpm"],
    "vbd_type": ["CD", "Disk", "Floppy"],
    "vbd_mode": ["RO", "RW"],
    "vdi_type": ["system", "user", "ephemeral", "suspend", "crashdump", "ha_statefile", "metadata", "redo_log", "rrd",
                 "pvs_cache", "cbt_metadata"],
    "task_status_type": ["pending", "success", "failure", "cancelling", "cancelled"],
}

# Defaults of enum fields (the values XAPI's constructors use for a plain VM/VDI/...).
ENUM_DEFAULTS = {
    "vm_power_state": "Halted", "on_softreboot_behavior": "soft_reboot", "on_normal_exit": "destroy",
    "on_crash_behaviour": "restart", "domain_type": "hvm", "tristate_type": "unspecified",
    "network_default_locking_mode": "unlocked", "vif_locking_mode": "network_default",
    "vif_ipv4_configuration_mode": "None", "vif_ipv6_configuration_mode": "None", "vdi_type": "user",
    "on_boot": "persist", "vbd_mode": "RW", "vbd_type": "Disk", "task_status_type": "pending",
    "host_display": "enabled", "telemetry_frequency": "weekly", "update_sync_frequency": "weekly",
    "latest_synced_updates_applied_state": "unknown", "host_numa_affinity_policy": "default_policy",
}

_TYPE_DEFAULTS = {"string": "", "int": 0, "bool": False, "float": 0.0, "datetime": EPOCH, "ref": NULL}

# Set(Ref) fields that XAPI keeps on the other side of a relation (never stored in a row, computed on read):
# ocaml/idl/datamodel.ml all_relations. The fake computes the ones it knows.
RELATIONS = {
    ("VM", "VBDs"): ("VBD", "VM"), ("VM", "VIFs"): ("VIF", "VM"), ("VM", "snapshots"): ("VM", "snapshot_of"),
    ("VM", "children"): ("VM", "parent"), ("VDI", "VBDs"): ("VBD", "VDI"), ("VDI", "snapshots"): ("VDI", "snapshot_of"),
    ("SR", "VDIs"): ("VDI", "SR"), ("SR", "PBDs"): ("PBD", "SR"), ("host", "PBDs"): ("PBD", "host"),
    ("host", "resident_VMs"): ("VM", "resident_on"), ("network", "VIFs"): ("VIF", "network"),
    ("task", "subtasks"): ("task", "subtask_of"),
}

# Datamodel namespaces: a field "name_label" is the column "name__label" in the database (ocaml/idl namespace ~name).
NAMESPACES = {"VM": ("name", "memory", "VCPUs", "actions", "PV", "HVM"), "VM_metrics": ("memory", "VCPUs"),
              "host": ("name", "memory", "API_version"), "VIF": ("qos",), "VBD": ("qos",)}


def default(cls, field):
    ty = TYPES[cls][field]
    if ty.startswith("enum:"):
        return ENUM_DEFAULTS[ty[5:]]
    if ty == "set":
        return []
    if ty == "map":
        return {}
    return _TYPE_DEFAULTS[ty]


def new_record(cls, **values):
    """A full record of `cls` with XAPI's defaults, `values` set (unknown field names are a bug in the caller)."""
    for k in values:
        if k not in TYPES[cls]:
            raise KeyError("%s has no field %s" % (cls, k))
    return {name: values[name] if name in values else default(cls, name) for name, _ in FIELDS[cls]}


def as_bool(value):
    """XAPI's bool_of_rpc: a boolean (XML-RPC clients that send "true"/"false" strings are read as well)."""
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1")


def coerce(cls, field, value):
    """A value from the wire (XML-RPC sends int64 as strings) as the field's type."""
    ty = TYPES[cls][field]
    if ty == "int":
        return int(value)
    if ty == "float":
        return float(value)
    if ty == "bool":
        return as_bool(value)
    if ty == "set":
        return list(value or [])
    if ty == "map":
        return {str(k): str(v) if not isinstance(v, list) else v for k, v in (value or {}).items()}
    return "" if value is None else str(value)


def sexpr(items):
    """SExpr.string_of (ocaml/libs/sexpr/sExpr.ml): ('a' 'b'), pairs as (('k' 'v')), \\ and ' escaped."""
    def q(x):
        return "'" + str(x).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "(" + " ".join("(%s %s)" % (q(x[0]), q(x[1])) if isinstance(x, tuple) else q(x) for x in items) + ")"


def db_value(ty, v):
    """A field as the database stores it (Schema.CachedValue.string_of): sets and maps as S-expressions."""
    if ty == "bool":
        return "true" if v else "false"
    if ty == "set":
        return sexpr(v)
    if ty == "map":
        return sexpr(list(v.items()))
    if ty == "float":
        return "%.16g" % v
    return str(v)


def db_row(cls, rec):
    """[(column, string value)] of a row: relation fields are not columns."""
    return [(db_column(cls, name), db_value(ty, rec[name])) for name, ty in FIELDS[cls]
            if (cls, name) not in RELATIONS]


def db_column(cls, field):
    for ns in NAMESPACES.get(cls, ("name",)):
        if field.startswith(ns + "_"):
            return ns + "__" + field[len(ns) + 1:]
    return field
