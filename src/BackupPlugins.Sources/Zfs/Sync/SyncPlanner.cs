// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Zfs.Sync;

public enum SyncAction { Nothing, Full, Incremental, RollbackThenIncremental, ForceFull, RefuseNewerOnDestination, RefuseNoCommonBase, NoSource }

/// <summary>What to do for one volume: the common base (by GUID) and the snapshot to bring over.</summary>
public sealed record VolumePlan(SyncAction Action, ZfsSnapshot? Base, ZfsSnapshot? Target, IReadOnlyList<ZfsSnapshot> NewerOnDestination)
{
    public bool Refused => Action is SyncAction.RefuseNewerOnDestination or SyncAction.RefuseNoCommonBase or SyncAction.NoSource;
}

/// <summary>Pure decisions of a zfs sync: never by snapshot name or creation time, always by GUID.</summary>
public static partial class SyncPlanner
{
    /// <param name="source">The source dataset's snapshots, oldest first.</param>
    /// <param name="destination">The destination's snapshots, oldest first; null if the dataset does not exist.</param>
    public static VolumePlan Plan(IReadOnlyList<ZfsSnapshot> source, IReadOnlyList<ZfsSnapshot>? destination, bool rollback, bool forceFull)
    {
        if (source.Count == 0)
        {
            return new VolumePlan(SyncAction.NoSource, null, null, []);
        }
        var newest = source[^1];
        if (destination is null)
        {
            return new VolumePlan(SyncAction.Full, null, newest, []);
        }
        var onDestination = destination.Select(s => s.Guid).ToHashSet();
        var common = source.LastOrDefault(s => onDestination.Contains(s.Guid));
        if (common is null)
        {
            return new VolumePlan(forceFull ? SyncAction.ForceFull : SyncAction.RefuseNoCommonBase, null, newest, destination);
        }
        var baseOnDestination = destination.Last(s => s.Guid == common.Guid);
        var newer = destination.Where(s => s.CreateTxg > baseOnDestination.CreateTxg).ToList();
        if (common.Guid == newest.Guid)
        {
            return new VolumePlan(SyncAction.Nothing, common, newest, newer);
        }
        if (newer.Count > 0)
        {
            return new VolumePlan(rollback ? SyncAction.RollbackThenIncremental : SyncAction.RefuseNewerOnDestination, common, newest, newer);
        }
        return new VolumePlan(SyncAction.Incremental, common, newest, []);
    }

    /// <summary>
    /// Retention of one side: the date-named snapshots (the seed's <c>YYYY-MM-DD[_HH:MM:SS]</c>) beyond the newest
    /// <paramref name="keep"/> (0 keeps all); never a protected one (the newest common snapshot), never a snapshot
    /// someone else named.
    /// </summary>
    public static IReadOnlyList<ZfsSnapshot> Expired(IReadOnlyList<ZfsSnapshot> snapshots, int keep, IReadOnlySet<ulong> protectedGuids)
    {
        if (keep <= 0)
        {
            return [];
        }
        var dated = snapshots.Where(s => DateName().IsMatch(s.Name)).OrderBy(s => s.CreateTxg).ToList();
        return dated.Take(Math.Max(0, dated.Count - keep)).Where(s => !protectedGuids.Contains(s.Guid)).ToList();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(_\d{2}:\d{2}:\d{2})?$")]
    private static partial Regex DateName();
}
