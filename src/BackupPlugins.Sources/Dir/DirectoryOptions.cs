// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Dir;

/// <summary>Typed options of <c>source=dir</c>.</summary>
public sealed record DirectoryOptions(
    string Path, IReadOnlyList<string> Exclude, string? Blocker, string? LockFile, TimeSpan LockTimeout, DataDelivery DataPath)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("path", "absolute path of the directory tree to back up", Required: true),
        new("exclude", "comma-separated globs; a leading / anchors at path, otherwise they match at any depth"),
        new("blocker", "glob relative to path: if anything matches when the job starts, the job fails"),
        new("lockfile", "absolute host path locked exclusively for the whole job"),
        new("lock_timeout", "seconds to wait for lockfile before failing", Default: "60"),
        new("datapath", "how file data reaches the file daemon: path (the shim opens the file) or socket (the host streams it)", Default: "path"),
    ];

    private static readonly Dictionary<string, DataDelivery> DataPaths = new()
    {
        ["path"] = DataDelivery.Path,
        ["socket"] = DataDelivery.Socket,
    };

    public static DirectoryOptions Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "dir", Specs);
        var options = new DirectoryOptions(
            Path: reader.AbsolutePath("path").TrimEnd('/') is { Length: > 0 } p ? p : "/",
            Exclude: reader.List("exclude"),
            Blocker: reader.String("blocker"),
            LockFile: reader.OptionalAbsolutePath("lockfile"),
            LockTimeout: TimeSpan.FromSeconds(reader.Int("lock_timeout", 0, 86400)),
            DataPath: reader.Choice("datapath", DataPaths));
        reader.ThrowIfInvalid();
        return options;
    }
}
