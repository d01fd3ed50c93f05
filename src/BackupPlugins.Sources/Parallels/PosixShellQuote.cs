// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// Words for a remote POSIX shell: ssh joins its command arguments with spaces and hands the line to the remote user's
/// shell (<c>$SHELL -c</c>), so every path in it is quoted here. Single quotes keep everything literal (spaces, double
/// quotes, <c>$</c>, backticks, backslashes, newlines); a single quote itself is written <c>'\''</c>.
/// </summary>
public static class PosixShellQuote
{
    /// <summary>The word in single quotes; the empty word is <c>''</c>. A NUL cannot be passed to a shell at all.</summary>
    public static string Quote(string word) =>
        word.Contains('\0', StringComparison.Ordinal)
            ? throw new ArgumentException("a shell word cannot contain a NUL character", nameof(word))
            : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
