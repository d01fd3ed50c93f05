// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;

namespace BackupPlugins.Sources.Parallels;

/// <summary>How a running VM's bundle is made consistent for <c>source=parallels</c>.</summary>
public enum Consistency
{
    /// <summary>Suspend, reflink-clone the bundle, resume at once; Bareos reads the clone.</summary>
    SuspendClone,
    /// <summary>Suspend for the whole job; Bareos reads the bundle itself (file systems without reflinks).</summary>
    Suspend,
    /// <summary>A prlctl snapshot while the VM runs; deleted (merged) when the job ends.</summary>
    Snapshot,
}

public enum ParallelsRestoreMode { Files, Vm }

/// <summary>Typed options of <c>source=parallels</c>.</summary>
public sealed record ParallelsOptions(
    string? Vm, string? LockFile, TimeSpan LockTimeout, IReadOnlyList<string> Exclude, Consistency Consistency, ParallelsRestoreMode Restore)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("vm", "the virtual machine to back up, by name or UUID (restore=files in place: the stopped VM whose bundle is written)"),
        new("lockfile", "absolute host path locked exclusively for the whole job"),
        new("lock_timeout", "seconds to wait for lockfile before failing", Default: "60"),
        new("exclude", "comma-separated globs inside the bundle; a leading / anchors at the bundle, otherwise they match at any depth"),
        new("consistency", "suspend-clone (suspend, reflink clone, resume: suspended for seconds), suspend (suspended while Bareos " +
            "reads, for file systems without reflinks) or snapshot (prlctl snapshot while it runs, deleted at the end)", Default: "suspend-clone"),
        new("restore", "files (the bundle's files into where, as dir) or vm (the bundle restored and registered with prlctl)", Default: "files"),
    ];

    private static readonly Dictionary<string, Consistency> Consistencies = new()
    {
        ["suspend-clone"] = Consistency.SuspendClone,
        ["suspend"] = Consistency.Suspend,
        ["snapshot"] = Consistency.Snapshot,
    };

    private static readonly Dictionary<string, ParallelsRestoreMode> Modes = new()
    {
        ["files"] = ParallelsRestoreMode.Files,
        ["vm"] = ParallelsRestoreMode.Vm,
    };

    public static ParallelsOptions Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "parallels", Specs);
        var options = new ParallelsOptions(
            Vm: reader.String("vm"),
            LockFile: reader.OptionalAbsolutePath("lockfile"),
            LockTimeout: TimeSpan.FromSeconds(reader.Int("lock_timeout", 0, 86400)),
            Exclude: reader.List("exclude"),
            Consistency: reader.Choice("consistency", Consistencies),
            Restore: reader.Choice("restore", Modes));
        reader.ThrowIfInvalid();
        return options;
    }
}
