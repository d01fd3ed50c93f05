// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text;

namespace BackupPlugins.Core.Posix;

/// <summary>The mount points of this process's mount namespace (<c>/proc/self/mountinfo</c>).</summary>
public static class MountTable
{
    public static IReadOnlyList<string> MountPoints()
    {
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(Unescape(fields[4]));
            }
        }
        return points;
    }

    /// <summary>Where the block device <paramref name="major"/>:<paramref name="minor"/> is mounted (mountinfo's third field), in mount order.</summary>
    public static IReadOnlyList<string> MountPointsOf(uint major, uint minor)
    {
        var device = string.Create(CultureInfo.InvariantCulture, $"{major}:{minor}");
        var points = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && fields[2] == device && fields[3] == "/")
            {
                points.Add(Unescape(fields[4]));
            }
        }
        return points;
    }

    public static bool IsMountPoint(string path) =>
        MountPoints().Contains(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)), StringComparer.Ordinal);

    /// <summary>Mount points directly inside <paramref name="dir"/> whose name starts with <paramref name="prefix"/>.</summary>
    public static IReadOnlyList<string> MountedChildren(string dir, string prefix)
    {
        var parent = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir));
        return MountPoints()
            .Where(p => Path.GetDirectoryName(p) == parent && Path.GetFileName(p).StartsWith(prefix, StringComparison.Ordinal))
            .Distinct()
            .ToList();
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as \ooo octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }
        var bytes = new List<byte>();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
