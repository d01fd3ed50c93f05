// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// The seed's monthly dar chains under the target: a set <c>&lt;target&gt;/&lt;YYYY-MM&gt;/</c> per month whose first
/// archive is <c>&lt;prefix&gt;&lt;YYYY-MM-DD&gt;T&lt;HHMM&gt;-FULL</c> and every later one <c>…-INC</c> against the last good
/// one, named in <c>latest_successful</c>; <c>backup_deps</c> holds the chain as <c>child:parent</c> lines. Kept as the
/// seed wrote them. Fixed: a name already used this minute gets <c>-2</c>, <c>-3</c>… (the seed's <c>dar -w</c>
/// overwrote it); the reference of an INC is the parent's isolated catalogue when there is one; <c>latest_successful</c>
/// is replaced whole (a temporary file renamed); old month sets can be pruned (<c>keep_months</c>).
/// </summary>
public sealed partial class DarChain(string target, DateTimeOffset now)
{
    public const string Latest = "latest_successful";
    public const string Deps = "backup_deps";
    public const string CatalogueSuffix = "-catalogue";

    public string Month => now.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public string SetDirectory => Path.Combine(target, Month);

    /// <summary>The last good archive of this month's set (the first line of latest_successful), or null: the next is a FULL.</summary>
    public string? Parent()
    {
        var path = Path.Combine(SetDirectory, Latest);
        return File.Exists(path) && File.ReadLines(path).FirstOrDefault()?.TrimEnd() is { Length: > 0 } name ? name : null;
    }

    /// <summary>The new archive's base name (dar adds <c>.N.dar</c>), unique in the set.</summary>
    public string NewName(string prefix, bool full)
    {
        var name = $"{prefix}{now.ToString("yyyy-MM-dd'T'HHmm", CultureInfo.InvariantCulture)}-{(full ? "FULL" : "INC")}";
        for (var n = 2; Taken(name); n++)
        {
            name = $"{prefix}{now.ToString("yyyy-MM-dd'T'HHmm", CultureInfo.InvariantCulture)}-{(full ? "FULL" : "INC")}-{n}";
        }
        return name;
    }

    private bool Taken(string name) =>
        Directory.Exists(SetDirectory) && Directory.EnumerateFiles(SetDirectory).Select(Path.GetFileName)
            .Any(f => f!.StartsWith(name + ".", StringComparison.Ordinal) || f.StartsWith(name + CatalogueSuffix + ".", StringComparison.Ordinal));

    /// <summary>What an INC is made against: the parent's isolated catalogue, or the parent itself (a set the seed made).</summary>
    public string Reference(string parent)
    {
        var catalogue = Path.Combine(SetDirectory, parent + CatalogueSuffix);
        return File.Exists(catalogue + ".1.dar") ? catalogue : Path.Combine(SetDirectory, parent);
    }

    /// <summary>Records a good archive: latest_successful replaced, <c>name:parent</c> appended to backup_deps.</summary>
    public void Record(string name, string? parent)
    {
        var latest = Path.Combine(SetDirectory, Latest);
        File.WriteAllText(latest + ".tmp", name + "\n");
        File.Move(latest + ".tmp", latest, overwrite: true);
        File.AppendAllText(Path.Combine(SetDirectory, Deps), $"{name}:{parent}\n");
    }

    /// <summary>Month sets beyond the newest <paramref name="keep"/> (this month's never): the oldest, by name.</summary>
    public IReadOnlyList<string> MonthsToPrune(int keep)
    {
        if (keep <= 0 || !Directory.Exists(target))
        {
            return [];
        }
        var months = Directory.EnumerateDirectories(target).Select(Path.GetFileName).Where(m => MonthName().IsMatch(m!)).Order(StringComparer.Ordinal).ToList();
        return months.Take(Math.Max(0, months.Count - keep)).Where(m => m != Month).Select(m => Path.Combine(target, m!)).ToList();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}$")]
    private static partial Regex MonthName();
}
