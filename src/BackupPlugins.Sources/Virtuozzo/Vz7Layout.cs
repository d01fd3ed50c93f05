// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>Where one container's pieces are, and the fixed names of what we create for it.</summary>
public sealed record Vz7Layout(Vz7Settings Settings, string Uuid)
{
    /// <summary>Our mounts start with this (under <see cref="Vz7Settings.MountRoot"/>), so the sweep finds them.</summary>
    public const string MountPrefix = "bp-";
    /// <summary>Our snapshot UUIDs start with this, so the sweep finds them (ploop names snapshots by UUID only).</summary>
    public const string SnapshotPrefix = "0bac0bac-";

    public string PrivateDir => Path.Combine(Settings.PrivateRoot, Uuid);
    public string DiskDescriptor => Path.Combine(PrivateDir, "root.hdd", "DiskDescriptor.xml");
    public string BaseImage => Path.Combine(PrivateDir, "root.hdd", "root.hds");
    public string RunningRoot => Path.Combine(Settings.CtRoot, Uuid);
    public string BackupMount => Path.Combine(Settings.MountRoot, MountPrefix + Uuid);
    public string RestoreMount => Path.Combine(Settings.MountRoot, MountPrefix + "restore-" + Uuid);
    /// <summary>The container's files as Bareos records them: the seed plugin's names, whatever our mount point.</summary>
    public string CatalogRoot => Path.Combine(Settings.MountRoot, Uuid);

    public static string NewSnapshotUuid()
    {
        var g = Guid.NewGuid().ToString("D");
        return SnapshotPrefix + g[SnapshotPrefix.Length..];
    }
}
