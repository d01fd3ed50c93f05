// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Parallels;

/// <summary>The tool of <c>source=parallels</c> on this host (host configuration section <c>Sources:Parallels</c>).</summary>
public sealed record ParallelsSettings
{
    public string Prlctl { get; init; } = "/usr/bin/prlctl";
    /// <summary>Seconds one prlctl command or the bundle clone may take (suspending a VM with much memory takes a while).</summary>
    public int CommandTimeoutSeconds { get; init; } = 3600;
}
