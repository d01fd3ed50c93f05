// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>ZFS datasets (zfs-fuse on a file vdev) through a real Bareos: send streams by level, and files from a snapshot.</summary>
[Collection(BareosCollection.Name)]
public sealed class ZfsTests(BareosFixture world, ITestOutputHelper output)
{
    [Theory]
    [InlineData(PluginKind.Python3)]
    [InlineData(PluginKind.Grpc)]
    public async Task StreamChain_FullIncrementalDifferentialIncremental_RestoresEachStateExactly(PluginKind kind)
    {
        await using var pool = await ZfsPool.CreateAsync(world.Work, "bprbs" + Random.Shared.Next(100000, 999999));
        var (dataset, mount) = await pool.CreateDatasetAsync("data");
        await Trees.MakePlainAsync(Path.Combine(mount, "tree"));
        var job = $"zfs-stream-{kind}".ToLowerInvariant();
        await world.AddBackupJobAsync(job, $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=zfs:dataset={dataset}", kind: kind)}}"
              }
            """);
        // restore options as an operator gives them for each kind of plugin string
        var options = kind == PluginKind.Grpc ? $"grpc:{GrpcModule.Name}" : "python3";

        var full = await BackUpAsync(job, "Full", $"zfs: snapshot {dataset}@bp-F-{{0}}, sent in full");
        await ChangeAsync(mount, "after-full.txt", remove: "tree/small.txt");
        var incremental = await BackUpAsync(job, "Incremental", $"zfs: snapshot {dataset}@bp-I-{{0}}, sent as an increment from {dataset}@bp-F-{full}");
        var atIncremental = await Trees.SnapshotAsync(mount, Path.Combine(world.Work, "zfs-at-incremental.json"));
        await ChangeAsync(mount, "after-incremental.txt", remove: "tree/dir/sub/data.bin");
        var differential = await BackUpAsync(job, "Differential", $"zfs: snapshot {dataset}@bp-D-{{0}}, sent as an increment from {dataset}@bp-F-{full}");
        await ChangeAsync(mount, "after-differential.txt", remove: "after-full.txt");
        var last = await BackUpAsync(job, "Incremental", $"zfs: snapshot {dataset}@bp-I-{{0}}, sent as an increment from {dataset}@bp-D-{differential}");
        var now = await Trees.SnapshotAsync(mount, Path.Combine(world.Work, "zfs-now.json"));

        await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={full},{incremental} " +
            $"pluginoptions=\"{options}:target={pool.Name}/at-incremental\" all done yes");
        var differences = await Trees.CompareAsync(atIncremental, Path.Combine(pool.MountPoint, "at-incremental"));
        Assert.True(differences.Length == 0, differences);

        // What an operator types for "the latest state": the director picks the Full, the Differential and the Incremental after it.
        var current = await world.RestoreAsync($"restore client={BareosConfig.Client} fileset={job} current select " +
            $"pluginoptions=\"{options}:target={pool.Name}/current\" all done yes");
        output.WriteLine(current.ToString());
        differences = await Trees.CompareAsync(now, Path.Combine(pool.MountPoint, "current"));
        Assert.True(differences.Length == 0, differences);
        Assert.Equal([$"{pool.Name}/current@bp-F-{full}", $"{pool.Name}/current@bp-D-{differential}", $"{pool.Name}/current@bp-I-{last}"],
            await pool.SnapshotsAsync($"{pool.Name}/current"));
    }

    [Fact]
    public async Task FilesMode_BacksUpTheFilesOfASnapshot_AndRestoresThemExactly()
    {
        await using var pool = await ZfsPool.CreateAsync(world.Work, "bprbf" + Random.Shared.Next(100000, 999999));
        var (dataset, mount) = await pool.CreateDatasetAsync("data");
        await Trees.MakePlainAsync(Path.Combine(mount, "tree"));
        var expected = await Trees.SnapshotAsync(Path.Combine(mount, "tree"), Path.Combine(world.Work, "zfs-files.json"));
        await world.AddBackupJobAsync("zfs-files", $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes }
                Plugin = "{{world.Plugin($"source=zfs:mode=files:dataset={dataset}")}}"
              }
            """);
        var backup = await world.Console.RunJobAsync("run job=zfs-files level=Full yes");
        Assert.True(backup.Status == "T", backup + world.Logs());
        Assert.Empty(await pool.SnapshotsAsync(dataset));

        var where = Path.Combine(world.Work, "zfs-files-restored");
        await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={backup.JobId} where={where} all done yes");
        var differences = await Trees.CompareAsync(expected, where + Path.Combine(mount, "tree"));
        Assert.True(differences.Length == 0, differences);
    }

    private async Task<int> BackUpAsync(string name, string level, string message)
    {
        var job = await world.Console.RunJobAsync($"run job={name} level={level} yes");
        output.WriteLine(job.ToString());
        Assert.True(job.Status == "T", job + world.Logs());
        Assert.Contains(string.Format(message, job.JobId), job.Log);
        return job.JobId;
    }

    /// <summary>Adds a file and removes one, a second after the last job (snapshot creation times have seconds).</summary>
    private static async Task ChangeAsync(string mount, string add, string remove)
    {
        await Task.Delay(1100);
        await File.WriteAllTextAsync(Path.Combine(mount, add), $"{add}\n");
        File.Delete(Path.Combine(mount, remove));
    }
}
