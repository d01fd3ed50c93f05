// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;
using BackupPlugins.Service.Services;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace BackupPlugins.Service.Tests;

/// <summary>A job's transfers over its call: the first report, then at most one a half second while the count moves, then the last.</summary>
public sealed class StreamJobConsoleTests
{
    /// <summary>A caller that sends nothing after the start.</summary>
    private sealed class Silent : IAsyncStreamReader<JobInput>
    {
        public JobInput Current => throw new InvalidOperationException();

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return false;
        }
    }

    /// <summary>A caller that closes its side at once: it will answer nothing.</summary>
    private sealed class Closed : IAsyncStreamReader<JobInput>
    {
        public JobInput Current => throw new InvalidOperationException();

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(false);
    }

    private sealed class Recorded : IServerStreamWriter<JobOutput>
    {
        public List<JobOutput> Messages { get; } = [];
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(JobOutput message)
        {
            lock (Messages)
            {
                Messages.Add(message);
            }
            return Task.CompletedTask;
        }

        public Task WriteAsync(JobOutput message, CancellationToken cancellationToken) => WriteAsync(message);
    }

    private readonly FakeTimeProvider _clock = new();
    private readonly Recorded _sent = new();
    private readonly CancellationTokenSource _call = new();

    private static JobOutput Progress(long bytes, bool done = false, bool failed = false) => new()
    {
        Progress = new TransferProgress
        {
            Id = 1, Name = "tank/a@s -> usb/a", Bytes = bytes, TotalBytes = 1000, TotalEstimated = true, Done = done, Failed = failed,
        },
    };

    [Fact]
    public async Task Progress_IsSentAtMostTwiceASecond_WhenItMoved_InOrderWithTheLines()
    {
        await using (var console = new StreamJobConsole(new Silent(), _sent, _call.Token, _clock))
        {
            await console.Out.WriteLineAsync("before");
            var transfer = console.Transfer("tank/a@s -> usb/a", 1000, totalEstimated: true);
            transfer.Add(100);
            _clock.Advance(TimeSpan.FromMilliseconds(400)); // not yet
            _clock.Advance(TimeSpan.FromMilliseconds(100)); // 0.5 s: 100
            _clock.Advance(TimeSpan.FromMilliseconds(500)); // 1 s: no change, nothing
            for (var i = 0; i < 1000; i++)
            {
                transfer.Add(1); // a chunk is a counter, never a message
            }
            _clock.Advance(TimeSpan.FromMilliseconds(500)); // 1.5 s: 1100
            transfer.Add(10);
            transfer.Complete();
            transfer.Dispose(); // at once: the last report, with the last bytes
            _clock.Advance(TimeSpan.FromSeconds(5)); // nothing after the end
            await console.Out.WriteLineAsync("after");
            await console.EndAsync(0);
        }
        Assert.Equal([
            new JobOutput { Line = "before" }, Progress(0), Progress(100), Progress(1100), Progress(1110, done: true),
            new JobOutput { Line = "after" }, new JobOutput { ExitCode = 0 },
        ], _sent.Messages);
    }

    [Fact]
    public async Task ATransferEndedWithoutCompleting_IsReportedFailed()
    {
        await using (var console = new StreamJobConsole(new Silent(), _sent, _call.Token, _clock))
        {
            using (var transfer = console.Transfer("tank/a@s -> usb/a", 1000, totalEstimated: true))
            {
                transfer.Add(10);
            }
            await console.EndAsync(2);
        }
        Assert.Equal([Progress(0), Progress(10, done: true, failed: true), new JobOutput { ExitCode = 2 }], _sent.Messages);
    }

    [Fact]
    public async Task ATransferAfterAnotherEnded_IsReportedAsTheFirstWas()
    {
        await using (var console = new StreamJobConsole(new Silent(), _sent, _call.Token, _clock))
        {
            using (var first = console.Transfer("tank/a@s -> usb/a", 1000, totalEstimated: true))
            {
                first.Add(10);
                first.Complete();
            }
            _clock.Advance(TimeSpan.FromSeconds(5)); // no transfer: nothing to tick for
            using (var second = console.Transfer("tank/a@s -> usb/a", 1000, totalEstimated: true))
            {
                second.Add(20);
                _clock.Advance(TimeSpan.FromMilliseconds(500));
                second.Add(5);
                second.Complete();
            }
            await console.EndAsync(0);
        }
        JobOutput Numbered(JobOutput m, int id)
        {
            m.Progress.Id = id;
            return m;
        }
        Assert.Equal([
            Progress(0), Progress(10, done: true), Numbered(Progress(0), 2), Numbered(Progress(20), 2), Numbered(Progress(25, done: true), 2),
            new JobOutput { ExitCode = 0 },
        ], _sent.Messages);
    }

    [Fact]
    public async Task AQuestion_WhenTheCallGoesAway_IsAStop_NotANo()
    {
        await using var console = new StreamJobConsole(new Silent(), _sent, _call.Token, _clock);
        var asked = console.AskAsync("roll back?", CancellationToken.None); // the token alone must not decide it
        await _call.CancelAsync(); // the caller went away, or the host is shutting down
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => asked);
        Assert.True(console.Stopping.IsCancellationRequested);
    }

    [Fact]
    public async Task AQuestion_AfterTheCallerClosedItsSide_IsANo()
    {
        await using var console = new StreamJobConsole(new Closed(), _sent, _call.Token, _clock);
        Assert.False(await console.AskAsync("roll back?", console.Stopping));
        Assert.False(console.Stopping.IsCancellationRequested);
    }
}
