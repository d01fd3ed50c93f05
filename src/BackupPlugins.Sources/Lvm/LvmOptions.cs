// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;
using BackupPlugins.Core.Options;

namespace BackupPlugins.Sources.Lvm;

/// <summary>Typed options of <c>source=lvm</c>.</summary>
public sealed partial record LvmOptions(
    string Vg, string Lv, string SnapshotSize, IReadOnlyList<string> Subdirs, IReadOnlyList<string> Bind, IReadOnlyList<string> Exclude,
    string? Blocker, string? LockFile, TimeSpan LockTimeout, int FillLimit)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("vg", "the volume group of the logical volume"),
        new("lv", "the logical volume to back up (with vg=)"),
        new("device", "the logical volume as /dev/VG/LV (instead of vg= and lv=)"),
        new("snapshot_size", "the snapshot's copy-on-write space, as lvcreate takes it: a size (2G, 500M) or N%ORIGIN, N%FREE, N%VG",
            Default: "20%ORIGIN"),
        new("subdirs", "comma-separated paths relative to the volume's root: back up only these trees (the seed's [backup] subdirs)"),
        new("bind", "comma-separated absolute paths of this machine bind-mounted read-only into the snapshot's view at the same " +
                    "place (the seed's [bindmounts] equals, e.g. /boot)"),
        new("exclude", "comma-separated globs relative to the volume's root; a leading / anchors at it, otherwise they match at any depth"),
        new("blocker", "glob relative to the volume's root, looked for in the snapshot: if anything matches, the job fails"),
        new("lockfile", "absolute host path locked exclusively for the whole job"),
        new("lock_timeout", "seconds to wait for lockfile before failing", Default: "60"),
        new("fill_limit", "percent of the snapshot's space in use above which the job log is warned (it fails when the snapshot overflows)",
            Default: "90"),
    ];

    public static LvmOptions Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "lvm", Specs);
        var (vg, lv) = (reader.String("vg"), reader.String("lv"));
        if (reader.String("device") is { } device)
        {
            if (vg is not null || lv is not null)
            {
                reader.Problem("give either device=/dev/VG/LV or vg= and lv=, not both");
            }
            else if (DevicePath().Match(device) is { Success: true } m)
            {
                (vg, lv) = (m.Groups[1].Value, m.Groups[2].Value);
            }
            else
            {
                reader.Problem($"option \"device\" must be /dev/VG/LV, got \"{device}\"");
            }
        }
        else if (vg is null || lv is null)
        {
            reader.Problem("option \"vg\" and option \"lv\" (or device=/dev/VG/LV) are required for source=lvm: the logical volume to back up");
        }
        foreach (var (name, value) in new[] { ("vg", vg), ("lv", lv) })
        {
            if (value is not null && !LvmName().IsMatch(value))
            {
                reader.Problem($"option \"{name}\" is not an LVM name (letters, digits, + _ . -, not starting with -), got \"{value}\"");
            }
        }
        var size = reader.String("snapshot_size")!;
        if (!LvmTool.IsSize(size))
        {
            reader.Problem($"option \"snapshot_size\" must be a size such as 2G or 500M, or N%ORIGIN, N%FREE, N%VG, got \"{size}\"");
        }
        var subdirs = reader.List("subdirs").Select(s => s.Trim('/')).ToList();
        foreach (var subdir in subdirs.Where(s => s.Length == 0 || s.Split('/').Any(part => part is "." or "..")))
        {
            reader.Problem($"option \"subdirs\" holds \"{subdir}\": each must be a path inside the volume, without . or ..");
        }
        var bind = reader.List("bind");
        foreach (var path in bind.Where(p => !p.StartsWith('/') || p.TrimEnd('/').Length == 0 || p.Split('/').Any(part => part is "." or "..")))
        {
            reader.Problem($"option \"bind\" holds \"{path}\": each must be an absolute path other than /, without . or ..");
        }
        var options = new LvmOptions(vg ?? "", lv ?? "", size, subdirs, bind.Select(p => p.TrimEnd('/')).ToList(), reader.List("exclude"),
            reader.String("blocker"), reader.OptionalAbsolutePath("lockfile"), TimeSpan.FromSeconds(reader.Int("lock_timeout", 0, 86400)),
            reader.Int("fill_limit", 1, 100));
        reader.ThrowIfInvalid();
        return options;
    }

    [GeneratedRegex("^/dev/([^/]+)/([^/]+)$")]
    private static partial Regex DevicePath();

    [GeneratedRegex("^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")]
    private static partial Regex LvmName();
}
