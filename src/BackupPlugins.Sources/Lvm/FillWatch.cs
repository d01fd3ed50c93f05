// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Lvm;

/// <summary>
/// Looks at a snapshot's fill (<c>lvs -o snap_percent,lv_attr</c>) every few seconds while a job reads it. Above the
/// limit the job log gets a warning (again at every further 5 %); a snapshot that overflowed (attribute <c>I</c>:
/// LVM dropped it, and every read of it fails) fails the job — the backup would be inconsistent, never silently so.
/// </summary>
public sealed class FillWatch
{
    private readonly LvmTool _lvm;
    private readonly string _vg;
    private readonly string _snapshot;
    private readonly int _limit;
    private readonly Action<string> _warn;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private double _warnedAt;
    private volatile string? _overflow;

    private FillWatch(LvmTool lvm, string vg, string snapshot, int limit, Action<string> warn)
    {
        (_lvm, _vg, _snapshot, _limit, _warn) = (lvm, vg, snapshot, limit, warn);
    }

    /// <summary>Starts looking every <paramref name="every"/>; <paramref name="warn"/> takes the warnings (the job log).</summary>
    public static FillWatch Start(LvmTool lvm, string vg, string snapshot, int limit, TimeSpan every, Action<string> warn)
    {
        var watch = new FillWatch(lvm, vg, snapshot, limit, warn);
        watch._loop = watch.LoopAsync(every);
        return watch;
    }

    /// <summary>Throws the job's failure once the snapshot has overflowed.</summary>
    public void ThrowIfOverflowed()
    {
        if (_overflow is { } why)
        {
            throw new BackupPluginException(ErrorKind.Failed, "lvm.overflow", why);
        }
    }

    /// <summary>Looks once, now (at the end of the walk), and throws if the snapshot overflowed.</summary>
    public async Task CheckNowAsync(CancellationToken cancellationToken)
    {
        await LookAsync(cancellationToken);
        ThrowIfOverflowed();
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task LoopAsync(TimeSpan every)
    {
        while (_overflow is null)
        {
            await Task.Delay(every, _stop.Token);
            try
            {
                await LookAsync(_stop.Token);
            }
            catch (ToolFailedException ex)
            {
                _warn($"lvm: cannot look at the fill of {_vg}/{_snapshot}: {ex.Message}");
            }
        }
    }

    private async Task LookAsync(CancellationToken cancellationToken)
    {
        var found = await _lvm.FindAsync(_vg, _snapshot, cancellationToken);
        if (found is null || found.IsInvalid)
        {
            _overflow ??= $"lvm: snapshot {_vg}/{_snapshot} overflowed{(found is null ? " (it is gone)" : "")}: the backup would be " +
                          "inconsistent; raise snapshot_size";
            return;
        }
        if (found.SnapPercent is { } percent && percent >= _limit && percent >= _warnedAt + 5)
        {
            _warnedAt = percent;
            _warn(string.Create(CultureInfo.InvariantCulture,
                $"lvm: snapshot {_vg}/{_snapshot} is {percent:0.00}% full (fill_limit={_limit}); if it overflows the job fails: raise snapshot_size"));
        }
    }
}
