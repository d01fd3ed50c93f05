// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Cli.Commands;

namespace BackupPlugins.Cli.Tests;

public sealed class ReadAheadStreamTests
{
    /// <summary>An inner stream that counts its reads and records what is written to it.</summary>
    private sealed class Recording(byte[] data) : MemoryStream(data)
    {
        public int Reads { get; private set; }
        public MemoryStream Written { get; } = new();

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            return base.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            Written.WriteAsync(buffer, cancellationToken);
    }

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    [Fact]
    public async Task SmallReads_AreServedFromBlocks_InOrder()
    {
        var data = Data(100_000);
        var inner = new Recording(data);
        await using var stream = new ReadAheadStream(inner, 4096);
        var received = new MemoryStream();
        var buffer = new byte[1000];
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        Assert.Equal(data, received.ToArray());
        // One read per 4 KiB block and one that finds the end, not one per caller read.
        Assert.Equal((100_000 + 4095) / 4096 + 1, inner.Reads);
        Assert.Equal(0, await stream.ReadAsync(buffer));
    }

    [Fact]
    public async Task AReadAsLargeAsABlock_GoesStraightToTheInnerStream()
    {
        var data = Data(10_000);
        var inner = new Recording(data);
        await using var stream = new ReadAheadStream(inner, 4096);
        var buffer = new byte[8192];
        Assert.Equal(8192, await stream.ReadAsync(buffer));
        Assert.Equal(data[..8192], buffer);
        Assert.Equal(1, inner.Reads);
        // A small read after it starts a block with the rest.
        Assert.Equal(100, await stream.ReadAsync(buffer.AsMemory(0, 100)));
        Assert.Equal(data[8192..8292], buffer[..100]);
        Assert.Equal(10_000 - 8292, stream.Read(buffer));
        Assert.Equal(data[8292..], buffer[..(10_000 - 8292)]);
    }

    [Fact]
    public async Task Writes_PassThrough_WhileReadDataIsBuffered()
    {
        var inner = new Recording(Data(10_000));
        await using var stream = new ReadAheadStream(inner, 4096);
        var buffer = new byte[10];
        Assert.Equal(10, await stream.ReadAsync(buffer));
        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, inner.Written.ToArray());
        Assert.Equal(10, await stream.ReadAsync(buffer));
        Assert.Equal(1, inner.Reads);
    }
}
