// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

/// <summary>
/// A job whose plugin went away in the middle (a killed grpc-fd module: Bareos may end that job "OK", short of files) is
/// recorded on disk and told, once, to the same client's next job — by a host started afresh too.
/// </summary>
public sealed class InterruptedJobsTests : IDisposable
{
    private sealed class ManualClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2026, 12, 7, 12, 40, 5, TimeSpan.Zero);
    }

    private readonly string _state = Directory.CreateTempSubdirectory("bp-interrupted-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    /// <summary>A host as a restart makes it: its registry reads the same state directory.</summary>
    private SessionRegistry Host() =>
        new(new SourceCatalog([new NumberedSource(3)]), new NoTools(), NullLoggerFactory.Instance, new ManualClock())
        {
            Interrupted = new InterruptedJobs(Path.Combine(_state, "interrupted")),
        };

    private static JobFacts Job(uint id, string client, char type = 'B') => new(id, "nightly", JobLevel.Full, type, 0, false, "", "", client);

    [Fact]
    public async Task APluginGoneMidBackup_IsToldToTheClientsNextJob_Once_EvenAfterARestart()
    {
        var first = Host();
        var interrupted = first.Open("c1", Job(245, "web-fd"));
        interrupted.SeparateProcess = true; // the grpc-fd module
        interrupted.MergeOptions("source=numbered:");
        await interrupted.StartBackupAsync(CancellationToken.None);
        await interrupted.NextAsync(2, _ => true);
        await first.ConnectionClosedAsync("c1"); // the module was killed

        var restarted = Host();
        Assert.Empty(restarted.Open("c2", Job(246, "db-fd")).Messages.Drain()); // another client: not its business
        Assert.Equal([new JobMessage(JobSeverity.Warning,
                "job 245 (nightly) of this client lost its plugin at 2026-12-07 12:40:05 UTC while it backed up (the host had handed it 2 entries). " +
                "The host cleaned up after it, but Bareos may have ended that job without an error, short of files: check its " +
                "file count (bconsole: list jobid=245) and run it again")],
            restarted.Open("c3", Job(247, "web-fd")).Messages.Drain());
        Assert.Empty(restarted.Open("c4", Job(248, "web-fd")).Messages.Drain()); // told once
        Assert.Empty(Directory.GetFiles(Path.Combine(_state, "interrupted")));
    }

    [Fact]
    public async Task AJobNotStarted_Ended_Cancelled_OrOfThePython3Shim_IsNotRecorded()
    {
        var host = Host();
        async Task<Session> StreamingAsync(string connection, uint id, bool separate = true)
        {
            var session = host.Open(connection, Job(id, "web-fd"));
            session.SeparateProcess = separate;
            session.MergeOptions("source=numbered:");
            await session.StartBackupAsync(CancellationToken.None);
            return session;
        }
        host.Open("c1", Job(1, "web-fd")).SeparateProcess = true; // loaded, nothing done yet
        await host.EndAsync(await StreamingAsync("c2", 2), "EndBackupJob", succeeded: true);
        await (await StreamingAsync("c3", 3)).CancelAsync("cancelled by the director");
        await StreamingAsync("c4", 4, separate: false); // the shim: it dies only with the daemon, which fails the job
        foreach (var connection in new[] { "c1", "c2", "c3", "c4" })
        {
            await host.ConnectionClosedAsync(connection);
        }

        Assert.Empty(host.Open("c3", Job(3, "web-fd")).Messages.Drain());
        Assert.False(Directory.Exists(Path.Combine(_state, "interrupted")));
    }
}
