// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Lvm;

/// <summary><c>source=lvm</c>: a logical volume's files, read from a snapshot mounted read-only.</summary>
public sealed class LvmSource(Reloadable<LvmSettings> reloadable) : ISourceFactory
{
    public string Name => "lvm";
    public string Description => "an LVM logical volume's files, read from a read-only mounted snapshot and restored file by file";
    public IReadOnlyList<OptionSpec> Options => LvmOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context)
    {
        var settings = reloadable.Current; // the job keeps these to its end, whatever a reload brings
        return new LvmDriver(new LvmTool(context.Tools, settings, context.Session), LvmOptions.Read(options), settings, context);
    }
}
