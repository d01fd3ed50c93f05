// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Archive;

/// <summary>
/// Where <see cref="PaxArchiveReader"/> puts the members of an archive: the restore side of a source, asked for each
/// member as a file daemon asks a plugin (create, data, metadata after the data).
/// </summary>
public interface IExtractTarget
{
    /// <summary>Creates the member or says where its data goes (refusing names outside the target).</summary>
    ValueTask<CreateResult> CreateAsync(RestoreItem item, CancellationToken cancellationToken);

    /// <summary>For a <see cref="DataDelivery.Socket"/> result: the stream the data is written into; disposing it confirms the data arrived whole.</summary>
    ValueTask<Stream> OpenDataAsync(RestoreItem item, CancellationToken cancellationToken);

    /// <summary>Applies owner, mode, xattrs, ACLs and times once the data is written.</summary>
    ValueTask FinishAsync(RestoreItem item, RestoreMetadata metadata, CancellationToken cancellationToken);
}

/// <summary>Extraction on this machine through a <see cref="TreeRestorer"/>.</summary>
public sealed class LocalExtractTarget(TreeRestorer restorer) : IExtractTarget
{
    public TreeRestorer Restorer => restorer;

    public ValueTask<CreateResult> CreateAsync(RestoreItem item, CancellationToken cancellationToken) => ValueTask.FromResult(restorer.Create(item));

    public ValueTask<Stream> OpenDataAsync(RestoreItem item, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a local extraction writes files, not streams");

    public ValueTask FinishAsync(RestoreItem item, RestoreMetadata metadata, CancellationToken cancellationToken)
    {
        restorer.Finish(item, metadata);
        return ValueTask.CompletedTask;
    }
}
