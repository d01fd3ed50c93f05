// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Config;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Xen;

/// <summary><c>source=xen</c>: XenServer / XCP-ng VMs, their exports streamed straight from XAPI into the file daemon.</summary>
public sealed class XenSource(Reloadable<XenSettings> settings) : ISourceFactory
{
    public string Name => "xen";
    public string Description => "XenServer / XCP-ng VMs: a snapshot's XVA (or its boot disk) streamed from XAPI, no staging space; " +
                                 "restore as a new VM or as a file";
    public IReadOnlyList<OptionSpec> Options => XenOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context) =>
        new XenDriver(settings.Current, XenOptions.Read(options), context);
}
