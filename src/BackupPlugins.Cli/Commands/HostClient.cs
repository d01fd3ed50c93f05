// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;

namespace BackupPlugins.Cli.Commands;

/// <summary>A gRPC channel to the host over its Unix socket (HTTP/2 without TLS).</summary>
internal static class HostClient
{
    /// <summary>Socket reads are this large; the HTTP/2 client's own reads are served from them.</summary>
    private const int ReadBlock = 1 << 20;

    public static GrpcChannel Connect(string socketPath)
    {
        var handler = new SocketsHttpHandler
        {
            // What the host may send ahead on one stream: a streaming read should not wait for window updates.
            InitialHttp2StreamWindowSize = 16 << 20,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new ReadAheadStream(new NetworkStream(socket, ownsSocket: true), ReadBlock);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 << 20 });
    }

    /// <summary>Runs a call and turns "host not there" into a one-line message and exit code 2.</summary>
    public static async Task<int> RunAsync(string socketPath, TextWriter output, Func<GrpcChannel, Task> call)
    {
        using var channel = Connect(socketPath);
        try
        {
            await call(channel);
            return 0;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            await output.WriteLineAsync($"backup-plugins: no host answers on {socketPath}: {ex.Status.Detail} " +
                "(start one with: backup-plugins serve --socket PATH)");
            return 2;
        }
        catch (RpcException ex)
        {
            await output.WriteLineAsync($"backup-plugins: {ex.Status.StatusCode}: {ex.Status.Detail}");
            return 2;
        }
    }
}
