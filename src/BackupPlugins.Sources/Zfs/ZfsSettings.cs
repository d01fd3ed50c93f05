// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Zfs;

/// <summary>Host settings of <c>source=zfs</c> (configuration section <c>Sources:Zfs</c>).</summary>
public sealed record ZfsSettings
{
    public string Zfs { get; init; } = "zfs";
    public string Zpool { get; init; } = "zpool";
    /// <summary>mode=files on a zfs without .zfs/snapshot: where the read-only clones are mounted (<c>bp-clone-*</c>).</summary>
    public string CloneRoot { get; init; } = "/run/backup-plugins/zfs";
}
