// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Cli.Commands;

/// <summary>
/// A duplex stream that reads its inner stream in large blocks and hands them out in whatever sizes the caller asks
/// for; writes pass straight through. The HTTP/2 client reads a frame or two at a time (about 16 KiB): on a bulk
/// download that is a system call per frame, and they, not the copying, cost half the throughput.
/// </summary>
internal sealed class ReadAheadStream(Stream inner, int blockSize) : Stream
{
    private readonly byte[] _block = new byte[blockSize];
    private int _start;
    private int _end;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_start == _end)
        {
            if (buffer.Length >= _block.Length)
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            _start = 0;
            _end = await inner.ReadAsync(_block, cancellationToken);
        }
        return Take(buffer.Span);
    }

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_start == _end)
        {
            if (buffer.Length >= _block.Length)
            {
                return inner.Read(buffer);
            }
            _start = 0;
            _end = inner.Read(_block);
        }
        return Take(buffer);
    }

    private int Take(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _end - _start);
        _block.AsSpan(_start, n).CopyTo(buffer);
        _start += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return inner.DisposeAsync();
    }
}
