// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>Where Kestrel "listens": the one connection the file daemon made before it started the module.</summary>
public sealed class InheritedEndPoint(Socket socket) : EndPoint
{
    public Socket Socket { get; } = socket;

    public override string ToString() => $"inherited fd {(int)Socket.Handle}";
}

/// <summary>
/// Kestrel's transport for an already-connected socket: Kestrel can only listen and accept, and the file daemon hands
/// the module one connected socket (fd 3) with no listener behind it. Its listener's first accept returns that
/// connection (made by Kestrel's own socket connection factory, so its I/O is Kestrel's); every later accept waits
/// until the host stops, as a listener with nobody else to come would.
/// </summary>
public sealed class InheritedConnectionListenerFactory(ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is InheritedEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IConnectionListener>(new Listener((InheritedEndPoint)endpoint,
            new SocketConnectionContextFactory(new SocketConnectionFactoryOptions
            {
                // One connection, calls one after another: running Kestrel's continuations on the socket's own thread
                // instead of queueing them to the thread pool saves a thread hop (and its wake-up) on every call.
                UnsafePreferInlineScheduling = true,
                IOQueueCount = 0,
            }, loggers.CreateLogger<SocketConnectionContextFactory>())));

    private sealed class Listener(InheritedEndPoint endpoint, SocketConnectionContextFactory connections) : IConnectionListener
    {
        private readonly TaskCompletionSource _unbound = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _handedOut;

        public EndPoint EndPoint => endpoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _handedOut, 1) == 0)
            {
                return connections.Create(endpoint.Socket);
            }
            await _unbound.Task.WaitAsync(cancellationToken);
            return null; // unbound: no more connections
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            _unbound.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            _unbound.TrySetResult();
            connections.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
