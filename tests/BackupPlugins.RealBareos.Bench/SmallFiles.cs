// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// A tree of small files backed up in full through the bridge and by a native FileSet (alternated, the tree read into
/// the page cache before each), then an Incremental of each with nothing changed.
/// </summary>
public sealed class SmallFiles(BareosWorld world, Jobs jobs, BenchOptions options)
{
    private static readonly string[] Kinds = ["native", "bridge"];

    public async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(world.Work, "bench", "small");
        Corpus.WriteSmallTree(tree, options.SmallFiles);
        await world.AddBackupJobAsync("bench-small-native", LargeFile.Include($"File = \"{tree}\""));
        await world.AddBackupJobAsync("bench-small-bridge", LargeFile.Include($"Plugin = \"{world.Plugin($"source=dir:path={tree}")}\""));

        var full = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        var incremental = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var kind in LargeFile.Alternate(Kinds, round))
            {
                Corpus.Warm(tree);
                full[kind].Add(await jobs.RunAsync($"round {round + 1}, {Name} Full, {kind}",
                    $"run job=bench-small-{kind} level=Full yes", DataWatch.None, cancellationToken));
            }
            foreach (var kind in LargeFile.Alternate(Kinds, round))
            {
                incremental[kind].Add(await jobs.RunAsync($"round {round + 1}, {Name} Incremental (nothing changed), {kind}",
                    $"run job=bench-small-{kind} level=Incremental yes", DataWatch.None, cancellationToken));
            }
        }
        double Median(Dictionary<string, List<Measured>> runs, string kind, Func<Measured, double> figure) =>
            Report.Median(runs[kind].Select(figure));
        double FilesPerSecond(Measured m) => options.SmallFiles / m.Wall;
        report.Rows.Add(new Row($"{Name}, Full: files/s (whole job)", Median(full, "native", FilesPerSecond),
            Median(full, "bridge", FilesPerSecond), Goal.RatioAtLeast, 0.8, "F0"));
        report.Rows.Add(new Row($"{Name}, Full: FD CPU s", Median(full, "native", m => m.FdCpu), Median(full, "bridge", m => m.FdCpu)));
        report.Rows.Add(new Row($"{Name}, Full: host CPU s", double.NaN, Median(full, "bridge", m => m.HostCpu)));
        report.Rows.Add(new Row($"{Name}, Incremental, nothing changed: job s", Median(incremental, "native", m => m.Wall),
            Median(incremental, "bridge", m => m.Wall), Goal.ExtraAtMost, 2));
        report.Rows.Add(new Row($"{Name}, Incremental: FD CPU s", Median(incremental, "native", m => m.FdCpu),
            Median(incremental, "bridge", m => m.FdCpu)));
        report.Rows.Add(new Row($"{Name}, Incremental: host CPU s", double.NaN, Median(incremental, "bridge", m => m.HostCpu)));
    }

    private string Name => $"{options.SmallFiles:N0} files";
}
