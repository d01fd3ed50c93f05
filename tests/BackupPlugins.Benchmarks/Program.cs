// SPDX-License-Identifier: AGPL-3.0-or-later
// Streaming-RPC throughput from a .NET client: BackupPlugins.Benchmarks SOCKET DIRECTORY FILE-NAME [CHUNK] [RUNS]
// Prints: bytes best-MB/s
// Opens a dir session with datapath=socket, finds FILE-NAME among the entries and reads it with ReadFile.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

var (socketPath, directory, fileName) = (args[0], args[1], args[2]);
var chunkSize = args.Length > 3 ? uint.Parse(args[3]) : 1u << 20;
using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
{
    MaxReceiveMessageSize = 16 << 20,
    HttpHandler = new SocketsHttpHandler
    {
        InitialHttp2StreamWindowSize = 16 << 20,
        ConnectCallback = async (_, ct) =>
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
            return new NetworkStream(s, ownsSocket: true);
        },
    },
});
var client = new FdPlugin.FdPluginClient(channel);
var runs = args.Length > 4 ? int.Parse(args[4]) : 4;
double best = 0;
long total = 0;
for (var run = 0; run < runs; run++)
{
    // A fresh session per run on one connection; the first run also warms up the JIT on both sides.
    var (bytes, seconds) = await ReadOnceAsync(client, channel.CreateCallInvoker(), directory, fileName, chunkSize);
    total = bytes;
    best = Math.Max(best, bytes / seconds / 1e6);
}
Console.WriteLine($"{total} {best:F0}");

static async Task<(long Bytes, double Seconds)> ReadOnceAsync(FdPlugin.FdPluginClient client, CallInvoker invoker,
    string directory, string fileName, uint chunkSize)
{
    var session = (await client.LoadPluginAsync(new LoadPluginRequest
    {
        Job = new JobInfo { JobId = 1, Level = "F", Type = "B" },
        PluginDefinition = ByteString.CopyFromUtf8($"source=dir:path={directory}:datapath=socket:"),
    })).Session;
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventStartBackupJob });
    ByteString? wanted = null;
    while (wanted is null)
    {
        var batch = await client.StartBackupFileAsync(new StartBackupFileRequest { Session = session, MaxFiles = 512 });
        wanted = batch.Items.Where(i => i.File is not null && Encoding.UTF8.GetString(i.File.Fname.Span).EndsWith("/" + fileName))
            .Select(i => i.File.Fname).FirstOrDefault();
        if (wanted is null && !batch.More)
        {
            throw new InvalidOperationException($"{fileName} not found in {directory}");
        }
    }
    var stopwatch = Stopwatch.StartNew();
    long total = 0;
    // The generated client would copy every chunk into a new ByteString; a bulk reader takes the payload in place.
    using (var call = invoker.AsyncServerStreamingCall(ReadFileCounted, null, new CallOptions(),
               new ReadFileRequest { Session = session, Fname = wanted, ChunkSize = chunkSize }))
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            total += call.ResponseStream.Current.Value;
        }
    }
    var seconds = stopwatch.Elapsed.TotalSeconds;
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventEndBackupJob });
    return (total, seconds);
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
