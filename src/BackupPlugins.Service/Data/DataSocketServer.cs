// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using BackupPlugins.Core.Sources;
using BackupPlugins.Service.Hosting;

namespace BackupPlugins.Service.Data;

/// <summary>
/// Streams entry data to the shim over Unix-socket connections, outside gRPC. FileOpen registers a producer
/// under a random token; the shim connects to <see cref="Path"/>, sends the token and hands the socket to the
/// file daemon's core, which reads to EOF. FileClose waits for the producer's outcome (bytes, complete or why
/// not). A connection that makes no progress for <see cref="StallTimeout"/> is cut and reported incomplete.
/// </summary>
internal sealed class DataSocketServer(HostSettings settings, PeerCheck peers, ILogger<DataSocketServer> logger) : BackgroundService
{
    public const int TokenLength = 16;
    private readonly ConcurrentDictionary<string, Transfer> _transfers = new();
    private Socket? _listener;

    public string Path => settings.SocketPath + ".data";
    public TimeSpan StallTimeout { get; set; } = settings.StallTimeout;

    private sealed class Transfer(string session, Func<DataSink, CancellationToken, Task>? producer,
        Func<Stream, CancellationToken, Task>? consumer = null, string name = "")
    {
        public string Session { get; } = session;
        public string Name { get; } = name;
        /// <summary>When FileOpen handed it out: the entry's time as the file daemon sees it, to its FileClose.</summary>
        public long Opened { get; } = Stopwatch.GetTimestamp();
        public Func<DataSink, CancellationToken, Task>? Producer { get; } = producer;
        public Func<Stream, CancellationToken, Task>? Consumer { get; } = consumer;
        public TaskCompletionSource<TransferResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource Cancel { get; } = new();
    }

    /// <summary>How a transfer ended; <paramref name="Took"/> from its FileOpen to its FileClose.</summary>
    public sealed record TransferResult(long Bytes, bool Complete, string Error, string Name = "", TimeSpan Took = default);

    public byte[] Register(string session, Func<DataSink, CancellationToken, Task> producer, string name = "")
    {
        var token = RandomNumberGenerator.GetBytes(TokenLength);
        _transfers[Convert.ToHexString(token)] = new Transfer(session, producer, name: name);
        return token;
    }

    /// <summary>Restore: the core writes an entry's data into the connection; <paramref name="consumer"/> drains it to EOF.</summary>
    public byte[] RegisterConsumer(string session, Func<Stream, CancellationToken, Task> consumer, string name = "")
    {
        var token = RandomNumberGenerator.GetBytes(TokenLength);
        _transfers[Convert.ToHexString(token)] = new Transfer(session, null, consumer, name);
        return token;
    }

    /// <summary>Waits for the transfer's outcome; a transfer the shim never connected to is incomplete.</summary>
    public async Task<TransferResult> CompleteAsync(byte[] token, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!_transfers.TryGetValue(Convert.ToHexString(token), out var transfer))
        {
            return new TransferResult(0, false, "unknown data token (the host restarted?)");
        }
        try
        {
            return await transfer.Done.Task.WaitAsync(wait, cancellationToken) with
            {
                Name = transfer.Name, Took = Stopwatch.GetElapsedTime(transfer.Opened),
            };
        }
        catch (TimeoutException)
        {
            await transfer.Cancel.CancelAsync();
            return new TransferResult(0, false, $"the data stream did not finish within {wait.TotalSeconds:0} s after the core closed it");
        }
        finally
        {
            _transfers.TryRemove(Convert.ToHexString(token), out _);
        }
    }

    /// <summary>Cancel or end of a session: cuts its data connections so a blocked core read returns at once.</summary>
    public void AbortSession(string session)
    {
        foreach (var (key, transfer) in _transfers.Where(kv => kv.Value.Session == session).ToList())
        {
            transfer.Cancel.Cancel();
            transfer.Done.TrySetResult(new TransferResult(0, false, "the job was cancelled"));
            _transfers.TryRemove(key, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        File.Delete(Path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        _listener.Listen(64);
        await using var stop = stoppingToken.Register(() => _listener.Dispose());
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            _ = Task.Run(() => ServeAsync(client, stoppingToken), stoppingToken);
        }
        File.Delete(Path);
    }

    private async Task ServeAsync(Socket client, CancellationToken stoppingToken)
    {
        using var _ = client;
        if (!peers.IsAllowed(client, out var who))
        {
            logger.LogWarning("Refused data connection from {Peer}", who);
            return;
        }
        var token = new byte[TokenLength];
        try
        {
            using var tokenTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ReceiveAsync(token.AsMemory(), SocketFlags.None, tokenTimeout.Token);
        }
        catch (Exception ex)
        {
            logger.LogWarning("Data connection sent no token: {Error}", ex.Message);
            return;
        }
        if (!_transfers.TryGetValue(Convert.ToHexString(token), out var transfer))
        {
            logger.LogWarning("Data connection with an unknown token");
            return;
        }
        client.SendBufferSize = 4 << 20;
        client.ReceiveBufferSize = 4 << 20;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, transfer.Cancel.Token);
        await using var stream = new WatchedStream(new NetworkStream(client, ownsSocket: false), StallTimeout, linked);
        try
        {
            if (transfer.Consumer is not null)
            {
                await transfer.Consumer(stream, linked.Token);
            }
            else
            {
                await transfer.Producer!(new SocketDataSink(client, stream), linked.Token);
                await stream.FlushAsync(linked.Token);
                client.Shutdown(SocketShutdown.Send);
            }
            transfer.Done.TrySetResult(new TransferResult(stream.Written, true, ""));
        }
        catch (Exception ex)
        {
            var why = stream.Stalled ? $"the stream stalled for {StallTimeout.TotalSeconds:0} s and was cut" : ex.Message;
            logger.LogWarning("Data stream for session {Session} failed after {Bytes} bytes: {Error}", transfer.Session, stream.Written, why);
            transfer.Done.TrySetResult(new TransferResult(stream.Written, false, why));
        }
    }
}
