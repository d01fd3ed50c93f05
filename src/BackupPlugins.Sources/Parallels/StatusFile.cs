// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// <c>&lt;StatusDirectory&gt;/&lt;vm&gt;.last</c>: one line <c>"&lt;backup number&gt; &lt;uptime seconds&gt;"</c>, the seed's format, so
/// files the seed wrote are read and continued. Written only after a backup that succeeded.
/// </summary>
public static class StatusFile
{
    public static string PathOf(string statusDirectory, string vm) => Path.Combine(statusDirectory, vm + ".last");

    /// <summary>The last backup's slot and uptime, or null with the reason when the file is missing or unreadable.</summary>
    public static (int Number, long Uptime)? Read(string path, out string? why)
    {
        string? first;
        try
        {
            first = File.ReadLines(path).FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            why = ex is FileNotFoundException or DirectoryNotFoundException ? "not found" : ex.Message;
            return null;
        }
        var fields = (first ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length >= 2 && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var uptime))
        {
            why = null;
            return (number, uptime);
        }
        why = $"not \"<number> <uptime>\": \"{first}\"";
        return null;
    }

    /// <summary>Replaces the file atomically (temp file, fsync, rename).</summary>
    public static void Write(string path, int number, long uptime)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            file.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{number} {uptime}\n")));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
