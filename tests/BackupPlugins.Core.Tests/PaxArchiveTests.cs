// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Formats.Tar;
using System.Text;
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

/// <summary>A tree through PaxArchiveWriter and PaxArchiveReader comes back exact (needs root for owners and devices).</summary>
public sealed class PaxArchiveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-pax-").FullName;

    public void Dispose() => Remove(B(_dir)); // Directory.Delete cannot name a file that is not UTF-8

    private static void Remove(byte[] path)
    {
        if (FileSystem.LStat(path).IsDirectory)
        {
            foreach (var name in FileSystem.ListDirectory(path))
            {
                Remove(PosixPath.Join(path, name));
            }
            FileSystem.RemoveDirectory(path);
        }
        else
        {
            FileSystem.Unlink(path);
        }
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private string MakeTree()
    {
        var src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(Path.Combine(src, "dir", "sub"));
        File.WriteAllText(Path.Combine(src, "small.txt"), "hello\n");
        File.WriteAllBytes(Path.Combine(src, "dir", "sub", "data.bin"), Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray());
        var latin1 = PosixPath.Join(B(src), [(byte)'K', 0xDC, (byte)'B', (byte)'L', (byte)'E', (byte)'R']);
        FileSystem.Close(FileSystem.Open(latin1, Libc.OWrOnly | Libc.OCreat, 0x1A4));
        FileSystem.Link(B(src + "/small.txt"), B(src + "/dir/hardlink"));
        FileSystem.Symlink(B("small.txt"), B(src + "/link"));
        FileSystem.MakeNode(B(src + "/fifo"), PosixStat.Fifo | 0x1A0, 0);
        FileSystem.MakeNode(B(src + "/dir/null"), PosixStat.Chr | 0x180, PosixStat.MakeDev(1, 3));
        FileSystem.SetXattr(B(src + "/small.txt"), B("user.comment"), [0, 1, 2, 255]);
        FileSystem.LChown(B(src + "/dir/sub/data.bin"), 1234, 4321);
        FileSystem.SetTimes(B(src + "/small.txt"), 1_700_000_000, 1, 1_700_000_000, 123_456_789);
        using (var sparse = File.Create(Path.Combine(src, "sparse.img")))
        {
            sparse.Write("head"u8);
            sparse.Position = 5 << 20;
            sparse.Write("middle"u8);
            sparse.SetLength(12 << 20);
        }
        var deep = Path.Combine(src, new string('d', 200), new string('e', 250));
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, new string('f', 240) + "\nnew line"), "a path of 700 bytes with a newline\n");
        FileSystem.SetTimes(B(src + "/dir"), 1_600_000_000, 0, 1_600_000_000, 5);
        return src;
    }

    private static async Task<MemoryStream> ArchiveAsync(string src)
    {
        var archive = new MemoryStream();
        await using (var writer = new PaxArchiveWriter(archive, B(src)))
        {
            foreach (var item in new TreeWalker(B(src), PathFilter.None).Walk(CancellationToken.None))
            {
                await writer.WriteAsync(item, CancellationToken.None);
            }
            await writer.CompleteAsync(CancellationToken.None);
        }
        archive.Position = 0;
        return archive;
    }

    private static Dictionary<string, string> Describe(string root)
    {
        var result = new Dictionary<string, string>();
        foreach (var item in new TreeWalker(B(root), PathFilter.None).Walk(CancellationToken.None))
        {
            var s = item.Stat;
            var data = item.Kind == Sources.EntryKind.Regular ? Hash(item.OpenPath!) : "";
            // (not the times pseudo xattr: it holds atime, which reading the source moves; mtime to the ns is in the stat)
            var xattrs = string.Join(",", item.Xattrs.Where(x => Encoding.Latin1.GetString(x.Name) != TreeWalker.TimesXattr)
                .Select(x => Encoding.Latin1.GetString(x.Name) + "=" + Convert.ToHexString(x.Value)));
            result[Convert.ToHexString(item.Name.AsSpan(B(root).Length))] =
                $"{item.Kind} {s.Mode:x} {s.Uid}:{s.Gid} {s.Size} {s.Mtime}.{s.MtimeNsec} rdev={s.Rdev} link={Convert.ToHexString(item.Link.AsSpan(item.Link.AsSpan().StartsWith(B(root)) ? B(root).Length : 0))} {data} {xattrs}";
        }
        return result;
    }

    private static string Hash(byte[] path)
    {
        using var file = new FileStream(FileSystem.OpenRead(path), FileAccess.Read);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(file));
    }

    [Fact]
    public async Task WriteThenExtract_EveryEntryType_ComesBackExact()
    {
        var src = MakeTree();
        var archive = await ArchiveAsync(src);
        var target = Path.Combine(_dir, "restored");
        var problems = new List<string>();

        var count = await PaxArchiveReader.ExtractAsync(archive, target, problems.Add, CancellationToken.None);

        Assert.Empty(problems);
        Assert.Equal(14, count);
        Assert.True(archive.Length < 1 << 20, $"the archive holds the holes: {archive.Length} bytes");
        Assert.True(FileSystem.LStat(B(target + "/sparse.img")).Blocks * 512 < 1 << 20, "the restored file is sparse again");
        var (expected, actual) = (Describe(src), Describe(target));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.All(expected, kv => Assert.Equal(kv.Value, actual[kv.Key]));
    }

    [Fact]
    public async Task Archive_IsPaxWithLibarchiveXattrsAndRelativeNames()
    {
        var archive = await ArchiveAsync(MakeTree());
        var entries = new List<PaxTarEntry>();
        var reader = new TarReader(archive);
        while (reader.GetNextEntry() is PaxTarEntry entry)
        {
            entries.Add(entry);
        }
        // "dir/hardlink" is walked first, so it carries the data and the xattrs; "small.txt" links to it.
        var small = entries.Single(e => e.Name == "dir/hardlink");
        Assert.Equal(TarEntryType.HardLink, entries.Single(e => e.Name == "small.txt").EntryType);
        Assert.Equal("AAEC/w==", small.ExtendedAttributes["LIBARCHIVE.xattr.user.comment"]);
        Assert.Equal("1700000000.000000001 1700000000.123456789",
            Encoding.ASCII.GetString(Convert.FromBase64String(small.ExtendedAttributes["LIBARCHIVE.xattr.backupplugins.times"])));
        Assert.Equal("./", entries[^1].Name);
        Assert.Contains(entries, e => e.Name == "K\uF7DCBLER");
        var sparse = entries.Single(e => e.Name == "GNUSparseFile.0/sparse.img");
        Assert.Equal(("1", "0", "sparse.img", "12582912"), (sparse.ExtendedAttributes["GNU.sparse.major"], sparse.ExtendedAttributes["GNU.sparse.minor"],
            sparse.ExtendedAttributes["GNU.sparse.name"], sparse.ExtendedAttributes["GNU.sparse.realsize"]));
    }

    [Fact]
    public async Task Extract_MemberClimbingOut_IsRefusedAndNothingLandsOutside()
    {
        var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "../escaped.txt") { DataStream = new MemoryStream([1, 2]) });
        }
        archive.Position = 0;
        var target = Path.Combine(_dir, "t");

        var ex = await Assert.ThrowsAsync<BackupPluginException>(() => PaxArchiveReader.ExtractAsync(archive, target, _ => { }, CancellationToken.None));

        Assert.Equal($"refusing to restore {target}/../escaped.txt: it contains a '..' or '.' component", ex.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "escaped.txt")));
    }
}
