// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Lvm.Backup;

namespace BackupPlugins.Sources.Tests.Lvm;

public sealed class DarChainTests : IDisposable
{
    private readonly string _target = Directory.CreateTempSubdirectory("bp-dar-").FullName;
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 3, 40, 12, TimeSpan.Zero);

    public void Dispose() => Directory.Delete(_target, recursive: true);

    [Fact]
    public void AnEmptyMonth_StartsWithAFull_ThenEachGoodArchiveIsTheNextParent()
    {
        var chain = new DarChain(_target, Now);
        Assert.Null(chain.Parent());
        Assert.Equal("h-2026-12-07T0340-FULL", chain.NewName("h-", full: true));

        Directory.CreateDirectory(chain.SetDirectory);
        chain.Record("h-2026-12-07T0340-FULL", null);
        chain.Record("h-2026-12-07T0340-INC", "h-2026-12-07T0340-FULL");

        Assert.Equal("h-2026-12-07T0340-INC", chain.Parent());
        Assert.Equal("h-2026-12-07T0340-FULL:\nh-2026-12-07T0340-INC:h-2026-12-07T0340-FULL\n",
            File.ReadAllText(Path.Combine(chain.SetDirectory, DarChain.Deps)));
    }

    [Fact]
    public void ANameUsedThisMinute_GetsANumber_NeverOverwritten()
    {
        var chain = new DarChain(_target, Now);
        Directory.CreateDirectory(chain.SetDirectory);
        File.WriteAllText(Path.Combine(chain.SetDirectory, "h-2026-12-07T0340-INC.1.dar"), "");
        File.WriteAllText(Path.Combine(chain.SetDirectory, "h-2026-12-07T0340-INC-2-catalogue.1.dar"), "");

        Assert.Equal("h-2026-12-07T0340-INC-3", chain.NewName("h-", full: false));
    }

    [Fact]
    public void TheReference_IsTheParentsIsolatedCatalogue_WhenThereIsOne()
    {
        var chain = new DarChain(_target, Now);
        Directory.CreateDirectory(chain.SetDirectory);
        Assert.Equal(Path.Combine(chain.SetDirectory, "old"), chain.Reference("old")); // a set the seed made
        File.WriteAllText(Path.Combine(chain.SetDirectory, "new-catalogue.1.dar"), "");
        Assert.Equal(Path.Combine(chain.SetDirectory, "new-catalogue"), chain.Reference("new"));
    }

    [Fact]
    public void KeepMonths_PrunesTheOldestSets_NeverThisMonths_NorOtherDirectories()
    {
        foreach (var d in new[] { "2026-09", "2026-10", "2026-11", "2026-12", "not-a-month" })
        {
            Directory.CreateDirectory(Path.Combine(_target, d));
        }
        var chain = new DarChain(_target, Now);

        Assert.Equal([Path.Combine(_target, "2026-09"), Path.Combine(_target, "2026-10")], chain.MonthsToPrune(2));
        Assert.Empty(chain.MonthsToPrune(0));
    }
}
