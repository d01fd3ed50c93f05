// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BackupPlugins.RealBareos.Bench;

/// <summary>CPU seconds of a process as the kernel counts them (<c>/proc/&lt;pid&gt;/stat</c>): every thread, living or ended.</summary>
public static partial class Cpu
{
    private static readonly double Tick = 1.0 / sysconf(ScClkTck);
    private const int ScClkTck = 2;

    /// <summary>utime + stime; with <paramref name="children"/> also those of its children it has waited for (a host's <c>zfs send</c>).</summary>
    public static double Seconds(int pid, bool children = false)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // f[0] is field 3 (state); utime is field 14
        var ticks = long.Parse(f[11]) + long.Parse(f[12]) + (children ? long.Parse(f[13]) + long.Parse(f[14]) : 0);
        return ticks * Tick;
    }

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}

/// <summary>
/// Polls the bytes a process has written (<c>wchar</c> of <c>/proc/&lt;pid&gt;/io</c>: its volume writes for the storage
/// daemon, the restored file for the file daemon) every 10 ms on a thread of its own, until <see cref="Stop"/>.
/// </summary>
public sealed class WriteSampler : IDisposable
{
    private readonly int _pid;
    private readonly List<(long Ticks, long Bytes)> _samples = [];
    private readonly Thread _thread;
    private volatile bool _stop;

    public WriteSampler(int pid)
    {
        _pid = pid;
        Sample();
        _thread = new Thread(Run) { IsBackground = true, Name = $"wchar of {pid}" };
        _thread.Start();
    }

    /// <summary>Stops polling; returns the data phase in seconds, or null when nothing like data was written.</summary>
    public double? Stop()
    {
        _stop = true;
        _thread.Join();
        return DataPhase.Seconds(_samples);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        while (!_stop)
        {
            Thread.Sleep(10);
            Sample();
        }
    }

    private void Sample()
    {
        foreach (var line in File.ReadLines($"/proc/{_pid}/io"))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                _samples.Add((Stopwatch.GetTimestamp(), long.Parse(line.AsSpan(6).Trim())));
                return;
            }
        }
    }
}

/// <summary>The data phase of a job from samples of a process's written bytes.</summary>
public static class DataPhase
{
    /// <summary>
    /// A poll interval "grew" when at least this much was written in it: a daemon's messages to the director are far
    /// smaller, data at a few MB/s is larger.
    /// </summary>
    public const long Growth = 32 << 10;

    /// <summary>
    /// From the first to the last interval that grew, each edge taken in the middle of its interval (the writes began
    /// and ended somewhere inside), so the figure is good to about one interval.
    /// </summary>
    public static double? Seconds(IReadOnlyList<(long Ticks, long Bytes)> samples)
    {
        var grew = Enumerable.Range(1, Math.Max(0, samples.Count - 1)).Where(i => samples[i].Bytes - samples[i - 1].Bytes >= Growth).ToList();
        if (grew.Count == 0)
        {
            return null;
        }
        double Mid(int i) => (samples[i - 1].Ticks + samples[i].Ticks) / 2.0;
        var ticks = grew.Count == 1 ? samples[grew[0]].Ticks - samples[grew[0] - 1].Ticks : Mid(grew[^1]) - Mid(grew[0]);
        return ticks / Stopwatch.Frequency;
    }
}
