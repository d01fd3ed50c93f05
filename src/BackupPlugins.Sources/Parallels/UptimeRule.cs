// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Parallels;

/// <summary>Whether a VM is backed up this run, and into which rotation slot.</summary>
/// <param name="Backup">false: its cumulative uptime did not grow since the last backup</param>
/// <param name="Number">the slot this backup goes to, 1..rotations</param>
/// <param name="Uptime">the uptime recorded with it (0 counts as 1, so a VM that never ran is backed up once)</param>
/// <param name="Reason">why, for the log</param>
public sealed record BackupDecision(bool Backup, int Number, long Uptime, string Reason);

/// <summary>
/// The seed's rule: back up a VM when its cumulative uptime grew since the last backup; force a backup when there is no
/// status file or the uptime went backwards (the VM was moved or re-created). Slots: <c>backupRotations = N</c> keeps
/// exactly N copies, numbered 1..N (the seed numbered 1..N then 0, N + 1 copies); a seed-written <c>.last</c> of 0 or N
/// continues at 1, and the seed's slot 0 copy is no longer rewritten (remove <c>&lt;vm&gt;.0.tar.*</c> by hand).
/// </summary>
public static partial class UptimeRule
{
    public static BackupDecision Decide(long uptime, (int Number, long Uptime)? last, int rotations)
    {
        if (uptime < 1)
        {
            uptime = 1;
        }
        var (lastNumber, lastUptime) = last ?? (0, 0);
        string reason;
        if (last is null)
        {
            reason = "no status file: backing up";
        }
        else if (uptime < lastUptime)
        {
            reason = $"uptime {uptime} s is less than at the last backup ({lastUptime} s): the VM was moved or re-created; backing up";
            lastUptime = 0;
        }
        else if (uptime > lastUptime)
        {
            reason = $"up {uptime - lastUptime} s since the last backup";
        }
        else
        {
            return new BackupDecision(false, lastNumber, uptime, $"not backing up: not run since the last backup (uptime {uptime} s)");
        }
        var number = lastNumber + 1 > rotations || lastNumber < 0 ? 1 : lastNumber + 1;
        return new BackupDecision(true, number, uptime, reason);
    }

    /// <summary>
    /// Seconds of a prlctl uptime text: <c>"12 days 01:02:03"</c> or <c>"01:02:03"</c>, with anything after it (as the
    /// seed's expressions read it, without needing the whitespace after the seconds); null when it is neither.
    /// </summary>
    public static long? ParseSeconds(string text)
    {
        var m = Uptime().Match(text);
        if (!m.Success)
        {
            return null;
        }
        long Part(string group) => m.Groups[group].Success && m.Groups[group].Value.Length > 0
            ? long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 0;
        return ((Part("d") * 24 + Part("h")) * 60 + Part("m")) * 60 + Part("s");
    }

    [GeneratedRegex(@"(?:(?<d>\d+)\s*days?\s*)?(?<h>\d{2,}):(?<m>\d{2}):(?<s>\d{2})(?!\d)")]
    private static partial Regex Uptime();
}
