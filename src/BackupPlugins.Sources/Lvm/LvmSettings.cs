// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Lvm;

/// <summary>Host settings of <c>source=lvm</c> (configuration section <c>Sources:Lvm</c>).</summary>
public sealed record LvmSettings
{
    public string Lvcreate { get; init; } = "lvcreate";
    public string Lvs { get; init; } = "lvs";
    public string Lvremove { get; init; } = "lvremove";
    public string Mount { get; init; } = "mount";
    public string Umount { get; init; } = "umount";
    /// <summary>Where LVM's device links are (<c>/dev/&lt;vg&gt;/&lt;lv&gt;</c>).</summary>
    public string DeviceRoot { get; init; } = "/dev";
    /// <summary>Where snapshots are mounted: <c>&lt;MountRoot&gt;/&lt;vg&gt;/&lt;snapshot&gt;</c>, one fixed path per snapshot name.</summary>
    public string MountRoot { get; init; } = "/run/backup-plugins/lvm";
    /// <summary>Seconds between two looks at a snapshot's fill while a job reads it.</summary>
    public int FillPollSeconds { get; init; } = 10;
    public int CommandTimeoutSeconds { get; init; } = 300;
    /// <summary><c>lvm backup</c>: the archiver and the mirror (Debian's dar and rsync).</summary>
    public string Dar { get; init; } = "dar";
    public string Rsync { get; init; } = "rsync";
}
