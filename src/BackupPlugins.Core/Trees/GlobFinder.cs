// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Trees;

/// <summary>Expands a glob relative to a root, component by component, like a shell (used for blocker files).</summary>
public static class GlobFinder
{
    /// <summary>The first existing path under <paramref name="root"/> that matches, or null.</summary>
    public static byte[]? FindFirst(byte[] root, string pattern)
    {
        var parts = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return Find(root, parts, 0);
    }

    private static byte[]? Find(byte[] dir, string[] parts, int index)
    {
        if (index == parts.Length)
        {
            return dir;
        }
        var glob = new Glob(parts[index]);
        if (!glob.HasWildcards)
        {
            var path = PosixPath.Join(dir, System.Text.Encoding.UTF8.GetBytes(parts[index]));
            return FileSystem.TryLStat(path, out _, out _) ? Find(path, parts, index + 1) : null;
        }
        List<byte[]> names;
        try
        {
            names = FileSystem.ListDirectory(dir);
        }
        catch (PosixException)
        {
            return null;
        }
        names.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        foreach (var name in names)
        {
            if (glob.IsMatch(name))
            {
                var found = Find(PosixPath.Join(dir, name), parts, index + 1);
                if (found is not null)
                {
                    return found;
                }
            }
        }
        return null;
    }
}
