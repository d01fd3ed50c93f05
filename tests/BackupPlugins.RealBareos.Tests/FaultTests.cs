// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// Jobs that end badly through a real Bareos: cancelled by the operator, the host killed while a job needs it, or the
/// grpc-fd module killed. Through the python3 plugin and the grpc-fd module. The jobs are slowed by the Job's
/// <c>Maximum Bandwidth</c> so that the fault lands in the middle of the data.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class FaultTests(BareosFixture world, ITestOutputHelper output)
{
    private const string Slow = "  Maximum Bandwidth = 8 mb/s";

    [Fact]
    public async Task CancelInTheMiddleOfAZfsStream_EndsTheJobCancelled_AndLeavesNoSnapshotBehind()
    {
        var (pool, dataset, jobId) = await StartSlowZfsBackupAsync("fault-cancel", PluginKind.Python3);
        await using var _ = pool;
        output.WriteLine(await world.Console.RunAsync($"cancel jobid={jobId} yes"));
        var job = await world.Console.WaitAsync(jobId);
        output.WriteLine(job.ToString());

        Assert.Equal("A", job.Status);
        Assert.True(job.Bytes < 256 << 20, $"the job was cancelled after all its data: {job}");
        await AssertNothingLeftAsync(pool, dataset);
    }

    /// <summary>
    /// Cancel through the grpc-fd module, in a walk (a second zfs send stopped in the same zfs-fuse daemon soon after
    /// the stream test's can keep a temporary hold on its snapshot, which is zfs-fuse's, not the module's): the job
    /// ends cancelled, the module is gone, the host ended the session with nothing left in its journal.
    /// </summary>
    [Fact]
    public async Task CancelInTheMiddleOfAWalk_ThroughTheGrpcModule_EndsTheJobCancelled_AndTheSessionWithIt()
    {
        var jobId = await StartSlowWalkAsync("fault-cancel-walk", PluginKind.Grpc);
        output.WriteLine(await world.Console.RunAsync($"cancel jobid={jobId} yes"));
        var job = await world.Console.WaitAsync(jobId);
        output.WriteLine(job.ToString());
        Assert.Equal("A", job.Status);
        Assert.True(job.Files < 5000, job.ToString());
        await AssertSessionsEndedAsync();
        // the module told the host the director cancelled: a job ended on purpose is no news for the client's next one
        Assert.Contains("cancelled by the director", File.ReadAllText(world.HostLog));
        Assert.Empty(Directory.Exists(Path.Combine(world.HostState, "interrupted")) ? Directory.GetFiles(Path.Combine(world.HostState, "interrupted")) : []);
        Assert.Throws<InvalidOperationException>(() => Machine.ProcessIdOfChild(world.FileDaemonProcessId, GrpcModule.Name));
        await AssertFileDaemonAnswersAsync();
    }

    [Theory]
    [InlineData(PluginKind.Python3)]
    [InlineData(PluginKind.Grpc)]
    public async Task HostKilledMidWalk_FailsTheJobWithinTenSeconds_AndTheFileDaemonLives(PluginKind kind)
    {
        var jobId = await StartSlowWalkAsync(Name("fault-walk", kind), kind);
        var (job, seconds) = await KillHostAndWaitAsync(jobId);
        try
        {
            Assert.Equal("f", job.Status);
            Assert.True(job.Files < 5000, job.ToString());
            Assert.Contains($"Fatal error: {Prefix(kind)}backupplugins: {Lost}", job.Log);
            Assert.Contains(LostTail, job.Log);
            Assert.True(seconds < 10, $"the job took {seconds:0.0} s to fail after the host was killed");
        }
        finally
        {
            await world.StartHostAsync();
        }
        await AssertFileDaemonAnswersAsync();
    }

    [Theory]
    [InlineData(PluginKind.Python3)]
    [InlineData(PluginKind.Grpc)]
    public async Task HostKilledMidStream_FailsTheJobWithinTenSeconds_AndTheNextHostSweepsTheSnapshot(PluginKind kind)
    {
        var (pool, dataset, jobId) = await StartSlowZfsBackupAsync(Name("fault-kill-stream", kind), kind);
        await using var _ = pool;
        var (job, seconds) = await KillHostAndWaitAsync(jobId);
        try
        {
            Assert.Equal("f", job.Status);
            Assert.Contains($"Fatal error: {Prefix(kind)}backupplugins: /@zfs/{dataset}@bp-F-{jobId}: data stream not confirmed: {Lost}", job.Log);
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

    /// <summary>
    /// The module killed in the middle of a walk (as the OOM killer would): the file daemon lives, and the host, which
    /// sees the module's connection close, ends the session and undoes what it held. How the job ends is Bareos's
    /// grpc-fd plugin's, and depends on the moment: killed during startBackupFile, "startBackupFile failed" fails it
    /// (f); killed while the core reads a file, the next open fails as a non-fatal error (W); killed between a file's
    /// close and its endBackupFile, the failed endBackupFile ends the plugin's list as if it were complete and the job
    /// ends "Backup OK" (T) — short of files, which is what this test holds in every case, and the host's log names it;
    /// the client's next job warns of it.
    /// </summary>
    [Fact]
    public async Task GrpcModuleKilledMidWalk_TheJobIsShortOfFiles_TheFileDaemonLives_AndTheHostCleansUp()
    {
        var jobId = await StartSlowWalkAsync("fault-module-kill", PluginKind.Grpc);
        var module = Machine.ProcessIdOfChild(world.FileDaemonProcessId, GrpcModule.Name);
        Process.GetProcessById(module).Kill();
        var job = await world.Console.WaitAsync(jobId);
        output.WriteLine(job.ToString());
        Assert.Contains(job.Status, new[] { "f", "W", "T" });
        Assert.True(job.Files < 5000, job.ToString());
        if (job.Status == "W")
        {
            Assert.Matches(@"Non-fatal FD errors:\s+[1-9]", job.Log);
        }
        await AssertSessionsEndedAsync();
        Assert.Contains("closed with session", File.ReadAllText(world.HostLog));
        await AssertFileDaemonAnswersAsync();

        // Whatever Bareos made of it, the host recorded it on disk (status shows it) and the client's next job says so in its log.
        var (_, status) = await Machine.RunAsync(Machine.HostBinary, ["status", "--socket", world.HostSocket]);
        Assert.Matches($@"interrupted jobs, to be told in their client's next job: 1\n  job {jobId} fault-module-kill\.\S+  " +
            $@"client={BareosConfig.Client}  phase=streaming  files=\d+  lost its plugin at \d{{4}}-", status);
        var next = Path.Combine(world.Work, "fault-module-kill-next");
        Directory.CreateDirectory(next);
        await File.WriteAllTextAsync(Path.Combine(next, "a"), "a");
        await world.AddBackupJobAsync("fault-module-kill-next", $$"""
              Include {
                Plugin = "{{world.Plugin($"source=dir:path={next}", kind: PluginKind.Grpc)}}"
              }
            """);
        var told = await world.Console.WaitAsync(await world.Console.QueueAsync("run job=fault-module-kill-next level=Full yes"));
        output.WriteLine(told.Log);
        Assert.Equal("T", told.Status);
        Assert.Matches($@"Warning: job {jobId} \(fault-module-kill\.[^)]+\) of this client lost its plugin at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC " +
            @"while it backed up \(the host had handed it [\d,]+ entries\)\. The host cleaned up after it, but Bareos may have ended that job without an " +
            $@"error, short of files: check its file count \(bconsole: list jobid={jobId}\) and run it again", told.Log);
        Assert.Empty(Directory.GetFiles(Path.Combine(world.HostState, "interrupted")));
        (_, status) = await Machine.RunAsync(Machine.HostBinary, ["status", "--socket", world.HostSocket]);
        Assert.DoesNotContain("interrupted jobs", status);
    }

    /// <summary>The host has ended every session (within 10 s) and holds nothing in its journal.</summary>
    private async Task AssertSessionsEndedAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string status;
        do
        {
            await Task.Delay(200);
            (_, status) = await Machine.RunAsync(Machine.HostBinary, ["status", "--socket", world.HostSocket]);
        }
        while (!status.Contains("sessions: 0") && DateTime.UtcNow < deadline);
        Assert.Contains("sessions: 0", status);
        Assert.Empty(Directory.Exists(Path.Combine(world.HostState, "journal")) ? Directory.GetFiles(Path.Combine(world.HostState, "journal")) : []);
    }

    private static string Name(string job, PluginKind kind) => $"{job}-{kind}".ToLowerInvariant();

    /// <summary>What the file daemon puts before a plugin's job message: python3-fd names itself, grpc-fd passes it as it is.</summary>
    private static string Prefix(PluginKind kind) => kind == PluginKind.Python3 ? "python3-fd-mod: " : "";

    /// <summary>5000 files of 8 KiB backed up through a job slowed to 2 MB/s; returned once 200 files were sent.</summary>
    private async Task<int> StartSlowWalkAsync(string name, PluginKind kind)
    {
        var source = Path.Combine(world.Work, name);
        for (var d = 0; d < 20; d++)
        {
            Directory.CreateDirectory(Path.Combine(source, $"d{d:00}"));
            for (var f = 0; f < 250; f++)
            {
                await File.WriteAllBytesAsync(Path.Combine(source, $"d{d:00}", $"f{f:000}"), new byte[8192]);
            }
        }
        await world.AddBackupJobAsync(name, $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=dir:path={source}", kind: kind)}}"
              }
            """, "  Maximum Bandwidth = 2 mb/s");
        var jobId = await world.Console.QueueAsync($"run job={name} level=Full yes");
        await world.Console.WaitForProgressAsync(BareosConfig.Client, jobId, files: 200);
        return jobId;
    }

    /// <summary>How the shim and the module report a host lost mid-job; the reason in parentheses depends on the moment.</summary>
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
        var left = await pool.SnapshotsAsync(dataset);
        Assert.True(left.Length == 0, $"left behind: {string.Join(", ", left)}\n{world.Logs()}");
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
    private async Task<(ZfsPool Pool, string Dataset, int JobId)> StartSlowZfsBackupAsync(string job, PluginKind kind)
    {
        var pool = await ZfsPool.CreateAsync(world.Work, "bprb" + Random.Shared.Next(100000, 999999));
        try
        {
            var (dataset, mount) = await pool.CreateDatasetAsync("data");
            await WriteDataAsync(Path.Combine(mount, "big.bin"), 256 << 20);
            await world.AddBackupJobAsync(job, $$"""
                  Include {
                    Options { Signature = XXH128 }
                    Plugin = "{{world.Plugin($"source=zfs:dataset={dataset}", kind: kind)}}"
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
