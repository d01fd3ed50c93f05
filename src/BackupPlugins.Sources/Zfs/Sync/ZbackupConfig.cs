// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Config;

namespace BackupPlugins.Sources.Zfs.Sync;

/// <summary>One host section: the pool GUID that identifies the machine, its volumes and retention.</summary>
public sealed record ZbackupHost(string Section, string Guid, IReadOnlyList<string> Volumes, int KeepSnapshots);

/// <summary>
/// The seed zbackup's ini file: <c>[DEFAULT] volume=</c> (datasets relative to the pool, one per line),
/// <c>[USB device] partuuid, backup_pool, mount-point, save-last-snapshots, truecrypt</c>, and sections named
/// <c>host…</c> with <c>guid</c>, <c>save-last-snapshots</c> and optionally their own <c>volume</c>.
/// </summary>
public sealed record ZbackupConfig(string Path, string PartUuid, string UsbPool, string MountPoint, int UsbKeepSnapshots,
    bool TrueCrypt, IReadOnlyList<ZbackupHost> Hosts)
{
    public const string UsbSection = "USB device";

    /// <summary>Reads and checks the file; every problem at once, each naming the section and key.</summary>
    public static ZbackupConfig Load(string path)
    {
        var ini = IniFile.Load(path);
        var problems = new List<string>();
        if (!ini.HasSection(UsbSection))
        {
            problems.Add($"section [{UsbSection}] is missing (partuuid, backup_pool, mount-point)");
        }
        var partUuid = ini.Get(UsbSection, "partuuid");
        if (ini.HasSection(UsbSection) && string.IsNullOrWhiteSpace(partUuid))
        {
            problems.Add($"[{UsbSection}] partuuid is missing: the GPT partition UUID of the USB disk (ls -l /dev/disk/by-partuuid)");
        }
        var hosts = new List<ZbackupHost>();
        foreach (var section in ini.Sections.Where(s => s.StartsWith("host", StringComparison.Ordinal)))
        {
            var guid = ini.Get(section, "guid");
            if (string.IsNullOrWhiteSpace(guid))
            {
                problems.Add($"[{section}] guid is missing: the GUID of this host's pool (zpool get guid)");
                continue;
            }
            var volumes = (ini.Get(section, "volume") ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (volumes.Length == 0)
            {
                problems.Add($"[{section}] has no volume (set volume = /data … in [DEFAULT] or in the section)");
            }
            problems.AddRange(volumes.Where(v => !v.StartsWith('/')).Select(v => $"[{section}] volume {v} must start with '/' (it is appended to the pool name)"));
            hosts.Add(new ZbackupHost(section, guid.Trim(), volumes, Keep(ini, section, problems)));
        }
        if (hosts.Count == 0)
        {
            problems.Add("no [host…] section: add one per machine with its pool's guid");
        }
        var trueCrypt = (ini.Get(UsbSection, "truecrypt") ?? "no").Trim().ToLowerInvariant() is "yes" or "true" or "on" or "1";
        var config = new ZbackupConfig(path, partUuid?.Trim() ?? "", ini.Get(UsbSection, "backup_pool")?.Trim() ?? "backup",
            ini.Get(UsbSection, "mount-point")?.Trim() ?? "/backup", ini.HasSection(UsbSection) ? Keep(ini, UsbSection, problems) : 0,
            trueCrypt, hosts);
        return problems.Count == 0 ? config : throw new FormatException($"{path}: {string.Join("; ", problems)}");
    }

    private static int Keep(IniFile ini, string section, List<string> problems)
    {
        var text = ini.Get(section, "save-last-snapshots");
        if (text is null)
        {
            return 0;
        }
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }
        problems.Add($"[{section}] save-last-snapshots must be a whole number (0 keeps all), got \"{text}\"");
        return 0;
    }
}
