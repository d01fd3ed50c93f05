// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// One large file: backed up through the bridge on the path and on the socket data path, through the grpc-fd module,
/// and by a native FileSet (page cache warmed before each job, the four alternated), then restored from the path backup
/// and from the native one.
/// </summary>
public sealed class LargeFile(BareosWorld world, Jobs jobs, BenchOptions options)
{
    private static readonly string[] Kinds = ["native", "path", "socket", "grpc"];

    public async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(world.Work, "bench", "large");
        var file = Path.Combine(directory, "large.bin");
        Corpus.WriteRandomFile(file, options.LargeBytes);
        await world.AddBackupJobAsync("bench-large-native", Include($"File = \"{directory}\""));
        await world.AddBackupJobAsync("bench-large-path", Include($"Plugin = \"{world.Plugin($"source=dir:path={directory}")}\""));
        await world.AddBackupJobAsync("bench-large-socket",
            Include($"Plugin = \"{world.Plugin($"source=dir:path={directory}:datapath=socket")}\""));
        await world.AddBackupJobAsync("bench-large-grpc",
            Include($"Plugin = \"{world.Plugin($"source=dir:path={directory}", kind: PluginKind.Grpc)}\""));

        foreach (var kind in Kinds)
        {
            Corpus.Warm(file);
            await jobs.RunAsync($"warm-up (not counted), {options.LargeName} backup, {kind}", $"run job=bench-large-{kind} level=Full yes",
                DataWatch.Storage, cancellationToken);
        }
        var backups = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var kind in Alternate(Kinds, round))
            {
                Corpus.Warm(file);
                backups[kind].Add(await jobs.RunAsync($"round {round + 1}, {options.LargeName} backup, {kind}",
                    $"run job=bench-large-{kind} level=Full yes", DataWatch.Storage, cancellationToken));
            }
        }
        AddBackupRows(report, backups);
        await RestoreAsync(report, file, backups["native"][^1].Job.JobId, backups["path"][^1].Job.JobId, cancellationToken);
    }

    private void AddBackupRows(Report report, Dictionary<string, List<Measured>> backups)
    {
        double Rate(string kind) => Report.Median(backups[kind].Select(m => m.DataMBps(options.LargeBytes)));
        double FdCpu(string kind) => Report.Median(backups[kind].Select(m => m.FdCpu));
        double HostCpu(string kind) => Report.Median(backups[kind].Select(m => m.HostCpu));
        var name = $"{options.LargeName} backup";
        report.Rows.Add(new Row($"{name}, path: data-phase MB/s", Rate("native"), Rate("path"), Goal.RatioAtLeast, 0.95, "F0"));
        report.Rows.Add(new Row($"{name}, path: FD CPU s", FdCpu("native"), FdCpu("path"), Goal.RatioAtMost, 1.10));
        report.Rows.Add(new Row($"{name}, path: host CPU s", double.NaN, HostCpu("path")));
        report.Rows.Add(new Row($"{name}, socket: data-phase MB/s", Rate("native"), Rate("socket"), Goal.RatioAtLeast, 0.90, "F0"));
        report.Rows.Add(new Row($"{name}, socket: FD CPU s", FdCpu("native"), FdCpu("socket"), Goal.RatioAtMost, 1.15));
        report.Rows.Add(new Row($"{name}, socket: host CPU s", double.NaN, HostCpu("socket")));
        report.Rows.Add(new Row($"{name}, grpc-fd: data-phase MB/s", Rate("native"), Rate("grpc"), Goal.RatioAtLeast, 0.98, "F0"));
        report.Rows.Add(new Row($"{name}, grpc-fd: FD + module CPU s", FdCpu("native"), FdCpu("grpc"), Goal.RatioAtMost, 1.10));
        report.Rows.Add(new Row($"{name}, grpc-fd: host CPU s", double.NaN, HostCpu("grpc")));
    }

    /// <summary>Restores of the file to a where= on the same file system, alternated, each deleted before the next.</summary>
    private async Task RestoreAsync(Report report, string file, int nativeJob, int bridgeJob, CancellationToken cancellationToken)
    {
        var restores = new Dictionary<string, List<Measured>> { ["native"] = [], ["bridge"] = [] };
        var from = new Dictionary<string, int> { ["native"] = nativeJob, ["bridge"] = bridgeJob };
        async Task<Measured> Restore(string what, string kind)
        {
            var where = Path.Combine(world.Work, "bench", $"restored-{kind}");
            var measured = await jobs.RunAsync($"{what}, {options.LargeName} restore, {kind} (of job {from[kind]})",
                $"restore client={BareosConfig.Client} jobid={from[kind]} where={where} all done yes", DataWatch.FileDaemon,
                cancellationToken);
            var restored = new FileInfo(where + file);
            if (!restored.Exists || restored.Length != options.LargeBytes)
            {
                throw new InvalidOperationException($"the {kind} restore did not bring back {file} whole under {where}");
            }
            Directory.Delete(where, recursive: true);
            return measured;
        }
        foreach (var kind in restores.Keys)
        {
            await Restore("warm-up (not counted)", kind);
        }
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var kind in Alternate(["native", "bridge"], round))
            {
                restores[kind].Add(await Restore($"round {round + 1}", kind));
            }
        }
        double Median(string kind, Func<Measured, double> figure) => Report.Median(restores[kind].Select(figure));
        var name = $"{options.LargeName} restore";
        report.Rows.Add(new Row($"{name}: data-phase MB/s", Median("native", m => m.DataMBps(options.LargeBytes)),
            Median("bridge", m => m.DataMBps(options.LargeBytes)), Goal.RatioAtLeast, 0.85, "F0"));
        report.Rows.Add(new Row($"{name}: FD CPU s", Median("native", m => m.FdCpu), Median("bridge", m => m.FdCpu)));
        report.Rows.Add(new Row($"{name}: host CPU s", double.NaN, Median("bridge", m => m.HostCpu)));
    }

    /// <summary>The same options for the native FileSet and the plugin.</summary>
    public static string Include(string what) => $$"""
          Include {
            Options { Signature = XXH128 }
            {{what}}
          }
        """;

    /// <summary>Even rounds in the given order, odd rounds reversed, so that drift on the machine falls on every kind alike.</summary>
    public static IEnumerable<string> Alternate(string[] kinds, int round) => round % 2 == 0 ? kinds : kinds.Reverse();
}
