// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// Keeps the FD driver honest: the real file daemon and the FD driver run the same jobs (Full and Incremental with
/// Accurate, then a restore of both) on copies of the same tree through the tracing module
/// <c>tests/realbareos/bareos-fd-bptrace.py</c>; their call sequences (callback, event / I/O function / flags, return
/// code) must be equal.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class TraceTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task TheFdDriverCallsThePluginExactlyAsTheRealFileDaemonDoes()
    {
        var tree = Path.Combine(world.Work, "trace-real");
        var copy = Path.Combine(world.Work, "trace-driver");
        await Trees.MakeAsync(tree);
        await Trees.MakeAsync(copy);
        var module = Path.Combine(Machine.Root, "tests", "realbareos");
        await world.AddBackupJobAsync("trace", $$"""
              Include {
                Options { Signature = XXH128; Xattr Support = yes; ACL Support = yes }
                Plugin = "python3:module_path={{module}}:module_name=bareos-fd-bptrace:source=dir:path={{tree}}:socket={{world.HostSocket}}"
              }
            """, "  Accurate = yes");

        var full = await BackUpAsync("Full");
        await Task.Delay(1100);
        await File.WriteAllTextAsync(Path.Combine(tree, "added.txt"), "added after the full\n"); // as driver_trace.py does
        await File.WriteAllTextAsync(Path.Combine(tree, "small.txt"), "rewritten after the full\n");
        var incremental = await BackUpAsync("Incremental");
        var restore = await world.RestoreAsync(
            $"restore client={BareosConfig.Client} jobid={full},{incremental} where={world.Work}/trace-restored all done yes");

        var real = new[] { full, incremental, restore.JobId }.Select(id => Calls(world.TraceDirectory, id)).ToArray();
        var flags = real[0].Select(c => JsonDocument.Parse(c).RootElement)
            .First(c => c.GetProperty("cb").GetString() == "start_backup_file").GetProperty("detail").GetString()!;
        var driverTraces = Path.Combine(world.Work, "trace-driver-calls");
        Directory.CreateDirectory(driverTraces);
        var (code, ran) = await Machine.RunAsync(Machine.Python, [Path.Combine(module, "driver_trace.py"), world.HostSocket, copy,
            Path.Combine(world.Work, "trace-driver-work"), driverTraces, flags]);
        Assert.True(code == 0, ran);
        output.WriteLine(ran);

        foreach (var (what, index) in new[] { ("Full", 0), ("Incremental", 1), ("restore", 2) })
        {
            var driver = Calls(driverTraces, index + 1);
            Assert.True(real[index].SequenceEqual(driver),
                $"{what}: the FD driver's calls differ from the real file daemon's\n{Diff(real[index], driver)}");
        }
    }

    private async Task<int> BackUpAsync(string level)
    {
        var job = await world.Console.RunJobAsync($"run job=trace level={level} yes");
        Assert.True(job.Status == "T", job + world.Logs());
        return job.JobId;
    }

    private static string[] Calls(string directory, int jobId)
    {
        var path = Path.Combine(directory, $"{jobId}.jsonl");
        Assert.True(File.Exists(path), $"no calls were recorded for job {jobId} in {directory}");
        return File.ReadAllLines(path);
    }

    /// <summary>Both sequences side by side from the first difference on.</summary>
    private static string Diff(string[] real, string[] driver)
    {
        var first = Enumerable.Range(0, Math.Min(real.Length, driver.Length)).FirstOrDefault(i => real[i] != driver[i], Math.Min(real.Length, driver.Length));
        var lines = new List<string> { $"first difference at call {first + 1} (real {real.Length} calls, driver {driver.Length})" };
        for (var i = Math.Max(0, first - 3); i < Math.Max(real.Length, driver.Length) && i < first + 12; i++)
        {
            lines.Add($"{i + 1,4} real:   {(i < real.Length ? real[i] : "-")}\n     driver: {(i < driver.Length ? driver[i] : "-")}");
        }
        return string.Join('\n', lines);
    }
}
