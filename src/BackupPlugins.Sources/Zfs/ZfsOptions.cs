// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;

namespace BackupPlugins.Sources.Zfs;

public enum ZfsMode { Files, Stream }

/// <summary>Typed options of <c>source=zfs</c>.</summary>
public sealed record ZfsOptions(string Dataset, ZfsMode Mode, string? Target, IReadOnlyList<string> Exclude)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("dataset", "the dataset to back up, e.g. tank/data", Required: true),
        new("mode", "stream: one zfs send stream per job (Full, Incremental, Differential); files: files from a snapshot", Default: "stream"),
        new("target", "restore: the dataset to receive into (default: the original; refused if it exists unless replace=always)"),
        new("exclude", "mode=files: comma-separated globs; a leading / anchors at the dataset's mountpoint"),
    ];

    private static readonly Dictionary<string, ZfsMode> Modes = new() { ["stream"] = ZfsMode.Stream, ["files"] = ZfsMode.Files };

    public static ZfsOptions Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "zfs", Specs);
        var dataset = reader.String("dataset") ?? "";
        var options = new ZfsOptions(dataset.Trim('/'), reader.Choice("mode", Modes), reader.String("target")?.Trim('/'), reader.List("exclude"));
        if (dataset.Contains('@'))
        {
            reader.Problem($"option \"dataset\" names a dataset, not a snapshot: got \"{dataset}\"");
        }
        reader.ThrowIfInvalid();
        return options;
    }
}
