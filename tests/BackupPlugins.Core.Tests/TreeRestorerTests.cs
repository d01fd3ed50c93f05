// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

public sealed class TreeRestorerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bp-restorer-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static PosixStat Stat(uint mode, long size = 0) =>
        new(0, 0, mode, 1, 0, 0, 0, size, 1_600_000_000, 0, 1_600_000_000, 0, 1_600_000_000, 0, 4096, 0);

    [Fact]
    public void Create_DotDotComponent_IsRefusedNamingTheFile()
    {
        var restorer = new TreeRestorer(B(_root));
        var target = B(_root + "/a/../../evil");
        var ex = Assert.Throws<BackupPluginException>(() =>
            restorer.Create(new RestoreItem(target, [], EntryKind.Regular, Stat(PosixStat.Reg | 0x1A4, 3), ReplaceMode.Always)));
        Assert.Equal($"refusing to restore {_root}/a/../../evil: it contains a '..' or '.' component", ex.Message);
    }

    [Fact]
    public void Create_OutsideTheRoot_IsRefused()
    {
        var restorer = new TreeRestorer(B(_root + "/inner"));
        var ex = Assert.Throws<BackupPluginException>(() =>
            restorer.Create(new RestoreItem(B(_root + "/other/file"), [], EntryKind.Regular, Stat(PosixStat.Reg, 3), ReplaceMode.Always)));
        Assert.Contains("is outside the restore root", ex.Message);
    }

    [Fact]
    public void Create_ThroughASymlinkThisRestoreMade_IsRefused()
    {
        var restorer = new TreeRestorer(B(_root));
        restorer.Create(new RestoreItem(B(_root + "/link"), B("/etc"), EntryKind.Symlink, Stat(PosixStat.Lnk | 0x1FF), ReplaceMode.Always));
        var ex = Assert.Throws<BackupPluginException>(() =>
            restorer.Create(new RestoreItem(B(_root + "/link/passwd"), [], EntryKind.Regular, Stat(PosixStat.Reg, 3), ReplaceMode.Always)));
        Assert.Equal($"refusing to restore {_root}/link/passwd: it would be written through the symlink {_root}/link restored by this job", ex.Message);
    }

    [Fact]
    public void Create_ReplaceNever_SkipsAnExistingFile()
    {
        File.WriteAllText(Path.Combine(_root, "f"), "old");
        var restorer = new TreeRestorer(B(_root));
        var result = restorer.Create(new RestoreItem(B(_root + "/f"), [], EntryKind.Regular, Stat(PosixStat.Reg, 3), ReplaceMode.Never));
        Assert.Equal(CreateOutcome.Skip, result.Outcome);
        Assert.Equal("old", File.ReadAllText(Path.Combine(_root, "f")));
    }

    [Fact]
    public void Create_IfNewer_ReplacesOnlyWhenTheBackupIsNewer()
    {
        var path = Path.Combine(_root, "f");
        File.WriteAllText(path, "old");
        File.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddSeconds(1_500_000_000));
        var restorer = new TreeRestorer(B(_root));
        var newer = restorer.Create(new RestoreItem(B(path), [], EntryKind.Regular, Stat(PosixStat.Reg, 3), ReplaceMode.IfNewer));
        Assert.Equal(CreateOutcome.Extract, newer.Outcome);
        Assert.False(File.Exists(path)); // removed, to be written anew by the core
        File.WriteAllText(path, "old");
        File.SetLastWriteTimeUtc(path, DateTime.UnixEpoch.AddSeconds(1_500_000_000));
        var older = restorer.Create(new RestoreItem(B(path), [], EntryKind.Regular, Stat(PosixStat.Reg, 3), ReplaceMode.IfOlder));
        Assert.Equal(CreateOutcome.Skip, older.Outcome);
    }

    /// <summary>A hard link the grpc-fd module saved as a copy, restored under a regexwhere that moved its prefix.</summary>
    [Fact]
    public void Finish_CopyCarryingTheLinkXattr_BecomesALinkToWhereTheFirstNameWasRestored()
    {
        var restorer = new TreeRestorer(B(_root));
        File.WriteAllText(Path.Combine(_root, "first"), "abc");
        var copy = new RestoreItem(B(_root + "/sub/second"), [], EntryKind.Regular, Stat(PosixStat.Reg | 0x1A4, 3), ReplaceMode.Always);
        Assert.Equal(CreateOutcome.Extract, restorer.Create(copy).Outcome);
        File.WriteAllText(Path.Combine(_root, "sub", "second"), "abc");
        byte[] value = [.. B("/srv/data/first"), 0, .. B("/srv/data/sub/second")];
        restorer.Finish(copy, new RestoreMetadata([(B(TreeWalker.LinkXattr), value)], null, true));
        Assert.Equal(FileSystem.LStat(B(_root + "/first")).Ino, FileSystem.LStat(B(_root + "/sub/second")).Ino);
        Assert.Equal(2u, FileSystem.LStat(B(_root + "/first")).Nlink);
    }

    [Fact]
    public void Finish_CopyWhoseFirstNameWasNotRestored_StaysACopyWithItsData()
    {
        var restorer = new TreeRestorer(B(_root));
        var copy = new RestoreItem(B(_root + "/second"), [], EntryKind.Regular, Stat(PosixStat.Reg | 0x1A4, 3), ReplaceMode.Always);
        restorer.Create(copy);
        File.WriteAllText(Path.Combine(_root, "second"), "abc");
        byte[] value = [.. B("/srv/data/first"), 0, .. B("/srv/data/second")];
        restorer.Finish(copy, new RestoreMetadata([(B(TreeWalker.LinkXattr), value)], null, true));
        Assert.Equal("abc", File.ReadAllText(Path.Combine(_root, "second")));
        Assert.Equal(1u, FileSystem.LStat(B(_root + "/second")).Nlink);
    }
}
