// SPDX-License-Identifier: AGPL-3.0-or-later
// Streaming-RPC throughput from a .NET client: BackupPlugins.Benchmarks SOCKET DIRECTORY FILE-NAME WHERE [CHUNK] [RUNS]
// Prints: bytes best-ReadFile-MB/s best-WriteFile-MB/s
// Opens a dir session with datapath=socket, finds FILE-NAME among the entries and reads it with ReadFile; then
// restores it under WHERE with WriteFile, in messages of CHUNK bytes read from the file.
using System.Diagnostics;
using System.Text;
using BackupPlugins.Cli.Commands;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

var (socketPath, directory, fileName, where) = (args[0], args[1], args[2], args[3]);
var chunkSize = args.Length > 4 ? uint.Parse(args[4]) : 1u << 20;
var runs = args.Length > 5 ? int.Parse(args[5]) : 4;
// The CLI's own client: the figure is what a .NET client of ours gets.
using var channel = HostClient.Connect(socketPath);
var client = new FdPlugin.FdPluginClient(channel);
double bestRead = 0, bestWrite = 0;
long total = 0;
for (var run = 0; run < runs; run++)
{
    // A fresh session per run on one connection; the first run also warms up the JIT on both sides.
    var (file, bytes, seconds) = await ReadOnceAsync(client, channel.CreateCallInvoker(), directory, fileName, chunkSize);
    total = bytes;
    bestRead = Math.Max(bestRead, bytes / seconds / 1e6);
    var written = await WriteOnceAsync(client, file, where, (int)chunkSize);
    bestWrite = Math.Max(bestWrite, bytes / written / 1e6);
}
Console.WriteLine($"{total} {bestRead:F0} {bestWrite:F0}");

static async Task<double> WriteOnceAsync(FdPlugin.FdPluginClient client, BackupFile file, string where, int chunkSize)
{
    var session = (await client.LoadPluginAsync(new LoadPluginRequest { Protocol = Revision.PackedStat, Job = new JobInfo { JobId = 2, Type = "R", Where = where } })).Session;
    var source = file.Fname.ToStringUtf8();
    var ofname = ByteString.CopyFromUtf8(where + source);
    var created = await client.CreateFileAsync(new CreateFileRequest
    {
        Session = session, Cmd = ByteString.CopyFromUtf8($"python3:source=dir:path={Path.GetDirectoryName(source)}"),
        Ofname = ofname, Type = FileType.FtReg, Stat = file.Stat, Replace = ReplaceMode.ReplaceAlways, Where = where,
    });
    if (created.Status != CreateStatus.CfExtract)
    {
        throw new InvalidOperationException($"CreateFile answered {created.Status}");
    }
    using var input = File.OpenHandle(source);
    var buffer = new byte[chunkSize];
    var stopwatch = Stopwatch.StartNew();
    using (var call = client.WriteFile())
    {
        await call.RequestStream.WriteAsync(new WriteFileRequest { Session = session, Ofname = ofname });
        long offset = 0;
        int n;
        // Each message is serialized before WriteAsync completes, so one buffer serves them all.
        var sent = 0;
        while ((n = RandomAccess.Read(input, buffer, offset)) > 0)
        {
            // flushed about once per MiB, as the host sends ReadFile's chunks
            call.RequestStream.WriteOptions = ++sent % Math.Max(1, (1 << 20) / chunkSize) == 0 ? null : new WriteOptions(WriteFlags.BufferHint);
            await call.RequestStream.WriteAsync(new WriteFileRequest { Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, n)) });
            offset += n;
        }
        call.RequestStream.WriteOptions = null;
        await call.RequestStream.CompleteAsync();
        if ((await call).Bytes != offset)
        {
            throw new InvalidOperationException($"WriteFile stored {(await call).Bytes} of {offset} bytes");
        }
    }
    var seconds = stopwatch.Elapsed.TotalSeconds;
    await client.EndRestoreFileAsync(new EndRestoreFileRequest { Session = session, Ofname = ofname, DataOk = true });
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventEndRestoreJob });
    var restored = ofname.ToStringUtf8();
    if (!SameBytes(source, restored))
    {
        throw new InvalidOperationException($"WriteFile stored other bytes in {restored} than {source} holds");
    }
    File.Delete(restored);
    return seconds;
}

static bool SameBytes(string a, string b)
{
    using var x = File.OpenRead(a);
    using var y = File.OpenRead(b);
    if (x.Length != y.Length)
    {
        return false;
    }
    var (bx, by) = (new byte[1 << 20], new byte[1 << 20]);
    int n;
    while ((n = x.ReadAtLeast(bx, bx.Length, throwOnEndOfStream: false)) > 0)
    {
        if (y.ReadAtLeast(by, n, throwOnEndOfStream: false) != n || !bx.AsSpan(0, n).SequenceEqual(by.AsSpan(0, n)))
        {
            return false;
        }
    }
    return true;
}

static async Task<(BackupFile File, long Bytes, double Seconds)> ReadOnceAsync(FdPlugin.FdPluginClient client, CallInvoker invoker,
    string directory, string fileName, uint chunkSize)
{
    var session = (await client.LoadPluginAsync(new LoadPluginRequest
    {
        Protocol = Revision.PackedStat,
        Job = new JobInfo { JobId = 1, Level = "F", Type = "B" },
        PluginDefinition = ByteString.CopyFromUtf8($"source=dir:path={directory}:datapath=socket:"),
    })).Session;
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventStartBackupJob });
    BackupFile? wanted = null;
    while (wanted is null)
    {
        var batch = await client.StartBackupFileAsync(new StartBackupFileRequest { Session = session, MaxFiles = 512 });
        wanted = batch.Items.Where(i => i.File is not null && Encoding.UTF8.GetString(i.File.Fname.Span).EndsWith("/" + fileName))
            .Select(i => i.File).FirstOrDefault();
        if (wanted is null && !batch.More)
        {
            throw new InvalidOperationException($"{fileName} not found in {directory}");
        }
    }
    var stopwatch = Stopwatch.StartNew();
    long total = 0;
    // The generated client would copy every chunk into a new ByteString; a bulk reader takes the payload in place.
    using (var call = invoker.AsyncServerStreamingCall(ReadFileCounted, null, new CallOptions(),
               new ReadFileRequest { Session = session, Fname = wanted.Fname, ChunkSize = chunkSize }))
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            total += call.ResponseStream.Current.Value;
        }
    }
    var seconds = stopwatch.Elapsed.TotalSeconds;
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventEndBackupJob });
    return (wanted, total, seconds);
}

/// <summary>ReadFile with a response marshaller that only measures each DataChunk's data field (no copy).</summary>
internal static partial class Program
{
    internal static readonly Method<ReadFileRequest, ChunkLength> ReadFileCounted = new(
        MethodType.ServerStreaming, "backupplugins.v1.FdPlugin", "ReadFile",
        Marshallers.Create(r => r.ToByteArray(), ReadFileRequest.Parser.ParseFrom),
        new Marshaller<ChunkLength>((ChunkLength _, SerializationContext _) => throw new NotSupportedException(), DataLength));

    private static ChunkLength DataLength(DeserializationContext context)
    {
        // DataChunk { bytes data = 1; }: tag 0x0A, varint length, payload.
        var reader = new System.Buffers.SequenceReader<byte>(context.PayloadAsReadOnlySequence());
        if (!reader.TryRead(out var tag))
        {
            return new ChunkLength(0);
        }
        if (tag != 0x0A)
        {
            throw new InvalidDataException($"unexpected field tag {tag}");
        }
        long length = 0;
        var shift = 0;
        while (reader.TryRead(out var b))
        {
            length |= (long)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }
            shift += 7;
        }
        return new ChunkLength(length);
    }
}

internal sealed record ChunkLength(long Value);

