// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>A job whose host does not answer fails at once with a message that says so; the file daemon lives on.</summary>
[Collection(BareosCollection.Name)]
public sealed class JobFailureTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task NoHostOnTheSocket_TheJobFailsWithAFatalMessageNamingIt_AndTheFileDaemonAnswers()
    {
        var source = Path.Combine(world.Work, "no-host-src");
        Directory.CreateDirectory(source);
        var socket = Path.Combine(world.Work, "nobody-listens.sock");
        await world.AddBackupJobAsync("no-host", $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "python3:module_path={{world.Shim}}:module_name=bareos-fd-backupplugins:source=dir:path={{source}}:socket={{socket}}"
              }
            """);
        var job = await world.Console.RunJobAsync("run job=no-host level=Full yes");
        output.WriteLine(job.ToString());
        Assert.Equal("f", job.Status);
        Assert.Contains($"Fatal error: python3-fd-mod: backupplugins: cannot start: cannot connect to the BackupPlugins host at " +
            $"{socket}: No such file or directory (socket={socket})", job.Log);
        var status = await world.Console.RunAsync($"status client={BareosConfig.Client}");
        Assert.Contains($"{BareosConfig.Client} Version: 25.1.0", status);
    }

    [Fact]
    public async Task NoHostOnTheSocket_ThroughTheGrpcModule_TheJobFailsWithTheSameMessage_AndTheFileDaemonAnswers()
    {
        var source = Path.Combine(world.Work, "no-host-grpc-src");
        Directory.CreateDirectory(source);
        var socket = Path.Combine(world.Work, "nobody-listens-grpc.sock");
        await world.AddBackupJobAsync("no-host-grpc", $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "grpc:backupplugins:source=dir:path={{source}}:socket={{socket}}"
              }
            """);
        var job = await world.Console.RunJobAsync("run job=no-host-grpc level=Full yes");
        output.WriteLine(job.ToString());
        Assert.Equal("f", job.Status);
        Assert.Contains($"Fatal error: backupplugins: cannot start: cannot connect to the BackupPlugins host at " +
            $"{socket}: No such file or directory (socket={socket})", job.Log);
        var status = await world.Console.RunAsync($"status client={BareosConfig.Client}");
        Assert.Contains($"{BareosConfig.Client} Version: 25.1.0", status);
    }
}
