// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using BackupPlugins.Protocol.V1;
using Grpc.Net.Client;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>
/// The module's connection to the running host: the host's <c>FdPlugin</c> service on its Unix socket, over one HTTP/2
/// connection, as the python3-fd shim has. The host binds the job's session to this connection: when it closes (job
/// end, cancel, the module killed) the host cleans up.
/// </summary>
public sealed class HostConnection : IDisposable
{
    private readonly GrpcChannel _channel;
    private Socket? _socket;

    public HostConnection(string socketPath, TimeSpan connectTimeout)
    {
        Path = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    _socket = socket;
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = false,
        };
        _channel = GrpcChannel.ForAddress("http://backup-plugins", new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 64 << 20,
        });
        Client = new FdPlugin.FdPluginClient(_channel);
    }

    public string Path { get; }

    public FdPlugin.FdPluginClient Client { get; }

    /// <summary>
    /// Without waiting: whether the host has closed the connection (it stopped or was killed). For a caller that works
    /// from entries it already holds, with no call under way that would fail, to notice a dead host at once.
    /// </summary>
    public bool Closed
    {
        get
        {
            try
            {
                var socket = _socket;
                return socket is not null && socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }
    }

    /// <summary>Closes the connection: calls under way fail, and the host ends the session and cleans up.</summary>
    public void Dispose() => _channel.Dispose();
}
