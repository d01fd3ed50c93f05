// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>The prlctl commands this source runs, as argv through the one runner.</summary>
public sealed class PrlctlTool(Vz7Settings settings, IToolRunner runner, string? session)
{
    /// <summary>The container with this UUID (null if prlctl does not know it). The seed's exact command.</summary>
    public async Task<PrlctlContainer?> FindAsync(string uuid, CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(Command(["list", "-o", "name,uuid,status", "--vmtype", "ct", "--all", uuid]) with
        {
            SuccessCodes = [0, 1, 3], // prlctl exits non-zero for an unknown container
        }, cancellationToken);
        return result.ExitCode == 0 ? PrlctlOutputParser.ParseList(result.StandardOutput).FirstOrDefault(c => c.Uuid == uuid) : null;
    }

    /// <summary>Every container (the restore checks that neither the name nor the UUID is taken).</summary>
    public async Task<IReadOnlyList<PrlctlContainer>> ListAllAsync(CancellationToken cancellationToken) =>
        PrlctlOutputParser.ParseList((await runner.RunAsync(Command(["list", "-o", "name,uuid,status", "--vmtype", "ct", "--all"]),
            cancellationToken)).StandardOutput);

    /// <summary>Registers a restored private area under its own UUID, or under <paramref name="newUuid"/>.</summary>
    public Task RegisterAsync(string privateDir, string? newUuid, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(newUuid is null
            ? ["register", privateDir, "--preserve-uuid"]
            : ["register", privateDir, "--uuid", newUuid]), cancellationToken);

    private ToolCommand Command(string[] args) =>
        new([settings.Prlctl, .. args]) { Session = session, Timeout = TimeSpan.FromSeconds(settings.CommandTimeoutSeconds) };
}
