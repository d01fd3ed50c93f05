// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Lvm;

/// <summary>A logical volume as <c>lvs</c> reports it with explicit columns.</summary>
public sealed record LogicalVolume(string Name, string VolumeGroup, string Attributes, string Origin, double? SnapPercent, long Size,
    string Uuid)
{
    /// <summary>lv_attr's first character: <c>s</c> a snapshot, <c>o</c> an origin.</summary>
    public bool IsSnapshot => Attributes.Length > 0 && Attributes[0] is 's' or 'S';

    /// <summary>lv_attr's fifth character <c>I</c>: the snapshot overflowed and is invalid.</summary>
    public bool IsInvalid => Attributes.Length > 4 && Attributes[4] == 'I';
}

/// <summary>
/// The LVM and mount commands BackupPlugins runs, as argv through the one runner. <c>lvs</c> is always asked for
/// named columns with a separator and byte units (never its default layout, which changed between LVM versions and
/// broke the seed); "Failed to find logical volume" makes a lookup null, any other failure is the command's.
/// </summary>
public sealed partial class LvmTool(IToolRunner runner, LvmSettings settings, string? session = null)
{
    private const string Columns = "lv_name,vg_name,lv_attr,origin,snap_percent,lv_size,lv_uuid";

    /// <summary>The volume <c>vg/lv</c>, or null when LVM says it does not exist (the volume group too).</summary>
    public async Task<LogicalVolume?> FindAsync(string vg, string lv, CancellationToken cancellationToken)
    {
        var command = Command([settings.Lvs, "--noheadings", "--separator", ",", "--units", "b", "--nosuffix", "-o", Columns, $"{vg}/{lv}"])
            with { SuccessCodes = [0, 5] };
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            return result.StandardErrorTail.Contains("Failed to find logical volume", StringComparison.Ordinal)
                   || result.StandardErrorTail.Contains($"Volume group \"{vg}\" not found", StringComparison.Ordinal)
                ? null
                : throw new ToolFailedException(command, $"exit code {result.ExitCode}", result);
        }
        return ToolOutput.Parse(command, result, output => Parse(output).Single());
    }

    /// <summary><c>lvcreate --snapshot --name NAME (--size S | --extents N%ORIGIN) VG/LV</c>.</summary>
    public Task CreateSnapshotAsync(string vg, string origin, string name, string size, CancellationToken cancellationToken) =>
        runner.RunAsync(Command([settings.Lvcreate, "--snapshot", "--name", name, .. SizeArguments(size), $"{vg}/{origin}"]), cancellationToken);

    public Task RemoveAsync(string vg, string lv, CancellationToken cancellationToken) =>
        runner.RunAsync(Command([settings.Lvremove, "--force", $"{vg}/{lv}"]), cancellationToken);

    public Task MountAsync(string device, string mountPoint, string options, CancellationToken cancellationToken) =>
        runner.RunAsync(Command([settings.Mount, "-o", options, device, mountPoint]), cancellationToken);

    /// <summary>A bind mount of <paramref name="source"/> made read-only (two steps: the kernel ignores ro on the first).</summary>
    public async Task BindReadOnlyAsync(string source, string target, CancellationToken cancellationToken)
    {
        await runner.RunAsync(Command([settings.Mount, "--bind", source, target]), cancellationToken);
        await runner.RunAsync(Command([settings.Mount, "-o", "remount,bind,ro", target]), cancellationToken);
    }

    public Task UnmountAsync(string mountPoint, CancellationToken cancellationToken) =>
        runner.RunAsync(Command([settings.Umount, mountPoint]), cancellationToken);

    /// <summary>The device of <c>vg/lv</c> under the device root (<c>/dev/vg/lv</c>).</summary>
    public string Device(string vg, string lv) => Path.Combine(settings.DeviceRoot, vg, lv);

    /// <summary>A size lvcreate takes: <c>2G</c>, <c>500m</c>, <c>1.5T</c>, or <c>N%ORIGIN</c>, <c>N%FREE</c>, <c>N%VG</c>, <c>N%PVS</c>.</summary>
    public static bool IsSize(string size) => SizePattern().IsMatch(size);

    [System.Text.RegularExpressions.GeneratedRegex(@"^([0-9]+(\.[0-9]+)?[bBsSkKmMgGtTpPeE]?|[0-9]+%(ORIGIN|FREE|VG|PVS))$")]
    private static partial System.Text.RegularExpressions.Regex SizePattern();

    /// <summary><c>--size 2G</c>, or <c>--extents 20%ORIGIN</c> for the <c>%</c> forms (<c>%ORIGIN</c>, <c>%FREE</c>, <c>%VG</c>).</summary>
    public static string[] SizeArguments(string size) => size.Contains('%', StringComparison.Ordinal) ? ["--extents", size] : ["--size", size];

    /// <summary>Rows of <see cref="Columns"/> (leading blanks trimmed, as lvs indents them).</summary>
    public static IReadOnlyList<LogicalVolume> Parse(string output)
    {
        var volumes = new List<LogicalVolume>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Trim().Split(',');
            if (f.Length != 7)
            {
                throw new FormatException($"not 7 columns of {Columns}: \"{line.Trim()}\"");
            }
            double? percent = f[4].Length == 0 ? null
                : double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) ? p
                : throw new FormatException($"snap_percent \"{f[4]}\" is not a number");
            var size = long.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
                : throw new FormatException($"lv_size \"{f[5]}\" is not a number of bytes");
            volumes.Add(new LogicalVolume(f[0], f[1], f[2], f[3], percent, size, f[6]));
        }
        return volumes;
    }

    private ToolCommand Command(string[] argv) => new(argv) { Session = session, Timeout = TimeSpan.FromSeconds(settings.CommandTimeoutSeconds) };
}
