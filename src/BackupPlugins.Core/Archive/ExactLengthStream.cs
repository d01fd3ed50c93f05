// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Archive;

/// <summary>
/// A forward-only stream of a known length over one that is not seekable (a data socket), so that a tar writer can
/// state the size in the header before the data. Ending early, or holding more than the length, is an error: an
/// archive member must never be silently short or cut.
/// </summary>
public sealed class ExactLengthStream(Stream inner, long length, string name) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true; // Length and Position only; TarWriter reads it from the start, once
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position
    {
        get => _position;
        set
        {
            if (value != _position)
            {
                throw new NotSupportedException("a data stream is read once, from its start");
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position == length)
        {
            return CheckEnd(inner.Read(new byte[1]));
        }
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - _position)]);
        return Advance(n);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == length)
        {
            return CheckEnd(await inner.ReadAsync(new byte[1], cancellationToken));
        }
        var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - _position)], cancellationToken);
        return Advance(n);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Advance(int n)
    {
        if (n == 0)
        {
            throw new IOException($"{name}: its data ended after {_position} of {length} bytes");
        }
        _position += n;
        return n;
    }

    private int CheckEnd(int extra) => extra == 0 ? 0
        : throw new IOException($"{name}: it holds more than the {length} bytes its size says (it changed while it was read)");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
