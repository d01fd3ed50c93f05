// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using BackupPlugins.Protocol.Bareos.Core;
using Grpc.Net.Client;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>
/// The module's client of the file daemon's <c>bareos.core.Core</c>, over the inherited, already-connected fd 4: one
/// HTTP/2 connection, made of that socket the first time the channel connects; there is no second (a lost connection
/// is the end of the job).
/// </summary>
public sealed class CoreConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    public CoreConnection(Socket socket)
    {
        var taken = 0;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = (_, _) => Interlocked.Exchange(ref taken, 1) == 0
                ? ValueTask.FromResult<Stream>(new NetworkStream(socket, ownsSocket: true))
                : throw new IOException("the connection to the file daemon (fd 4) is gone; it is not made twice"),
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
        };
        _channel = GrpcChannel.ForAddress("http://bareos-fd", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        Client = new Core.CoreClient(_channel);
    }

    public Core.CoreClient Client { get; }

    public void Dispose() => _channel.Dispose();
}
