// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// What an administrator browses before a restore (<c>.bvfs_*</c>, as the WebUI does) lists every entry the file daemon
/// sent, with its stat, names that are not UTF-8 included (escaped, so the restore brings back the original bytes).
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class BvfsTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task BrowsingTheCatalog_ListsEveryEntryOfTheTree_WithItsStat()
    {
        var (source, _, backup) = await world.BackUpCorpusAsync("bvfs");
        var expected = await Trees.CatalogEntriesAsync(source);
        await world.Console.RunAsync($".bvfs_update jobid={backup.JobId}");

        var listed = new List<string>();
        await ListAsync(backup.JobId, source + "/", "", listed);
        listed.Sort(StringComparer.Ordinal);
        output.WriteLine(string.Join('\n', listed));
        Assert.Equal(expected, listed);
        Assert.Contains(listed, e => e.StartsWith("\"K\\uF7DCBLER.csv\"", StringComparison.Ordinal));
    }

    /// <summary>Walks the catalog from <paramref name="path"/> down, the way the WebUI's tree does.</summary>
    private async Task ListAsync(int jobId, string path, string relative, List<string> listed)
    {
        var dirs = await world.Console.ApiAsync($".bvfs_lsdirs jobid={jobId} path=\"{path}\"");
        foreach (var dir in dirs.GetProperty("directories").EnumerateArray())
        {
            var name = dir.GetProperty("name").GetString()!;
            if (name is "." or "..")
            {
                continue;
            }
            listed.Add(Trees.Entry(relative + name, dir.GetProperty("stat")));
            await ListAsync(jobId, dir.GetProperty("fullpath").GetString()!, relative + name, listed);
        }
        var files = await world.Console.ApiAsync($".bvfs_lsfiles jobid={jobId} path=\"{path}\" limit=100000");
        foreach (var file in files.GetProperty("files").EnumerateArray())
        {
            listed.Add(Trees.Entry(relative + file.GetProperty("name").GetString()!, file.GetProperty("stat")));
        }
    }
}
