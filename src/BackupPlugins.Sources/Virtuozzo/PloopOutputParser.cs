// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>One row of <c>ploop snapshot-list</c>; UUIDs without braces, <see cref="File"/> the image path.</summary>
public sealed record PloopSnapshot(string Parent, string Uuid, bool Current, string File)
{
    public bool IsBase => Parent == PloopOutputParser.NoneUuid;
}

/// <summary>Pure parsers of ploop output (format of OpenVZ/ploop tools/ploop-snapshot.c).</summary>
public static partial class PloopOutputParser
{
    public const string NoneUuid = "00000000-0000-0000-0000-000000000000";

    /// <summary>
    /// <c>ploop snapshot-list DD</c> with its default columns: <c>%-38s %1s %-38s %s</c> (PARENT_UUID, C, UUID,
    /// FNAME), the header first. Read by column, so an image path with spaces parses; '*' marks the current image.
    /// </summary>
    public static IReadOnlyList<PloopSnapshot> ParseSnapshotList(string output)
    {
        var rows = new List<PloopSnapshot>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("PARENT_UUID", StringComparison.Ordinal))
            {
                continue;
            }
            var m = Row().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"unexpected line in ploop snapshot-list output: \"{line}\"");
            }
            rows.Add(new PloopSnapshot(m.Groups["parent"].Value.ToLowerInvariant(), m.Groups["uuid"].Value.ToLowerInvariant(),
                m.Groups["c"].Value == "*", m.Groups["file"].Value.TrimEnd()));
        }
        return rows;
    }

    private const string Uuid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    [GeneratedRegex(@"^\{(?<parent>" + Uuid + @")\} (?<c>[* ]) \{(?<uuid>" + Uuid + @")\} (?<file>.*)$")]
    private static partial Regex Row();
}
