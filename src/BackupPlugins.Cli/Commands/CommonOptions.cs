// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using BackupPlugins.Service.Hosting;

namespace BackupPlugins.Cli.Commands;

internal static class CommonOptions
{
    public const string SocketVariable = "BACKUP_PLUGINS_SOCKET";

    public static Option<string> Socket() => new("--socket")
    {
        Description = $"the host's Unix socket (default: ${SocketVariable} or {HostSettings.DefaultSocket})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SocketVariable) is { Length: > 0 } s ? s : HostSettings.DefaultSocket,
    };

    /// <summary>The settings of a host embedded in a standalone job command, when none answers on the socket.</summary>
    public static Option<string?> HostConfig() => new("--host-config") { Description = "host settings JSON, for an embedded host (see serve --config)" };
}
