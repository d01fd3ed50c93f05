// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// A VM bundle into one compressed tar in the temp directory: <c>tar -C / --format=posix --xattrs --acls -cSf - /// A VM bundle into one compressed tar in the temp directory: <c>tar -C / -cSf - &lt;bundle&gt;</c> (sparse disk imageslt;bundle/// A VM bundle into one compressed tar in the temp directory: <c>tar -C / -cSf - &lt;bundle&gt;</c> (sparse disk imagesgt;</c> (sparse disk images
/// stay sparse) piped into the compressor, or, for a compressor without a pipe form, the tar file compressed in place
/// as the seed did. The paths in the archive are the bundle's own, without the leading <c>/</c>, as in the seed's
/// archives — also when tar reads a clone (GNU tar's <c>--transform</c> names the clone's files as the bundle's).
/// </summary>
public sealed class BundleArchive(IToolRunner runner, string tar, Compressor compressor, string? session)
{
    /// <summary>
    /// Archives <paramref name="read"/> (the bundle or its clone) as <paramref name="home"/> into <paramref name="target"/>;
    /// returns the tar's size. The tar's bytes are counted into <paramref name="progress"/> as they come.
    /// </summary>
    public async Task<long> WriteAsync(string home, string read, string target, TimeSpan timeout, CancellationToken cancellationToken,
        JobTransfer? progress = null)
    {
        var relative = read.TrimEnd('/').TrimStart('/');
        List<string> argv = [tar, "-C", "/", "--format=posix", "--xattrs", "--acls", "-cSf", "-"]; // pax: nanosecond times, xattrs, ACLs
        if (read.TrimEnd('/') != home.TrimEnd('/'))
        {
            argv.Add($"--transform=s,^{Escape(relative)},{EscapeReplacement(home.TrimEnd('/').TrimStart('/'))},S"); // S: symlink targets are not member names
        }
        argv.AddRange(["--", relative]);
        var archive = new ToolCommand(argv) { Timeout = timeout, Session = session };
        if (compressor.Pipes)
        {
            await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
            var piped = await ToolPipe.RunAsync(runner, archive, compressor.PipeCommand(session), cancellationToken, output, progress);
            await output.FlushAsync(cancellationToken);
            return piped.Bytes;
        }
        var tarFile = UncompressedPath(target, compressor);
        try
        {
            await using (var output = new FileStream(tarFile, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                await runner.RunAsync(archive, null, new CountingStream(output, progress), cancellationToken);
            }
            var size = new FileInfo(tarFile).Length;
            await runner.RunAsync(compressor.InPlaceCommand(tarFile, session), cancellationToken);
            if (!File.Exists(target))
            {
                throw new IOException($"{compressor.Settings.Program} did not leave {target} (check [compression] program, arguments and compressedExtension)");
            }
            return size;
        }
        finally
        {
            File.Delete(tarFile); // after a failure, or left by a compressor that keeps its input (pbzip2 -k)
        }
    }

    /// <summary>Where the in-place form writes the tar that the compressor then turns into <paramref name="target"/>.</summary>
    public static string UncompressedPath(string target, Compressor compressor) =>
        target[..^(compressor.Settings.Extension.Length + 1)];

    /// <summary>A literal for the pattern of a sed <c>s,…,…,</c> expression (basic regular expression).</summary>
    private static string Escape(string text)
    {
        var b = new StringBuilder();
        foreach (var c in text)
        {
            if (c is '\\' or '.' or '[' or ']' or '*' or '^' or '$' or ',')
            {
                b.Append('\\');
            }
            b.Append(c);
        }
        return b.ToString();
    }

    private static string EscapeReplacement(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("&", "\\&", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal);
}
