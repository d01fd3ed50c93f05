// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Archive;

/// <summary>
/// A forward-only stream of exactly the length a tar header states before the data. Over a data socket (no
/// <paramref name="changed"/>) ending early or holding more is an error: the stream was not whole. Over a local file
/// that changes while it is read, it does what tar does — stores the stated length, padded with zeros or cut — and
/// says so through <paramref name="changed"/>; the archive stays readable either way.
/// </summary>
public sealed class ExactLengthStream(Stream inner, long length, string name, Action<string>? changed = null) : Stream
{
    private long _position;
    private bool _padding;

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
        var want = (int)Math.Min(buffer.Length, length - _position);
        return _padding ? Pad(buffer[..want]) : Advance(inner.Read(buffer[..want]), buffer[..want]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == length)
        {
            return CheckEnd(await inner.ReadAsync(new byte[1], cancellationToken));
        }
        var want = (int)Math.Min(buffer.Length, length - _position);
        return _padding ? Pad(buffer.Span[..want]) : Advance(await inner.ReadAsync(buffer[..want], cancellationToken), buffer.Span[..want]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Advance(int n, Span<byte> buffer)
    {
        if (n == 0)
        {
            if (changed is null)
            {
                throw new IOException($"{name}: its data ended after {_position} of {length} bytes");
            }
            changed($"{name}: it shrank while it was read; stored with zeros after byte {_position} of {length}");
            _padding = true;
            return Pad(buffer);
        }
        _position += n;
        return n;
    }

    private int Pad(Span<byte> buffer)
    {
        buffer.Clear();
        _position += buffer.Length;
        return buffer.Length;
    }

    private int CheckEnd(int extra)
    {
        if (extra == 0 || _padding)
        {
            return 0;
        }
        if (changed is null)
        {
            throw new IOException($"{name}: it holds more than the {length} bytes its size says (it changed while it was read)");
        }
        changed($"{name}: it grew while it was read; stored as its first {length} bytes");
        return 0;
    }

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
