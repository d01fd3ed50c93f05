// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Lvm;

namespace BackupPlugins.Sources.Tests.Lvm;

public sealed class LvmToolTests
{
    [Fact]
    public void LvsRows_AreReadByTheirNamedColumns()
    {
        // lvs --noheadings --separator , --units b --nosuffix -o lv_name,vg_name,lv_attr,origin,snap_percent,lv_size,lv_uuid
        var rows = LvmTool.Parse("  data,vg0,owi-aos---,,,335544320,AbCdEf-1234\n  bp-data-7,vg0,swi-a-s---,data,12.50,71303168,GhIjKl-5678\n" +
                                 "  bp-data-6,vg0,swi-I-s---,data,100.00,71303168,MnOpQr-9012\n");

        Assert.Equal(3, rows.Count);
        Assert.True(rows[0] is { Name: "data", IsSnapshot: false, SnapPercent: null, Size: 335544320, Uuid: "AbCdEf-1234" });
        Assert.True(rows[1] is { IsSnapshot: true, IsInvalid: false, Origin: "data", SnapPercent: 12.5 });
        Assert.True(rows[2].IsInvalid);
    }

    [Theory]
    [InlineData("data,vg0,-wi-a-----,,")]
    [InlineData("data,vg0,-wi-a-----,,x,1,u")]
    [InlineData("data,vg0,-wi-a-----,,,1.5G,u")]
    public void ARowThisVersionCannotRead_IsAFormatError(string row) => Assert.Throws<FormatException>(() => LvmTool.Parse(row));

    [Theory]
    [InlineData("2G", true)]
    [InlineData("500m", true)]
    [InlineData("1.5T", true)]
    [InlineData("20%ORIGIN", true)]
    [InlineData("100%FREE", true)]
    [InlineData("lots", false)]
    [InlineData("20%LV", false)]
    [InlineData("-1G", false)]
    public void SnapshotSizes_AreWhatLvcreateTakes(string size, bool valid)
    {
        Assert.Equal(valid, LvmTool.IsSize(size));
        if (valid)
        {
            Assert.Equal(size.Contains('%') ? "--extents" : "--size", LvmTool.SizeArguments(size)[0]);
        }
    }

    [Theory]
    [InlineData("xfs", "ro,nouuid")]
    [InlineData("ext4", "ro,noload")]
    [InlineData("ext3", "ro,noload")]
    [InlineData("ext2", "ro")]
    [InlineData(null, "ro")]
    public void ASnapshotMounts_ReadOnly_WithWhatItsFileSystemNeeds(string? type, string options) =>
        Assert.Equal(options, SuperBlock.MountOptions(type));
}
