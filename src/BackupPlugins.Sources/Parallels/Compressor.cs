// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// The ini's compressor as a real process. Where the program is one whose standard input → standard output form is
/// known (gzip, xz, bzip2, pbzip2, zstd, lz4) and every argument is one of those that only choose a level, threads,
/// quietness or what happens to input files, it runs in a pipe after tar (<c>-c</c>; the file-handling arguments
/// dropped), so no uncompressed tar is ever written. Anything else runs in the seed's in-place form on the tar file
/// (<c>program args file</c>, expected to leave <c>file.ext</c>).
/// </summary>
public sealed partial record Compressor(Compression Settings)
{
    private static readonly HashSet<string> Streaming = ["gzip", "xz", "bzip2", "pbzip2", "zstd", "lz4"];

    /// <summary>Arguments about input files or overwriting, meaningless in a pipe.</summary>
    private static readonly HashSet<string> FileHandling = ["-f", "--force", "-k", "--keep", "--rm", "-rm", "-z", "--compress"];

    public bool Pipes => Streaming.Contains(Path.GetFileName(Settings.Program))
                         && Settings.Arguments.All(a => FileHandling.Contains(a) || Safe().IsMatch(a));

    /// <summary>The pipe form: compresses standard input to standard output.</summary>
    public ToolCommand PipeCommand(string? session) =>
        new([Settings.Program, "-c", .. Settings.Arguments.Where(a => !FileHandling.Contains(a))])
        {
            Timeout = Settings.Timeout, Session = session,
        };

    /// <summary>The seed's form: compresses <paramref name="file"/> in place.</summary>
    public ToolCommand InPlaceCommand(string file, string? session) =>
        new([Settings.Program, .. Settings.Arguments, file]) { Timeout = Settings.Timeout, Session = session };

    /// <summary>A level (<c>-1</c>…<c>-19</c>, <c>--fast</c>, <c>--best</c>), threads (<c>-T0</c>, <c>-p4</c>) or quietness.</summary>
    [GeneratedRegex(@"^(-[0-9]{1,2}|--fast|--best|-T[0-9]+|--threads=[0-9]+|-p[0-9]+|-q|--quiet)$")]
    private static partial Regex Safe();
}
