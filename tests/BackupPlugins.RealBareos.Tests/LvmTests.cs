// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A mounted LVM logical volume (lvcreate, lvs and lvremove faked, tests/fakes/lvm; its ext4 file system real, on a loop
/// device, holding the restore-truth corpus) through a real Bareos: a Full read from a read-only snapshot and named as
/// under the volume's live mount point, an Incremental that sends only the file changed on the volume since, no
/// snapshot, mount or journal entry left after either, and the current state restored with where= compared exactly
/// with the volume. A host of its own serves the node (its configuration names the fakes, its environment their state).
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class LvmTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task FullAndIncrementalOfAMountedVolume_FromItsSnapshot_RestoredWithWhere_AreTheVolumeExactly()
    {
        await using var node = await FakeNode.MakeAsync("lvm_cli.py", Path.Combine(world.Work, "lvm"), world.Work);
        await world.AddBackupJobAsync("backup-lvm-data", $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes }
                Plugin = "{{world.Plugin($"source=lvm:vg={node.Get("vg")}:lv={node.Get("lv")}", node.Host.Socket)}}"
              }
            """);
        var srv = node.Get("srv");

        var full = await RunAsync(node, "Full");
        Assert.Contains($"lvm: snapshot vg0/bp-data-{full.JobId} of vg0/data taken (", full.Log);
        Assert.Contains("(ext4) mounted at ", full.Log);
        await node.AssertNothingLeftAsync();

        var (changed, said) = await node.RunAsync("change"); // waits a second first: Bareos compares whole seconds
        Assert.True(changed == 0, said);
        var incremental = await RunAsync(node, "Incremental");
        Assert.True(incremental.Files == 1, incremental.ToString()); // corpus/small.txt alone: the snapshot keeps the volume's times
        await node.AssertNothingLeftAsync();

        var where = Path.Combine(node.Work, "restored");
        var restore = await world.RestoreAsync($"restore client={BareosConfig.Client} fileset=backup-lvm-data where={where} " +
            "select current all done yes");
        output.WriteLine(restore.ToString());
        var (same, differences) = await node.RunAsync("compare", where + srv); // named under the live mount point
        Assert.True(same == 0, differences);
        await node.AssertNothingLeftAsync();
    }

    private async Task<JobResult> RunAsync(FakeNode node, string level)
    {
        var result = await world.Console.RunJobAsync($"run job=backup-lvm-data level={level} yes");
        output.WriteLine(result.ToString());
        Assert.True(result.Status == "T", result + world.Logs() + File.ReadAllText(node.Host.Log));
        return result;
    }
}
