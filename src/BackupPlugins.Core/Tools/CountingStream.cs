// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;

namespace BackupPlugins.Core.Tools;

/// <summary>
/// A write-only stream that hands every write on to <paramref name="inner"/> (not owned: disposing this leaves it
/// open) and counts the bytes, also into <paramref name="progress"/> when given — a counter per write, no copy.
/// </summary>
public sealed class CountingStream(Stream inner, JobTransfer? progress = null) : Stream
{
    public long Bytes { get; private set; }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Bytes; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Bytes += count;
        progress?.Add(count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Bytes += buffer.Length;
        progress?.Add(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
