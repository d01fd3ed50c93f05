// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;
using BackupPlugins.Cli.Commands;
using BackupPlugins.Protocol.V1;
using BackupPlugins.Service.Services;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace BackupPlugins.Service.Tests;

/// <summary>
/// A job's transfer from the host's console (<see cref="StreamJobConsole"/>) over a real call to the command's end
/// (<see cref="JobCall"/>), not on a terminal: periodic <c>progress:</c> lines among the job's lines, and <c>done:</c>.
/// </summary>
public sealed partial class JobProgressTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-jobs-").FullName;
    private WebApplication _app = null!;

    /// <summary>A job that sends 10 MiB in about 2.5 s between two lines.</summary>
    private sealed class SlowTransferJobs : Jobs.JobsBase
    {
        public override async Task Run(IAsyncStreamReader<JobInput> requestStream, IServerStreamWriter<JobOutput> responseStream,
            ServerCallContext context)
        {
            await requestStream.MoveNext(context.CancellationToken);
            await using var console = new StreamJobConsole(requestStream, responseStream, context.CancellationToken);
            await console.Out.WriteLineAsync("starting");
            using (var transfer = console.Transfer("test -> nowhere", 10 << 20))
            {
                for (var i = 0; i < 10; i++)
                {
                    await Task.Delay(250);
                    transfer.Add(1 << 20);
                }
                transfer.Complete();
            }
            await console.Out.WriteLineAsync("finished");
            await console.EndAsync(0);
        }
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(Path.Combine(_dir, "jobs.sock"), l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<SlowTransferJobs>();
        _app = builder.Build();
        _app.MapGrpcService<SlowTransferJobs>();
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"^progress: test -> nowhere: \d+\.\d MiB of 10\.0 MiB \(\d+%\), \d+\.\d MiB/s, \d+ s left$")]
    private static partial Regex ProgressLine();

    [GeneratedRegex(@"^done: test -> nowhere: 10\.0 MiB in [23] s, \d+\.\d MiB/s$")]
    private static partial Regex DoneLine();

    [Fact]
    public async Task NotOnATerminal_ATransferLongerThanTheInterval_PrintsProgressAndDoneLines()
    {
        using var channel = HostClient.Connect(Path.Combine(_dir, "jobs.sock"));
        var output = new StringWriter();
        var code = await JobCall.RunAsync(channel, new JobRequest { ZfsSync = new ZfsSyncRequest() }, output, TextReader.Null,
            CancellationToken.None, new ProgressLines(output, TimeSpan.FromSeconds(1)));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(0, code);
        Assert.Equal("starting", lines[0]);
        Assert.InRange(lines.Length - 3, 1, 3); // 2.5 s at one line a second at most
        Assert.All(lines[1..^2], line => Assert.Matches(ProgressLine(), line));
        Assert.Matches(DoneLine(), lines[^2]);
        Assert.Equal("finished", lines[^1]);
    }

    [Fact]
    public async Task NotOnATerminal_WithTheDefaultInterval_TheOutputIsTheJobsLinesAlone()
    {
        using var channel = HostClient.Connect(Path.Combine(_dir, "jobs.sock"));
        var output = new StringWriter();
        var code = await JobCall.RunAsync(channel, new JobRequest { ZfsSync = new ZfsSyncRequest() }, output, TextReader.Null, CancellationToken.None);
        Assert.Equal((0, "starting\nfinished\n"), (code, output.ToString().Replace("\r\n", "\n")));
    }
}
