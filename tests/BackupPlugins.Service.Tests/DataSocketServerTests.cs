// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using BackupPlugins.Core.Sources;
using BackupPlugins.Service.Data;
using BackupPlugins.Service.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Service.Tests;

/// <summary>The data connections: what the shim hands to the file daemon's core, and how FileClose learns the outcome.</summary>
public sealed class DataSocketServerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-data-").FullName;
    private DataSocketServer _server = null!;

    public async Task InitializeAsync()
    {
        var settings = new HostSettings { SocketPath = Path.Combine(_dir, "host.sock"), StallTimeout = TimeSpan.FromSeconds(1) };
        _server = new DataSocketServer(settings, new PeerCheck(settings), NullLogger<DataSocketServer>.Instance);
        await _server.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!File.Exists(_server.Path) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(byte[] Received, DataSocketServer.TransferResult Result)> TransferAsync(Func<DataSink, CancellationToken, Task> producer)
    {
        var token = _server.Register("s1", producer);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_server.Path));
        await socket.SendAsync(token);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        var result = await _server.CompleteAsync(token, TimeSpan.FromSeconds(10), CancellationToken.None);
        return (received.ToArray(), result);
    }

    [Fact]
    public async Task Transfer_WholeFileBySendfile_IsCompleteWithItsByteCount()
    {
        var path = Path.Combine(_dir, "data");
        var data = new byte[5 * 1024 * 1024 + 3];
        Random.Shared.NextBytes(data);
        await File.WriteAllBytesAsync(path, data);
        var (received, result) = await TransferAsync(async (sink, ct) =>
        {
            using var file = File.OpenHandle(path);
            await sink.SendFileAsync(file, ct);
        });
        Assert.Equal(data, received);
        Assert.Equal(new DataSocketServer.TransferResult(data.Length, true, ""), result with { Took = TimeSpan.Zero });
        Assert.True(result.Took > TimeSpan.Zero); // from the token handed out to its end
    }

    [Fact]
    public async Task Transfer_ProducerFailsMidway_IsIncompleteWithTheReason()
    {
        var (received, result) = await TransferAsync(async (sink, ct) =>
        {
            await sink.Stream.WriteAsync(new byte[1000], ct);
            throw new IOException("zfs send exited with code 1: cannot open 'tank/x@bp-1': dataset does not exist");
        });
        Assert.Equal(1000, received.Length);
        Assert.Equal(new DataSocketServer.TransferResult(1000, false,
            "zfs send exited with code 1: cannot open 'tank/x@bp-1': dataset does not exist"), result with { Took = TimeSpan.Zero });
    }

    [Fact]
    public async Task Transfer_ProducerStalls_IsCutByTheWatchdog()
    {
        var (received, result) = await TransferAsync(async (sink, ct) =>
        {
            await sink.Stream.WriteAsync(new byte[10], ct);
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
        });
        Assert.Equal(10, received.Length);
        Assert.False(result.Complete);
        Assert.Equal("the stream stalled for 1 s and was cut", result.Error);
    }

    [Fact]
    public async Task Restore_ConsumerDrainsToEndOfData_AndCountsTheBytes()
    {
        var drained = new MemoryStream();
        var token = _server.RegisterConsumer("s1", (stream, ct) => stream.CopyToAsync(drained, ct));
        var data = new byte[2 * 1024 * 1024 + 5];
        Random.Shared.NextBytes(data);
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(_server.Path));
            await socket.SendAsync(token);
            await socket.SendAsync(data);
            socket.Shutdown(SocketShutdown.Send); // what the shim does at IO_CLOSE
            var result = await _server.CompleteAsync(token, TimeSpan.FromSeconds(10), CancellationToken.None);
            Assert.Equal(new DataSocketServer.TransferResult(data.Length, true, ""), result with { Took = TimeSpan.Zero });
            Assert.True(result.Took > TimeSpan.Zero); // from the token handed out to its end
        }
        Assert.Equal(data, drained.ToArray());
    }

    [Fact]
    public async Task Complete_TokenNeverConnected_IsIncomplete()
    {
        var token = _server.Register("s1", (_, _) => Task.CompletedTask);
        var result = await _server.CompleteAsync(token, TimeSpan.FromMilliseconds(200), CancellationToken.None);
        Assert.False(result.Complete);
        Assert.Equal("the data stream did not finish within 0 s after the core closed it", result.Error);
    }

    [Fact]
    public async Task AbortSession_EndsItsTransfers()
    {
        var token = _server.Register("s9", (_, _) => Task.CompletedTask);
        _server.AbortSession("s9");
        var result = await _server.CompleteAsync(token, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.False(result.Complete);
    }
}
