// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Xen.Backup;

namespace BackupPlugins.Sources.Tests.Xen;

public sealed class VmSelectionTests
{
    /// <summary>The pool of the seed README's preview example #2.</summary>
    private static readonly XenVm[] Pool =
    [
        Vm(1, "PROD-ubuntu14"), Vm(2, "PROD-ubuntu12-benchmark"), Vm(3, "PROD-CentOS7-large-user-disks"), Vm(4, "DEV-RH6"),
        Vm(5, "DEV-RH7"), Vm(6, "PROD-WinSvr"), Vm(7, "TEST-web"),
    ];

    private static XenVm Vm(int n, string name) => new($"00000000-0000-4000-8000-{n:D12}", name);

    private static Selection Resolve(IEnumerable<XenVm> pool, params string[] lines) =>
        VmSelection.Resolve(VmBackupConfig.Parse(lines, ignoreExtraKeys: false).Selectors, pool.ToList(), 4);

    private static string Names(IEnumerable<SelectedVm> vms) => string.Join(", ", vms.Select(v => v.MaxBackups == 4 ? v.Name : $"{v.Name}:{v.MaxBackups}"));

    [Fact]
    public void TheReadmesPreviewExample_ResolvesAsItsOutputShows_ExcludeAfterTheSelections()
    {
        var s = Resolve(Pool, "max_backups=4", "vdi-export=PROD-CentOS7-large-user-disks", "vm-export=PROD.*", "vm-export=DEV-RH.*:3",
            "exclude=PROD-ubuntu12-benchmark");

        Assert.Equal("PROD-CentOS7-large-user-disks", Names(s.VdiExport));
        Assert.Equal("PROD-ubuntu14, DEV-RH6:3, DEV-RH7:3, PROD-WinSvr", Names(s.VmExport));
        Assert.Equal(["PROD-ubuntu12-benchmark"], s.Excluded.Select(v => v.Name));
        Assert.Equal(["***WARNING vdi-export dup - remove vm-export=PROD-CentOS7-large-user-disks"], s.Warnings);
        Assert.Empty(s.Errors);
    }

    [Fact]
    public void ADotMakesARegex_AnchoredAtTheStartOnly()
    {
        var s = Resolve(Pool, "vm-export=DEV.RH", "vm-export=web");

        Assert.Equal("DEV-RH6, DEV-RH7", Names(s.VmExport)); // "DEV.RH" matches the start of both, "-" by "."
        Assert.Equal(["ERROR - vm(s) List does not exist: web"], s.Errors); // simple names match whole names only
    }

    [Fact]
    public void ARegexMatchingNothing_IsAWarning_AnInvalidOneAnError_AMissingExcludeAWarning()
    {
        var s = Resolve(Pool, "exclude=GONE", "vm-export=QA-.*", "vm-export=PROD-(");

        Assert.Equal(["***WARNING - vm(s) Exclude does not exist: GONE", "***WARNING - vm not found: vm-export=QA-.*"], s.Warnings);
        Assert.Equal(["***ERROR - invalid regex: vm-export=PROD-("], s.Errors);
    }

    [Fact]
    public void ConsecutiveExcludedMatches_AreAllExcluded_Issue36()
    {
        var s = Resolve(Pool, "exclude=PROD-ubuntu.*", "exclude=DEV-.*", "vm-export=.*");

        Assert.Equal("PROD-CentOS7-large-user-disks, PROD-WinSvr, TEST-web", Names(s.VmExport));
    }

    [Fact]
    public void TheLastLineSelectingAVm_SetsItsMaxBackups()
    {
        var s = Resolve(Pool, "vm-export=DEV-.*:2", "vm-export=DEV-RH7:9");

        Assert.Equal("DEV-RH6:2, DEV-RH7:9", Names(s.VmExport));
    }

    [Fact]
    public void ADuplicateName_IsAnError_AndItsUuidSelectsOne()
    {
        XenVm[] pool = [.. Pool, Vm(8, "DEV-RH6")];

        var byName = Resolve(pool, "vm-export=DEV-RH6", "vm-export=DEV-RH7");
        Assert.Equal(["ERROR - duplicate VM name found: DEV-RH6 (00000000-0000-4000-8000-000000000004, 00000000-0000-4000-8000-000000000008): select one by its UUID"],
            byName.Errors);
        Assert.Equal("DEV-RH7", Names(byName.VmExport));

        var byRegex = Resolve(pool, "vm-export=DEV-.*");
        Assert.Equal("DEV-RH7", Names(byRegex.VmExport)); // both DEV-RH6 refused: their exports would share a directory
        Assert.Single(byRegex.Errors);

        var byUuid = Resolve(pool, "vm-export=00000000-0000-4000-8000-000000000008");
        Assert.Equal([("DEV-RH6", "00000000-0000-4000-8000-000000000008")], byUuid.VmExport.Select(v => (v.Name, v.Uuid)));
        Assert.Empty(byUuid.Errors);
    }

    [Fact]
    public void NamesWithCommasQuotesDollarsAndNonAscii_AreSelectedWhole()
    {
        XenVm[] pool = [Vm(1, "web, \"blue\" $HOME"), Vm(2, "Büro-Server")];

        var s = Resolve(pool, "vm-export=web, \"blue\" \\$HOME", "vdi-export=Büro-Server");

        Assert.Equal("web, \"blue\" $HOME", Names(s.VmExport));
        Assert.Equal("Büro-Server", Names(s.VdiExport));
        Assert.Empty(s.Errors);
    }

    [Fact]
    public void AVmNamedWithASlash_IsSelected_ItsFileNameSaysHowItIsStored()
    {
        var s = Resolve([Vm(1, "a/b"), Vm(2, "..")], "vm-export=a.b", "vm-export=\\.\\.");

        Assert.Equal("a/b, ..", Names(s.VmExport)); // stored as a%2Fb and %2E%2E (VmFileName)
        Assert.Empty(s.Errors);
    }
}
