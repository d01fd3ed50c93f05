// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// Full, Incremental and Differential jobs of <c>source=dir</c> through a real Bareos 25.1, Accurate on and off: files
/// changed, added and deleted between the jobs; the newest state restored ("select current") after each level.
/// With Accurate a deleted file stays deleted; without it Bareos brings it back, as it does for its own FileSets. Through
/// the python3 plugin and through the grpc-fd module (checkFile over its own wire).
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class LevelsTests(BareosFixture world, ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, PluginKind.Python3)]
    [InlineData(false, PluginKind.Python3)]
    [InlineData(true, PluginKind.Grpc)]
    [InlineData(false, PluginKind.Grpc)]
    public async Task EachLevel_RestoredAsCurrent_IsTheTreeAtThatJob(bool accurate, PluginKind kind)
    {
        var name = (accurate ? "levels-accurate-" : "levels-plain-") + kind.ToString().ToLowerInvariant();
        var source = Path.Combine(world.Work, name);
        Write(source, "a.txt", "first a");
        Write(source, "b.txt", "b, deleted before the Incremental");
        Write(source, "dir/c.txt", "first c");
        await world.AddBackupJobAsync(name, $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=dir:path={source}", kind: kind)}}"
              }
            """, $"  Accurate = {(accurate ? "yes" : "no")}");
        await RunAsync(name, "Full");

        await Task.Delay(1100); // Bareos compares whole seconds
        Write(source, "a.txt", "second a, changed");
        Write(source, "new.txt", "added after the Full");
        File.Delete(Path.Combine(source, "b.txt"));
        var afterIncremental = await Trees.SnapshotAsync(source);
        var incremental = await RunAsync(name, "Incremental");
        Assert.True(incremental.Files is >= 2 and <= 4, incremental.ToString()); // what changed (and, Accurate, the parents)
        Assert.Equal(accurate ? "" : "unexpected: 'b.txt'\n", await RestoreCurrentAsync(name, source, afterIncremental));

        await Task.Delay(1100);
        Write(source, "dir/c.txt", "second c, changed after the Incremental");
        var afterDifferential = await Trees.SnapshotAsync(source);
        await RunAsync(name, "Differential");
        Assert.Equal(accurate ? "" : "unexpected: 'b.txt'\n", await RestoreCurrentAsync(name, source, afterDifferential));
    }

    private async Task<JobResult> RunAsync(string job, string level)
    {
        var result = await world.Console.RunJobAsync($"run job={job} level={level} yes");
        output.WriteLine(result.ToString());
        Assert.True(result.Status == "T", result + world.Logs());
        return result;
    }

    /// <summary>Restores the newest state of the job's FileSet to a fresh where=; returns the differences to <paramref name="expected"/>.</summary>
    private async Task<string> RestoreCurrentAsync(string job, string source, string expected)
    {
        var where = Path.Combine(world.Work, $"{job}-restored-{Guid.NewGuid():N}");
        var restore = await world.Console.RunJobAsync(
            $"restore client={BareosConfig.Client} fileset={job} where={where} select current all done yes");
        output.WriteLine(restore.ToString());
        Assert.True(restore.Status == "T", restore + world.Logs());
        return await Trees.CompareAsync(expected, where + source);
    }

    private static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
