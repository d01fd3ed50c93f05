// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Sources.Zfs;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// bpipe's writer: one restore job on the host fed from standard input — a pax archive member by member, or a raw
/// zfs send stream (named by its own header, /@zfs/&lt;dataset&gt;@&lt;snapshot&gt;, as a Bareos job names it).
/// </summary>
internal static class BpipeWriter
{
    public static Task ExtractPaxAsync(Stream input, byte[] root, RestoreSession session, CancellationToken cancellationToken) =>
        PaxArchiveReader.ExtractAsync(input, root, session, cancellationToken);

    /// <summary>The start of a raw stream and the snapshot it carries ("pool/ds@snap"), read before the job starts.</summary>
    public static async Task<RawStreamStart> ReadRawHeaderAsync(Stream input, CancellationToken cancellationToken)
    {
        var header = new byte[ZfsStreamHeader.Length];
        var got = await input.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        var (toName, fromGuid) = ZfsStreamHeader.Read(header.AsSpan(0, got));
        return new RawStreamStart(header, toName, fromGuid);
    }

    public static async Task ReceiveRawAsync(RawStreamStart start, Stream input, byte[] root,
        RestoreSession session, CancellationToken cancellationToken)
    {
        var (header, toName, fromGuid) = start;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var stat = new PosixStat(0, 0, PosixStat.Reg | 0x180, 1, 0, 0, 0, 0, now, 0, now, 0, now, 0, 4096, 0);
        var item = new RestoreItem(PosixPath.Join(root, Encoding.UTF8.GetBytes("@zfs/" + toName)), [], EntryKind.Regular, stat, ReplaceMode.Always);
        var created = await session.CreateAsync(item, cancellationToken);
        if (created.Outcome != CreateOutcome.Extract || created.Data != DataDelivery.Socket)
        {
            throw new IOException($"the restore did not take the zfs stream {toName} ({(fromGuid == 0 ? "full" : "incremental")})");
        }
        await using (var sink = await session.OpenDataAsync(item, cancellationToken))
        {
            await sink.WriteAsync(header, cancellationToken);
            await input.CopyToAsync(sink, 1 << 20, cancellationToken);
        }
        await session.FinishAsync(item, new RestoreMetadata([], null, DataOk: true), cancellationToken);
    }
}

/// <summary>The first record of a raw zfs stream, read before the job starts, and the snapshot it carries.</summary>
internal sealed record RawStreamStart(byte[] Header, string ToName, ulong FromGuid);
