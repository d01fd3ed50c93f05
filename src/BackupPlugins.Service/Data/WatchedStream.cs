// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Service.Data;

/// <summary>
/// A data connection's stream that counts the bytes moved (written on backup, read on restore) and cancels the
/// transfer when none move for a while. On a backup connection whose reader takes descriptors, the first write is
/// preceded by the one-byte header <c>'S'</c> (<see cref="WriteHeaderAsync"/>; not counted).
/// </summary>
internal sealed class WatchedStream : Stream
{
    private readonly Stream _inner;
    private readonly CancellationTokenSource _cancel;
    private readonly Timer _watchdog;
    private readonly TimeSpan _stall;
    private long _written;
    private long _lastProgress;
    private long _progressAtLastCheck = -1;
    private bool _headerPending;

    public WatchedStream(Stream inner, TimeSpan stall, CancellationTokenSource cancel, bool header = false)
    {
        _inner = inner;
        _cancel = cancel;
        _stall = stall;
        _headerPending = header;
        _watchdog = new Timer(Check, null, stall, stall);
    }

    /// <summary>The header this connection's reader expects first.</summary>
    public const byte StreamHeader = (byte)'S';

    /// <summary>Sends the header <c>'S'</c> if it is still due (before the first byte, or at the end of an empty entry).</summary>
    public async ValueTask WriteHeaderAsync(CancellationToken cancellationToken)
    {
        if (_headerPending)
        {
            _headerPending = false;
            await _inner.WriteAsync(new[] { StreamHeader }, cancellationToken);
        }
    }

    /// <summary>
    /// The entry went to the reader as a descriptor: no header, no bytes through this stream, and so no stall
    /// watch either (the file daemon reads at its own pace; the command's end still decides whether it was whole).
    /// </summary>
    public bool TakeHeaderForDescriptor()
    {
        var pending = _headerPending;
        _headerPending = false;
        _watchdog.Change(Timeout.Infinite, Timeout.Infinite);
        return pending;
    }

    public long Written => Interlocked.Read(ref _written);
    public bool Stalled { get; private set; }

    private void Check(object? state)
    {
        var progress = Interlocked.Read(ref _lastProgress);
        if (progress == _progressAtLastCheck)
        {
            Stalled = true;
            _cancel.Cancel();
        }
        _progressAtLastCheck = progress;
    }

    /// <summary>Counts bytes sent past this stream (sendfile).</summary>
    public void Advance(long n)
    {
        Interlocked.Add(ref _written, n);
        Interlocked.Increment(ref _lastProgress);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await WriteHeaderAsync(cancellationToken);
        await _inner.WriteAsync(buffer, cancellationToken);
        Interlocked.Add(ref _written, buffer.Length);
        Interlocked.Increment(ref _lastProgress);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _inner.ReadAsync(buffer, cancellationToken);
        Advance(n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
    public override void Flush() => _inner.Flush();
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await _watchdog.DisposeAsync();
        await _inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
