// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text.Json;

namespace BackupPlugins.Sources.Xen;

/// <summary>A VM as <c>VM.get_record</c> gives it (the fields the jobs use); <see cref="Ref"/> is its OpaqueRef.</summary>
public sealed record VmRecord(
    string Ref, string Uuid, string Name, string Description, string PowerState, bool IsTemplate, bool IsSnapshot, bool IsControlDomain,
    string SnapshotOf, IReadOnlyList<string> Vbds, IReadOnlyList<string> Vifs, IReadOnlyDictionary<string, string> OtherConfig,
    IReadOnlyDictionary<string, string> BlockedOperations, long MemoryDynamicMax, long VcpusMax, long VcpusAtStartup, string GuestMetrics)
{
    /// <summary>A VM a backup can select: not a template, a snapshot or the control domain.</summary>
    public bool IsGuest => !IsTemplate && !IsSnapshot && !IsControlDomain;

    public static VmRecord Parse(string reference, JsonElement r) => new(
        reference, r.Str("uuid"), r.Str("name_label"), r.Str("name_description"), r.Str("power_state"), r.Bool("is_a_template"),
        r.Bool("is_a_snapshot"), r.Bool("is_control_domain"), r.Str("snapshot_of"), r.Refs("VBDs"), r.Refs("VIFs"), r.Map("other_config"),
        r.Map("blocked_operations"), r.Int("memory_dynamic_max"), r.Int("VCPUs_max"), r.Int("VCPUs_at_startup"), r.Str("guest_metrics"));
}

/// <summary>A VBD (a VM's disk or CD slot).</summary>
public sealed record VbdRecord(string Ref, string Uuid, string Device, string UserDevice, string Type, string Vdi, bool Bootable,
    string Mode, bool Unpluggable, bool Empty)
{
    public static VbdRecord Parse(string reference, JsonElement r) => new(reference, r.Str("uuid"), r.Str("device"), r.Str("userdevice"),
        r.Str("type"), r.Str("VDI"), r.Bool("bootable"), r.Str("mode"), r.Bool("unpluggable"), r.Bool("empty"));
}

/// <summary>A VDI (a virtual disk).</summary>
public sealed record VdiRecord(string Ref, string Uuid, string Name, string Description, long VirtualSize, string Type, bool Sharable,
    bool ReadOnly, string Sr, bool IsSnapshot, string SnapshotOf)
{
    public static VdiRecord Parse(string reference, JsonElement r) => new(reference, r.Str("uuid"), r.Str("name_label"),
        r.Str("name_description"), r.Int("virtual_size"), r.Str("type"), r.Bool("sharable"), r.Bool("read_only"), r.Str("SR"),
        r.Bool("is_a_snapshot"), r.Str("snapshot_of"));
}

/// <summary>A VIF (a VM's network interface).</summary>
public sealed record VifRecord(string Ref, string Uuid, string Device, string Network, long Mtu, string Mac, IReadOnlyDictionary<string, string> OtherConfig)
{
    public static VifRecord Parse(string reference, JsonElement r) => new(reference, r.Str("uuid"), r.Str("device"), r.Str("network"),
        r.Int("MTU"), r.Str("MAC"), r.Map("other_config"));
}

/// <summary>Reading XAPI record fields; int64s arrive as JSON numbers or as strings (XML-RPC's habit), both are read.</summary>
internal static class RecordFields
{
    public const string Null = "OpaqueRef:NULL";

    public static string Str(this JsonElement r, string key) =>
        r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    public static bool Bool(this JsonElement r, string key) =>
        r.TryGetProperty(key, out var v) && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString() == "true"));

    public static long Int(this JsonElement r, string key) => !r.TryGetProperty(key, out var v) ? 0 : v.ValueKind switch
    {
        JsonValueKind.Number => v.GetInt64(),
        JsonValueKind.String => long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0,
        _ => 0,
    };

    public static IReadOnlyList<string> Refs(this JsonElement r, string key) =>
        r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetString()!).ToList() : [];

    public static IReadOnlyDictionary<string, string> Map(this JsonElement r, string key) =>
        r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object
            ? v.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())
            : new Dictionary<string, string>();
}
