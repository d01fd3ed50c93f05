// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Zfs;

/// <summary>
/// The zfs and zpool commands BackupPlugins runs, as argv through the one runner. A failing command is reported as
/// itself (command, exit code, message); only zfs's own words turn a failure into a condition ("does not exist" →
/// null, "no such tag" → false), and output a parser cannot read is the command's failure.
/// </summary>
public sealed class ZfsTool(IToolRunner runner, string zfs = "zfs", string zpool = "zpool", string? session = null)
{
    /// <summary>How long a send/receive may run (hours for a large first transfer).</summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromHours(48);
    private bool? _sendEstimates;

    /// <summary>Imported pools and their GUIDs (pools named explicitly: older zpool versions insist on them).</summary>
    public async Task<IReadOnlyDictionary<string, string>> PoolGuidsAsync(CancellationToken cancellationToken)
    {
        var pools = (await PoolHealthAsync(cancellationToken)).Keys.ToArray();
        return pools.Length == 0
            ? new Dictionary<string, string>()
            : await RunParsedAsync([zpool, "get", "guid", .. pools], ZfsOutputParser.ParsePoolGuids, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, string>> PoolHealthAsync(CancellationToken cancellationToken) =>
        RunParsedAsync([zpool, "list", "-H", "-o", "name,health"], ZfsOutputParser.ParsePoolHealth, cancellationToken);

    /// <summary>Imports a pool found among the devices in <paramref name="deviceDir"/>, mounted under <paramref name="altroot"/>.</summary>
    public Task ImportAsync(string pool, string deviceDir, string altroot, CancellationToken cancellationToken) =>
        Run([zpool, "import", "-d", deviceDir, "-f", "-o", $"altroot={altroot}", pool], cancellationToken);

    public Task ExportAsync(string pool, CancellationToken cancellationToken) => Run([zpool, "export", pool], cancellationToken);

    /// <summary>The dataset's own snapshots, oldest first; null if the dataset does not exist.</summary>
    public async Task<IReadOnlyList<ZfsSnapshot>?> SnapshotsAsync(string dataset, CancellationToken cancellationToken)
    {
        var command = Command([zfs, "get", "-H", "-p", "-d", "1", "-o", "name,property,value", "guid,createtxg,userrefs,creation", dataset])
            with { SuccessCodes = [0, 1] };
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            return result.StandardErrorTail.Contains("does not exist", StringComparison.Ordinal)
                ? null
                : throw new ToolFailedException(command, $"exit code {result.ExitCode}", result);
        }
        return ToolOutput.Parse(command, result, output => ZfsOutputParser.ParseSnapshots(output, dataset));
    }

    /// <summary>
    /// Properties of a dataset or snapshot (<c>zfs get -H -p -o property,value</c>), or null when zfs says it does
    /// not exist; any other failure is the command's.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> PropertiesAsync(string name, IReadOnlyList<string> properties,
        CancellationToken cancellationToken)
    {
        var command = Command([zfs, "get", "-H", "-p", "-o", "property,value", string.Join(',', properties), name]) with { SuccessCodes = [0, 1] };
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0)
        {
            return result.StandardErrorTail.Contains("does not exist", StringComparison.Ordinal)
                ? null
                : throw new ToolFailedException(command, $"exit code {result.ExitCode}", result);
        }
        return ZfsOutputParser.ParseProperties(result.StandardOutput, properties)
            ?? throw new ToolFailedException(command, $"printed no value for every one of {string.Join(',', properties)}: " +
                $"\"{result.StandardOutput.Trim()}\"", result);
    }

    /// <summary>One property's value; no value printed is zfs's failure.</summary>
    public Task<string> GetAsync(string property, string dataset, CancellationToken cancellationToken) =>
        RunParsedAsync([zfs, "get", "-H", "-p", "-o", "value", property, dataset],
            output => output.Trim() is { Length: > 0 } value ? value : throw new FormatException($"no value of {property}"), cancellationToken);

    public Task SnapshotAsync(string snapshot, CancellationToken cancellationToken) => Run([zfs, "snapshot", snapshot], cancellationToken);

    /// <summary>Runs <c>zfs send</c> of <paramref name="snapshot"/> (incremental from <paramref name="from"/>); <paramref name="consume"/> takes its output.</summary>
    public Task<ToolResult> SendToAsync(string snapshot, string? from, Func<Stream, CancellationToken, Task> consume,
        CancellationToken cancellationToken) =>
        runner.RunAsync(Send(snapshot, from, intermediates: false), null, consume, cancellationToken);

    /// <summary>Receives the stream read from <paramref name="input"/> into <paramref name="dataset"/>.</summary>
    public Task<ToolResult> ReceiveFromAsync(string dataset, bool force, Stream input, CancellationToken cancellationToken) =>
        runner.RunAsync(Receive(dataset, force), input, consumeOutput: null, cancellationToken);

    /// <summary>File systems at and below <paramref name="dataset"/> with their mountpoints, parents first.</summary>
    public Task<IReadOnlyList<(string Name, string Mountpoint)>> FileSystemsAsync(string dataset, CancellationToken cancellationToken) =>
        RunParsedAsync([zfs, "list", "-H", "-r", "-t", "filesystem", "-o", "name,mountpoint", dataset],
            output => ZfsOutputParser.ParseFileSystems(output, dataset), cancellationToken);

    public Task SnapshotRecursiveAsync(string snapshot, CancellationToken cancellationToken) =>
        Run([zfs, "snapshot", "-r", snapshot], cancellationToken);

    /// <summary>A read-only clone of <paramref name="snapshot"/> mounted at <paramref name="mountpoint"/> (where a zfs has no .zfs/snapshot).</summary>
    public Task CloneAsync(string snapshot, string clone, string mountpoint, CancellationToken cancellationToken) =>
        Run([zfs, "clone", "-o", "readonly=on", "-o", $"mountpoint={mountpoint}", snapshot, clone], cancellationToken);

    public Task DestroyAsync(string snapshot, CancellationToken cancellationToken) => Run([zfs, "destroy", snapshot], cancellationToken);

    /// <summary>Renames a file system, unmounted first (some zfs versions refuse to rename a mounted one: "dataset is busy").</summary>
    public async Task RenameAsync(string dataset, string newName, CancellationToken cancellationToken)
    {
        await runner.RunAsync(Command([zfs, "unmount", dataset]) with { SuccessCodes = [0, 1] }, cancellationToken);
        await Run([zfs, "rename", dataset, newName], cancellationToken);
    }

    /// <summary>
    /// Destroys a snapshot, retrying a few times while it is busy (a send that was just stopped can hold it for a
    /// moment).
    /// </summary>
    public async Task DestroyWhenFreeAsync(string snapshot, CancellationToken cancellationToken, params string[] flags)
    {
        for (var attempt = 1; ; attempt++)
        {
            var command = Command([zfs, "destroy", .. flags, snapshot]) with { SuccessCodes = [0, 1] };
            var result = await runner.RunAsync(command, cancellationToken);
            if (result.ExitCode == 0 || result.StandardErrorTail.Contains("could not find any snapshots", StringComparison.Ordinal))
            {
                return;
            }
            if (attempt == 5 || !result.StandardErrorTail.Contains("busy", StringComparison.Ordinal))
            {
                throw new ToolFailedException(command, $"exit code {result.ExitCode}", result);
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    public Task RollbackAsync(string snapshot, CancellationToken cancellationToken) => Run([zfs, "rollback", "-r", snapshot], cancellationToken);

    /// <summary>Places our hold; a snapshot that already has it is fine.</summary>
    public async Task HoldAsync(string tag, string snapshot, CancellationToken cancellationToken)
    {
        var command = Command([zfs, "hold", tag, snapshot]) with { SuccessCodes = [0, 1] };
        var result = await runner.RunAsync(command, cancellationToken);
        if (result.ExitCode != 0 && !result.StandardErrorTail.Contains("tag already exists", StringComparison.Ordinal))
        {
            throw new ToolFailedException(command, $"exit code {result.ExitCode}", result);
        }
    }

    /// <summary>Releases our hold: true if it was there; false when zfs says the snapshot has no such tag; any other failure is zfs's.</summary>
    public async Task<bool> ReleaseAsync(string tag, string snapshot, CancellationToken cancellationToken)
    {
        var command = Command([zfs, "release", tag, snapshot]) with { SuccessCodes = [0, 1] };
        var result = await runner.RunAsync(command, cancellationToken);
        return result.ExitCode == 0 || (result.StandardErrorTail.Contains("no such tag", StringComparison.Ordinal)
            ? false
            : throw new ToolFailedException(command, $"exit code {result.ExitCode}", result));
    }

    /// <summary>The send's argv: full, or incremental from <paramref name="from"/> (<c>-I</c> with intermediates, else <c>-i</c>).</summary>
    public ToolCommand Send(string snapshot, string? from, bool intermediates) =>
        Command(from is null ? [zfs, "send", "-p", snapshot] : [zfs, "send", "-p", intermediates ? "-I" : "-i", from, snapshot])
            with { Timeout = StreamTimeout };

    public ToolCommand Receive(string dataset, bool force) =>
        Command(force ? [zfs, "receive", "-F", dataset] : [zfs, "receive", dataset]) with { Timeout = StreamTimeout };

    /// <summary><c>zfs send … | zfs receive …</c>; both exit codes checked; the stream's bytes counted into <paramref name="progress"/>.</summary>
    public Task<PipeResult> SendReceiveAsync(ToolCommand send, ToolCommand receive, CancellationToken cancellationToken,
        JobTransfer? progress = null) =>
        ToolPipe.RunAsync(runner, send, receive, cancellationToken, progress: progress);

    /// <summary>
    /// Bytes a send would produce: <c>zfs send -nP</c> where the zfs has it; otherwise (zfs-fuse, old ZFS: "invalid
    /// option 'n'", exit 2; any other failure of the probe is zfs's failure) an
    /// estimate from properties, flagged as such: the snapshot's <c>referenced</c> for a full stream, the growth of
    /// <c>referenced</c> plus the <c>used</c> of the snapshots in between for an incremental one.
    /// </summary>
    public async Task<(long Bytes, bool Exact)> EstimateAsync(string snapshot, string? from, bool intermediates,
        IReadOnlyList<ZfsSnapshot> between, CancellationToken cancellationToken)
    {
        if (_sendEstimates != false)
        {
            var argv = from is null ? new[] { zfs, "send", "-n", "-P", snapshot } : [zfs, "send", "-n", "-P", intermediates ? "-I" : "-i", from, snapshot];
            var command = Command(argv) with { SuccessCodes = [0, 2] };
            var probe = await runner.RunAsync(command, cancellationToken);
            if (probe.ExitCode == 2 && !probe.StandardErrorTail.Contains("invalid option", StringComparison.Ordinal))
            {
                throw new ToolFailedException(command, "exit code 2", probe); // a usage error of ours, not a zfs without -n/-P
            }
            var size = probe.ExitCode == 0 ? ZfsOutputParser.ParseSendSize(probe.StandardOutput + "\n" + probe.StandardErrorTail) : null;
            _sendEstimates = size is not null;
            if (size is { } exact)
            {
                return (exact, true);
            }
        }
        var referenced = Bytes(await GetAsync("referenced", snapshot, cancellationToken));
        if (from is null)
        {
            return (referenced, false);
        }
        var growth = Math.Max(0, referenced - Bytes(await GetAsync("referenced", from, cancellationToken)));
        long used = 0;
        foreach (var s in between)
        {
            used += Bytes(await GetAsync("used", s.FullName, cancellationToken));
        }
        return (growth + used, false);
    }

    private static long Bytes(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private Task<ToolResult> Run(string[] argv, CancellationToken cancellationToken) => runner.RunAsync(Command(argv), cancellationToken);

    private async Task<T> RunParsedAsync<T>(string[] argv, Func<string, T> parse, CancellationToken cancellationToken)
    {
        var command = Command(argv);
        return ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), parse);
    }

    private ToolCommand Command(string[] argv) => new(argv) { Session = session };
}
