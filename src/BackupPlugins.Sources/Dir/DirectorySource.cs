// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Dir;

/// <summary><c>source=dir</c>: a directory tree on the host, file by file.</summary>
public sealed class DirectorySource : ISourceFactory
{
    public string Name => "dir";
    public string Description => "a directory tree on this host, backed up and restored file by file";
    public IReadOnlyList<OptionSpec> Options => DirectoryOptions.Specs;

    public ISourceDriver Create(PluginDefinition options, JobContext context) =>
        new DirectoryDriver(DirectoryOptions.Read(options), context);
}
