// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>Restores a real Bareos sends the usual ways: moved by regexwhere, and in place over changed files with replace=always.</summary>
[Collection(BareosCollection.Name)]
public sealed class RestoreVariantsTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task MovedByRegexwhere_AndInPlaceWithReplaceAlways_BringBackTheBackedUpTree()
    {
        var (source, expected, backup) = await world.BackUpCorpusAsync("variants");
        var moved = Path.Combine(world.Work, "variants-moved");
        output.WriteLine((await world.RestoreAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} regexwhere=!^{source}/!{moved}/! all done yes")).ToString());
        var differences = await Trees.CompareAsync(expected, moved);
        Assert.True(differences.Length == 0, differences);

        File.WriteAllText(Path.Combine(source, "small.txt"), "changed after the backup");
        File.Delete(Path.Combine(source, "empty"));
        output.WriteLine((await world.RestoreAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} where=/ replace=always all done yes")).ToString());
        differences = await Trees.CompareAsync(expected, source);
        Assert.True(differences.Length == 0, differences);
    }
}
