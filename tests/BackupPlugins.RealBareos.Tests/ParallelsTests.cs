// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A running Parallels / Virtuozzo VM (prlctl faked, tests/fakes; its bundle real, on btrfs, with a sparse disk image and
/// the restore-truth corpus) through a real Bareos: a Full (suspended for a reflink clone, resumed), an Incremental that
/// sends only the disk image the VM wrote to, and the current state restored with <c>restore=vm</c> beside the
/// original — registered by prlctl under a new UUID — and compared exactly. A host of its own serves the node.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class ParallelsTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task FullAndIncrementalOfARunningVm_RestoredAsAVmBesideIt_IsTheBundleExactly()
    {
        await using var node = await FakeNode.MakeAsync("prl_cli.py", Path.Combine(world.Work, "prl"), world.Work);
        await world.AddBackupJobAsync("backup-vm", $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes }
                Plugin = "{{world.Plugin($"source=parallels:vm={node.Get("uuid")}", node.Host.Socket)}}"
              }
            """);

        var full = await RunAsync(node, "Full");
        Assert.Contains("was suspended for ", full.Log);
        await node.AssertNothingLeftAsync();

        await Task.Delay(1100); // Bareos compares whole seconds
        var (wrote, said) = await node.RunAsync("write");
        Assert.True(wrote == 0, said);
        var incremental = await RunAsync(node, "Incremental");
        Assert.True(incremental.Files == 1, incremental.ToString()); // the disk image alone: clones do not look changed
        await node.AssertNothingLeftAsync();

        var where = Path.Combine(node.Get("vm_root"), "restored");
        var restore = await world.RestoreAsync($"restore client={BareosConfig.Client} fileset=backup-vm where={where} " +
            "pluginoptions=\"python3:restore=vm\" select current all done yes");
        output.WriteLine(restore.ToString());
        var bundle = where + node.Get("home");
        var (same, differences) = await node.RunAsync("compare", bundle, "config.pvs"); // prlctl wrote the copy's identity into it
        Assert.True(same == 0, differences);
        var (_, listed) = await node.RunAsync("vms");
        using var vms = JsonDocument.Parse(listed);
        var copy = vms.RootElement.EnumerateObject().Single(v => v.Name != node.Get("uuid")).Value;
        Assert.Equal(node.Get("name") + " (1)", copy.GetProperty("name").GetString());
        Assert.Equal(bundle + "/", copy.GetProperty("home").GetString());
        Assert.Contains($"parallels: {bundle} registered as virtual machine \"{node.Get("name")} (1)\"", restore.Log);
        await node.AssertNothingLeftAsync();
    }

    private async Task<JobResult> RunAsync(FakeNode node, string level)
    {
        var result = await world.Console.RunJobAsync($"run job=backup-vm level={level} yes");
        output.WriteLine(result.ToString());
        Assert.True(result.Status == "T", result + world.Logs() + File.ReadAllText(node.Host.Log));
        return result;
    }
}
