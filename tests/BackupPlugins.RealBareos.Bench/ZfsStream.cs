// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// A dataset's <c>zfs send</c> stream: through <c>source=zfs</c> (mode=stream) against the native way, a FileSet that
/// reads a FIFO (<c>Read Fifo = yes</c>) into which a client run-before script starts <c>zfs send</c>.
/// </summary>
public sealed class ZfsStream(BareosWorld world, Jobs jobs, BenchOptions options, TextWriter progress)
{
    private static readonly string[] Kinds = ["native", "bridge"];

    public async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        var bench = Path.Combine(world.Work, "bench");
        Directory.CreateDirectory(bench);
        await using var pool = await ZfsPool.CreateAsync(bench, "bpbench" + Random.Shared.Next(100000).ToString("D5"), options.LargeBytes * 2 + (512L << 20));
        var (dataset, mount) = await pool.CreateDatasetAsync("data");
        var snapshot = dataset + "@bench";
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Corpus.WriteRandomFile(Path.Combine(mount, "large.bin"), options.LargeBytes);
        await pool.RunAsync("zfs", "snapshot", snapshot);
        await progress.WriteLineAsync($"  zfs: pool {pool.Name}, {options.LargeBytes >> 20} MiB written in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
        var fifo = Path.Combine(bench, "zfs.fifo");
        var pidFile = Path.Combine(bench, "zfs-send.pid");
        var script = Path.Combine(bench, "zfs-send");
        await Check(Machine.RunAsync("mkfifo", [fifo]));
        // The send outlives the script, and the file daemon reads the script's output to its end: nothing of the send
        // may hold that pipe, not even while it waits at the FIFO for the daemon to open it.
        await File.WriteAllTextAsync(script, $"""
            #!/bin/sh
            exec </dev/null >/dev/null 2>>{script}.log
            zfs send -p {snapshot} >{fifo} &
            echo $! >{pidFile}
            """, cancellationToken);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await world.AddBackupJobAsync("bench-zfs-native", $$"""
              Include {
                Options { Signature = XXH128; Read Fifo = yes }
                File = "{{fifo}}"
              }
            """, $$"""
              RunScript {
                RunsWhen = Before
                RunsOnClient = yes
                FailJobOnError = yes
                Command = "{{script}}"
              }
            """);
        await world.AddBackupJobAsync("bench-zfs-bridge",
            LargeFile.Include($"Plugin = \"{world.Plugin($"source=zfs:dataset={dataset}:mode=stream")}\""));

        foreach (var kind in Kinds) // the host's JIT, and the first job of a run, which is the fastest of either kind
        {
            try
            {
                await jobs.RunAsync($"warm-up (not counted), zfs stream of {options.LargeName}, {kind}",
                    $"run job=bench-zfs-{kind} level=Full yes", DataWatch.Storage, cancellationToken);
            }
            finally
            {
                StopSend(pidFile, script);
            }
        }
        var runs = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var kind in LargeFile.Alternate(Kinds, round))
            {
                try
                {
                    runs[kind].Add(await jobs.RunAsync($"round {round + 1}, zfs stream of {options.LargeName}, {kind}",
                        $"run job=bench-zfs-{kind} level=Full yes", DataWatch.Storage, cancellationToken));
                }
                finally
                {
                    StopSend(pidFile, script);
                }
            }
        }
        double Median(string kind, Func<Measured, double> figure) => Report.Median(runs[kind].Select(figure));
        var name = $"zfs stream of {options.LargeName}";
        report.Rows.Add(new Row($"{name}: data-phase MB/s", Median("native", m => m.DataMBps(m.Job.Bytes)),
            Median("bridge", m => m.DataMBps(m.Job.Bytes)), Goal.RatioAtLeast, 0.95, "F0"));
        report.Rows.Add(new Row($"{name}: FD CPU s", Median("native", m => m.FdCpu), Median("bridge", m => m.FdCpu)));
        report.Rows.Add(new Row($"{name}: host CPU s (with zfs send)", double.NaN, Median("bridge", m => m.HostCpu)));
    }

    /// <summary>The native job's send (or the shell about to become it), if a failed job left it waiting at the FIFO.</summary>
    private static void StopSend(string pidFile, string script)
    {
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) &&
            CommandLine(pid) is { } argv && (argv.StartsWith("zfs\0send\0", StringComparison.Ordinal) || argv.Contains(script, StringComparison.Ordinal)))
        {
            using var send = System.Diagnostics.Process.GetProcessById(pid);
            send.Kill();
        }
        File.Delete(pidFile);
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline");
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task Check(Task<(int ExitCode, string Output)> run)
    {
        var (code, output) = await run;
        if (code != 0)
        {
            throw new InvalidOperationException(output);
        }
    }
}
