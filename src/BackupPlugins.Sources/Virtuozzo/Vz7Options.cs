// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;
using BackupPlugins.Core.Options;

namespace BackupPlugins.Sources.Virtuozzo;

public enum Vz7RestoreMode { Container, Files }

/// <summary>Typed options of <c>source=vz7</c>: the seed plugin's names and defaults, plus lock_timeout.</summary>
public sealed partial record Vz7Options(
    string? Name, string? Uuid, string? Blocker, string? LockFile, TimeSpan LockTimeout, IReadOnlyList<string> Exclude,
    Vz7RestoreMode Restore, int DiskGiB)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("name", "the container's name (backup, restore=files; restore=ct: the new container's name)"),
        new("uuid", "the container's UUID (backup, restore=files; restore=ct: the new container's UUID)"),
        new("blocker", "glob relative to the running container's root: if anything matches, the job fails before any snapshot"),
        new("lockfile", "absolute host path locked exclusively for the whole job (also keeps pcompact and friends out)"),
        new("lock_timeout", "seconds to wait for lockfile before failing", Default: "60"),
        new("excluded_backup_paths", "comma-separated paths inside the container, each taken from the container's root with or without " +
            "a leading / (as the seed plugin did: var/tmp is /var/tmp, never home/x/var/tmp); globs allowed inside a path: /var/log/*.gz"),
        new("restore", "ct (a whole new container from the backup) or files (into the running container)", Default: "ct"),
        new("disk", "restore=ct: size of the new ploop image in GiB", Default: "50"),
        new("diskspace", "the seed plugin's name for disk"),
    ];

    private static readonly Dictionary<string, Vz7RestoreMode> Modes = new()
    {
        ["ct"] = Vz7RestoreMode.Container,
        ["files"] = Vz7RestoreMode.Files,
        ["file"] = Vz7RestoreMode.Files,
    };

    public static Vz7Options Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "vz7", Specs);
        var uuid = reader.String("uuid")?.Trim('{', '}').ToLowerInvariant();
        var disk = definition.Contains("diskspace") && !definition.Contains("disk") ? "diskspace" : "disk";
        var options = new Vz7Options(
            Name: reader.String("name"),
            Uuid: uuid,
            Blocker: reader.String("blocker"),
            LockFile: reader.OptionalAbsolutePath("lockfile"),
            LockTimeout: TimeSpan.FromSeconds(reader.Int("lock_timeout", 0, 86400)),
            Exclude: Anchored(reader.List("excluded_backup_paths")),
            Restore: reader.Choice("restore", Modes),
            DiskGiB: reader.Int(disk, 1, 1 << 20));
        if (uuid is not null && !UuidPattern().IsMatch(uuid))
        {
            reader.Problem($"option \"uuid\" must be a container UUID such as 2d109ae4-5231-475f-bc44-5cabf5d8503b, got \"{uuid}\"");
        }
        reader.ThrowIfInvalid();
        return options;
    }

    /// <summary>
    /// The seed plugin joined every entry onto the container's root (single quotes removed, leading '/' stripped) and
    /// pruned exactly that path; so does this, as patterns anchored at the root (<see cref="Core.Trees.PathFilter"/>).
    /// </summary>
    private static IReadOnlyList<string> Anchored(IReadOnlyList<string> entries) =>
        entries.Select(e => "/" + e.Replace("'", "", StringComparison.Ordinal).Trim().TrimStart('/')).Where(e => e.Length > 1).ToList();

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    public static partial Regex UuidPattern();
}
