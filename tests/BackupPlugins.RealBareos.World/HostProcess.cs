// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Net.Sockets;

namespace BackupPlugins.RealBareos;

/// <summary>A BackupPlugins host (<c>backup-plugins serve</c>) of this checkout on a Unix socket, its output in a log file.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private HostProcess(Process process, string socket, string log) => (_process, Socket, Log) = (process, socket, log);

    public string Socket { get; }
    public string Log { get; }
    public bool Alive => !_process.HasExited;
    public int ProcessId => _process.Id;

    /// <summary>
    /// Starts a host and returns once its socket accepts connections (after its start-up sweep). A socket file left by
    /// a killed host refuses connections until the new host replaces it.
    /// </summary>
    public static async Task<HostProcess> StartAsync(string socket, string config, string log, IDictionary<string, string>? environment = null)
    {
        var process = Machine.StartDaemon(Machine.HostBinary, ["serve", "--socket", socket, "--config", config], log, environment);
        var host = new HostProcess(process, socket, log);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await probe.ConnectAsync(new UnixDomainSocketEndPoint(socket));
                return host;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && host.Alive)
            {
                await Task.Delay(100);
            }
            catch (SocketException ex)
            {
                await host.DisposeAsync();
                throw new InvalidOperationException($"the BackupPlugins host did not start ({ex.Message}): {File.ReadAllText(log)}");
            }
        }
    }

    /// <summary>Kills the host with SIGKILL, as a crash or the OOM killer would.</summary>
    public async Task KillAsync()
    {
        if (Alive)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
