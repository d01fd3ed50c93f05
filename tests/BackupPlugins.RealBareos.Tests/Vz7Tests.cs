// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A Virtuozzo 7 container (prlctl and ploop faked, tests/fakes) through a real Bareos with the seed's own configuration:
/// its FileSet (module <c>bareos-fd-vz7_ct_fs</c>), its Job's <c>FdPluginOptions</c> and its README's restore command
/// for files inside the running container (name and uuid of that container; <c>python:</c> as the README writes it
/// reaches the python3 plugin). A host of its own serves the node (its configuration names the fakes).
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class Vz7Tests(BareosFixture world, ITestOutputHelper output)
{
    private static string Cli => Path.Combine(Machine.Root, "tests", "realbareos", "vz_cli.py");

    [Fact]
    public async Task SeedFileSetAndJob_BackUpTheContainer_AndTheSeedsRestoreCommandPutsItsFilesBackInIt()
    {
        var work = Path.Combine(world.Work, "vz7");
        var (code, made) = await Machine.RunAsync(Machine.Python, [Cli, "make", work]);
        Assert.True(code == 0, made);
        try
        {
            using var node = JsonDocument.Parse(made);
            var n = node.RootElement;
            string Get(string key) => n.GetProperty(key).GetString()!;
            var environment = n.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            await using var host = await HostProcess.StartAsync(Path.Combine(world.Work, "vz7.sock"), Get("config"),
                Path.Combine(world.Work, "vz7-host.log"), environment);

            await world.AddBackupJobAsync("backup-testcustomer.testproject.q3arena", $$"""
                  Include {
                    Options {
                      Signature = SHA256
                    }
                    Plugin = "python3:module_path={{world.Shim}}:module_name=bareos-fd-vz7_ct_fs:blocker=tmp/backup_blocker:lockfile={{work}}/cts.lock:socket={{host.Socket}}"
                  }
                """, $"""  FdPluginOptions = "python3:name={Get("name")}:uuid={Get("uuid")}:excluded_backup_paths='/home/admin'" """);
            var backup = await world.Console.RunJobAsync("run job=backup-testcustomer.testproject.q3arena level=Full yes");
            output.WriteLine(backup.ToString());
            Assert.True(backup.Status == "T", backup + world.Logs() + File.ReadAllText(host.Log));
            await AssertNothingLeftAsync(work);

            var restored = $"{Get("ct_root")}/{Get("uuid")}/tmp/bareos-restore";
            var restore = await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={backup.JobId} " +
                $"pluginoptions=\"python:name={Get("name")}:uuid={Get("uuid")}:restore=files\" " +
                $"regexwhere=!^{Get("mount_root")}/{Get("uuid")}/!{restored}/! all done yes");
            output.WriteLine(restore.ToString());
            var (same, differences) = await Machine.RunAsync(Machine.Python, [Cli, "compare", work, restored]);
            Assert.True(same == 0, differences);
            await AssertNothingLeftAsync(work);
        }
        finally
        {
            await Machine.RunAsync(Machine.Python, [Cli, "teardown", work]);
        }
    }

    private static async Task AssertNothingLeftAsync(string work)
    {
        var (code, leftovers) = await Machine.RunAsync(Machine.Python, [Cli, "leftovers", work]);
        Assert.True(code == 0, leftovers);
    }
}
