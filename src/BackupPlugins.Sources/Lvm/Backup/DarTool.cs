// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// The dar commands of <c>lvm backup</c>, as argv: the seed's create command (slices under 2 GB, stored excluded
/// directories, gzip 9, small files and already-compressed types not compressed, <c>-g</c> per subdir, <c>-A</c> the
/// reference of an INC) with <c>-Q</c> (no terminal questions: cron) and without the seed's <c>-w</c> (the chain never
/// reuses a name, so nothing may be overwritten); the isolation of its catalogue (<c>-C</c>) and its test (<c>-t</c>).
/// dar's exit code 5 (some files could not be saved) and 11 (some changed while being read) are returned to the caller,
/// whose policy makes them warnings or errors; any other failure is the command's.
/// </summary>
public sealed class DarTool(IToolRunner runner, string dar, string? session)
{
    public const int SomeNotSaved = 5;
    public const int SomeChanged = 11;

    private static readonly string[] NoCompress = ["*.avi", "*.bz2", "*.gif", "*.gz", "*.jpg", "*.mov", "*.mpg", "*.mp3", "*.pbm", "*.pdf", "*.png", "*.Z", "*.zip"];

    public IReadOnlyList<string> CreateArgv(string archive, string root, IReadOnlyList<string> subdirs, string? reference) =>
    [
        dar, "-c", archive, "-R", root, "-Q", "-s", "1875000000", "-D", "-z9", "-m", "150",
        .. NoCompress.SelectMany(p => new[] { "-Z", p }),
        .. subdirs.SelectMany(s => new[] { "-g", s }),
        .. reference is null ? Array.Empty<string>() : ["-A", reference],
    ];

    public IReadOnlyList<string> IsolateArgv(string catalogue, string archive) => [dar, "-C", catalogue, "-A", archive, "-Q", "-z9"];

    public IReadOnlyList<string> TestArgv(string archive) => [dar, "-t", archive, "-Q"];

    /// <summary>Runs a dar command; its exit code when 0, 5 or 11, else <see cref="ToolFailedException"/>.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> argv, CancellationToken cancellationToken) =>
        (await runner.RunAsync(new ToolCommand(argv)
        {
            Session = session, Timeout = TimeSpan.FromHours(48), SuccessCodes = [0, SomeNotSaved, SomeChanged],
        }, cancellationToken)).ExitCode;
}
