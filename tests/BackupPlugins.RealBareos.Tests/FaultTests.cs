// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// Jobs that end badly through a real Bareos: cancelled by the operator, or the host killed while a job needs it. The
/// jobs are slowed by the Job's <c>Maximum Bandwidth</c> so that the fault lands in the middle of the data.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class FaultTests(BareosFixture world, ITestOutputHelper output)
{
    private const string Slow = "  Maximum Bandwidth = 8 mb/s";

    [Fact]
    public async Task CancelInTheMiddleOfAZfsStream_EndsTheJobCancelled_AndLeavesNoSnapshotBehind()
    {
        var (pool, dataset, jobId) = await StartSlowZfsBackupAsync("fault-cancel");
        await using var _ = pool;
        output.WriteLine(await world.Console.RunAsync($"cancel jobid={jobId} yes"));
        var job = await world.Console.WaitAsync(jobId);
        output.WriteLine(job.ToString());

        Assert.Equal("A", job.Status);
        Assert.True(job.Bytes < 256 << 20, $"the job was cancelled after all its data: {job}");
        await AssertNothingLeftAsync(pool, dataset);
    }

    [Fact]
    public async Task HostKilledMidWalk_FailsTheJobWithinTenSeconds_AndTheFileDaemonLives()
    {
        var source = Path.Combine(world.Work, "fault-walk");
        for (var d = 0; d < 20; d++)
        {
            Directory.CreateDirectory(Path.Combine(source, $"d{d:00}"));
            for (var f = 0; f < 250; f++)
            {
                await File.WriteAllBytesAsync(Path.Combine(source, $"d{d:00}", $"f{f:000}"), new byte[8192]);
            }
        }
        await world.AddBackupJobAsync("fault-walk", $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=dir:path={source}")}}"
              }
            """, "  Maximum Bandwidth = 2 mb/s");

        var jobId = await world.Console.QueueAsync("run job=fault-walk level=Full yes");
        await world.Console.WaitForProgressAsync(BareosConfig.Client, jobId, files: 200);
        var (job, seconds) = await KillHostAndWaitAsync(jobId);
        try
        {
            Assert.Equal("f", job.Status);
            Assert.True(job.Files < 5000, job.ToString());
            Assert.Contains($"Fatal error: python3-fd-mod: backupplugins: {Lost}", job.Log);
            Assert.Contains(LostTail, job.Log);
            Assert.True(seconds < 10, $"the job took {seconds:0.0} s to fail after the host was killed");
        }
        finally
        {
            await world.StartHostAsync();
        }
        await AssertFileDaemonAnswersAsync();
    }

    [Fact]
    public async Task HostKilledMidStream_FailsTheJobWithinTenSeconds_AndTheNextHostSweepsTheSnapshot()
    {
        var (pool, dataset, jobId) = await StartSlowZfsBackupAsync("fault-kill-stream");
        await using var _ = pool;
        var (job, seconds) = await KillHostAndWaitAsync(jobId);
        try
        {
            Assert.Equal("f", job.Status);
            Assert.Contains($"Fatal error: python3-fd-mod: backupplugins: /@zfs/{dataset}@bp-F-{jobId}: data stream not confirmed: {Lost}", job.Log);
            Assert.Contains(LostTail, job.Log);
            Assert.True(seconds < 10, $"the job took {seconds:0.0} s to fail after the host was killed");
            Assert.Equal([$"{dataset}@bp-F-{jobId}"], await pool.SnapshotsAsync(dataset)); // the killed host could not undo it
        }
        finally
        {
            await world.StartHostAsync(); // its start-up sweep finds the journal entry
        }
        await AssertNothingLeftAsync(pool, dataset);
        Assert.Contains($"{dataset}@bp-F-{jobId}", File.ReadAllText(world.HostLog));
    }

    /// <summary>How the shim reports a host lost mid-job; the reason in parentheses between depends on the moment.</summary>
    private string Lost => $"lost the connection to the BackupPlugins host at {world.HostSocket} (";

    private const string LostTail = "): the host stopped during the job; it undoes what the job left behind when it starts again";

    private async Task<(JobResult Job, double Seconds)> KillHostAndWaitAsync(int jobId)
    {
        var clock = Stopwatch.StartNew();
        await world.KillHostAsync();
        var job = await world.Console.WaitAsync(jobId);
        var seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine($"{job}\nfailed {seconds:0.0} s after the host was killed");
        return (job, seconds);
    }

    private async Task AssertNothingLeftAsync(ZfsPool pool, string dataset)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10); // the host undoes a cancelled job's effects as the session ends
        while ((await pool.SnapshotsAsync(dataset)).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.Empty(await pool.SnapshotsAsync(dataset));
        Assert.Empty(Directory.Exists(Path.Combine(world.HostState, "journal"))
            ? Directory.GetFiles(Path.Combine(world.HostState, "journal")) : []);
        var (code, status) = await Machine.RunAsync(Machine.HostBinary, ["status", "--socket", world.HostSocket]);
        Assert.True(code == 0, status);
        Assert.Contains("sessions: 0", status);
        await AssertFileDaemonAnswersAsync();
    }

    private async Task AssertFileDaemonAnswersAsync()
    {
        Assert.True(world.FileDaemonAlive, world.Logs());
        Assert.Contains($"{BareosConfig.Client} Version: 25.1.0", await world.Console.RunAsync($"status client={BareosConfig.Client}"));
    }

    /// <summary>
    /// A dataset holding 256 MiB of incompressible data in a pool of its own, and a Full of it through a job slowed to
    /// 8 MB/s, returned once the file daemon has sent 16 MiB of the stream.
    /// </summary>
    private async Task<(ZfsPool Pool, string Dataset, int JobId)> StartSlowZfsBackupAsync(string job)
    {
        var pool = await ZfsPool.CreateAsync(world.Work, "bprb" + Random.Shared.Next(100000, 999999));
        try
        {
            var (dataset, mount) = await pool.CreateDatasetAsync("data");
            await WriteDataAsync(Path.Combine(mount, "big.bin"), 256 << 20);
            await world.AddBackupJobAsync(job, $$"""
                  Include {
                    Options { Signature = XXH128 }
                    Plugin = "{{world.Plugin($"source=zfs:dataset={dataset}")}}"
                  }
                """, Slow);
            var jobId = await world.Console.QueueAsync($"run job={job} level=Full yes");
            await world.Console.WaitForProgressAsync(BareosConfig.Client, jobId, bytes: 16 << 20);
            return (pool, dataset, jobId);
        }
        catch
        {
            await pool.DisposeAsync();
            throw;
        }
    }

    /// <summary>Incompressible data, written once: 1 MiB of random bytes repeated with a counter.</summary>
    private static async Task WriteDataAsync(string path, long size)
    {
        var block = new byte[1 << 20];
        Random.Shared.NextBytes(block);
        await using var file = File.Create(path);
        for (long i = 0; i < size / block.Length; i++)
        {
            BitConverter.TryWriteBytes(block, i);
            await file.WriteAsync(block);
        }
    }
}
