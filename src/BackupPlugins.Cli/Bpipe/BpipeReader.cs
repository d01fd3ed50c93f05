// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// bpipe's reader: one backup job on the host, its entries written to standard output as a pax archive (every
/// source), or — <c>--format raw</c> — the data of its single entry as it is (zfs mode=stream: the send stream).
/// </summary>
internal static class BpipeReader
{
    public static async Task WritePaxAsync(BackupSession session, Stream output, Reporter report, CancellationToken cancellationToken)
    {
        await using var archive = new PaxArchiveWriter(output, "/"u8.ToArray(), report.Error);
        await foreach (var (file, item) in session.EntriesAsync(cancellationToken))
        {
            if (item.Error is not null)
            {
                report.Error($"{PosixPath.Display(item.Name)}: {item.Error}; not in the archive");
                continue;
            }
            await archive.WriteAsync(item, item.Data == DataDelivery.Socket ? ct => session.OpenDataAsync(file!, ct) : null, cancellationToken);
        }
        await archive.CompleteAsync(cancellationToken); // only now: a failure above leaves the archive visibly cut
    }

    public static async Task WriteRawAsync(BackupSession session, Stream output, CancellationToken cancellationToken)
    {
        string? written = null;
        await foreach (var (file, item) in session.EntriesAsync(cancellationToken))
        {
            if (item.Error is not null)
            {
                throw new IOException($"{PosixPath.Display(item.Name)}: {item.Error}");
            }
            if (written is not null || item.Kind != EntryKind.Regular || item.Data == DataDelivery.None)
            {
                throw new IOException("--format raw needs a source that yields a single stream (such as zfs mode=stream); this one " +
                    $"yields entries such as {PosixPath.Display(item.Name)}: use --format pax");
            }
            written = PosixPath.Display(item.Name);
            await using var data = item.Data == DataDelivery.Socket
                ? await session.OpenDataAsync(file!, cancellationToken)
                : new FileStream(FileSystem.OpenRead(item.OpenPath ?? item.Name), FileAccess.Read, 1 << 20);
            await data.CopyToAsync(output, 1 << 20, cancellationToken);
        }
        if (written is null)
        {
            throw new IOException("the source handed out nothing to write");
        }
    }
}
