// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>One row of <c>prlctl list -o name,uuid,status</c>; the UUID without braces.</summary>
public sealed record PrlctlContainer(string Name, string Uuid, string Status);

/// <summary>Pure parsers of prlctl output.</summary>
public static partial class PrlctlOutputParser
{
    /// <summary>
    /// Rows of <c>prlctl list -o name,uuid,status</c> after the header. The UUID column (in braces) anchors the
    /// row, so names with spaces parse (the seed split on whitespace and broke on them).
    /// </summary>
    public static IReadOnlyList<PrlctlContainer> ParseList(string output)
    {
        var rows = new List<PrlctlContainer>();
        foreach (var line in output.Split('\n'))
        {
            var m = Row().Match(line.TrimEnd('\r'));
            if (m.Success)
            {
                rows.Add(new PrlctlContainer(m.Groups["name"].Value.Trim(), m.Groups["uuid"].Value.ToLowerInvariant(),
                    m.Groups["status"].Value));
            }
        }
        return rows;
    }

    [GeneratedRegex(@"^(?<name>.*?)\s+\{(?<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}\s+(?<status>\S+)\s*$")]
    private static partial Regex Row();
}
