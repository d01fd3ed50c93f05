// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Prlctl;

/// <summary>One row of <c>prlctl list -o name,uuid,status</c>; the UUID without braces.</summary>
public sealed record PrlctlContainer(string Name, string Uuid, string Status);

/// <summary>Pure parsers of prlctl output.</summary>
public static partial class PrlctlOutputParser
{
    /// <summary>
    /// Rows of <c>prlctl list -o name,uuid,status</c>: the header first, then one row per container. The UUID column
    /// (in braces) anchors the row, so names with spaces parse (the seed split on whitespace and broke on them). Any
    /// other line is output this parser does not know: a <see cref="FormatException"/>, never a silently shorter list.
    /// </summary>
    public static IReadOnlyList<PrlctlContainer> ParseList(string output)
    {
        var rows = new List<PrlctlContainer>();
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        if (lines.Count == 0 || !lines[0].TrimStart().StartsWith("NAME", StringComparison.Ordinal))
        {
            throw new FormatException("no header line NAME UUID STATUS");
        }
        foreach (var line in lines.Skip(1))
        {
            var m = Row().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"unexpected line in prlctl list output: \"{line}\"");
            }
            rows.Add(new PrlctlContainer(m.Groups["name"].Value.Trim(), m.Groups["uuid"].Value.ToLowerInvariant(), m.Groups["status"].Value));
        }
        return rows;
    }

    /// <summary>The id in "The snapshot with id {…} has been successfully created." (without braces).</summary>
    public static string ParseSnapshotCreated(string output) =>
        SnapshotCreated().Match(output) is { Success: true } m
            ? m.Groups["id"].Value.ToLowerInvariant()
            : throw new FormatException("no \"The snapshot with id {…} has been successfully created.\" line");

    /// <summary>
    /// Snapshot ids of <c>snapshot-list -H</c> (PrlSnapshotTree::print_list: rows of a parent id, a '*' on the current
    /// one, and the id, each id in braces): the last id of each row. Any other line is a <see cref="FormatException"/>.
    /// </summary>
    public static IReadOnlyList<string> ParseSnapshotList(string output)
    {
        var ids = new List<string>();
        foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            var m = SnapshotRow().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"unexpected line in prlctl snapshot-list output: \"{line}\"");
            }
            ids.Add(m.Groups["id"].Value.ToLowerInvariant());
        }
        return ids;
    }

    private const string Uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    [GeneratedRegex(@"The snapshot with id \{(?<id>" + Uuid + @")\} has been successfully created\.")]
    private static partial Regex SnapshotCreated();

    [GeneratedRegex(@"^\s*(\{" + Uuid + @"\})?\s*\*?\s*\{(?<id>" + Uuid + @")\}\s*$")]
    private static partial Regex SnapshotRow();

    [GeneratedRegex(@"^(?<name>.*?)\s+\{(?<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}\s+(?<status>\S+)\s*$")]
    private static partial Regex Row();
}
