// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace BackupPlugins.RealBareos.Bench;

/// <summary>Whose written bytes mark the data phase of a job.</summary>
public enum DataWatch
{
    None,
    /// <summary>The storage daemon's volume writes: a backup.</summary>
    Storage,
    /// <summary>The file daemon's writes of the restored files: a restore.</summary>
    FileDaemon,
}

/// <summary>One measured job: what the catalog says, its wall time, the CPU the file daemon and the host used, its data phase.</summary>
/// <remarks><see cref="FdCpu"/> counts the daemon's children it reaped (a grpc-fd module); <see cref="FdOwnCpu"/> the daemon alone.</remarks>
public sealed record Measured(string What, JobResult Job, double Wall, double FdCpu, double HostCpu, double? Data, double SdCpu = double.NaN,
    double FdOwnCpu = double.NaN)
{
    public double DataMBps(long bytes) => Data is { } s and > 0 ? bytes / s / 1e6 : double.NaN;

    public override string ToString() =>
        $"{What}: job {Job.JobId} {Job.Status}, {Job.Files} files, {Job.Bytes} bytes, wall {Wall:F2} s, " +
        $"data {(Data is { } d ? $"{d:F2} s" : "-")}, FD CPU {FdCpu:F2} s (own {FdOwnCpu:F2} s), host CPU {HostCpu:F2} s, SD CPU {SdCpu:F2} s";
}

/// <summary>
/// Runs jobs one at a time and measures each from outside the daemons. Wall time runs from the <c>run</c> command to
/// the director's job report appearing in its message log (polled every 10 ms; bconsole's <c>wait</c> polls once a
/// second): job setup, the data, and the director's catalog work at the end, as an operator waits for them.
/// </summary>
public sealed partial class Jobs(BareosWorld world, TextWriter progress, string? profile = null)
{
    private readonly int _storageDaemon = world.StorageDaemonProcessId;

    public List<Measured> All { get; } = [];

    /// <summary>Runs a job (a bconsole command ending in "yes"); throws unless it ended well (T; or W, <paramref name="warningsOk"/>).</summary>
    public async Task<Measured> RunAsync(string what, string command, DataWatch watch, CancellationToken cancellationToken,
        bool warningsOk = false)
    {
        sync(); // dirty pages of the job before are written back now, not during this one
        await Task.Delay(500, cancellationToken);
        var logStart = new FileInfo(world.DirectorMessages) is { Exists: true } log ? log.Length : 0;
        var (fd, host) = (world.FileDaemonProcessId, world.HostProcessId);
        var (fdCpu, fdOwnCpu, hostCpu, sdCpu) =
            (Cpu.Seconds(fd, children: true), Cpu.Seconds(fd), Cpu.Seconds(host, children: true), Cpu.Seconds(_storageDaemon));
        using var sampler = watch switch
        {
            DataWatch.Storage => new WriteSampler(_storageDaemon),
            DataWatch.FileDaemon => new WriteSampler(fd),
            _ => null,
        };
        var profiler = profile is null ? null : FdProfile.Start(profile, fd, $"run-{All.Count + 1}");
        var started = Stopwatch.GetTimestamp();
        var id = await world.Console.QueueAsync(command);
        await WaitForReportAsync(id, logStart, cancellationToken);
        var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var data = sampler?.Stop();
        if (profiler is not null)
        {
            await progress.WriteLineAsync($"    file daemon profile of job {id}: {await profiler.StopAsync()}");
        }
        var measured = new Measured(what, await world.Console.WaitAsync(id), wall,
            Cpu.Seconds(fd, children: true) - fdCpu, Cpu.Seconds(host, children: true) - hostCpu, data, Cpu.Seconds(_storageDaemon) - sdCpu,
            Cpu.Seconds(fd) - fdOwnCpu);
        if (measured.Job.Status != "T" && !(warningsOk && measured.Job.Status == "W"))
        {
            throw new JobFailedException(measured.Job, world.Logs());
        }
        All.Add(measured);
        await progress.WriteLineAsync("  " + measured);
        return measured;
    }

    private async Task WaitForReportAsync(int jobId, long logStart, CancellationToken cancellationToken)
    {
        var report = new Regex($@"^\s+JobId:\s+{jobId}\s*$[\s\S]*?^\s+Termination:", RegexOptions.Multiline);
        var text = new StringBuilder();
        var offset = logStart;
        var deadline = DateTime.UtcNow.AddHours(2);
        while (!report.IsMatch(text.ToString()))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} did not end within two hours: {world.Logs()}");
            }
            await Task.Delay(10, cancellationToken);
            offset += Append(text, offset);
        }
    }

    private long Append(StringBuilder text, long offset)
    {
        if (!File.Exists(world.DirectorMessages))
        {
            return 0;
        }
        using var file = new FileStream(world.DirectorMessages, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Seek(offset, SeekOrigin.Begin);
        var bytes = new byte[file.Length - offset];
        var n = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        text.Append(Encoding.UTF8.GetString(bytes, 0, n));
        return n;
    }

    [LibraryImport("libc")]
    private static partial void sync();
}
