// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;

namespace BackupPlugins.Sources.Xen;

public enum XenMode { VmExport, VdiExport, Metadata }

public enum XenRestoreMode { Import, File }

/// <summary>Typed options of <c>source=xen</c>.</summary>
public sealed record XenOptions(string? Vm, XenMode Mode, string Format, bool Compress, string? LockFile, TimeSpan LockTimeout,
    XenRestoreMode Restore, string? Sr, string? Name)
{
    public static readonly IReadOnlyList<OptionSpec> Specs =
    [
        new("vm", "the VM: its name, its UUID, or a regex as in VmBackup.py (anchored at the start; each VM it selects is one entry)"),
        new("mode", "vm-export (the whole VM as an XVA), vdi-export (the xvda disk, raw or vhd) or metadata (the VM's definition alone, no disk data)", Default: "vm-export"),
        new("format", "vdi-export: raw or vhd", Default: "raw"),
        new("compress", "vm-export: let XAPI gzip the XVA (true|false)", Default: "false"),
        new("lockfile", "absolute host path locked exclusively for the whole job"),
        new("lock_timeout", "seconds to wait for lockfile before failing", Default: "60"),
        new("restore", "import (a new VM through XAPI, never over an existing one) or file (the export written into where as a file)", Default: "import"),
        new("sr", "restore=import: the UUID of the SR the disks go to (default: the pool's default SR)"),
        new("name", "restore=import: the new VM's name (default: <vm>-restored-<date>)"),
    ];

    private static readonly Dictionary<string, XenMode> Modes = new()
    {
        ["vm-export"] = XenMode.VmExport, ["vdi-export"] = XenMode.VdiExport, ["metadata"] = XenMode.Metadata,
    };
    private static readonly Dictionary<string, string> Formats = new() { ["raw"] = "raw", ["vhd"] = "vhd" };
    private static readonly Dictionary<string, bool> Booleans = new() { ["true"] = true, ["false"] = false, ["yes"] = true, ["no"] = false };
    private static readonly Dictionary<string, XenRestoreMode> Restores = new() { ["import"] = XenRestoreMode.Import, ["file"] = XenRestoreMode.File };

    public static XenOptions Read(PluginDefinition definition)
    {
        var reader = new OptionReader(definition, "xen", Specs);
        var options = new XenOptions(
            Vm: reader.String("vm"),
            Mode: reader.Choice("mode", Modes),
            Format: reader.Choice("format", Formats),
            Compress: reader.Choice("compress", Booleans),
            LockFile: reader.OptionalAbsolutePath("lockfile"),
            LockTimeout: TimeSpan.FromSeconds(reader.Int("lock_timeout", 0, 86400)),
            Restore: reader.Choice("restore", Restores),
            Sr: reader.String("sr"),
            Name: reader.String("name"));
        reader.ThrowIfInvalid();
        return options;
    }
}
