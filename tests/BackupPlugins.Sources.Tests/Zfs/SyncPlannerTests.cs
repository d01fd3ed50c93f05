// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Zfs;
using BackupPlugins.Sources.Zfs.Sync;

namespace BackupPlugins.Sources.Tests.Zfs;

public class SyncPlannerTests
{
    private static ZfsSnapshot S(string ds, string name, ulong guid, ulong txg) => new(ds, name, guid, txg);
    private static readonly ZfsSnapshot[] Source = [S("h/d", "a", 1, 10), S("h/d", "b", 2, 20), S("h/d", "c", 3, 30)];

    [Fact]
    public void Plan_NoDestination_IsFull() =>
        Assert.Equal(SyncAction.Full, SyncPlanner.Plan(Source, null, false, false).Action);

    [Fact]
    public void Plan_CommonBaseFoundByGuidNotName_IsIncrementalFromTheNewestCommon()
    {
        // Renamed on the destination, and created there in another order: only the GUID counts.
        var plan = SyncPlanner.Plan(Source, [S("u/d", "renamed-a", 1, 5), S("u/d", "renamed-b", 2, 7)], false, false);
        Assert.Equal((SyncAction.Incremental, "b", "c"), (plan.Action, plan.Base!.Name, plan.Target!.Name));
    }

    [Fact]
    public void Plan_SameNameOtherGuid_IsNoCommonBase() =>
        Assert.Equal(SyncAction.RefuseNoCommonBase, SyncPlanner.Plan(Source, [S("u/d", "c", 99, 5)], false, false).Action);

    [Fact]
    public void Plan_NewerOnDestination_RefusedUnlessRollback()
    {
        var destination = new[] { S("u/d", "b", 2, 7), S("u/d", "local", 50, 9) };
        var refused = SyncPlanner.Plan(Source, destination, false, false);
        Assert.Equal(SyncAction.RefuseNewerOnDestination, refused.Action);
        Assert.Equal(["local"], refused.NewerOnDestination.Select(s => s.Name));
        Assert.Equal(SyncAction.RollbackThenIncremental, SyncPlanner.Plan(Source, destination, true, false).Action);
    }

    [Fact]
    public void Plan_BothCurrent_IsNothing() =>
        Assert.Equal(SyncAction.Nothing, SyncPlanner.Plan(Source, [S("u/d", "c", 3, 9)], false, false).Action);

    [Fact]
    public void Plan_NoCommonBaseWithForceFull_IsForceFull() =>
        Assert.Equal(SyncAction.ForceFull, SyncPlanner.Plan(Source, [S("u/d", "x", 77, 1)], false, true).Action);

    [Fact]
    public void Expired_KeepsTheNewestDateNamedAndTheProtected_AndNeverForeignNames()
    {
        var snapshots = new[]
        {
            S("u/d", "2026-11-01_00:00:00", 1, 1), S("u/d", "2026-11-02", 2, 2), S("u/d", "weekly-keep", 3, 3),
            S("u/d", "2026-11-03_00:00:00", 4, 4), S("u/d", "2026-11-04_00:00:00", 5, 5),
        };
        Assert.Equal(["2026-11-02", "2026-11-03_00:00:00"],
            SyncPlanner.Expired(snapshots, 1, new HashSet<ulong> { 1 }).Select(s => s.Name));
        Assert.Empty(SyncPlanner.Expired(snapshots, 0, new HashSet<ulong>()));
    }
}
