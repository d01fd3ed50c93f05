// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// Copies one local file (a VM's compressed tar) to every destination at once, as the seed's one-thread-per-destination
/// scp did, and returns one <see cref="CopyOutcome"/> per destination, in their order. Per destination, all through
/// <see cref="IToolRunner"/>, each command bounded by the <c>[scp] timeout</c>:
/// <list type="number">
/// <item><c>scp -s -o BatchMode=yes -o LogLevel=ERROR [-F ssh_config] -- &lt;local&gt; &lt;user@host&gt;:&lt;dir&gt;/.&lt;name&gt;.partial</c>.
/// scp speaks SFTP (<c>-s</c>; the default since OpenSSH 9.0, refused by a scp too old to have it), so the remote
/// name reaches the server as it is, with no remote shell to split it (the seed's bug with spaces in VM names).
/// No <c>-q</c>: scp hands it on to ssh, which would then keep its own error ("Connection refused") to itself.</item>
/// <item><c>ssh … &lt;user@host&gt; -- "wc -c &lt;'partial' &amp;&amp; sha256sum &lt;'partial'"</c>: the remote size and
/// SHA-256, compared with the local ones (read once, before the copies). ssh always goes through the remote user's
/// shell (a POSIX one is assumed), so paths are quoted with <see cref="PosixShellQuote"/>.</item>
/// <item><c>ssh … -- "mv -f -- 'partial' 'final'"</c>: only a verified copy replaces the previous one in its slot.</item>
/// </list>
/// On any failure the partial file is removed (best effort) and the outcome names the destination, the step and the
/// tool's own standard error. Cancellation is not an outcome: it is thrown, after the same clean-up.
/// </summary>
public sealed class RemoteCopy(IToolRunner runner, TimeSpan timeout, string? sshConfig, string? session = null)
{
    /// <summary>How long the best-effort removal of a partial file may take (at most the command timeout).</summary>
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromMinutes(1);

    /// <summary>The copier for a loaded <c>backupParallels.ini</c>: its <c>[scp] timeout</c> and <c>ssh_config</c>.</summary>
    public static RemoteCopy For(ParallelsConfig config, IToolRunner runner, string? session) =>
        new(runner, config.CopyTimeout, config.SshConfig, session);

    /// <summary>The seed's remote file name for a rotation slot: <c>&lt;vm&gt;.&lt;n&gt;.tar.&lt;ext&gt;</c>.</summary>
    public static string RemoteName(string vm, int slot, string extension)
    {
        if (vm.Length == 0 || vm.Contains('/', StringComparison.Ordinal) || vm.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"the VM name \"{vm}\" cannot be a file name (empty, or with '/' or NUL)", nameof(vm));
        }
        return string.Create(CultureInfo.InvariantCulture, $"{vm}.{slot}.tar.{extension}");
    }

    /// <summary>
    /// Copies <paramref name="localFile"/> as <see cref="RemoteName"/> into every destination concurrently and waits
    /// for all of them.
    /// </summary>
    public async Task<IReadOnlyList<CopyOutcome>> CopyAsync(string localFile, string vm, int slot, string extension,
        IReadOnlyList<string> destinations, CancellationToken cancellationToken)
    {
        var name = RemoteName(vm, slot, extension);
        // Absolute, so that scp never reads a ':' in it as host:path.
        var local = Path.GetFullPath(localFile);
        long size;
        string sha256;
        await using (var stream = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20,
            FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            size = stream.Position;
        }
        return await Task.WhenAll(destinations.Select(d => CopyOneAsync(local, size, sha256, d, name, cancellationToken)));
    }

    private async Task<CopyOutcome> CopyOneAsync(string local, long size, string sha256, string destination, string name,
        CancellationToken cancellationToken)
    {
        await Task.Yield();
        var stopwatch = Stopwatch.StartNew();
        ScpDestination target;
        try
        {
            target = ScpDestination.Parse(destination);
        }
        catch (FormatException ex)
        {
            return new CopyOutcome(destination, "", false, null, null, stopwatch.Elapsed, $"{destination}: {ex.Message}");
        }
        var final = target.PathOf(name);
        var partial = target.PathOf($".{name}.partial");
        CopyOutcome Failed(string error, long? bytes = null, string? hash = null) =>
            new(destination, final, false, bytes, hash, stopwatch.Elapsed, $"{destination}: {error}");

        var step = "scp";
        try
        {
            await runner.RunAsync(Scp(local, $"{target.Login}:{partial}"), cancellationToken);
            step = "verification";
            var check = Ssh(target, $"wc -c <{PosixShellQuote.Quote(partial)} && sha256sum <{PosixShellQuote.Quote(partial)}");
            var (bytes, hash) = ToolOutput.Parse(check, await runner.RunAsync(check, cancellationToken), ParseFigures);
            if (bytes != size || hash != sha256)
            {
                await RemoveAsync(target, partial);
                return Failed($"verification failed: the remote copy has {bytes} bytes with SHA-256 {hash}, " +
                    $"the local file {size} bytes with SHA-256 {sha256}", bytes, hash);
            }
            step = "rename into place";
            await runner.RunAsync(Ssh(target, $"mv -f -- {PosixShellQuote.Quote(partial)} {PosixShellQuote.Quote(final)}"), cancellationToken);
            return new CopyOutcome(destination, final, true, bytes, hash, stopwatch.Elapsed, null);
        }
        catch (ToolFailedException ex)
        {
            await RemoveAsync(target, partial);
            return Failed($"{step} failed: {Reason(ex)}");
        }
        catch (OperationCanceledException)
        {
            await RemoveAsync(target, partial);
            throw;
        }
    }

    /// <summary>Best effort: a partial file that cannot be removed now is overwritten by the next copy to its slot.</summary>
    private async Task RemoveAsync(ScpDestination target, string partial)
    {
        try
        {
            await runner.RunAsync(Ssh(target, $"rm -f -- {PosixShellQuote.Quote(partial)}") with
            {
                Timeout = timeout < CleanupTimeout ? timeout : CleanupTimeout,
            }, CancellationToken.None);
        }
        catch (ToolFailedException)
        {
            // The destination is unreachable or refuses: nothing more to do from here.
        }
    }

    private ToolCommand Scp(string local, string remote) =>
        Command(["scp", "-s", .. Options(), "--", local, remote]);

    private ToolCommand Ssh(ScpDestination target, string remoteCommand) =>
        Command(["ssh", .. Options(), target.SshLogin, "--", remoteCommand]);

    private string[] Options() =>
        sshConfig is null ? ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"] : ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-F", sshConfig];

    private ToolCommand Command(string[] argv) => new(argv) { Timeout = timeout, Session = session };

    /// <summary>The failure without the command line it starts with, its standard error on one line.</summary>
    private static string Reason(ToolFailedException ex)
    {
        var prefix = $"{ex.Command}: ";
        var message = ex.Message.StartsWith(prefix, StringComparison.Ordinal) ? ex.Message[prefix.Length..] : ex.Message;
        return string.Join("; ", message.Split('\n').Select(line => line.TrimEnd('\r').Trim()).Where(line => line.Length > 0));
    }

    /// <summary><c>wc -c</c>'s count (GNU prints it bare, BSD padded) and <c>sha256sum</c>'s digest, on two lines.</summary>
    private static (long Bytes, string Sha256) ParseFigures(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length != 2 || !long.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
        {
            throw new FormatException("not a byte count and a SHA-256 on two lines");
        }
        var hash = lines[1].Split(' ')[0].ToLowerInvariant();
        return hash.Length == 64 && hash.All(char.IsAsciiHexDigit) ? (bytes, hash) : throw new FormatException("no SHA-256 on the second line");
    }
}
