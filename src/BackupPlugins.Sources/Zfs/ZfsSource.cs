// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Zfs;

/// <summary><c>source=zfs</c>: a ZFS dataset as zfs send streams (Full, Incremental, Differential), received back on restore.</summary>
public sealed class ZfsSource(ZfsSettings settings) : ISourceFactory
{
    public string Name => "zfs";
    public string Description => "a ZFS dataset: mode=stream stores zfs send streams (Full/Incremental/Differential) and restores them with zfs receive";
    public IReadOnlyList<OptionSpec> Options => ZfsOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context)
    {
        var read = ZfsOptions.Read(options);
        if (read.Mode == ZfsMode.Files)
        {
            throw BackupPluginException.BadOption("zfs.mode",
                "mode=files is not available yet: back up the dataset with mode=stream, or its mounted files with source=dir");
        }
        return new ZfsStreamDriver(new ZfsTool(context.Tools, settings.Zfs, settings.Zpool, context.Session), read, context);
    }
}
