// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

/// <summary>
/// Data that does not come from a local file: a member read from a stream of known length (a host's data socket) must
/// be exactly that long, and a member written into a stream (a restore target's data socket) gets its holes as zeros.
/// </summary>
public sealed class PaxStreamDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-paxs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static BackupItem Regular(string name, long size) =>
        new(B(name), EntryKind.Regular, new PosixStat(0, 0, PosixStat.Reg | 0x1A4, 1, 0, 0, 0, size, 0, 0, 1_700_000_000, 0, 0, 0, 4096, 0))
        { Data = DataDelivery.Socket };

    [Fact]
    public async Task StreamOfTheStatedSize_IsArchivedAsIs()
    {
        var archive = new MemoryStream();
        await using (var writer = new PaxArchiveWriter(archive, B("/")))
        {
            await writer.WriteAsync(Regular("/s/blob", 5), _ => Task.FromResult<Stream>(new MemoryStream(B("hello"))), CancellationToken.None);
        }
        archive.Position = 0;
        var entry = new System.Formats.Tar.TarReader(archive).GetNextEntry()!;
        Assert.Equal(("s/blob", 5L), (entry.Name, entry.Length));
        Assert.Equal("hello", new StreamReader(entry.DataStream!).ReadToEnd());
    }

    [Theory]
    [InlineData("hell", "/s/blob: its data ended after 4 of 5 bytes")]
    [InlineData("hello!", "/s/blob: it holds more than the 5 bytes its size says (it changed while it was read)")]
    public async Task StreamShorterOrLongerThanItsSize_FailsTheMember(string data, string message)
    {
        await using var writer = new PaxArchiveWriter(new MemoryStream(), B("/"));

        var ex = await Assert.ThrowsAsync<IOException>(() =>
            writer.WriteAsync(Regular("/s/blob", 5), _ => Task.FromResult<Stream>(new MemoryStream(B(data))), CancellationToken.None));

        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("hel", "hel\0\0", "/s/f: it shrank while it was read; stored with zeros after byte 3 of 5")]
    [InlineData("hello, world", "hello", "/s/f: it grew while it was read; stored as its first 5 bytes")]
    public async Task LocalFileChangingWhileRead_IsStoredAtItsStatedSizeAndSaidSo(string content, string stored, string message)
    {
        var said = new List<string>();
        await using var data = new ExactLengthStream(new MemoryStream(B(content)), 5, "/s/f", said.Add);
        var copy = new MemoryStream();

        await data.CopyToAsync(copy);

        Assert.Equal(stored, Encoding.UTF8.GetString(copy.ToArray()));
        Assert.Equal([message], said);
    }

    [Fact]
    public async Task SparseMember_IntoAStreamTarget_ArrivesWithItsHolesAsZeros()
    {
        var src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(src);
        var original = new byte[3 << 20];
        "head"u8.CopyTo(original);
        "middle"u8.CopyTo(original.AsSpan(1 << 20));
        using (var sparse = File.Create(Path.Combine(src, "sparse.img")))
        {
            sparse.Write("head"u8);
            sparse.Position = 1 << 20;
            sparse.Write("middle"u8);
            sparse.SetLength(3 << 20);
        }
        var archive = new MemoryStream();
        await using (var writer = new PaxArchiveWriter(archive, B(src)))
        {
            foreach (var item in new TreeWalker(B(src), PathFilter.None).Walk(CancellationToken.None))
            {
                await writer.WriteAsync(item with { Sparse = item.Kind == EntryKind.Regular }, CancellationToken.None);
            }
            await writer.CompleteAsync(CancellationToken.None);
        }
        archive.Position = 0;
        var target = new StreamTarget();

        await PaxArchiveReader.ExtractAsync(archive, B("/r"), target, CancellationToken.None);

        Assert.Equal(original, target.Received["/r/sparse.img"].ToArray());
        Assert.Equal(["/r/sparse.img", "/r"], target.Finished);
    }

    /// <summary>Takes every regular file as a stream, as a host restore driver with a data socket does.</summary>
    private sealed class StreamTarget : IExtractTarget
    {
        public Dictionary<string, MemoryStream> Received { get; } = [];
        public List<string> Finished { get; } = [];

        public ValueTask<CreateResult> CreateAsync(RestoreItem item, CancellationToken cancellationToken) => ValueTask.FromResult(
            item.Kind == EntryKind.Regular ? new CreateResult(CreateOutcome.Extract, DataDelivery.Socket) : new CreateResult(CreateOutcome.Created));

        public ValueTask<Stream> OpenDataAsync(RestoreItem item, CancellationToken cancellationToken)
        {
            var stream = new MemoryStream();
            Received[Encoding.UTF8.GetString(item.Target)] = stream;
            return ValueTask.FromResult<Stream>(new KeepOpen(stream));
        }

        public ValueTask FinishAsync(RestoreItem item, RestoreMetadata metadata, CancellationToken cancellationToken)
        {
            Assert.True(metadata.DataOk);
            Finished.Add(Encoding.UTF8.GetString(item.Target));
            return ValueTask.CompletedTask;
        }

        private sealed class KeepOpen(MemoryStream inner) : MemoryStream
        {
            public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
            public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
        }
    }
}
