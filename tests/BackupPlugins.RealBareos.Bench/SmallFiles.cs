// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// A tree of small files backed up in full through the bridge (python3-fd and the shim), through the grpc-fd module and
/// by a native FileSet (alternated, the tree read into the page cache before each), then an Incremental of each with
/// nothing changed.
/// </summary>
public sealed class SmallFiles(BareosWorld world, Jobs jobs, BenchOptions options)
{
    // Bareos's own grpc-test-module only at the quick scale: at about 240 files/s it would take most of a full run.
    private string[] Kinds => options.Quick ? ["native", "bridge", "grpc", "bareos-grpc-test"] : ["native", "bridge", "grpc"];

    public async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(world.Work, "bench", "small");
        Corpus.WriteSmallTree(tree, options.SmallFiles);
        await world.AddBackupJobAsync("bench-small-native", LargeFile.Include($"File = \"{tree}\""));
        await world.AddBackupJobAsync("bench-small-bridge", LargeFile.Include($"Plugin = \"{world.Plugin($"source=dir:path={tree}")}\""));
        await world.AddBackupJobAsync("bench-small-grpc",
            LargeFile.Include($"Plugin = \"{world.Plugin($"source=dir:path={tree}", kind: PluginKind.Grpc)}\""));
        // Bareos's own grpc-fd module (C++, shipped with 25.1: walks a directory itself, one job message per file): what
        // the grpc-fd plugin costs the file daemon with a module that is not ours.
        await world.AddBackupJobAsync("bench-small-bareos-grpc-test", LargeFile.Include($"Plugin = \"grpc:grpc-test-module:file={tree}\""));

        var full = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        var incremental = Kinds.ToDictionary(k => k, _ => new List<Measured>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var kind in LargeFile.Alternate(Kinds, round))
            {
                Corpus.Warm(tree);
                full[kind].Add(await jobs.RunAsync($"round {round + 1}, {Name} Full, {kind}",
                    $"run job=bench-small-{kind} level=Full yes", DataWatch.None, cancellationToken,
                    warningsOk: kind == "bareos-grpc-test")); // its job message per file counts as an error
            }
            foreach (var kind in LargeFile.Alternate(Kinds, round).Where(k => k != "bareos-grpc-test"))
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

        report.Rows.Add(new Row($"{Name}, Full, grpc-fd: files/s (whole job)", Median(full, "native", FilesPerSecond),
            Median(full, "grpc", FilesPerSecond), Goal.RatioAtLeast, 1.0, "F0"));
        report.Rows.Add(new Row($"{Name}, Full, grpc-fd: FD + module CPU s", Median(full, "native", m => m.FdCpu), Median(full, "grpc", m => m.FdCpu)));
        // The daemon's own share (its grpc++ client and plugin loop, the module not counted): what a module that answered in
        // no time at all would still cost it; beside the native job's whole wall time it bounds the files/s any module reaches.
        report.Rows.Add(new Row($"{Name}, Full, grpc-fd: FD's own CPU s (module not counted) vs native wall s",
            Median(full, "native", m => m.Wall), Median(full, "grpc", m => m.FdOwnCpu)));
        report.Rows.Add(new Row($"{Name}, Full, grpc-fd: host CPU s", double.NaN, Median(full, "grpc", m => m.HostCpu)));
        report.Rows.Add(new Row($"{Name}, Incremental, grpc-fd, nothing changed: job s", Median(incremental, "native", m => m.Wall),
            Median(incremental, "grpc", m => m.Wall), Goal.ExtraAtMost, 0.5));
        report.Rows.Add(new Row($"{Name}, Incremental, grpc-fd: FD + module CPU s", Median(incremental, "native", m => m.FdCpu),
            Median(incremental, "grpc", m => m.FdCpu)));
        if (!options.Quick)
        {
            return;
        }
        report.Rows.Add(new Row($"{Name}, Full, Bareos's grpc-test-module: files/s", Median(full, "native", FilesPerSecond),
            Median(full, "bareos-grpc-test", FilesPerSecond), Format: "F0"));
        report.Rows.Add(new Row($"{Name}, Full, Bareos's grpc-test-module: FD + module CPU s", Median(full, "native", m => m.FdCpu),
            Median(full, "bareos-grpc-test", m => m.FdCpu)));
        report.Rows.Add(new Row($"{Name}, Full, Bareos's grpc-test-module: FD's own CPU s vs native wall s",
            Median(full, "native", m => m.Wall), Median(full, "bareos-grpc-test", m => m.FdOwnCpu)));
    }

    private string Name => $"{options.SmallFiles:N0} files";
}
