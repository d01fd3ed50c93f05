// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Tools;
using BackupPlugins.Core.Trees;
using BackupPlugins.Sources.Prlctl;

namespace BackupPlugins.Sources.Parallels;

/// <summary>How a run goes: <c>--dry-run</c> (the plan only) and <c>--vm NAME|UUID</c> (that VM only).</summary>
public sealed record ParallelsBackupOptions(bool DryRun = false, string? Vm = null);

/// <summary>
/// The seed backupParallels.py's run, done right. BeforeBackup; then per VM (in <c>prlctl list -a</c> order): the
/// uptime rule (<see cref="UptimeRule"/>); for a running VM BeforeSuspend and a suspend (journaled before it is made,
/// checked after) only for the time of a reflink clone of its bundle, then resume (checked) and AfterResume — or,
/// where the file system has no reflinks, the seed's way: tar while suspended; tar of the clone piped into the
/// compressor; the copies to every destination at once, each verified; <c>.last</c> only when the copies the policy
/// asks for succeeded. Then AfterBackup and the summary. Lines are the seed's <c>YYYY-MM-DD HH:MM:SS: text</c>.
/// Exit code 0, 1 (warnings: a hook failed), 2 (errors: a VM not backed up as it should have been).
/// </summary>
public sealed class ParallelsBackup(ParallelsConfig config, ParallelsBackupOptions options, IJobConsole console, CleanupLedger ledger,
    IToolRunner runner, TimeProvider clock, string? session = null)
{
    private readonly PrlctlTool _prlctl = new(config.Prlctl, 600, runner, session);
    private int _errors;
    private int _warnings;
    private int _backups;
    private readonly List<string> _done = [];

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var banner = $"backup-plugins parallels backup started at {Now()} ({config.Path}){(options.DryRun ? ": dry run, nothing is changed" : "")}";
        await Log(new string('=', banner.Length));
        await Log(banner);
        try
        {
            Directory.CreateDirectory(config.StatusDirectory);
            await using var runLock = await LockAsync(cancellationToken);
            await HooksAsync("BeforeBackup", config.BeforeBackup, cancellationToken);
            foreach (var vm in await VirtualMachinesAsync(cancellationToken))
            {
                await VmAsync(vm, cancellationToken);
            }
            await HooksAsync("AfterBackup", config.AfterBackup, cancellationToken);
        }
        catch (Exception ex) when (ex is BackupPluginException or ToolFailedException or FormatException or IOException)
        {
            await Error(ex.Message);
        }
        await Log($"Completed {_backups} backup(s) to {config.Destinations.Count} destination(s) with {_errors} error(s) : {string.Join(' ', _done)}");
        return _errors > 0 ? 2 : _warnings > 0 ? 1 : 0;
    }

    private Task<FileLock> LockAsync(CancellationToken cancellationToken) =>
        FileLock.AcquireRunLockAsync(Path.Combine(config.StatusDirectory, ".backupParallels.lock"), "parallels.running",
            $"parallels backup with the status directory {config.StatusDirectory}", cancellationToken);

    /// <summary>The VMs of <c>prlctl list -a -j</c> (not containers), in its order; with <c>--vm</c>, that one (by name or UUID).</summary>
    private async Task<IReadOnlyList<(string Uuid, string Name)>> VirtualMachinesAsync(CancellationToken cancellationToken)
    {
        var command = new ToolCommand([config.Prlctl, "list", "-a", "-j"]) { Session = session, StandardErrorNoise = [PrlctlTool.DeprecationNotice] };
        var all = ToolOutput.Parse(command, await runner.RunAsync(command, cancellationToken), json =>
            JsonSerializer.Deserialize<List<Dictionary<string, JsonElement>>>(json)!
                .Where(e => !e.TryGetValue("type", out var t) || t.GetString() == "VM")
                .Select(e => (Uuid: e["uuid"].GetString()!.Trim('{', '}'), Name: e["name"].GetString()!)).ToList());
        if (options.Vm is not { } wanted)
        {
            return all;
        }
        var chosen = all.Where(v => v.Name == wanted || v.Uuid.Equals(wanted.Trim('{', '}'), StringComparison.OrdinalIgnoreCase)).ToList();
        return chosen.Count > 0 ? chosen : throw new BackupPluginException(ErrorKind.NotFound, "parallels.vm",
            $"--vm {wanted}: no virtual machine of that name or UUID (prlctl list -a: {string.Join(", ", all.Select(v => v.Name))})");
    }

    private async Task VmAsync((string Uuid, string Name) vm, CancellationToken cancellationToken)
    {
        await Log(vm.Name);
        await Log(new string('-', vm.Name.Length));
        if (vm.Name.Length == 0 || vm.Name.Contains('/', StringComparison.Ordinal) || vm.Name is "." or "..")
        {
            await Error($"\"{vm.Name}\" ({vm.Uuid}) cannot name its status file and its copies (it is empty, \".\", \"..\" or holds a \"/\"); " +
                        "rename the virtual machine (prlctl set <uuid> --name NEW) to back it up");
            return;
        }
        try
        {
            var info = await _prlctl.VmInfoAsync(vm.Uuid, cancellationToken)
                       ?? throw new BackupPluginException(ErrorKind.NotFound, "parallels.vm", $"{vm.Name}: prlctl no longer knows the virtual machine {vm.Uuid}");
            var status = StatusFile.PathOf(config.StatusDirectory, vm.Name);
            var last = StatusFile.Read(status, out var why);
            if (last is null)
            {
                await Log($"{status} {why} - forcing a backup");
            }
            var decision = UptimeRule.Decide(info.UptimeSeconds, last, config.BackupRotations);
            await Log($"{vm.Name}: Up: {decision.Uptime}, lastUp: {last?.Uptime ?? 0}, Location: {info.Home}, lastBackup no: {last?.Number ?? 0}, state: {info.State}");
            if (!decision.Backup)
            {
                await Log($"Not backing up {vm.Name}: {decision.Reason}");
                return;
            }
            var name = RemoteCopy.RemoteName(vm.Name, decision.Number, config.Compression.Extension);
            if (options.DryRun)
            {
                await Log($"would back up {vm.Name} into slot {decision.Number} ({decision.Reason}): " +
                          (info.State == "running" ? "suspend, reflink clone of the bundle, resume, " : "") +
                          $"tar | {Path.GetFileName(config.Compression.Program)}, copy as {name} to {string.Join(", ", config.Destinations)}");
                return;
            }
            await BackupAsync(vm, info, decision, cancellationToken);
        }
        catch (Exception ex) when (ex is BackupPluginException or ToolFailedException or FormatException or IOException or UnauthorizedAccessException)
        {
            await Error($"{vm.Name}: {ex.Message}");
        }
    }

    private async Task BackupAsync((string Uuid, string Name) vm, PrlctlVmInfo info, BackupDecision decision, CancellationToken cancellationToken)
    {
        var home = info.Home.TrimEnd('/');
        var bundleBytes = CheckSpace(home);
        var bundleClone = new BundleClone(home, vm.Uuid);
        bundleClone.CheckAbsent();
        var clonePath = bundleClone.ClonePath;
        var hooks = config.VmHooks.GetValueOrDefault(vm.Name);
        var target = Path.Combine(config.TempDirectory, $"{vm.Name}.tar.{config.Compression.Extension}");
        var compressor = new Compressor(config.Compression);
        var tarFile = compressor.Pipes ? null : BundleArchive.UncompressedPath(target, compressor); // the seed's in-place form
        if (File.Exists(target) || (tarFile is not null && File.Exists(tarFile)))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "parallels.temp-left",
                $"{(File.Exists(target) ? target : tarFile)} exists: an archive an earlier run left; `backup-plugins sweep` removes it if a run of ours made it " +
                "(the VM was not suspended)");
        }
        JournalEntry? suspended = null;
        JournalEntry? clone = null;
        var archive = ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.TempFile, target, $"remove {target}",
            (entry, ct) => ParallelsEffects.UndoAsync(runner, entry, session, ct));
        var uncompressed = tarFile is null ? null : ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.TempFile, tarFile,
            $"remove {tarFile}", (entry, ct) => ParallelsEffects.UndoAsync(runner, entry, session, ct));
        var suspendedFor = Stopwatch.StartNew();
        try
        {
            if (info.State == "running")
            {
                await HooksAsync("BeforeSuspend", hooks.BeforeSuspend ?? [], cancellationToken);
                await Log($"Suspending {vm.Name}");
                suspended = ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.Suspend, vm.Uuid, $"resume VM {vm.Name}",
                    (entry, ct) => ParallelsEffects.UndoAsync(runner, entry, session, ct),
                    new Dictionary<string, string> { [ParallelsEffects.Prlctl] = config.Prlctl, [ParallelsEffects.Name] = vm.Name });
                suspendedFor.Restart();
                await _prlctl.ChangeStateAsync(vm.Uuid, "suspend", "suspended", cancellationToken);
            }
            var read = home;
            clone = ledger.AddDurable(ParallelsEffects.Source, ParallelsEffects.Clone, clonePath, $"remove {clonePath}",
                (entry, ct) => ParallelsEffects.UndoAsync(runner, entry, session, ct));
            Directory.CreateDirectory(bundleClone.Holder);
            try
            {
                await runner.RunAsync(bundleClone.Command(config.CopyTimeout, session), cancellationToken);
                read = clonePath;
            }
            catch (ToolFailedException ex)
            {
                await ledger.UndoNowAsync(clone);
                clone = null;
                await Log($"no reflink clone of {home} ({ex.Result?.StandardErrorTail.Trim() ?? ex.Message}): tar while {(suspended is null ? "it is not running" : "suspended")}, as the seed did");
            }
            if (clone is not null && suspended is not null)
            {
                await ResumeAsync(vm.Name, suspended, suspendedFor, hooks.AfterResume ?? [], cancellationToken);
                suspended = null;
            }
            long tarBytes;
            using (var progress = console.Transfer($"{home} -> {target}", bundleBytes, totalEstimated: true)) // tar's stream: about the bundle's allocated size
            {
                tarBytes = await new BundleArchive(runner, config.Tar, compressor, session)
                    .WriteAsync(home, read, target, config.Compression.Timeout, cancellationToken, progress);
                progress.Complete();
            }
            if (suspended is not null)
            {
                await ResumeAsync(vm.Name, suspended, suspendedFor, hooks.AfterResume ?? [], cancellationToken);
                suspended = null;
            }
            if (clone is not null)
            {
                await ledger.UndoNowAsync(clone);
                clone = null;
            }
            var compressed = new FileInfo(target).Length;
            await Log(string.Create(CultureInfo.InvariantCulture,
                $"Compressed from {tarBytes / 1e9:F2}Gb to {compressed / 1e9:F2}Gb: {(tarBytes == 0 ? 0 : 100.0 * compressed / tarBytes):F2}%"));
            await CopyAsync(vm.Name, decision, target, cancellationToken);
        }
        finally
        {
            foreach (var left in new[] { suspended, clone, uncompressed, archive }.OfType<JournalEntry>())
            {
                try
                {
                    await ledger.UndoNowAsync(left); // resume the VM, remove the clone: on every path out of here
                }
                catch (Exception ex) when (ex is BackupPluginException or ToolFailedException or IOException)
                {
                    await Error($"{vm.Name}: {ex.Message}");
                }
            }
        }
    }

    private async Task ResumeAsync(string vm, JournalEntry suspended, Stopwatch suspendedFor, IReadOnlyList<HookLine> afterResume, CancellationToken cancellationToken)
    {
        await ledger.UndoNowAsync(suspended);
        await Log(string.Create(CultureInfo.InvariantCulture, $"Resumed {vm}: suspended for {suspendedFor.Elapsed.TotalSeconds:F2} s"));
        await HooksAsync("AfterResume", afterResume, cancellationToken);
    }

    private async Task CopyAsync(string vm, BackupDecision decision, string file, CancellationToken cancellationToken)
    {
        var outcomes = await RemoteCopy.For(config, runner, session)
            .CopyAsync(file, vm, decision.Number, config.Compression.Extension, config.Destinations, cancellationToken);
        foreach (var o in outcomes)
        {
            await Log(o.Success ? $"copy completed to {o.Destination}: {o.RemotePath}, {o.Bytes} bytes, SHA-256 {o.Sha256}" : $"copy failed: {o.Error}");
        }
        var good = outcomes.Count(o => o.Success);
        var enough = config.Require == CopyPolicy.All ? good == outcomes.Count && good > 0 : good > 0;
        if (!enough)
        {
            await Error($"{vm}: {good} of {outcomes.Count} copies completed ([scp] require = {config.Require.ToString().ToLowerInvariant()}); " +
                        $"{StatusFile.PathOf(config.StatusDirectory, vm)} not updated, so the next run backs it up again");
            return;
        }
        StatusFile.Write(StatusFile.PathOf(config.StatusDirectory, vm), decision.Number, decision.Uptime);
        _backups++;
        _done.Add($"{vm}[{decision.Number}]");
        await Log($"{good} copies of {vm} completed");
    }

    /// <summary>The temp directory must hold the bundle's allocated size (what tar reads; compressed, it is less); returns that size.</summary>
    private long CheckSpace(string home)
    {
        var needed = new DirectoryInfo(home).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => AllocatedBytes(f.FullName));
        var free = new DriveInfo(config.TempDirectory).AvailableFreeSpace;
        if (free < needed)
        {
            throw new BackupPluginException(ErrorKind.Precondition, "parallels.space",
                $"[main] TempDirectory {config.TempDirectory} has {free} bytes free, and the bundle {home} holds {needed}; " +
                "free space there or point TempDirectory at a larger file system (the VM was not suspended)");
        }
        return needed;
    }

    private static long AllocatedBytes(string path) =>
        Core.Posix.FileSystem.TryLStat(Core.Posix.PosixPath.FromString(path), out var st, out _) ? (long)st.Blocks * 512 : 0;

    /// <summary>The operator's own hook lines, through <c>/bin/sh -c</c> (the one place a shell is right); a failure is a warning.</summary>
    private async Task HooksAsync(string key, IReadOnlyList<HookLine> lines, CancellationToken cancellationToken)
    {
        foreach (var line in lines)
        {
            if (line.Logged)
            {
                await Log(line.Text);
            }
            if (!line.Run || options.DryRun)
            {
                continue;
            }
            try
            {
                await runner.RunAsync(new ToolCommand(["/bin/sh", "-c", line.Text])
                {
                    Session = session, Timeout = TimeSpan.FromHours(1), Secret = !line.Logged,
                }, cancellationToken);
            }
            catch (ToolFailedException ex)
            {
                _warnings++;
                await Log($"warning: {key}: {ex.Message}");
            }
        }
    }

    private string Now() => clock.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>One log line per line of <paramref name="text"/> (a tool's message may have several), each with its time.</summary>
    private async Task Log(string text)
    {
        var now = Now();
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            await console.Out.WriteLineAsync($"{now}: {line.TrimEnd('\r')}");
        }
    }

    private Task Error(string text)
    {
        _errors++;
        return Log("error: " + text);
    }
}
