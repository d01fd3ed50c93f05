// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net;
using System.Net.Sockets;
using BackupPlugins.Cli.Commands;
using BackupPlugins.Service.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace BackupPlugins.Service.Tests;

/// <summary>A real host in this process: Kestrel on a temporary Unix socket and a free loopback port.</summary>
public sealed class HostFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-host-").FullName;
    public WebApplication App { get; private set; } = null!;
    public string Socket => Path.Combine(_dir, "host.sock");
    public IPEndPoint Tcp { get; } = new(IPAddress.Loopback, FreePort());

    public async Task InitializeAsync()
    {
        App = HostFactory.Build(new HostSettings { SocketPath = Socket, Tcp = Tcp });
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The CLI's client over the Unix socket.</summary>
    public GrpcChannel UnixChannel() => HostClient.Connect(Socket);

    public GrpcChannel TcpChannel() => GrpcChannel.ForAddress($"http://{Tcp}");

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
