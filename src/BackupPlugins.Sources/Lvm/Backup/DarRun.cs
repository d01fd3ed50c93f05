// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// One archive of the month's chain (<see cref="DarChain"/>): dar creates it from <c>root</c>, the snapshot is checked
/// to have held, <c>dar -t</c> tests it, <c>dar -C</c> isolates its catalogue, and only then is it recorded as the last
/// good one; a failed archive's slices are removed, so the set holds good archives only and the chain goes on from the
/// last good one. Old month sets are pruned after a good archive (<c>keep_months</c>).
/// </summary>
internal sealed class DarRun(LvmBackupConfig config, DarTool dar, RunLog log, DateTimeOffset now, bool noop)
{
    /// <summary>True when the archive is good and recorded (or, under noop, would be).</summary>
    public async Task<bool> RunAsync(string root, Action throwIfOverflowed, Func<Task> checkSnapshot, CancellationToken cancellationToken)
    {
        var chain = new DarChain(config.Target, now);
        var parent = chain.Parent();
        var name = chain.NewName(config.ArchivePrefix, full: parent is null);
        await log.PrintAsync(parent is null ? $"Full backup: {name}" : $"Incremental backup: {name}");
        if (parent is not null)
        {
            await log.PrintAsync($"Based on parent: {parent}");
        }
        var archive = Path.Combine(chain.SetDirectory, name);
        var create = dar.CreateArgv(archive, root, config.Subdirs, parent is null ? null : chain.Reference(parent));
        var test = dar.TestArgv(archive);
        var isolate = dar.IsolateArgv(archive + DarChain.CatalogueSuffix, archive);
        await log.CommandAsync(create);
        if (noop)
        {
            if (config.Verify)
            {
                await log.CommandAsync(test);
            }
            await log.CommandAsync(isolate);
            await log.InfoAsync($"would record {name} in {Path.Combine(chain.SetDirectory, DarChain.Latest)} and {DarChain.Deps}");
            return true;
        }
        Directory.CreateDirectory(chain.SetDirectory);
        try
        {
            var code = await dar.RunAsync(create, cancellationToken);
            throwIfOverflowed();
            if (code != 0)
            {
                var what = code == DarTool.SomeNotSaved ? "some files could not be saved" : "some files changed while dar read them";
                if (config.DarWarningsFail)
                {
                    await log.ErrorAsync($"dar exited {code} ({what}) and [backup] dar_warnings = fail: {name} is not kept");
                    Discard(chain, name);
                    return false;
                }
                await log.WarningAsync($"dar exited {code} ({what}): {name} is kept (dar's messages above say which files)");
            }
            await checkSnapshot();
            if (config.Verify)
            {
                await log.CommandAsync(test);
                await dar.RunAsync(test, cancellationToken);
            }
            await log.CommandAsync(isolate);
            await dar.RunAsync(isolate, cancellationToken);
        }
        catch
        {
            Discard(chain, name);
            throw;
        }
        chain.Record(name, parent);
        await log.InfoAsync($"{name} recorded in {Path.Combine(chain.SetDirectory, DarChain.Latest)}");
        foreach (var month in chain.MonthsToPrune(config.KeepMonths))
        {
            await log.InfoAsync($"removing the month set {month} (keep_months = {config.KeepMonths})");
            Directory.Delete(month, recursive: true);
        }
        return true;
    }

    /// <summary>Removes a failed archive's slices and catalogue: the set keeps good archives only.</summary>
    private void Discard(DarChain chain, string name)
    {
        foreach (var file in Directory.EnumerateFiles(chain.SetDirectory)
                     .Where(f => Path.GetFileName(f).StartsWith(name + ".", StringComparison.Ordinal)
                                 || Path.GetFileName(f).StartsWith(name + DarChain.CatalogueSuffix + ".", StringComparison.Ordinal)).ToList())
        {
            File.Delete(file);
        }
    }
}
