// SPDX-License-Identifier: AGPL-3.0-or-later
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>Restores a real Bareos sends the usual ways: moved by regexwhere, and in place over changed files with replace=always.</summary>
[Collection(BareosCollection.Name)]
public sealed class RestoreVariantsTests(BareosWorld world, ITestOutputHelper output)
{
    [Fact]
    public async Task MovedByRegexwhere_AndInPlaceWithReplaceAlways_BringBackTheBackedUpTree()
    {
        var source = Path.Combine(world.Work, "variants-src");
        await Trees.MakeAsync(source);
        var expected = await Trees.SnapshotAsync(source);
        await world.AddBackupJobAsync("variants", $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes }
                Plugin = "{{world.Plugin($"source=dir:path={source}")}}"
              }
            """);
        var backup = await world.Console.RunJobAsync("run job=variants level=Full yes");
        Assert.True(backup.Status == "T", backup + world.Logs());

        var moved = Path.Combine(world.Work, "variants-moved");
        var regex = await world.Console.RunJobAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} regexwhere=!^{source}/!{moved}/! all done yes");
        output.WriteLine(regex.ToString());
        Assert.True(regex.Status == "T", regex + world.Logs());
        var differences = await Trees.CompareAsync(expected, moved);
        Assert.True(differences.Trim() == "differs: '.'" || differences.Length == 0, differences); // the root itself is not moved

        File.WriteAllText(Path.Combine(source, "small.txt"), "changed after the backup");
        File.Delete(Path.Combine(source, "empty"));
        var inPlace = await world.Console.RunJobAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} where=/ replace=always all done yes");
        output.WriteLine(inPlace.ToString());
        Assert.True(inPlace.Status == "T", inPlace + world.Logs());
        differences = await Trees.CompareAsync(expected, source);
        Assert.True(differences.Length == 0, differences);
    }
}
