// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// One <c>[scp] destinations</c> line, <c>user@host:directory</c>, split as scp splits it: at the first <c>:</c> outside
/// an IPv6 address in brackets (<c>user@[::1]:dir</c>). An empty directory, <c>~</c> or <c>~/…</c> is relative to the
/// login directory (where both sftp and ssh start).
/// </summary>
/// <param name="Login">user@host as scp takes it, brackets included.</param>
/// <param name="Directory">The remote directory, relative to the login directory when it does not start with /.</param>
public sealed record ScpDestination(string Login, string Directory)
{
    /// <summary>user@host as ssh takes it (without the brackets scp needs around an IPv6 address).</summary>
    public string SshLogin => Login.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);

    /// <summary>The remote path of <paramref name="name"/> in this destination's directory.</summary>
    public string PathOf(string name) =>
        Directory.Length == 0 ? name : Directory.EndsWith('/') ? Directory + name : $"{Directory}/{name}";

    /// <summary>Splits a destination; <see cref="FormatException"/> naming it when it is not user@host:directory.</summary>
    public static ScpDestination Parse(string text)
    {
        var close = text.IndexOf("]:", StringComparison.Ordinal);
        var colon = text.Contains('[', StringComparison.Ordinal) && close > 0 ? close + 1 : text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            throw new FormatException($"\"{text}\" is not user@host:directory");
        }
        if (text[0] == '-')
        {
            throw new FormatException($"\"{text}\" starts with '-', which scp and ssh would take for an option");
        }
        var directory = text[(colon + 1)..];
        return new ScpDestination(text[..colon], directory == "~" ? "" : directory.StartsWith("~/", StringComparison.Ordinal) ? directory[2..] : directory);
    }
}
