// SPDX-License-Identifier: AGPL-3.0-or-later
// Streaming-RPC throughput from a .NET client: BackupPlugins.Benchmarks SOCKET DIRECTORY FILE-NAME [CHUNK] [RUNS]
// Prints: bytes best-MB/s
// Opens a dir session with datapath=socket, finds FILE-NAME among the entries and reads it with ReadFile.
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
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
    var (bytes, seconds) = await ReadOnceAsync(client, directory, fileName, chunkSize);
    total = bytes;
    best = Math.Max(best, bytes / seconds / 1e6);
}
Console.WriteLine($"{total} {best:F0}");

static async Task<(long Bytes, double Seconds)> ReadOnceAsync(FdPlugin.FdPluginClient client, string directory, string fileName, uint chunkSize)
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
    using (var call = client.ReadFile(new ReadFileRequest { Session = session, Fname = wanted, ChunkSize = chunkSize }))
    {
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            total += call.ResponseStream.Current.Data.Length;
        }
    }
    var seconds = stopwatch.Elapsed.TotalSeconds;
    await client.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = EventType.EventEndBackupJob });
    return (total, seconds);
}
