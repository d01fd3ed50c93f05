// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A running XenServer VM (the XAPI fake, tests/fakes/xapi) through a real Bareos: its snapshot's XVA streamed from
/// XAPI into the file daemon, no snapshot left, and <c>restore=import</c> making a new VM whose disks hold the same
/// bytes. A host of its own reaches the fake at its URL with a password file.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class XenTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task ARunningVmsExport_RestoredByImport_IsANewVmWithTheSameDisks()
    {
        await using var node = await FakeNode.MakeAsync("xen_cli.py", Path.Combine(world.Work, "xen"), world.Work);
        await world.AddBackupJobAsync("backup-xen-web", $$"""
              Include {
                Options { Signature = XXH128 }
                Plugin = "{{world.Plugin("source=xen:vm=web", node.Host.Socket)}}"
              }
            """);
        var backup = await world.Console.RunJobAsync("run job=backup-xen-web level=Full yes");
        output.WriteLine(backup.ToString());
        Assert.True(backup.Status == "T", backup + world.Logs() + File.ReadAllText(node.Host.Log));
        Assert.Contains("web.xva sent (", backup.Log);
        await node.AssertNothingLeftAsync();

        var restore = await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={backup.JobId} " +
            "pluginoptions=\"python3:restore=import:name=web-restored\" all done yes");
        output.WriteLine(restore.ToString());
        Assert.Contains("imported as the new VM \"web-restored\"", restore.Log);
        var (_, original) = await node.RunAsync("disks", "web");
        var (_, restored) = await node.RunAsync("disks", "web-restored");
        Assert.Equal(JsonSerializer.Deserialize<string[]>(original), JsonSerializer.Deserialize<string[]>(restored));
        await node.AssertNothingLeftAsync();
    }
}
