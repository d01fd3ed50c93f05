// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Service.Mapping;

namespace BackupPlugins.Service.Tests;

/// <summary>The packed stat of the protocol, byte for byte as the shim reads it (tests/shim/test_wire_schema.py: the same bytes).</summary>
public class PackedStatTests
{
    private const string Hex =
        "03000000000100000500000000000080a481000070110100e8030000feffffff07030100000000000000000002000000" +
        "00f1536500000000fbffffffffffffff000000000001000000100000010000000001000001000000ffc99a3bf4010000";

    private static readonly PosixStat Sample = new(
        Dev: (1UL << 40) + 3, Ino: (1UL << 63) + 5, Mode: 0x81A4, Nlink: 70_000, Uid: 1000, Gid: uint.MaxValue - 1,
        Rdev: (259UL << 8) | 7, Size: 1L << 33, Atime: 1_700_000_000, AtimeNsec: 1, Mtime: -5, MtimeNsec: 999_999_999,
        Ctime: 1L << 40, CtimeNsec: 500, Blksize: 4096, Blocks: (1UL << 40) + 1);

    [Fact]
    public void Pack_EveryField_AtItsOffset() =>
        Assert.Equal(Hex, Convert.ToHexString(PackedStat.Pack(Sample).ToByteArray()).ToLowerInvariant());

    [Fact]
    public void Read_WhatPackWrote_IsTheSameStat() =>
        Assert.Equal(Sample, PackedStat.Read(Convert.FromHexString(Hex)));

    [Fact]
    public void Read_Empty_IsAllZero() => Assert.Equal(default, PackedStat.Read([]));

    [Fact]
    public void Read_Longer_TakesTheKnownFields() =>
        Assert.Equal(Sample, PackedStat.Read([.. Convert.FromHexString(Hex), 1, 2, 3]));

    [Fact]
    public void Read_Short_IsAnError()
    {
        var ex = Assert.Throws<BackupPluginException>(() => PackedStat.Read(new byte[40]));
        Assert.Contains("40 bytes", ex.Message);
    }
}
