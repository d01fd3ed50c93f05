// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;

namespace BackupPlugins.RealBareos;

/// <summary>The restore-truth corpus and its exact comparison, from <c>tests/e2e/trees.py</c> (through <c>tests/realbareos/trees_cli.py</c>).</summary>
public static class Trees
{
    private static string Cli => Path.Combine(Machine.Root, "tests", "realbareos", "trees_cli.py");

    public static async Task MakeAsync(string directory) => Check(await Machine.RunAsync(Machine.Python, [Cli, "make", directory]), "make");

    /// <summary>The corpus a zfs-fuse file system can hold (no xattrs, no ACLs).</summary>
    public static async Task MakePlainAsync(string directory) =>
        Check(await Machine.RunAsync(Machine.Python, [Cli, "make-plain", directory]), "make-plain");

    /// <summary>Records the tree as it is now (into <paramref name="record"/>, default beside it); returns the record's file.</summary>
    public static async Task<string> SnapshotAsync(string directory, string? record = null)
    {
        record ??= directory.TrimEnd('/') + ".expected.json";
        Check(await Machine.RunAsync(Machine.Python, [Cli, "snapshot", directory, record]), "snapshot");
        return record;
    }

    /// <summary>Every difference between the record and the tree, one per line; empty when they are equal.</summary>
    public static async Task<string> CompareAsync(string record, string directory)
    {
        var (code, output) = await Machine.RunAsync(Machine.Python, [Cli, "compare", record, directory]);
        return code is 0 or 1 ? output : throw new InvalidOperationException($"trees_cli compare failed ({code}): {output}");
    }

    /// <summary>
    /// Every entry under the directory as the catalog must list it (<c>trees_cli.py catalog-names</c>): one line per
    /// entry, "name mode uid gid size mtime", sorted by name; names not in UTF-8 escaped as the product's convention says.
    /// </summary>
    public static async Task<string[]> CatalogEntriesAsync(string directory)
    {
        var (code, output) = await Machine.RunAsync(Machine.Python, [Cli, "catalog-names", directory]);
        if (code != 0)
        {
            throw new InvalidOperationException($"trees_cli catalog-names failed ({code}): {output}");
        }
        using var list = JsonDocument.Parse(output);
        return [.. list.RootElement.EnumerateArray().Select(e => Entry(e.GetProperty("name").GetString()!, e))];
    }

    /// <summary>One entry as <see cref="CatalogEntriesAsync"/> writes it, from a name and a stat-like JSON object.</summary>
    public static string Entry(string name, JsonElement stat) =>
        $"{JsonSerializer.Serialize(name)} mode={stat.GetProperty("mode")} uid={stat.GetProperty("uid")} gid={stat.GetProperty("gid")} " +
        $"size={stat.GetProperty("size")} mtime={stat.GetProperty("mtime")}";

    private static void Check((int ExitCode, string Output) result, string what)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"trees_cli {what} failed ({result.ExitCode}): {result.Output}");
        }
    }
}
