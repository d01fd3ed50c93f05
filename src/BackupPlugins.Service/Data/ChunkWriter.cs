// SPDX-License-Identifier: AGPL-3.0-or-later
using Google.Protobuf;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Data;

/// <summary>
/// A write-only stream that sends what is written as gRPC <see cref="V1.DataChunk"/> messages of a fixed size.
/// Data is gathered in a buffer of several chunks and sent as that many messages with one flush: a flush per
/// message costs a socket write and a wake-up each, which halves a small-chunk stream's throughput.
/// </summary>
internal sealed class ChunkWriter(IServerStreamWriter<V1.DataChunk> output, int chunkSize) : Stream
{
    /// <summary>Bytes gathered before a flush (rounded up to whole chunks).</summary>
    private const int FlushBytes = 1 << 20;

    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>A sink that reads files straight into the chunk buffer (one copy less than going through the stream).</summary>
    public sealed class Sink(ChunkWriter writer) : Core.Sources.DataSink(writer)
    {
        public override long Written => writer._total;

        public override async Task SendFileAsync(Microsoft.Win32.SafeHandles.SafeFileHandle file, CancellationToken cancellationToken)
        {
            await writer.SendAsync();
            long offset = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = RandomAccess.Read(file, writer._buffer, offset);
                if (n == 0)
                {
                    return;
                }
                offset += n;
                writer._total += n;
                writer._filled = n;
                await writer.SendAsync();
            }
        }
    }

    private readonly byte[] _buffer = new byte[Math.Max(1, FlushBytes / chunkSize) * chunkSize];
    private int _filled;
    private long _total;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..n].CopyTo(_buffer.AsMemory(_filled));
            _filled += n;
            _total += n;
            buffer = buffer[n..];
            if (_filled == _buffer.Length)
            {
                await SendAsync();
            }
        }
    }

    private async Task SendAsync()
    {
        // A message is serialized before WriteAsync completes, so the buffer can be wrapped, not copied. All but the
        // last message of the buffer carry the buffer hint: written, not flushed.
        for (var sent = 0; sent < _filled; sent += chunkSize)
        {
            var length = Math.Min(chunkSize, _filled - sent);
            output.WriteOptions = sent + length < _filled ? Buffered : null;
            await output.WriteAsync(new V1.DataChunk { Data = UnsafeByteOperations.UnsafeWrap(_buffer.AsMemory(sent, length)) });
        }
        _filled = 0;
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => SendAsync();
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
    public override void Flush() => SendAsync().GetAwaiter().GetResult();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _total;
    public override long Position { get => _total; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
