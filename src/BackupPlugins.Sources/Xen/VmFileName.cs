// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// A VM's name as one file-name component — of the backup directory <c>&lt;backup_dir&gt;/&lt;vm&gt;/</c>, the export
/// <c>&lt;vm&gt;.xva</c> and the entry <c>/@xen/&lt;vm&gt;/</c>. XAPI allows any text in a name; a file name may hold
/// neither <c>/</c> nor NUL and may not be <c>.</c> or <c>..</c> (a VM named <c>../../etc</c> must not write outside).
/// Those are written <c>%2F</c>, <c>%00</c>, <c>%2E</c>, and <c>%</c> itself <c>%25</c>, so the name can be read back
/// (<see cref="Decode"/>); every other name — commas, quotes, <c>$</c>, spaces, non-ASCII — is kept as it is, as the
/// seed kept it.
/// </summary>
public static class VmFileName
{
    public static string Of(string name)
    {
        if (name is "" or "." or "..")
        {
            return name.Length == 0 ? "%00" : name.Replace(".", "%2E", StringComparison.Ordinal);
        }
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(c switch
            {
                '%' => "%25",
                '/' => "%2F",
                '\0' => "%00",
                _ => c.ToString(),
            });
        }
        return text.ToString();
    }

    /// <summary>The VM's name a file name of <see cref="Of"/> stands for.</summary>
    public static string Decode(string fileName) => fileName == "%00" ? ""
        : fileName.Replace("%2F", "/", StringComparison.Ordinal).Replace("%00", "\0", StringComparison.Ordinal)
            .Replace("%2E", ".", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
}
