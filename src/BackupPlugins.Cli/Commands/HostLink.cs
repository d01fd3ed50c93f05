// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;
using BackupPlugins.Service.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// The host a command works through (bpipe-reader, bpipe-writer, sweep): the running one on its socket, or — when none
/// answers — one embedded in this process on a private socket for the duration of the command (no start-up sweep; see
/// <see cref="HostSettings.Embedded"/>). Disposing it ends the embedded host, which cleans up any session still open.
/// </summary>
internal sealed class HostLink : IAsyncDisposable
{
    private readonly WebApplication? _embedded;
    private readonly string? _directory;

    private HostLink(GrpcChannel channel, WebApplication? embedded, string? directory)
    {
        Channel = channel;
        _embedded = embedded;
        _directory = directory;
    }

    public GrpcChannel Channel { get; }
    public bool Embedded => _embedded is not null;

    /// <param name="runsJobs">false for a sweep: the embedded host then does not hold the hosts lock its own sweep needs.</param>
    public static async Task<HostLink> OpenAsync(string socketPath, string? configFile, CancellationToken cancellationToken, bool runsJobs = true)
    {
        if (File.Exists(socketPath))
        {
            var channel = HostClient.Connect(socketPath);
            try
            {
                await new Control.ControlClient(channel).GetVersionAsync(new GetVersionRequest(),
                    deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                return new HostLink(channel, null, null);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                channel.Dispose(); // a stale socket file, or a host that does not serve us: run our own
            }
        }
        RemoveStale();
        var directory = Directory.CreateTempSubdirectory(Prefix).FullName;
        var settings = new HostSettings
        {
            SocketPath = Path.Combine(directory, "host.sock"),
            AllowedGroups = [], // root and this process's own user only
            ConfigFile = configFile is null ? null : Path.GetFullPath(configFile),
            Embedded = true,
            HoldsHostsLock = runsJobs,
        };
        var app = HostFactory.Build(settings);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
        return new HostLink(HostClient.Connect(settings.SocketPath), app, directory);
    }

    private const string Prefix = "backup-plugins-bpipe-";

    /// <summary>The private directories of embedded hosts that were killed: nobody answers on their socket any more.</summary>
    private static void RemoveStale()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            try
            {
                probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(directory, "host.sock")));
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
            {
                TryDelete(directory); // the socket file is there, its host is not
            }
            catch (System.Net.Sockets.SocketException) when (Directory.GetCreationTimeUtc(directory) < DateTime.UtcNow.AddHours(-1))
            {
                TryDelete(directory); // killed before it listened
            }
            catch (System.Net.Sockets.SocketException)
            {
                // no socket yet: a host starting right now
            }
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // another user's, or gone already
        }
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (_embedded is not null)
        {
            await _embedded.StopAsync();
            await _embedded.DisposeAsync();
            Directory.Delete(_directory!, recursive: true);
        }
    }
}
