// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>What the benchmark backs up: one large file of random bytes and a tree of small ones, and reading them into the page cache.</summary>
public static class Corpus
{
    private const int Block = 1 << 20;

    public static void WriteRandomFile(string path, long bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, Block);
        var buffer = new byte[Block];
        for (long left = bytes; left > 0; left -= Block)
        {
            Random.Shared.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(Block, left));
        }
    }

    /// <summary>
    /// <paramref name="files"/> files of 0.5–4 KiB random bytes in 100 directories of two levels
    /// (<c>d0/d0/f0</c> … <c>d9/d9/f…</c>); returns their total size.
    /// </summary>
    public static long WriteSmallTree(string root, int files)
    {
        var random = new Random(20250601);
        var buffer = new byte[4096];
        long total = 0;
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Combine(root, $"d{i % 10}", $"d{i / 10 % 10}");
            if (i < 100)
            {
                Directory.CreateDirectory(dir);
            }
            var size = random.Next(512, 4097);
            random.NextBytes(buffer.AsSpan(0, size));
            File.WriteAllBytes(Path.Combine(dir, $"f{i}"), buffer.AsSpan(0, size));
            total += size;
        }
        return total;
    }

    /// <summary>Reads every file below <paramref name="path"/> (or the file itself), so the job reads from the page cache.</summary>
    public static void Warm(string path)
    {
        var buffer = new byte[Block];
        foreach (var file in File.Exists(path) ? [path] : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            while (stream.Read(buffer) > 0)
            {
            }
        }
    }
}
