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
    /// <param name="hardLinks">The FileSet's <c>HardLinks = yes</c>: the file daemon keeps its own table of hard links. Without
    /// it (Bareos's default) the grpc-fd module sends a hard link as a copy that the host's restore links again.</param>
    [Theory]
    [InlineData(PluginKind.Python3, false)]
    [InlineData(PluginKind.Grpc, false)]
    [InlineData(PluginKind.Grpc, true)]
    public async Task TheCorpus_BackedUpAndRestoredToWhere_ComesBackExactly(PluginKind kind, bool hardLinks)
    {
        var name = $"corpus-{kind}{(hardLinks ? "-hardlinks" : "")}".ToLowerInvariant();
        var (source, expected, backup) = await world.BackUpCorpusAsync(name, kind: kind, hardLinks: hardLinks);
        output.WriteLine(backup.ToString());
        var where = Path.Combine(world.Work, name + "-restored");
        output.WriteLine((await world.RestoreAsync($"restore client={BareosConfig.Client} jobid={backup.JobId} where={where} all done yes")).ToString());
        var differences = await Trees.CompareAsync(expected, where + source);
        Assert.True(differences.Length == 0, differences);
    }
}
