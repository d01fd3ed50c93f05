// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Jobs;

/// <summary>
/// One transfer of a standalone job (a zfs send, an archive, an export) as the operator sees it: a byte count the data
/// path advances with <see cref="Add"/> (one interlocked add per chunk: no copy, no message), which the console reads
/// on its own timer. <see cref="Complete"/> when it got to its end; <see cref="Dispose"/> ends it either way (not
/// completed: it failed or was stopped). Made by <see cref="IJobConsole.Transfer"/>.
/// </summary>
public class JobTransfer(string name, long? totalBytes, bool totalEstimated = false) : IDisposable
{
    private long _bytes;
    private int _state; // 0 running, 1 completed, 2 ended

    /// <summary>What goes where, e.g. <c>tank/data@snap -&gt; usb/data</c>.</summary>
    public string Name { get; } = name;

    /// <summary>The bytes expected in all; null when not known beforehand.</summary>
    public long? TotalBytes { get; } = totalBytes is > 0 ? totalBytes : null;

    /// <summary><see cref="TotalBytes"/> is an estimate: the transfer may end short of it or go past it.</summary>
    public bool TotalEstimated { get; } = totalEstimated;

    public long Bytes => Interlocked.Read(ref _bytes);

    public bool Completed => Volatile.Read(ref _state) == 1;

    public bool Ended => Volatile.Read(ref _state) != 0;

    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>The transfer got to its end.</summary>
    public void Complete() => End(1);

    /// <summary>Ends the transfer: as completed after <see cref="Complete"/>, else as failed.</summary>
    public void Dispose()
    {
        End(2);
        GC.SuppressFinalize(this);
    }

    private void End(int state)
    {
        if (Interlocked.CompareExchange(ref _state, state, 0) == 0)
        {
            OnEnded();
        }
    }

    /// <summary>Called once, when the transfer ends: a console that shows progress sends its last report here.</summary>
    protected virtual void OnEnded()
    {
    }
}
