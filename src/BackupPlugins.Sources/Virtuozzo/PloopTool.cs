// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// The ploop commands this source runs (the seed plugin's command lines), as argv through the one runner; a failing
/// ploop is reported as itself (command, exit code, message), and output it cannot read as ploop's failure.
/// </summary>
public sealed class PloopTool(Vz7Settings settings, IToolRunner runner, string? session)
{
    /// <summary>The images of a disk, base first; output it cannot read, or no image at all, is ploop's failure.</summary>
    public async Task<IReadOnlyList<PloopSnapshot>> ListSnapshotsAsync(string diskDescriptor, CancellationToken cancellationToken)
    {
        var command = Command(["snapshot-list", diskDescriptor]);
        var result = await runner.RunAsync(command, cancellationToken);
        var images = ToolOutput.Parse(command, result, PloopOutputParser.ParseSnapshotList);
        return images.Count > 0 ? images : throw ToolOutput.Unreadable(command, result, "no image listed");
    }

    /// <summary>A snapshot with this UUID; <c>-F</c> syncs the container's file system first.</summary>
    public Task<ToolResult> SnapshotAsync(string uuid, string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["snapshot", "-u", uuid, "-F", diskDescriptor]), cancellationToken);

    /// <summary>Deletes a snapshot: merges its delta back online.</summary>
    public Task<ToolResult> DeleteSnapshotAsync(string uuid, string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["snapshot-delete", "-u", uuid, diskDescriptor]), cancellationToken);

    /// <summary>Read-only mount of the image chain up to <paramref name="uuid"/>; <c>-c</c> allows it beside the running container's own mount.</summary>
    public Task MountReadOnlyAsync(string component, string uuid, string mountPoint, string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["mount", "-r", "-c", component, "-u", uuid, "-m", mountPoint, diskDescriptor]), cancellationToken);

    public Task UnmountAsync(string component, string mountPoint, string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["umount", "-c", component, "-m", mountPoint, diskDescriptor]), cancellationToken);

    /// <summary>A new ext4 ploop image of <paramref name="gib"/> GiB (DiskDescriptor.xml is created beside it).</summary>
    public Task InitAsync(int gib, string image, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["init", "-s", $"{(long)gib * 1024}M", "-f", "ploop1", "-t", "ext4", image]), cancellationToken);

    /// <summary>Read-write mount of the whole image (restore).</summary>
    public Task MountAsync(string mountPoint, string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["mount", "-m", mountPoint, diskDescriptor]), cancellationToken);

    public Task UnmountImageAsync(string diskDescriptor, CancellationToken cancellationToken) =>
        runner.RunAsync(Command(["umount", diskDescriptor]), cancellationToken);

    private ToolCommand Command(string[] args) =>
        new([settings.Ploop, .. args]) { Session = session, Timeout = TimeSpan.FromSeconds(settings.CommandTimeoutSeconds) };
}
