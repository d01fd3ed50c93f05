// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// The restore-truth corpus (<c>tests/e2e/trees.py</c>: every entry type, sparse holes, hard links, xattrs and ACLs,
/// names that are not UTF-8, nanosecond times) backed up by a real Bareos 25.1 through the python3 plugin, the shim
/// and the host, and restored by it: everything must come back exactly, holes included.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class RestoreTruthTests(BareosWorld world, ITestOutputHelper output)
{
    [Fact]
    public async Task TheCorpus_BackedUpAndRestoredToWhere_ComesBackExactly()
    {
        var source = Path.Combine(world.Work, "corpus");
        await Trees.MakeAsync(source);
        var expected = await Trees.SnapshotAsync(source);
        await world.AddBackupJobAsync("corpus", $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes }
                Plugin = "{{world.Plugin($"source=dir:path={source}")}}"
              }
            """);
        var backup = await world.Console.RunJobAsync("run job=corpus level=Full yes");
        output.WriteLine(backup.ToString());
        Assert.True(backup.Status == "T", backup + world.Logs());

        var where = Path.Combine(world.Work, "restored");
        var restore = await world.Console.RunJobAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} where={where} all done yes");
        output.WriteLine(restore.ToString());
        Assert.True(restore.Status == "T", restore + world.Logs());
        var differences = await Trees.CompareAsync(expected, where + source);
        Assert.True(differences.Length == 0, differences);
    }
}
