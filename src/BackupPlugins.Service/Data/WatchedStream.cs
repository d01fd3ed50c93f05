// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Service.Data;

/// <summary>
/// A data connection's stream that counts the bytes moved (written on backup, read on restore) and cancels the
/// transfer when none move for a while.
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

    public WatchedStream(Stream inner, TimeSpan stall, CancellationTokenSource cancel)
    {
        _inner = inner;
        _cancel = cancel;
        _stall = stall;
        _watchdog = new Timer(Check, null, stall, stall);
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
