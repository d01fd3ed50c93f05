// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// A reflink (copy-on-write) clone of a VM bundle, beside it on the same file system:
/// <c>&lt;parent&gt;/.bp-clone-&lt;uuid&gt;/&lt;bundle name&gt;</c>. <c>cp -a --reflink=always</c> shares the blocks, so it
/// takes a moment whatever the disk's size, and keeps sparse images sparse; it fails (rather than copying) where the
/// file system has no reflinks. Used by the standalone <c>parallels backup</c> and by <c>source=parallels</c>; the
/// journal entry (<see cref="ParallelsEffects.Clone"/>) is what marks a clone as ours.
/// </summary>
public sealed class BundleClone(string home, string uuid)
{
    /// <summary>The directory that holds the clone (so the clone keeps the bundle's own name).</summary>
    public string Holder { get; } = Path.Combine(Path.GetDirectoryName(home)!, $".bp-clone-{uuid}");

    /// <summary>The clone itself.</summary>
    public string ClonePath => Path.Combine(Holder, Path.GetFileName(home));

    /// <summary>Refuses when a clone is there already: another backup of this VM runs, or a killed one left it.</summary>
    public void CheckAbsent()
    {
        if (Path.Exists(ClonePath))
        {
            throw new BackupPluginException(ErrorKind.Precondition, "parallels.clone-left",
                $"{ClonePath} exists: another backup of this virtual machine is running, or one that was killed left its clone; " +
                "`backup-plugins sweep` removes it if a backup of ours made it (the VM was not suspended)");
        }
    }

    /// <summary>The clone command (its holder directory must exist).</summary>
    public ToolCommand Command(TimeSpan timeout, string? session) =>
        new(["cp", "-a", "--reflink=always", "--", home, ClonePath]) { Session = session, Timeout = timeout };

    /// <summary>
    /// Whether the bundle's file system makes reflinks, tried on the bundle's <c>config.pvs</c> into the holder directory
    /// (made and removed here) — before anything is suspended. Null when it does; else cp's words.
    /// </summary>
    public async Task<string?> ProbeAsync(IToolRunner runner, string? session, CancellationToken cancellationToken)
    {
        var made = !Directory.Exists(Holder);
        Directory.CreateDirectory(Holder);
        var probe = Path.Combine(Holder, ".reflink-probe");
        try
        {
            await runner.RunAsync(new ToolCommand(["cp", "--reflink=always", "--", Path.Combine(home, "config.pvs"), probe])
            {
                Session = session, Timeout = TimeSpan.FromMinutes(1),
            }, cancellationToken);
            return null;
        }
        catch (ToolFailedException ex)
        {
            return ex.Result?.StandardErrorTail.Trim() is { Length: > 0 } said ? said : ex.Message;
        }
        finally
        {
            File.Delete(probe);
            if (made)
            {
                Directory.Delete(Holder);
            }
        }
    }
}
