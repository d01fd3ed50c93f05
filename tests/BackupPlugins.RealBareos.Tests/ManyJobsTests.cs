// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// One file daemon process through many jobs (python3-fd starts a sub-interpreter per job): ten in a row and three at
/// once, each backing up exactly its tree; and an estimate listing that names what a backup would send, through the
/// python3 plugin and the grpc-fd module.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class ManyJobsTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task TenJobsInARow_ThenThreeAtOnce_OneFileDaemon_EachBacksUpItsTree()
    {
        var pid = world.FileDaemonProcessId;
        for (var i = 0; i < 3; i++)
        {
            await AddJobAsync($"many-{i}", files: i + 2);
        }
        for (var round = 0; round < 10; round++)
        {
            var job = await world.Console.RunJobAsync($"run job=many-{round % 3} level=Full yes");
            Assert.True(job.Status == "T" && job.Files == round % 3 + 2 + 1, job + world.Logs()); // the files and their directory
        }
        var queued = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            queued.Add(await world.Console.QueueAsync($"run job=many-{i} level=Full yes"));
        }
        for (var i = 0; i < 3; i++)
        {
            var job = await world.Console.WaitAsync(queued[i]);
            output.WriteLine(job.ToString());
            Assert.True(job.Status == "T" && job.Files == i + 2 + 1, job + world.Logs());
        }
        Assert.Equal(pid, world.FileDaemonProcessId); // the same process served every job
        Assert.True(world.FileDaemonAlive);
    }

    [Theory]
    [InlineData(PluginKind.Python3)]
    [InlineData(PluginKind.Grpc)]
    public async Task EstimateListing_NamesWhatABackupWouldSend(PluginKind kind)
    {
        var job = $"estimate-me-{kind}".ToLowerInvariant();
        var source = await AddJobAsync(job, files: 3, kind);
        var listing = await world.Console.RunAsync($"estimate job={job} listing");
        output.WriteLine(listing);
        foreach (var name in new[] { "f0.txt", "f1.txt", "f2.txt" })
        {
            Assert.Contains(Path.Combine(source, name), listing);
        }
        Assert.Contains("2000 OK estimate files=4 ", listing);
    }

    private async Task<string> AddJobAsync(string name, int files, PluginKind kind = PluginKind.Python3)
    {
        var source = Path.Combine(world.Work, name);
        Directory.CreateDirectory(source);
        for (var f = 0; f < files; f++)
        {
            await File.WriteAllTextAsync(Path.Combine(source, $"f{f}.txt"), $"{name} file {f}");
        }
        await world.AddBackupJobAsync(name, $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin($"source=dir:path={source}", kind: kind)}}"
              }
            """);
        return source;
    }
}
