// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>A job whose host does not answer fails at once with a message that says so; the file daemon lives on.</summary>
[Collection(BareosCollection.Name)]
public sealed class JobFailureTests(BareosFixture world, ITestOutputHelper output)
{
    /// <summary>The same message through the python3 plugin and through the grpc-fd module (which has no python3-fd-mod: prefix).</summary>
    [Theory]
    [InlineData(PluginKind.Python3, "python3-fd-mod: ")]
    [InlineData(PluginKind.Grpc, "")]
    public async Task NoHostOnTheSocket_TheJobFailsWithAFatalMessageNamingIt_AndTheFileDaemonAnswers(PluginKind kind, string prefix)
    {
        var name = $"no-host-{kind}".ToLowerInvariant();
        var source = Path.Combine(world.Work, name + "-src");
        Directory.CreateDirectory(source);
        var socket = Path.Combine(world.Work, name + ".sock");
        await world.AddBackupJobAsync(name, $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=dir:path={source}", socket, kind)}}"
              }
            """);
        var job = await world.Console.RunJobAsync($"run job={name} level=Full yes");
        output.WriteLine(job.ToString());
        Assert.Equal("f", job.Status);
        Assert.Contains($"Fatal error: {prefix}backupplugins: cannot start: cannot connect to the BackupPlugins host at " +
            $"{socket}: No such file or directory (socket={socket})", job.Log);
        var status = await world.Console.RunAsync($"status client={BareosConfig.Client}");
        Assert.Contains($"{BareosConfig.Client} Version: 25.1.0", status);
    }
}
