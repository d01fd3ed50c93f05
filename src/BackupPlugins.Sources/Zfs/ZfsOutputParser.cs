// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Sources.Zfs;

/// <summary>A snapshot as ZFS identifies it: its GUID survives send/receive, its name and creation order do not have to.</summary>
public sealed record ZfsSnapshot(string Dataset, string Name, ulong Guid, ulong CreateTxg, int UserRefs = 0, long Creation = 0)
{
    public string FullName => $"{Dataset}@{Name}";
}

/// <summary>Pure parsers of zfs/zpool output (tab-separated <c>-H</c> forms where the tool has them).</summary>
public static class ZfsOutputParser
{
    /// <summary>
    /// <c>zfs get -H -p -d 1 -o name,property,value guid,createtxg,userrefs,creation DATASET</c>: the dataset's own snapshots
    /// (not its children's), oldest first by creation transaction.
    /// </summary>
    public static IReadOnlyList<ZfsSnapshot> ParseSnapshots(string output, string dataset)
    {
        var props = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.TrimEnd('\r').Split('\t');
            if (f.Length < 3 || !f[0].StartsWith(dataset + "@", StringComparison.Ordinal))
            {
                continue;
            }
            (props.TryGetValue(f[0], out var p) ? p : props[f[0]] = new(StringComparer.Ordinal))[f[1]] = f[2];
        }
        return props
            .Select(kv => new ZfsSnapshot(dataset, kv.Key[(dataset.Length + 1)..], Number(kv.Value, "guid", kv.Key),
                Number(kv.Value, "createtxg", kv.Key), kv.Value.TryGetValue("userrefs", out var r) && int.TryParse(r, out var n) ? n : 0,
                kv.Value.TryGetValue("creation", out var c) && long.TryParse(c, out var t) ? t : 0))
            .OrderBy(s => s.CreateTxg)
            .ToList();
    }

    private static ulong Number(Dictionary<string, string> props, string name, string snapshot) =>
        props.TryGetValue(name, out var text) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"zfs get gave no numeric {name} for {snapshot}");

    /// <summary>
    /// <c>zpool get guid</c> in either form: the table (NAME PROPERTY VALUE SOURCE; zfs-fuse and old ZFS have no
    /// <c>-H</c>) or <c>-H</c> tab-separated lines. Pool name → GUID.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParsePoolGuids(string output)
    {
        var guids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 3 && f[1] == "guid" && f[0] != "NAME")
            {
                guids[f[0]] = f[2];
            }
            else if (f.Length > 0 && f[0] != "NAME")
            {
                throw new FormatException($"unexpected line in zpool get output: \"{line}\"");
            }
        }
        return guids;
    }

    /// <summary>
    /// <c>zfs get -H -p -o property,value P1,P2 NAME</c>: property → value, or null unless every property asked for
    /// is there.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? ParseProperties(string output, IReadOnlyList<string> properties)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split('\t')).Where(f => f.Length >= 2))
        {
            values[f[0]] = f[1];
        }
        return properties.All(values.ContainsKey) ? values : null;
    }

    /// <summary>
    /// <c>zfs list -H -r -t filesystem -o name,mountpoint DATASET</c>: the dataset and the file systems below it, parents
    /// first. The dataset itself must be there.
    /// </summary>
    public static IReadOnlyList<(string Name, string Mountpoint)> ParseFileSystems(string output, string dataset)
    {
        var rows = new List<(string, string)>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')))
        {
            var f = line.Split('\t');
            rows.Add(f.Length == 2 ? (f[0], f[1]) : throw new FormatException($"unexpected line in zfs list output: \"{line}\""));
        }
        return rows.Count > 0 && rows[0].Item1 == dataset ? rows : throw new FormatException($"no line for {dataset}");
    }

    /// <summary><c>zpool list -H -o name,health</c>: pool name → health (ONLINE, DEGRADED, …).</summary>
    public static IReadOnlyDictionary<string, string> ParsePoolHealth(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('\r').Split('\t') is { Length: 2 } f ? f : throw new FormatException($"unexpected line in zpool list output: \"{l}\""))
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);

    /// <summary>The <c>size</c> line of <c>zfs send -nP</c> (OpenZFS: "size\t12345"), or null.</summary>
    public static long? ParseSendSize(string output) =>
        output.Split('\n').Select(l => l.Split('\t')).Where(f => f.Length >= 2 && f[0] == "size")
            .Select(f => long.TryParse(f[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : (long?)null)
            .LastOrDefault();
}
