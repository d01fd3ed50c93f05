// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Virtuozzo;

/// <summary>
/// Where Virtuozzo 7 keeps things on this host, and the tools (host configuration section <c>Sources:Vz7</c>).
/// Defaults are those of a standard VZ7 node and of the seed plugin.
/// </summary>
public sealed record Vz7Settings
{
    public string Prlctl { get; init; } = "/usr/bin/prlctl";
    public string Ploop { get; init; } = "/usr/sbin/ploop";
    /// <summary>Container private areas: <c>&lt;PrivateRoot&gt;/&lt;uuid&gt;/root.hdd/DiskDescriptor.xml</c>.</summary>
    public string PrivateRoot { get; init; } = "/vz/private";
    /// <summary>Where running containers' file systems are mounted: <c>&lt;CtRoot&gt;/&lt;uuid&gt;</c>.</summary>
    public string CtRoot { get; init; } = "/vz/root";
    /// <summary>
    /// Our mounts live here as <c>bp-&lt;uuid&gt;</c> (backup) and <c>bp-restore-&lt;uuid&gt;</c> (restore); Bareos
    /// records the container's files as <c>&lt;MountRoot&gt;/&lt;uuid&gt;/…</c>, the seed plugin's names.
    /// </summary>
    public string MountRoot { get; init; } = "/mnt/bareos";
    /// <summary>Seconds one prlctl/ploop command may take (a snapshot merge of a busy container can be slow).</summary>
    public int CommandTimeoutSeconds { get; init; } = 3600;
}
