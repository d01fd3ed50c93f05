// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Prlctl;

/// <summary>
/// The prlctl commands of the Virtuozzo containers source and the Parallels VM job (one system: the same nodes, the
/// same tool), as argv through the one runner. A failing prlctl is reported as itself (its command, exit code and
/// message); only prlctl saying that the container or VM does not exist means "not found".
/// </summary>
public sealed class PrlctlTool(string prlctl, int timeoutSeconds, IToolRunner runner, string? session)
{
    /// <summary>The container with this UUID, or null when prlctl says there is none. The seed's exact command.</summary>
    public async Task<PrlctlContainer?> FindAsync(string uuid, CancellationToken cancellationToken)
    {
        var command = Command(["list", "-o", "name,uuid,status", "--vmtype", "ct", "--all", uuid]);
        ToolResult result;
        try
        {
            result = await runner.RunAsync(command, cancellationToken);
        }
        catch (ToolFailedException ex) when (SaysNotFound(ex.Result))
        {
            return null;
        }
        return ToolOutput.Parse(command, result, PrlctlOutputParser.ParseList).FirstOrDefault(c => c.Uuid == uuid)
            ?? throw ToolOutput.Unreadable(command, result, $"no row for container {uuid}");
    }

    /// <summary>Every container (the restore checks that neither the name nor the UUID is taken).</summary>
    public async Task<IReadOnlyList<PrlctlContainer>> ListAllAsync(CancellationToken cancellationToken)
    {
        var command = Command(["list", "-o", "name,uuid,status", "--vmtype", "ct", "--all"]);
        return ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), PrlctlOutputParser.ParseList);
    }

    /// <summary>Registers a restored private area under its own UUID, or under <paramref name="newUuid"/>.</summary>
    public Task RegisterAsync(string privateDir, string? newUuid, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(newUuid is null
            ? ["register", privateDir, "--preserve-uuid"]
            : ["register", privateDir, "--uuid", newUuid]), cancellationToken);

    /// <summary>A virtual machine by name or UUID (<c>list -i -j</c>), or null when prlctl says there is none.</summary>
    public async Task<PrlctlVmInfo?> VmInfoAsync(string vm, CancellationToken cancellationToken)
    {
        var command = Command(["list", "-i", "-j", vm]);
        ToolResult result;
        try
        {
            result = await runner.RunAsync(command, cancellationToken);
        }
        catch (ToolFailedException ex) when (SaysNotFound(ex.Result))
        {
            return null;
        }
        return ToolOutput.Parse(command, result, PrlctlVmInfo.Parse);
    }

    /// <summary>
    /// Suspends or resumes a VM (by UUID) and checks that prlctl did what it said: its exit code (the seed ignored it),
    /// then the state read back. A VM left in another state is this command's failure, said with the state found.
    /// </summary>
    public async Task<PrlctlVmInfo> ChangeStateAsync(string uuid, string action, string expected, CancellationToken cancellationToken)
    {
        var command = Command([action, uuid]);
        var result = await runner.RunAsync(command, cancellationToken);
        var now = await VmInfoAsync(uuid, cancellationToken) ?? throw ToolOutput.Unreadable(command, result, $"the virtual machine {uuid} is gone");
        return now.State == expected ? now : throw ToolOutput.Unreadable(command, result, $"the virtual machine is {now.State}, not {expected}");
    }

    /// <summary>Every virtual machine with its description (<c>list -a -i -j --vmtype vm</c>): a restore checks it writes into none of their bundles.</summary>
    public async Task<IReadOnlyList<PrlctlVmInfo>> AllVmsAsync(CancellationToken cancellationToken)
    {
        var command = Command(["list", "-a", "-i", "-j", "--vmtype", "vm"]);
        return ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), PrlctlVmInfo.ParseAll);
    }

    /// <summary>
    /// Takes a snapshot of a VM (<c>snapshot &lt;uuid&gt; -n NAME -d TEXT</c>) and returns its id (without braces), read
    /// from prlctl's "The snapshot with id {…} has been successfully created." (PrlVm::snapshot_create).
    /// </summary>
    public async Task<string> SnapshotAsync(string uuid, string name, string description, CancellationToken cancellationToken)
    {
        var command = Command(["snapshot", uuid, "-n", name, "-d", description]);
        return ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), PrlctlOutputParser.ParseSnapshotCreated);
    }

    /// <summary>The ids (without braces) of a VM's snapshots (<c>snapshot-list &lt;uuid&gt; -H</c>).</summary>
    public async Task<IReadOnlyList<string>> SnapshotIdsAsync(string uuid, CancellationToken cancellationToken)
    {
        var command = Command(["snapshot-list", uuid, "-H"]);
        return ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), PrlctlOutputParser.ParseSnapshotList);
    }

    /// <summary>Deletes one snapshot, merging it into its child (<c>snapshot-delete &lt;uuid&gt; -i {id}</c>).</summary>
    public Task SnapshotDeleteAsync(string uuid, string id, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["snapshot-delete", uuid, "-i", "{" + id + "}"]), cancellationToken);

    /// <summary>
    /// prlctl's words for an unknown container: "Failed to get VM config: The virtual machine could not be found."
    /// (prlctl's <c>get_vm_config</c>), and "… does not exist." in the per-VM actions.
    /// </summary>
    private static bool SaysNotFound(ToolResult? result) =>
        result is { ExitCode: > 0 } && (result.StandardErrorTail.Contains("could not be found", StringComparison.OrdinalIgnoreCase)
            || result.StandardErrorTail.Contains("does not exist", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What prlctl prints on standard error before every action but <c>list</c> since Virtuozzo 7 update 17
    /// (prlctl's <c>PrlCtl.cpp</c>, <c>main</c>): not part of any failure.
    /// </summary>
    public const string DeprecationNotice =
        "WARNING: You are using a deprecated CLI component that won't be installed by default in the next major release. Please use virsh instead";

    private ToolCommand Command(string[] args) =>
        new([prlctl, .. args])
        {
            Session = session, Timeout = TimeSpan.FromSeconds(timeoutSeconds), StandardErrorNoise = [DeprecationNotice],
        };
}
