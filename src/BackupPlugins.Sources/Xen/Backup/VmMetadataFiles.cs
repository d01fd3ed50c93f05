// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>
/// The seed's metadata files beside an export, <c>key=value</c> lines (values as Python 2 printed them: True/False,
/// dicts as their repr), UTF-8 (the seed crashed on non-ASCII labels): <c>vm.cfg</c>; per disk <c>DISK-&lt;device&gt;/</c>
/// with <c>vbd.cfg</c> and <c>vdi.cfg</c> (CD drives skipped; a disk without a device gets a counter, and a warning);
/// <c>VIFs/vif-&lt;device&gt;.cfg</c>. Existing restore procedures read these files.
/// </summary>
public static class VmMetadataFiles
{
    /// <summary>Writes the files into <paramref name="directory"/>; returns the warnings (disks without a device).</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(XenApi api, VmRecord vm, string directory, CancellationToken ct)
    {
        var warnings = new List<string>();
        var osVersion = "";
        if (vm.GuestMetrics is { } metrics && metrics != RecordFields.Null)
        {
            var os = (await api.RecordAsync("VM_guest_metrics", metrics, ct)).Map("os_version");
            osVersion = os.GetValueOrDefault("name", "").Split('|')[0].Split(';')[0];
        }
        var vmLines = new List<(string, string)>
        {
            ("name_label", vm.Name), ("name_description", vm.Description), ("memory_dynamic_max", Num(vm.MemoryDynamicMax)),
            ("VCPUs_max", Num(vm.VcpusMax)), ("VCPUs_at_startup", Num(vm.VcpusAtStartup)),
        };
        if (vm.OtherConfig.TryGetValue("base_template_name", out var template))
        {
            vmLines.Add(("base_template_name", template));
        }
        vmLines.Add(("os_version", osVersion));
        vmLines.Add(("orig_uuid", vm.Uuid));
        await Write(Path.Combine(directory, "vm.cfg"), vmLines, ct);
        var counter = 0;
        foreach (var (vbd, vdi) in await api.DisksAsync(vm, ct))
        {
            var device = vbd.Device;
            if (device.Length == 0)
            {
                device = (counter++).ToString(CultureInfo.InvariantCulture);
                warnings.Add($"disk {vdi.Name} ({vdi.Uuid}) of {vm.Name} has no device name: written as DISK-{device}");
            }
            var disk = Path.Combine(directory, "DISK-" + device);
            Directory.CreateDirectory(disk);
            await Write(Path.Combine(disk, "vbd.cfg"),
            [
                ("userdevice", vbd.UserDevice), ("bootable", Py(vbd.Bootable)), ("mode", vbd.Mode), ("type", vbd.Type),
                ("unpluggable", Py(vbd.Unpluggable)), ("empty", Py(vbd.Empty)), ("orig_uuid", vbd.Uuid),
            ], ct);
            var sr = (await api.RecordAsync("SR", vdi.Sr, ct)).Str("uuid");
            await Write(Path.Combine(disk, "vdi.cfg"),
            [
                ("name_label", vdi.Name), ("name_description", vdi.Description), ("virtual_size", Num(vdi.VirtualSize)), ("type", vdi.Type),
                ("sharable", Py(vdi.Sharable)), ("read_only", Py(vdi.ReadOnly)), ("orig_uuid", vdi.Uuid), ("orig_sr_uuid", sr),
            ], ct);
        }
        if (vm.Vifs.Count > 0)
        {
            Directory.CreateDirectory(Path.Combine(directory, "VIFs"));
        }
        foreach (var reference in vm.Vifs)
        {
            var vif = await api.VifAsync(reference, ct);
            var network = (await api.RecordAsync("network", vif.Network, ct)).Str("name_label");
            await Write(Path.Combine(directory, "VIFs", $"vif-{vif.Device}.cfg"),
            [
                ("device", vif.Device), ("network_name_label", network), ("MTU", Num(vif.Mtu)), ("MAC", vif.Mac),
                ("other_config", Repr(vif.OtherConfig)), ("orig_uuid", vif.Uuid),
            ], ct);
        }
        return warnings;
    }

    private static Task Write(string path, IEnumerable<(string Key, string Value)> lines, CancellationToken ct) =>
        File.WriteAllTextAsync(path, string.Concat(lines.Select(l => $"{l.Key}={l.Value}\n")), new UTF8Encoding(false), ct);

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Py(bool b) => b ? "True" : "False";

    /// <summary>A string map as Python prints a dict of strings: <c>{'k': 'v'}</c>.</summary>
    internal static string Repr(IReadOnlyDictionary<string, string> map) =>
        "{" + string.Join(", ", map.Select(p => $"{Quote(p.Key)}: {Quote(p.Value)}")) + "}";

    private static string Quote(string s) => "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
