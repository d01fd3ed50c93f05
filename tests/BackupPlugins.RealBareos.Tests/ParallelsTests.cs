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
    private static string Cli => Path.Combine(Machine.Root, "tests", "realbareos", "prl_cli.py");

    [Fact]
    public async Task FullAndIncrementalOfARunningVm_RestoredAsAVmBesideIt_IsTheBundleExactly()
    {
        var work = Path.Combine(world.Work, "prl");
        var (code, made) = await Machine.RunAsync(Machine.Python, [Cli, "make", work]);
        Assert.True(code == 0, made);
        try
        {
            using var node = JsonDocument.Parse(made);
            var n = node.RootElement;
            string Get(string key) => n.GetProperty(key).GetString()!;
            var environment = n.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            await using var host = await HostProcess.StartAsync(Path.Combine(world.Work, "prl.sock"), Get("config"),
                Path.Combine(world.Work, "prl-host.log"), environment);
            await world.AddBackupJobAsync("backup-vm", $$"""
                  Include {
                    Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes }
                    Plugin = "{{world.Plugin($"source=parallels:vm={Get("uuid")}", host.Socket)}}"
                  }
                """);

            var full = await RunAsync("backup-vm", "Full", host.Log);
            Assert.Contains("was suspended for ", full.Log);
            await AssertNothingLeftAsync(work);

            await Task.Delay(1100); // Bareos compares whole seconds
            var (wrote, said) = await Machine.RunAsync(Machine.Python, [Cli, "write", work]);
            Assert.True(wrote == 0, said);
            var incremental = await RunAsync("backup-vm", "Incremental", host.Log);
            Assert.True(incremental.Files == 1, incremental.ToString()); // the disk image alone: clones do not look changed
            await AssertNothingLeftAsync(work);

            var where = Path.Combine(Get("vm_root"), "restored");
            var restore = await world.RestoreAsync($"restore client={BareosConfig.Client} fileset=backup-vm where={where} " +
                "pluginoptions=\"python3:restore=vm\" select current all done yes");
            output.WriteLine(restore.ToString());
            var bundle = where + Get("home");
            // prlctl wrote the copy's new UUID and name into its config.pvs
            var (same, differences) = await Machine.RunAsync(Machine.Python, [Cli, "compare", work, bundle, "config.pvs"]);
            Assert.True(same == 0, differences);
            var (_, listed) = await Machine.RunAsync(Machine.Python, [Cli, "vms", work]);
            using var vms = JsonDocument.Parse(listed);
            var copy = vms.RootElement.EnumerateObject().Single(v => v.Name != Get("uuid")).Value;
            Assert.Equal(Get("name") + " (1)", copy.GetProperty("name").GetString());
            Assert.Equal(bundle + "/", copy.GetProperty("home").GetString());
            Assert.Contains($"parallels: {bundle} registered as virtual machine \"{Get("name")} (1)\"", restore.Log);
            await AssertNothingLeftAsync(work);
        }
        finally
        {
            await Machine.RunAsync(Machine.Python, [Cli, "teardown", work]);
        }
    }

    private async Task<JobResult> RunAsync(string job, string level, string hostLog)
    {
        var result = await world.Console.RunJobAsync($"run job={job} level={level} yes");
        output.WriteLine(result.ToString());
        Assert.True(result.Status == "T", result + world.Logs() + File.ReadAllText(hostLog));
        return result;
    }

    private static async Task AssertNothingLeftAsync(string work)
    {
        var (code, leftovers) = await Machine.RunAsync(Machine.Python, [Cli, "leftovers", work]);
        Assert.True(code == 0, leftovers);
    }
}
