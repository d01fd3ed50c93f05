// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A Virtuozzo 7 container (prlctl and ploop faked, tests/fakes) through a real Bareos with the seed's own configuration:
/// its FileSet (module <c>bareos-fd-vz7_ct_fs</c>), its Job's <c>FdPluginOptions</c> and its README's restore command
/// for files inside the running container (name and uuid of that container; <c>python:</c> as the README writes it
/// reaches the python3 plugin). A host of its own serves the node (its configuration names the fakes). The same
/// strings, unchanged, on a Client that loads grpc-fd only with <c>GrpcModule = backupplugins</c>, run through the module.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class Vz7Tests(BareosFixture world, ITestOutputHelper output)
{
    [Theory]
    [InlineData(BareosConfig.Client)]
    [InlineData(BareosConfig.GrpcClient)]
    public async Task SeedFileSetAndJob_BackUpTheContainer_AndTheSeedsRestoreCommandPutsItsFilesBackInIt(string client)
    {
        if (client == BareosConfig.GrpcClient)
        {
            await world.StartGrpcOnlyFileDaemonAsync();
        }
        var work = Path.Combine(world.Work, "vz7-" + client);
        await using var node = await FakeNode.MakeAsync("vz_cli.py", work, world.Work);
        var job = "backup-testcustomer.testproject.q3arena" + (client == BareosConfig.GrpcClient ? "-grpc" : "");
        await world.AddBackupJobAsync(job, $$"""
              Include {
                Options {
                  Signature = SHA256
                }
                Plugin = "python3:module_path={{world.Shim}}:module_name=bareos-fd-vz7_ct_fs:blocker=tmp/backup_blocker:lockfile={{work}}/cts.lock:socket={{node.Host.Socket}}"
              }
            """, $"""  FdPluginOptions = "python3:name={node.Get("name")}:uuid={node.Get("uuid")}:excluded_backup_paths='/home/admin'" """, client);
        var backup = await world.Console.RunJobAsync($"run job={job} level=Full yes");
        output.WriteLine(backup.ToString());
        Assert.True(backup.Status == "T", backup + world.Logs() + File.ReadAllText(node.Host.Log));
        await node.AssertNothingLeftAsync();

        var uuid = node.Get("uuid");
        var restored = $"{node.Get("ct_root")}/{uuid}/tmp/bareos-restore";
        var restore = await world.RestoreAsync($"restore client={client} jobid={backup.JobId} " +
            $"pluginoptions=\"python:name={node.Get("name")}:uuid={uuid}:restore=files\" " +
            $"regexwhere=!^{node.Get("mount_root")}/{uuid}/!{restored}/! all done yes");
        output.WriteLine(restore.ToString());
        var (same, differences) = await node.RunAsync("compare", restored);
        Assert.True(same == 0, differences);
        await node.AssertNothingLeftAsync();
    }
}
