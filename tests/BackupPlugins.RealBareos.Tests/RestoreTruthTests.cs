// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// The restore-truth corpus (<c>tests/e2e/trees.py</c>: every entry type, sparse holes, hard links, xattrs and ACLs,
/// names that are not UTF-8, nanosecond times) backed up by a real Bareos 25.1 through the python3 plugin, the shim
/// and the host — or through the grpc-fd module — and restored by it: everything must come back exactly, holes included.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class RestoreTruthTests(BareosFixture world, ITestOutputHelper output)
{
    [Theory]
    [InlineData(PluginKind.Python3)]
    [InlineData(PluginKind.Grpc)]
    public async Task TheCorpus_BackedUpAndRestoredToWhere_ComesBackExactly(PluginKind kind)
    {
        var (source, expected, backup) = await world.BackUpCorpusAsync($"corpus-{kind}".ToLowerInvariant(), kind: kind);
        output.WriteLine(backup.ToString());
        var where = Path.Combine(world.Work, $"restored-{kind}".ToLowerInvariant());
        output.WriteLine((await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={backup.JobId} where={where} all done yes")).ToString());
        var differences = await Trees.CompareAsync(expected, where + source);
        Assert.True(differences.Length == 0, differences);
    }
}
